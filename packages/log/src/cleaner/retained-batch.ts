/**
 * Filtering one record batch for compaction: which records stay, and the bytes of the
 * cleaned batch.
 *
 * A cleaned batch is the source header with batchLength, recordCount, maxTimestamp and
 * the CRC rewritten, followed by the surviving records copied byte for byte (so baseOffset,
 * baseTimestamp, lastOffsetDelta, producer fields, attributes and every surviving record's
 * offset and timestamp are unchanged — offsets stay monotonic and the next batch's
 * baseOffset still follows this batch's lastOffset). A compressed batch is decompressed,
 * filtered and recompressed with its own codec. A batch that loses every record is dropped,
 * or kept as a header with zero records when the caller says producer state needs it
 * (`keepEmpty`, Kafka's RETAIN_EMPTY for the last batch of a producer id).
 *
 * maxTimestamp: recomputed over the surviving records for create-time batches (as Kafka's
 * MemoryRecordsBuilder does); kept for log-append-time and empty batches.
 *
 * Batches the cleaner cannot rewrite (compressed, with no {@link RecordsCodec}, or zstd
 * before the codec is ready) are "opaque": kept unchanged and never mapped — always safe,
 * only less compact. {@link kafkaRecordsCodec} is the codec package's gzip, snappy, lz4, zstd.
 */
import {
  BATCH_OFFSETS as O,
  COMPRESSION_MASK,
  CRC_START_OFFSET,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
  batchBaseOffset,
  batchBaseTimestamp,
  batchMaxTimestamp,
  batchRecordCount,
  batchTimestampType,
  compress,
  crc32c,
  decompress,
  isZstdReady,
  type CompressionType,
} from '@samsa/codec';
import { forEachRecordFrame, type RecordFrame } from './record-frames.ts';

/** Compression for records sections, so the cleaner can rewrite compressed batches. */
export interface RecordsCodec {
  decompress(compression: number, data: Uint8Array, maxBytes: number): Uint8Array;
  compress(compression: number, data: Uint8Array): Uint8Array;
  /** False for a codec that cannot compress right now (zstd before `initCompression()`): such batches stay opaque. */
  canRewrite?(compression: number): boolean;
}

/** The codec package's five Kafka codecs (zstd compression once `initCompression()` resolved). */
export const kafkaRecordsCodec: RecordsCodec = {
  decompress: (compression, data, maxBytes) => decompress(compression as CompressionType, data, maxBytes),
  compress: (compression, data) => compress(compression as CompressionType, data),
  canRewrite: (compression) => compression >= 1 && compression <= 4 && (compression !== 4 || isZstdReady()),
};

export interface RecordsSection {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** Decides for one record: keep it? `offset` and `timestampMs` are absolute. */
export type RetainRecord = (section: Uint8Array, frame: RecordFrame, offset: number, timestampMs: number) => boolean;

export type FilterOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'opaque' }
  | { readonly kind: 'dropped'; readonly recordsRemoved: number }
  | { readonly kind: 'rewritten'; readonly bytes: Uint8Array; readonly recordsRemoved: number };

/** Decompressed bytes a batch may expand to (zip-bomb guard). */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function batchCompressionOf(batch: Uint8Array, pos: number): number {
  return batch[pos + O.attributes + 1]! & COMPRESSION_MASK;
}

/** The records of the batch at `pos` (length `sizeBytes`), decompressed; null when opaque. */
export function recordsSectionOf(batch: Uint8Array, pos: number, sizeBytes: number, codec: RecordsCodec | undefined): RecordsSection | null {
  const start = pos + RECORD_BATCH_HEADER_BYTES;
  const end = pos + sizeBytes;
  const compression = batchCompressionOf(batch, pos);
  if (compression === 0) return { bytes: batch, start, end };
  if (codec === undefined || codec.canRewrite?.(compression) === false) return null;
  const bytes = codec.decompress(compression, batch.subarray(start, end), DECOMPRESSED_BYTES_MAX);
  return { bytes, start: 0, end: bytes.length };
}

export function filterBatch(batch: Uint8Array, pos: number, sizeBytes: number, keepEmpty: boolean, retain: RetainRecord, codec?: RecordsCodec): FilterOutcome {
  const section = recordsSectionOf(batch, pos, sizeBytes, codec);
  if (section === null) return { kind: 'opaque' };
  const baseOffset = batchBaseOffset(batch, pos);
  const baseTimestamp = batchBaseTimestamp(batch, pos);
  const logAppend = batchTimestampType(batch, pos) === 'log-append';
  const maxTimestamp = batchMaxTimestamp(batch, pos);
  const recordCount = batchRecordCount(batch, pos);

  // Keep ranges as [start, end) pairs; adjacent ranges merge so the copy is a few set() calls.
  const ranges: number[] = [];
  let kept = 0;
  let keptMaxTimestamp = -Infinity;
  forEachRecordFrame(section.bytes, section.start, section.end, recordCount, (frame) => {
    const timestampMs = logAppend ? maxTimestamp : baseTimestamp + frame.timestampDelta;
    if (!retain(section.bytes, frame, baseOffset + frame.offsetDelta, timestampMs)) return;
    kept++;
    if (timestampMs > keptMaxTimestamp) keptMaxTimestamp = timestampMs;
    if (ranges.length > 0 && ranges[ranges.length - 1] === frame.start) ranges[ranges.length - 1] = frame.end;
    else ranges.push(frame.start, frame.end);
  });
  const removed = recordCount - kept;
  if (removed === 0) return { kind: 'unchanged' };
  if (kept === 0 && !keepEmpty) return { kind: 'dropped', recordsRemoved: removed };

  let records: Uint8Array = new Uint8Array(sumRanges(ranges));
  let at = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    records.set(section.bytes.subarray(ranges[i]!, ranges[i + 1]!), at);
    at += ranges[i + 1]! - ranges[i]!;
  }
  const compression = batchCompressionOf(batch, pos);
  if (compression !== 0 && kept > 0) records = codec!.compress(compression, records);
  const out = new Uint8Array(RECORD_BATCH_HEADER_BYTES + records.length);
  out.set(batch.subarray(pos, pos + RECORD_BATCH_HEADER_BYTES));
  out.set(records, RECORD_BATCH_HEADER_BYTES);
  const w = dv(out);
  w.setInt32(O.batchLength, out.length - RECORD_BATCH_LOG_OVERHEAD_BYTES);
  w.setInt32(O.recordCount, kept);
  // An empty batch has no records block to compress (Kafka's writeEmptyHeader uses NONE).
  if (kept === 0) w.setInt16(O.attributes, w.getInt16(O.attributes) & ~COMPRESSION_MASK);
  if (kept > 0 && !logAppend) w.setBigInt64(O.maxTimestamp, BigInt(keptMaxTimestamp));
  w.setUint32(O.crc, crc32c(out, CRC_START_OFFSET, out.length));
  return { kind: 'rewritten', bytes: out, recordsRemoved: removed };
}

function sumRanges(ranges: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += ranges[i + 1]! - ranges[i]!;
  return n;
}
