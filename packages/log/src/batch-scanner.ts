/**
 * scanBatches: walks the record batches of a segment file from a position, reading the
 * file in chunks (no per-batch I/O). Used by offset translation, timestamp search, index
 * rebuilding and recovery.
 *
 * Framing: a batch is [pos, pos + 12 + batchLength). The visitor sees each batch's bytes in
 * a reused chunk buffer (`chunk[at, at + sizeBytes)`): it must copy what it keeps. With
 * `wholeBatches: false` only the 61-byte header is guaranteed to be in the chunk (enough
 * for every header field); `true` guarantees the whole batch (recovery checks CRCs).
 *
 * Stops at `end`, when the visitor returns false, or at the first position that cannot
 * hold a batch: fewer than 61 bytes left, a batchLength below 49, or a batch reaching past
 * `end`. The result says which; recovery truncates at `position` in the last two cases.
 * Bounded: every step advances at least 61 bytes and never reads past `end`.
 */
import type { FileHandle } from '@samsa/runtime';
import { RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_LENGTH_MIN, RECORD_BATCH_LOG_OVERHEAD_BYTES } from '@samsa/codec/wire';
import { readFully } from './file-io.ts';

export const SCAN_CHUNK_BYTES = 64 * 1024;

export type ScanStop = 'end' | 'visitor' | 'incomplete' | 'bad-length';

export interface ScanResult {
  /** Where scanning stopped: `end`, the batch the visitor stopped at, or the first position that is not a batch. */
  readonly position: number;
  readonly stop: ScanStop;
}

/** Returns false to stop. `filePosition` is where the batch starts in the file. */
export type BatchVisitor = (chunk: Uint8Array, at: number, sizeBytes: number, filePosition: number) => boolean;

export async function scanBatches(
  handle: FileHandle,
  start: number,
  end: number,
  wholeBatches: boolean,
  visit: BatchVisitor,
  chunkBytes = SCAN_CHUNK_BYTES,
): Promise<ScanResult> {
  let chunk = new Uint8Array(Math.max(chunkBytes, RECORD_BATCH_HEADER_BYTES));
  let chunkStart = start;
  let chunkLength = 0;
  let position = start;
  const view = (): DataView => new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let dv = view();
  while (position < end) {
    if (end - position < RECORD_BATCH_HEADER_BYTES) return { position, stop: 'incomplete' };
    // Make sure the header (or the whole batch) is in the chunk.
    let at = position - chunkStart;
    if (at < 0 || at + RECORD_BATCH_HEADER_BYTES > chunkLength) {
      chunkStart = position;
      chunkLength = await readFully(handle, chunk.subarray(0, Math.min(chunk.byteLength, end - position)), position);
      at = 0;
      if (chunkLength < RECORD_BATCH_HEADER_BYTES) return { position, stop: 'incomplete' };
    }
    const length = dv.getInt32(at + 8);
    if (length < RECORD_BATCH_LENGTH_MIN) return { position, stop: 'bad-length' };
    const sizeBytes = length + RECORD_BATCH_LOG_OVERHEAD_BYTES;
    if (sizeBytes > end - position) return { position, stop: 'incomplete' };
    if (wholeBatches && at + sizeBytes > chunkLength) {
      if (sizeBytes > chunk.byteLength) {
        chunk = new Uint8Array(sizeBytes);
        dv = view();
      }
      chunkStart = position;
      chunkLength = await readFully(handle, chunk.subarray(0, Math.min(chunk.byteLength, end - position)), position);
      at = 0;
      if (chunkLength < sizeBytes) return { position, stop: 'incomplete' };
    }
    if (!visit(chunk, at, sizeBytes, position)) return { position, stop: 'visitor' };
    position += sizeBytes;
  }
  return { position: end, stop: 'end' };
}
