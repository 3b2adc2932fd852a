/**
 * validateRecordBatch: is the batch at `pos` a well-formed record batch v2? The broker's
 * gate before it trusts produced bytes, and log recovery's check of every batch it scans.
 *
 * Checks, in order (first failure wins): 61 header bytes present; magic 2; batchLength
 * ≥ 49 and the whole batch inside [pos, end); compression id 0-4; int64 fields safe
 * (baseOffset ≥ 0, baseOffset + lastOffsetDelta, timestamps, producerId); lastOffsetDelta
 * ≥ 0; recordCount ≥ 0; CRC-32C of [attributes, batch end); then, for uncompressed batches
 * (or compressed ones with `deep`), a walk of every record's framing: length varint within
 * the batch, fields exactly filling the record, key/value/header lengths in range,
 * offsetDelta strictly increasing within [0, lastOffsetDelta], count === recordCount and
 * the records ending exactly at the batch end.
 *
 * Offset deltas need not start at 0 or be contiguous: compaction removes records but keeps
 * lastOffsetDelta (and may leave a batch with zero records).
 *
 * With `summary`, the same walk also reports what the leader's append needs (no second
 * pass): the largest record timestamp (baseTimestamp + the largest timestampDelta, which
 * must be a safe integer) and, when `summary.keylessIndices` is an array, the index of
 * every record whose key is null. `summary.walked` says whether the records were walked
 * at all (not for a compressed batch without `deep`).
 *
 * Never throws (any exception from a decompressor is mapped to a reason); every loop is
 * bounded by the bytes it consumes.
 */
import { crc32c } from '../crc32c/index.ts';
import { isSafeInt64, readInt32, readInt64, readUint32 } from './bytes.ts';
import {
  BATCH_OFFSETS as O,
  COMPRESSION_MASK,
  CRC_START_OFFSET,
  MAGIC_V2,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LENGTH_MIN,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
} from './constants.ts';
import { decompressRecords } from './records-payload.ts';
import { VarintReader } from './varint.ts';

export type RecordBatchInvalidReason =
  | 'truncated'
  | 'bad-magic'
  | 'bad-length'
  | 'bad-crc'
  | 'bad-record-count'
  | 'bad-record-framing'
  | 'bad-offsets'
  | 'unsafe-integer';

export interface RecordBatchInvalid {
  readonly reason: RecordBatchInvalidReason;
  readonly detail: string;
}

export interface ValidateOptions {
  /** Also decompress compressed batches and walk their records. */
  readonly deep?: boolean;
  /** Bound on the decompressed size when `deep` (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
  /** Filled by the record walk (see RecordWalkSummary). */
  readonly summary?: RecordWalkSummary;
}

export const DECOMPRESSED_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/**
 * What the record walk saw; a caller-owned object, reset and filled by
 * `validateRecordBatch` (so the hot path allocates nothing per batch).
 */
export interface RecordWalkSummary {
  /** True when the records were walked (uncompressed, or compressed with `deep`). */
  walked: boolean;
  /** Largest record timestamp, -1 when the batch has no records; meaningful when `walked`. */
  maxTimestamp: number;
  /** When an array: emptied, then filled with the index (in the batch) of every null-key record. */
  keylessIndices: number[] | null;
}

/** A fresh summary; pass `collectKeyless` to have null-key records listed. */
export function newRecordWalkSummary(collectKeyless = false): RecordWalkSummary {
  return { walked: false, maxTimestamp: -1, keylessIndices: collectKeyless ? [] : null };
}

const invalid = (reason: RecordBatchInvalidReason, detail: string): RecordBatchInvalid => ({ reason, detail });

/** Returns null when the batch at `pos` is valid, otherwise why not. Never throws. */
export function validateRecordBatch(b: Uint8Array, pos = 0, end: number = b.length, options?: ValidateOptions): RecordBatchInvalid | null {
  if (!(pos >= 0 && end <= b.length && pos <= end)) return invalid('truncated', `range [${pos}, ${end}) outside the buffer of ${b.length}`);
  const available = end - pos;
  if (available < RECORD_BATCH_HEADER_BYTES) return invalid('truncated', `${available} bytes, header needs ${RECORD_BATCH_HEADER_BYTES}`);
  const magic = b[pos + O.magic]!;
  if (magic !== MAGIC_V2) return invalid('bad-magic', `magic ${magic}`);
  const length = readInt32(b, pos + O.batchLength);
  if (length < RECORD_BATCH_LENGTH_MIN) return invalid('bad-length', `batchLength ${length} < ${RECORD_BATCH_LENGTH_MIN}`);
  const size = length + RECORD_BATCH_LOG_OVERHEAD_BYTES;
  if (size > available) return invalid('truncated', `batch of ${size} bytes, ${available} available`);
  const batchEnd = pos + size;
  const header = checkHeaderFields(b, pos);
  if (header !== null) return header;
  const stored = readUint32(b, pos + O.crc);
  const actual = crc32c(b, pos + CRC_START_OFFSET, batchEnd);
  if (stored !== actual) return invalid('bad-crc', `stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`);

  const summary = options?.summary;
  if (summary !== undefined) resetSummary(summary);
  const compression = b[pos + O.attributes + 1]! & COMPRESSION_MASK;
  const recordCount = readInt32(b, pos + O.recordCount);
  const lastOffsetDelta = readInt32(b, pos + O.lastOffsetDelta);
  let walk: RecordBatchInvalid | null;
  if (compression === 0) {
    walk = walkRecords(b, pos + RECORD_BATCH_HEADER_BYTES, batchEnd, recordCount, lastOffsetDelta, summary);
  } else {
    if (options?.deep !== true) return null;
    let payload: Uint8Array;
    try {
      payload = decompressRecords(compression, b.subarray(pos + RECORD_BATCH_HEADER_BYTES, batchEnd), options.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
    } catch (e) {
      return invalid('bad-record-framing', `decompression failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    walk = walkRecords(payload, 0, payload.length, recordCount, lastOffsetDelta, summary);
  }
  if (walk !== null || summary === undefined) return walk;
  return finishSummary(summary, readInt64(b, pos + O.baseTimestamp), recordCount);
}

function resetSummary(summary: RecordWalkSummary): void {
  summary.walked = false;
  summary.maxTimestamp = -1;
  if (summary.keylessIndices !== null) summary.keylessIndices.length = 0;
}

/** After a clean walk, `summary.maxTimestamp` holds the largest timestampDelta: make it a timestamp. */
function finishSummary(summary: RecordWalkSummary, baseTimestamp: number, recordCount: number): RecordBatchInvalid | null {
  summary.walked = true;
  if (recordCount === 0) {
    summary.maxTimestamp = -1;
    return null;
  }
  const max = baseTimestamp + summary.maxTimestamp;
  if (!Number.isSafeInteger(max)) return invalid('unsafe-integer', `record timestamp ${baseTimestamp} + ${summary.maxTimestamp} beyond ±2^53`);
  summary.maxTimestamp = max;
  return null;
}

function checkHeaderFields(b: Uint8Array, pos: number): RecordBatchInvalid | null {
  const compression = b[pos + O.attributes + 1]! & COMPRESSION_MASK;
  if (compression > 4) return invalid('bad-record-framing', `unknown compression type ${compression}`);
  for (const [name, at] of [
    ['baseOffset', O.baseOffset],
    ['baseTimestamp', O.baseTimestamp],
    ['maxTimestamp', O.maxTimestamp],
    ['producerId', O.producerId],
  ] as const) {
    if (!isSafeInt64(b, pos + at)) return invalid('unsafe-integer', `${name} beyond ±2^53`);
  }
  const baseOffset = readInt64(b, pos + O.baseOffset);
  if (baseOffset < 0) return invalid('bad-offsets', `baseOffset ${baseOffset} < 0`);
  const lastOffsetDelta = readInt32(b, pos + O.lastOffsetDelta);
  if (lastOffsetDelta < 0) return invalid('bad-offsets', `lastOffsetDelta ${lastOffsetDelta} < 0`);
  if (!Number.isSafeInteger(baseOffset + lastOffsetDelta)) return invalid('unsafe-integer', 'baseOffset + lastOffsetDelta beyond 2^53');
  const recordCount = readInt32(b, pos + O.recordCount);
  if (recordCount < 0) return invalid('bad-record-count', `recordCount ${recordCount} < 0`);
  if (recordCount > lastOffsetDelta + 1) return invalid('bad-record-count', `recordCount ${recordCount} > lastOffsetDelta + 1 = ${lastOffsetDelta + 1}`);
  return null;
}

/** Fields of the record just walked that the summary needs (one reused object: no allocation per record). */
const walked = { timestampDelta: 0, keyLength: 0 };

/**
 * Walks the records in b[start, end) and checks their framing. Exported for the
 * decompressed payload of compressed batches and for tests; never throws. With
 * `summary`, leaves the largest timestampDelta in `summary.maxTimestamp` (the caller
 * adds the base timestamp) and lists null-key records when asked.
 */
export function walkRecords(
  b: Uint8Array,
  start: number,
  end: number,
  recordCount: number,
  lastOffsetDelta: number,
  summary?: RecordWalkSummary,
): RecordBatchInvalid | null {
  const r = new VarintReader(b, start, end);
  let count = 0;
  let previousDelta = -1;
  let maxTimestampDelta = Number.NEGATIVE_INFINITY;
  const keyless = summary?.keylessIndices ?? null;
  while (r.pos < end) {
    if (count >= recordCount) return invalid('bad-record-count', `more than recordCount ${recordCount} records`);
    const length = r.varint();
    if (r.error !== null) return invalid('bad-record-framing', `record ${count}: length varint ${r.error}`);
    if (length < 6 || length > end - r.pos) return invalid('bad-record-framing', `record ${count}: length ${length} with ${end - r.pos} bytes left`);
    const recordEnd = r.pos + length;
    r.end = recordEnd;
    const delta = walkRecordBody(r, count);
    if (typeof delta !== 'number') return delta;
    if (delta <= previousDelta || delta > lastOffsetDelta) {
      return invalid('bad-offsets', `record ${count}: offsetDelta ${delta} after ${previousDelta}, lastOffsetDelta ${lastOffsetDelta}`);
    }
    previousDelta = delta;
    if (walked.timestampDelta > maxTimestampDelta) maxTimestampDelta = walked.timestampDelta;
    if (keyless !== null && walked.keyLength === -1) keyless.push(count);
    r.end = end;
    count++;
  }
  if (count !== recordCount) return invalid('bad-record-count', `${count} records, recordCount says ${recordCount}`);
  if (summary !== undefined) summary.maxTimestamp = maxTimestampDelta;
  return null;
}

/** Checks one record's fields in [r.pos, r.end); returns its offsetDelta or why it is invalid. */
function walkRecordBody(r: VarintReader, index: number): RecordBatchInvalid | number {
  const recordEnd = r.end;
  r.pos++; // attributes (unused in v2)
  walked.timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  const keyLength = r.varint();
  walked.keyLength = keyLength;
  if (r.error === null && (keyLength < -1 || keyLength > recordEnd - r.pos)) return invalid('bad-record-framing', `record ${index}: key length ${keyLength}`);
  if (keyLength > 0) r.pos += keyLength;
  const valueLength = r.varint();
  if (r.error === null && (valueLength < -1 || valueLength > recordEnd - r.pos)) return invalid('bad-record-framing', `record ${index}: value length ${valueLength}`);
  if (valueLength > 0) r.pos += valueLength;
  const headerCount = r.varint();
  // Each header takes at least 2 bytes, which bounds the loop by the record's bytes.
  if (r.error === null && (headerCount < 0 || headerCount * 2 > recordEnd - r.pos)) return invalid('bad-record-framing', `record ${index}: header count ${headerCount}`);
  for (let h = 0; h < headerCount && r.error === null; h++) {
    const keyBytes = r.varint();
    if (r.error === null && (keyBytes < 0 || keyBytes > recordEnd - r.pos)) return invalid('bad-record-framing', `record ${index}: header ${h} key length ${keyBytes}`);
    r.pos += keyBytes;
    const valueBytes = r.varint();
    if (r.error === null && (valueBytes < -1 || valueBytes > recordEnd - r.pos)) return invalid('bad-record-framing', `record ${index}: header ${h} value length ${valueBytes}`);
    if (valueBytes > 0) r.pos += valueBytes;
  }
  if (r.error === 'unsafe-integer') return invalid('unsafe-integer', `record ${index}: timestampDelta beyond ±2^52`);
  if (r.error !== null) return invalid('bad-record-framing', `record ${index}: ${r.error}`);
  if (r.pos !== recordEnd) return invalid('bad-record-framing', `record ${index}: fields end at ${r.pos}, record at ${recordEnd}`);
  return offsetDelta;
}
