/**
 * The append path's byte work, with no I/O: validate every batch of an append before
 * anything is written, then assign offsets (leader) or check them (follower) in place.
 *
 * Allocation-light: header fields are read straight from the caller's bytes; no
 * per-record objects, no bigint. `validateAppend` walks records only through the codec's
 * `validateRecordBatch` (framing + CRC-32C), once per batch.
 *
 * Leader checks (`LeaderChecks`, what Kafka's LogValidator does for a leader's append):
 *   - create-time logs: a batch's header maxTimestamp must be the largest timestamp of
 *     its records. Clients send -1 or wrong values; a wrong header misplaces the batch for
 *     ListOffsets by timestamp, the time index and time-based retention. The walk that
 *     validates the records yields the real maximum; only a batch whose header differs is
 *     rewritten (maxTimestamp, and the CRC-32C recomputed), after EVERY batch of the
 *     append validated. A correct header costs no copy and no extra pass.
 *   - compacted logs: every record needs a key (the cleaner would drop a keyless one, so
 *     accepting it would lose acknowledged data) → InvalidRecordError, nothing appended.
 *   - compressed batches are decompressed once (bounded, DECOMPRESSED_BYTES_MAX_DEFAULT)
 *     to walk their records when either check needs them; the compressed bytes are kept
 *     as sent, only the header changes. Log-append-time logs that are not compacted skip
 *     the decompression (the header is overwritten with the append time anyway).
 * Followers (`appendAsFollower`) get no leader checks: the leader's bytes are kept as is.
 */
import {
  batchBaseOffset,
  batchLastOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchPartitionLeaderEpoch,
  batchRecordCount,
  batchTimestampType,
  newRecordWalkSummary,
  nextBatchEnd,
  setBatchBaseOffset,
  setBatchMaxTimestampAndLogAppendTime,
  setBatchMaxTimestampCreateTime,
  setBatchPartitionLeaderEpoch,
  validateRecordBatch,
} from '@samsa/codec/wire';
import type { ValidateOptions } from '@samsa/codec/wire';
import { InvalidRecordBatchError, InvalidRecordError, NonContiguousOffsetError, RecordTooLargeError, assert } from './errors.ts';
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

/** What a leader's append checks beyond framing and CRC (from the log's current config). */
export interface LeaderChecks {
  /** message.timestamp.type=CreateTime: correct each header's maxTimestamp to the max over its records. */
  readonly createTime: boolean;
  /** cleanup.policy has compact: refuse records without a key. */
  readonly keysRequired: boolean;
  /** Names the log in record error messages (`topic-partition`). */
  readonly logName: string;
}

// One walk summary and one options object for every leader append: validateAppend is
// synchronous, so they are never in use twice at once, and the hot path allocates nothing.
const keylessScratch: number[] = [];
const walkSummary = newRecordWalkSummary();
const walkOptions: ValidateOptions = { deep: true, summary: walkSummary };

/** The leader checks a log's config asks for: max timestamps on create-time logs, keys on compacted ones. */
export function leaderChecksFor(config: { readonly timestampType: string; readonly cleanupPolicy: string }, logName: string): LeaderChecks {
  return { createTime: config.timestampType === 'create-time', keysRequired: config.cleanupPolicy !== 'delete', logName };
}

/**
 * Checks framing, CRC and size of every batch (and, with `leader`, the leader checks);
 * throws before anything is written. With `leader` on a create-time log it then corrects
 * wrong header maxTimestamps in place (the caller gives up the buffer, as for offsets).
 */
export function validateAppend(bytes: Uint8Array, maxMessageBytes: number, leader?: LeaderChecks): ValidatedAppend {
  if (bytes.byteLength === 0) throw new InvalidRecordBatchError('truncated', 0, 'empty append');
  const walk = leader !== undefined && (leader.createTime || leader.keysRequired);
  walkSummary.keylessIndices = leader?.keysRequired === true ? keylessScratch : null;
  let pos = 0;
  let batchCount = 0;
  let recordCount = 0;
  let offsetCount = 0;
  /** (position, real maxTimestamp) pairs of batches whose header is wrong; null in the common case. */
  let fixes: number[] | null = null;
  while (pos < bytes.byteLength) {
    if (batchCount >= APPEND_BATCHES_MAX) throw new InvalidRecordBatchError('bad-length', pos, `more than ${APPEND_BATCHES_MAX} batches`);
    const end = nextBatchEnd(bytes, pos);
    if (end < 0) throw new InvalidRecordBatchError('truncated', pos, 'incomplete batch at the end');
    const invalid = walk ? validateRecordBatch(bytes, pos, end, walkOptions) : validateRecordBatch(bytes, pos, end);
    if (invalid !== null) throw new InvalidRecordBatchError(invalid.reason, pos, invalid.detail);
    if (end - pos > maxMessageBytes) throw new RecordTooLargeError(end - pos, maxMessageBytes);
    if (walk) {
      assert(walkSummary.walked, 'a deep validation walks every record');
      if (keylessScratch.length > 0 && leader.keysRequired) throw keylessRecordsError(pos, leader.logName);
      if (leader.createTime && headerMaxTimestampIsWrong(bytes, pos, walkSummary.maxTimestamp)) (fixes ??= []).push(pos, walkSummary.maxTimestamp);
    }
    recordCount += batchRecordCount(bytes, pos);
    offsetCount += batchLastOffsetDelta(bytes, pos) + 1;
    batchCount++;
    pos = end;
  }
  if (fixes !== null) for (let i = 0; i < fixes.length; i += 2) setBatchMaxTimestampCreateTime(bytes, fixes[i]!, fixes[i + 1]!);
  return { batchCount, recordCount, offsetCount, sizeBytes: bytes.byteLength };
}

function headerMaxTimestampIsWrong(bytes: Uint8Array, pos: number, maxTimestamp: number): boolean {
  return batchMaxTimestamp(bytes, pos) !== maxTimestamp || batchTimestampType(bytes, pos) !== 'create';
}

function keylessRecordsError(pos: number, logName: string): InvalidRecordError {
  const message = `compacted topic-partition ${logName} refuses a record without a key`;
  const errors = keylessScratch.map((batchIndex) => ({ batchIndex, message }));
  keylessScratch.length = 0;
  return new InvalidRecordError(pos, errors);
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
