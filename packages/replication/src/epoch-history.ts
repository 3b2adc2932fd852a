/**
 * EpochHistory: what the replica state machines read from a local leader-epoch cache
 * (KIP-101/279). The broker adapts `@samsa/log`'s LeaderEpochCache to it:
 * `endOffsetFor(e)` is the cache's `endOffsetFor(e, log.logEndOffset)` with the
 * "undefined" answer (-1 offset) mapped to null.
 *
 * Semantics (Kafka's `UnifiedLog.endOffsetForEpoch`): for the largest epoch E ≤ `epoch`
 * the cache knows, `{ epoch: E, endOffset }` where endOffset is the start offset of the
 * first epoch after E, or the log end offset when E is the latest epoch; when `epoch` is
 * older than every entry, `{ epoch, endOffset: start of the first entry }`; null when the
 * cache is empty or `epoch` is newer than every entry.
 */

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface EpochHistory {
  endOffsetFor(epoch: number): EpochEndOffset | null;
  /** The latest epoch in the cache; null when it is empty. */
  latestEpoch(): number | null;
}
