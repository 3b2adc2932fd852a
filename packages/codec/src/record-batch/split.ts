/**
 * Splitting a byte run of concatenated record batches (a Produce/Fetch `records` field, a
 * segment read) into batches, without copying.
 *
 * Framing only looks at batchLength: a batch is [pos, pos + 12 + batchLength). A last
 * batch that does not fit (Fetch responses may cut one off at max_bytes) is reported as
 * truncated bytes, not returned. A batchLength below the 49-byte minimum cannot be a batch
 * and gives no trustworthy next position, so the rest of the run is returned as ONE batch,
 * which `validateRecordBatch` then rejects ('bad-length') — corruption is never mistaken
 * for a cut-off tail. Loops are bounded: every step advances at least 61 bytes.
 */
import { readInt32 } from './bytes.ts';
import { BATCH_OFFSETS as O, RECORD_BATCH_LENGTH_MIN, RECORD_BATCH_LOG_OVERHEAD_BYTES } from './constants.ts';

/**
 * End of the batch starting at `pos` (exclusive), or -1 when it is incomplete in
 * [pos, end) (fewer than 12 bytes, or batchLength reaching past `end`). A batchLength
 * below the minimum yields `end` (see above).
 */
export function nextBatchEnd(b: Uint8Array, pos: number, end: number = b.length): number {
  if (end - pos < RECORD_BATCH_LOG_OVERHEAD_BYTES) return -1;
  const length = readInt32(b, pos + O.batchLength);
  if (length < RECORD_BATCH_LENGTH_MIN) return end;
  const batchEnd = pos + RECORD_BATCH_LOG_OVERHEAD_BYTES + length;
  return batchEnd <= end ? batchEnd : -1;
}

/**
 * Calls `fn(pos, sizeBytes)` for each complete batch in b[start, end); returns the number
 * of trailing bytes of an incomplete last batch (0 when none). Allocates nothing.
 */
export function forEachBatch(b: Uint8Array, fn: (pos: number, sizeBytes: number) => void, start = 0, end: number = b.length): number {
  let pos = start;
  while (pos < end) {
    const batchEnd = nextBatchEnd(b, pos, end);
    if (batchEnd < 0) return end - pos;
    fn(pos, batchEnd - pos);
    pos = batchEnd;
  }
  return 0;
}

export interface SplitRecordBatches {
  /** Views into the input (no copy), in order. */
  readonly batches: Uint8Array[];
  /** Bytes of an incomplete batch at the end, not included in `batches`. */
  readonly truncatedBytes: number;
}

export function splitRecordBatches(b: Uint8Array): SplitRecordBatches {
  const batches: Uint8Array[] = [];
  const truncatedBytes = forEachBatch(b, (pos, size) => {
    batches.push(b.subarray(pos, pos + size));
  });
  return { batches, truncatedBytes };
}
