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
 * Delete horizon (KIP-534): attribute bit 6 (0x40) set means baseTimestamp holds the
 * batch's delete horizon, the time from which its tombstones may go. The cleaner stamps
 * it (`stampDeleteHorizonMs` = now + delete.retention.ms) on the first pass that keeps a
 * tombstone of a batch without one; then baseTimestamp is the horizon and, for create-time
 * batches, every record's timestampDelta is re-encoded against it (often negative), so
 * each record's absolute timestamp is unchanged. Log-append-time records read the batch's
 * maxTimestamp, so their bytes are copied unchanged. A batch keeps its horizon for good.
 *
 * Batches the cleaner cannot rewrite (compressed, with no {@link RecordsCodec}, or zstd
 * before the codec is ready) are "opaque": kept unchanged and never mapped — always safe,
 * only less compact. {@link kafkaRecordsCodec} is the codec package's gzip, snappy, lz4, zstd.
 */
import {
  BATCH_OFFSETS as O,
  COMPRESSION_MASK,
  CRC_START_OFFSET,
  DELETE_HORIZON_FLAG,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
  batchBaseOffset,
  batchBaseTimestamp,
  batchMaxTimestamp,
  batchRecordCount,
  batchHasDeleteHorizon,
  batchTimestampType,
  compress,
  crc32c,
  decompress,
  isZstdReady,
  varlongBytes,
  writeVarint,
  writeVarlong,
  type CompressionType,
} from '@samsa/codec/wire';
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

/**
 * `tombstonesKept`: null values among the records that stay (what the batch's delete
 * horizon still guards). Not known for opaque batches.
 */
export type FilterOutcome =
  | { readonly kind: 'unchanged'; readonly tombstonesKept: number }
  | { readonly kind: 'opaque' }
  | { readonly kind: 'dropped'; readonly recordsRemoved: number }
  | { readonly kind: 'rewritten'; readonly bytes: Uint8Array; readonly recordsRemoved: number; readonly tombstonesKept: number };

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

/**
 * Filters the batch at `pos` with `retain`. With `stampDeleteHorizonMs`, a batch that
 * carries no delete horizon yet and keeps at least one tombstone is rewritten with that
 * horizon (KIP-534, below) even when no record goes.
 */
export function filterBatch(
  batch: Uint8Array,
  pos: number,
  sizeBytes: number,
  keepEmpty: boolean,
  retain: RetainRecord,
  codec?: RecordsCodec,
  stampDeleteHorizonMs?: number,
): FilterOutcome {
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
  let tombstonesKept = 0;
  let keptMaxTimestamp = -Infinity;
  // Create-time batches that may get a horizon remember where each kept record's parts are
  // (bodyStart, offsetDeltaStart, end, timestampDelta) to re-encode the deltas.
  const mayStamp = stampDeleteHorizonMs !== undefined && !batchHasDeleteHorizon(batch, pos);
  const keptFrames: number[] | null = mayStamp && !logAppend ? [] : null;
  forEachRecordFrame(section.bytes, section.start, section.end, recordCount, (frame) => {
    const timestampMs = logAppend ? maxTimestamp : baseTimestamp + frame.timestampDelta;
    if (!retain(section.bytes, frame, baseOffset + frame.offsetDelta, timestampMs)) return;
    kept++;
    if (frame.valueIsNull) tombstonesKept++;
    keptFrames?.push(frame.bodyStart, frame.offsetDeltaStart, frame.end, frame.timestampDelta);
    if (timestampMs > keptMaxTimestamp) keptMaxTimestamp = timestampMs;
    if (ranges.length > 0 && ranges[ranges.length - 1] === frame.start) ranges[ranges.length - 1] = frame.end;
    else ranges.push(frame.start, frame.end);
  });
  const removed = recordCount - kept;
  const stamp = mayStamp && tombstonesKept > 0;
  if (removed === 0 && !stamp) return { kind: 'unchanged', tombstonesKept };
  if (kept === 0 && !keepEmpty) return { kind: 'dropped', recordsRemoved: removed };

  // With a new base timestamp, create-time records get their timestamp deltas re-encoded
  // against it (their absolute timestamps stay); log-append-time records take the batch's
  // maxTimestamp whatever their deltas say, so they are copied as they are.
  let records: Uint8Array = stamp && keptFrames !== null ? copyRebased(section.bytes, keptFrames, stampDeleteHorizonMs! - baseTimestamp) : copyRanges(section.bytes, ranges);
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
  if (stamp) {
    w.setInt16(O.attributes, w.getInt16(O.attributes) | DELETE_HORIZON_FLAG);
    w.setBigInt64(O.baseTimestamp, BigInt(stampDeleteHorizonMs));
  }
  w.setUint32(O.crc, crc32c(out, CRC_START_OFFSET, out.length));
  return { kind: 'rewritten', bytes: out, recordsRemoved: removed, tombstonesKept };
}

/** The delete horizon a batch carries (its baseTimestamp when the flag is set), or null. */
export function batchDeleteHorizonMs(batch: Uint8Array, pos = 0): number | null {
  return batchHasDeleteHorizon(batch, pos) ? batchBaseTimestamp(batch, pos) : null;
}

function copyRanges(section: Uint8Array, ranges: readonly number[]): Uint8Array {
  const records = new Uint8Array(sumRanges(ranges));
  let at = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    records.set(section.subarray(ranges[i]!, ranges[i + 1]!), at);
    at += ranges[i + 1]! - ranges[i]!;
  }
  return records;
}

/**
 * The kept records (`frames`: bodyStart, offsetDeltaStart, end, timestampDelta per record)
 * with every timestampDelta lowered by `rebaseMs` (the base timestamp moved up by it): the
 * length prefix and the delta re-encoded, the rest of each record copied.
 */
function copyRebased(section: Uint8Array, frames: readonly number[], rebaseMs: number): Uint8Array {
  let bytes = 0;
  for (let i = 0; i < frames.length; i += 4) bytes += frames[i + 2]! - frames[i]! + 5 + 10; // body + longest length prefix and delta
  const out = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < frames.length; i += 4) {
    const bodyStart = frames[i]!;
    const offsetDeltaStart = frames[i + 1]!;
    const end = frames[i + 2]!;
    const delta = frames[i + 3]! - rebaseMs;
    at = writeVarint(out, at, 1 + varlongBytes(delta) + (end - offsetDeltaStart));
    out[at++] = section[bodyStart]!; // attributes
    at = writeVarlong(out, at, delta);
    out.set(section.subarray(offsetDeltaStart, end), at);
    at += end - offsetDeltaStart;
  }
  return out.slice(0, at);
}

function sumRanges(ranges: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += ranges[i + 1]! - ranges[i]!;
  return n;
}
