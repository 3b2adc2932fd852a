/**
 * Waits until a condition holds in the Metadata answer of every given broker (each asked on
 * its own socket, so each answer is that broker's own view), polling all of them every
 * POLL_MS, and resolves when the last one got there. Bounded by `timeoutMs` (throws, naming
 * the brokers still behind). Imported by the cluster benches.
 */
import { fetchMetadata, sleep } from '@samsa/bench';
import type { BrokerMetadata } from '@samsa/bench';

const POLL_MS = 20;
const REQUEST_TIMEOUT_MS = 2000;

export async function visibleEverywhere(ports: readonly number[], topics: readonly string[] | undefined, holds: (m: BrokerMetadata) => boolean, timeoutMs: number): Promise<void> {
  const pending = new Set(ports);
  const deadline = performance.now() + timeoutMs;
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async (port) => {
        const m = await fetchMetadata(port, topics, REQUEST_TIMEOUT_MS).catch(() => null);
        if (m !== null && holds(m)) pending.delete(port);
      }),
    );
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new Error(`not visible within ${timeoutMs} ms on brokers at ports ${[...pending].join(', ')}`);
    await sleep(POLL_MS);
  }
}

/** p-th percentile (0..100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
