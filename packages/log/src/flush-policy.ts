/**
 * Flush policy of one log: when an append must be followed by a sync (fdatasync) before
 * its promise resolves.
 *
 * - `none`: never sync on the append path (the OS decides; `flush()` and `close()` sync).
 *   Kafka's default: durability comes from replication.
 * - `every-append`: every append resolves only after a sync that covers it. Concurrent
 *   appends share one sync (group commit), see group-commit.ts.
 * - `messages`: once `messages` records are unsynced, the append that crosses the line
 *   waits for a sync covering everything written so far (Kafka's `flush.messages`).
 * - `interval`: a timer syncs every `intervalMs` if anything is unsynced; appends do not
 *   wait for it (Kafka's `flush.ms`).
 */

export type FlushPolicy =
  | { readonly kind: 'none' }
  | { readonly kind: 'every-append' }
  | { readonly kind: 'messages'; readonly messages: number }
  | { readonly kind: 'interval'; readonly intervalMs: number };

/** Maps Kafka's `flush.messages` / `flush.ms` (absent or ≥ 2^53 meaning "never") to a policy. */
export function flushPolicyFromKafka(flushMessages?: number, flushMs?: number): FlushPolicy {
  const never = (v: number | undefined): boolean => v === undefined || v >= Number.MAX_SAFE_INTEGER;
  if (!never(flushMessages)) {
    const messages = flushMessages as number;
    return messages <= 1 ? { kind: 'every-append' } : { kind: 'messages', messages };
  }
  if (!never(flushMs)) return (flushMs as number) <= 0 ? { kind: 'every-append' } : { kind: 'interval', intervalMs: flushMs as number };
  return { kind: 'none' };
}

/** True when an append that leaves `unflushedMessages` records unsynced must wait for a sync. */
export function appendNeedsSync(policy: FlushPolicy, unflushedMessages: number): boolean {
  switch (policy.kind) {
    case 'every-append':
      return true;
    case 'messages':
      return unflushedMessages >= policy.messages;
    case 'none':
    case 'interval':
      return false;
  }
}

/** True when both policies sync at the same moments (same kind and parameter). */
export function sameFlushPolicy(a: FlushPolicy, b: FlushPolicy): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'messages' && b.kind === 'messages') return a.messages === b.messages;
  if (a.kind === 'interval' && b.kind === 'interval') return a.intervalMs === b.intervalMs;
  return true;
}
