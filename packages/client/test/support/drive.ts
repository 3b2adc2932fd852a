/**
 * drive: awaits `promise` while moving a ManualClock forward in `stepMs` steps, one
 * macrotask apart, so code that sleeps or waits on clock timers (retry backoff, linger,
 * timeouts) makes progress in tests. Bounded: fails after `stepsMax` steps.
 */
import type { ManualClock } from '@samsa/runtime/memory';

export function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export async function drive<T>(clock: ManualClock, promise: Promise<T>, options: { stepMs?: number; stepsMax?: number } = {}): Promise<T> {
  const stepMs = options.stepMs ?? 10;
  const stepsMax = options.stepsMax ?? 20_000;
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let step = 0; step < stepsMax && !settled; step++) {
    await macrotask();
    if (!settled) clock.advance(stepMs);
  }
  if (!settled) throw new Error(`drive: not settled after ${stepsMax} steps of ${stepMs} ms`);
  return promise;
}
