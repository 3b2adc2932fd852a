/**
 * The append path's byte work, with no I/O: validate every batch of an append before
 * anything is written, then assign offsets (leader) or check them (follower) in place.
 *
 * Allocation-light: header fields are read straight from the caller's bytes; no
 * per-record objects, no bigint. `validateAppend` walks records only through the codec's
 * `validateRecordBatch` (framing + CRC-32C).
 */
import {
  batchBaseOffset,
  batchLastOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchRecordCount,
  nextBatchEnd,
  setBatchBaseOffset,
  setBatchMaxTimestampAndLogAppendTime,
  setBatchPartitionLeaderEpoch,
  validateRecordBatch,
} from '@samsa/codec';
import { InvalidRecordBatchError, NonContiguousOffsetError, RecordTooLargeError } from './errors.ts';
import type { AppendStats } from './log-segment.ts';

/** Bound on batches in one append (a 1 GiB segment of 61-byte batches would be ~17M). */
export const APPEND_BATCHES_MAX = 1 << 24;

export interface ValidatedAppend {
  readonly batchCount: number;
  readonly recordCount: number;
  /** Sum of (lastOffsetDelta + 1): how many offsets the append consumes as a leader. */
  readonly offsetCount: number;
  readonly sizeBytes: number;
}

/** Checks framing, CRC and size of every batch; throws before anything is written. */
export function validateAppend(bytes: Uint8Array, maxMessageBytes: number): ValidatedAppend {
  if (bytes.byteLength === 0) throw new InvalidRecordBatchError('truncated', 0, 'empty append');
  let pos = 0;
  let batchCount = 0;
  let recordCount = 0;
  let offsetCount = 0;
  while (pos < bytes.byteLength) {
    if (batchCount >= APPEND_BATCHES_MAX) throw new InvalidRecordBatchError('bad-length', pos, `more than ${APPEND_BATCHES_MAX} batches`);
    const end = nextBatchEnd(bytes, pos);
    if (end < 0) throw new InvalidRecordBatchError('truncated', pos, 'incomplete batch at the end');
    const invalid = validateRecordBatch(bytes, pos, end);
    if (invalid !== null) throw new InvalidRecordBatchError(invalid.reason, pos, invalid.detail);
    if (end - pos > maxMessageBytes) throw new RecordTooLargeError(end - pos, maxMessageBytes);
    recordCount += batchRecordCount(bytes, pos);
    offsetCount += batchLastOffsetDelta(bytes, pos) + 1;
    batchCount++;
    pos = end;
  }
  return { batchCount, recordCount, offsetCount, sizeBytes: bytes.byteLength };
}

export interface AssignOptions {
  readonly firstOffset: number;
  /** Stamped into every batch when ≥ 0. */
  readonly leaderEpoch: number;
  /** log-append-time: every batch's maxTimestamp becomes this (CRC recomputed); -1 to keep create time. */
  readonly logAppendTimeMs: number;
}

/** Leader append: writes base offsets (and epoch / append time) in place; returns the stats. */
export function assignOffsets(bytes: Uint8Array, options: AssignOptions): AppendStats {
  let pos = 0;
  let next = options.firstOffset;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = options.firstOffset;
  while (pos < bytes.byteLength) {
    const end = nextBatchEnd(bytes, pos);
    setBatchBaseOffset(bytes, pos, next);
    if (options.leaderEpoch >= 0) setBatchPartitionLeaderEpoch(bytes, pos, options.leaderEpoch);
    if (options.logAppendTimeMs >= 0) setBatchMaxTimestampAndLogAppendTime(bytes, pos, options.logAppendTimeMs);
    const last = batchLastOffset(bytes, pos);
    const ts = batchMaxTimestamp(bytes, pos);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = last;
    }
    next = last + 1;
    pos = end;
  }
  return { lastOffset: next - 1, maxTimestamp, offsetOfMaxTimestamp };
}

/**
 * Follower append: keeps the leader's offsets. They must start at `logEndOffset` and be
 * contiguous (or, with `allowGaps` for compacted leaders, start at or after it and
 * increase). Returns the stats and the first offset.
 */
export function checkFollowerOffsets(bytes: Uint8Array, logEndOffset: number, allowGaps: boolean): AppendStats & { firstOffset: number } {
  let pos = 0;
  let expected = logEndOffset;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = logEndOffset;
  const firstOffset = batchBaseOffset(bytes, 0);
  while (pos < bytes.byteLength) {
    const end = nextBatchEnd(bytes, pos);
    const base = batchBaseOffset(bytes, pos);
    if (allowGaps ? base < expected : base !== expected) {
      throw new NonContiguousOffsetError(`batch at byte ${pos} starts at offset ${base}, expected ${allowGaps ? 'at least ' : ''}${expected}`);
    }
    const last = batchLastOffset(bytes, pos);
    const ts = batchMaxTimestamp(bytes, pos);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = last;
    }
    expected = last + 1;
    pos = end;
  }
  return { firstOffset, lastOffset: expected - 1, maxTimestamp, offsetOfMaxTimestamp };
}

/** Calls `fn(epoch, baseOffset)` for each batch (epoch-cache assignment). */
export function forEachBatchEpoch(bytes: Uint8Array, fn: (epoch: number, baseOffset: number) => void): void {
  let pos = 0;
  while (pos < bytes.byteLength) {
    const end = nextBatchEnd(bytes, pos);
    fn(batchPartitionLeaderEpoch(bytes, pos), batchBaseOffset(bytes, pos));
    pos = end;
  }
}
