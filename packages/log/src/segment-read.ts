/**
 * Pure helpers of a segment's reads (log-segment.ts `read`, `findOffsetByTimestamp`): they
 * walk batch headers inside bytes already read and never do I/O themselves.
 *
 * Every walk is bounded by the bytes given: each step advances one whole batch (at least
 * the 61-byte header), and a position that does not frame a batch ends it.
 */
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, batchPartitionLeaderEpoch, batchTimestampType, iterateRecords, nextBatchEnd, RECORD_BATCH_HEADER_BYTES } from '@samsa/codec/wire';
import type { BatchVisitor } from './batch-scanner.ts';
import type { BatchPosition, TimestampAndOffset } from './segment-types.ts';

export interface FirstBatchWalk {
  /** The first batch whose last offset is ≥ the start offset, when the bytes held it. */
  readonly first: BatchPosition | null;
  /** Where the walk stopped (file position). */
  readonly position: number;
  /** The walk met bytes that are not a batch: as the scanner, nothing there reaches the offset. */
  readonly notABatch: boolean;
}

/**
 * Walks the headers of `buffer` (file bytes [bufferStart, bufferStart + bufferLength)) from
 * file position `from` for the first batch whose last offset is ≥ `startOffset`, inside a
 * segment of `sizeBytes`.
 */
export function findFirstBatch(buffer: Uint8Array, bufferStart: number, bufferLength: number, from: number, sizeBytes: number, startOffset: number): FirstBatchWalk {
  let position = from;
  while (position < sizeBytes) {
    const at = position - bufferStart;
    if (at + RECORD_BATCH_HEADER_BYTES > bufferLength) break;
    const end = nextBatchEnd(buffer, at, Number.MAX_SAFE_INTEGER);
    const batchBytes = end - at;
    if (end < 0 || batchBytes < RECORD_BATCH_HEADER_BYTES || batchBytes > sizeBytes - position) return { first: null, position, notABatch: true };
    const lastOffset = batchLastOffset(buffer, at);
    if (lastOffset >= startOffset) return { first: { position, sizeBytes: batchBytes, baseOffset: batchBaseOffset(buffer, at), lastOffset }, position, notABatch: false };
    position += batchBytes;
  }
  return { first: null, position, notABatch: false };
}

/**
 * The whole batches in `buffer[from, stop)` before the first one whose last offset is ≥
 * `maxOffset`: where they end, and the offset after the last of them (-1 when none).
 */
export function wholeBatchesBelow(buffer: Uint8Array, from: number, stop: number, maxOffset: number): { readonly end: number; readonly nextOffset: number } {
  let pos = from;
  let nextOffset = -1;
  while (pos < stop) {
    const end = nextBatchEnd(buffer, pos, stop);
    if (end < 0 || end - pos < RECORD_BATCH_HEADER_BYTES) break;
    const lastOffset = batchLastOffset(buffer, pos);
    if (lastOffset >= maxOffset) break;
    nextOffset = lastOffset + 1;
    pos = end;
  }
  return { end: pos, nextOffset };
}

/**
 * A scanner visitor (whole batches) finding the first record with timestamp ≥ `timestamp`
 * and offset ≥ `startingOffset` (ListOffsets); a log-append-time batch answers with its
 * own timestamp and first offset at or above `startingOffset`.
 */
export function firstRecordAtOrAfter(timestamp: number, startingOffset: number): { readonly visit: BatchVisitor; readonly found: () => TimestampAndOffset | null } {
  let found: TimestampAndOffset | null = null;
  const visit: BatchVisitor = (chunk, at, sizeBytes) => {
    if (batchMaxTimestamp(chunk, at) < timestamp || batchLastOffset(chunk, at) < startingOffset) return true;
    const epoch = batchPartitionLeaderEpoch(chunk, at);
    const batch = chunk.subarray(at, at + sizeBytes);
    if (batchTimestampType(batch, 0) === 'log-append') {
      found = { timestamp: batchMaxTimestamp(batch, 0), offset: Math.max(batchBaseOffset(batch, 0), startingOffset), leaderEpoch: epoch };
      return false;
    }
    for (const record of iterateRecords(batch, 0)) {
      if (record.timestampMs >= timestamp && record.offset >= startingOffset) {
        found = { timestamp: record.timestampMs, offset: record.offset, leaderEpoch: epoch };
        return false;
      }
    }
    return true;
  };
  return { visit, found: () => found };
}
