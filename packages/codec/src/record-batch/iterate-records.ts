/**
 * Lazy iteration over the records of one batch (consumers, compaction, tools — never the
 * broker's produce/fetch path).
 *
 * Record layout (inside the records section, all varints zigzag):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
 *   headerCount varint | headers: keyLength varint, key UTF-8, valueLength varint (-1 = null), value
 *
 * For uncompressed batches key, value and header values are views into the input
 * (zero-copy: they alias the batch, so copy them before reusing the buffer); for compressed
 * batches they are views into one decompressed block. offset = baseOffset + offsetDelta;
 * timestampMs = baseTimestamp + timestampDelta, or the batch's maxTimestamp when the batch
 * uses log-append time (as Kafka reports it).
 *
 * Bad input throws DecodeError (api 'RecordBatch', path 'records[i]...'), nothing else.
 * The CRC is not checked unless `verifyCrc` (the broker already validated what it serves).
 */
import { crc32c } from '../crc32c/index.ts';
import { DecodeError } from '../decode-error.ts';
import { readInt32, readInt64, readUint32 } from './bytes.ts';
import {
  BATCH_OFFSETS as O,
  COMPRESSION_MASK,
  CRC_START_OFFSET,
  MAGIC_V2,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LENGTH_MIN,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
  TIMESTAMP_TYPE_LOG_APPEND,
} from './constants.ts';
import { decompressRecords } from './records-payload.ts';
import { DECOMPRESSED_BYTES_MAX_DEFAULT } from './validate.ts';
import { VarintReader } from './varint.ts';

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface RecordView {
  readonly offset: number;
  readonly offsetDelta: number;
  readonly timestampMs: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Shared frozen empty array when the record has no headers. */
  readonly headers: readonly RecordHeader[];
}

export interface IterateOptions {
  /** Bound on a compressed batch's decompressed records (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
  /** Check the CRC-32C before yielding anything. */
  readonly verifyCrc?: boolean;
}

const API = 'RecordBatch';
const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);
// Not fatal: like Kafka (Java's new String(bytes, UTF_8)), malformed header keys decode with
// U+FFFD instead of failing, so every batch validateRecordBatch accepts also iterates.
const utf8 = new TextDecoder('utf-8');

function fail(reason: DecodeError['reason'], path: string, detail: string): never {
  throw new DecodeError(reason, API, MAGIC_V2, path, detail);
}

interface RecordsSection {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** Checks what iteration relies on and finds the (decompressed) records section. */
function openRecords(b: Uint8Array, pos: number, options: IterateOptions | undefined): RecordsSection {
  if (!Number.isInteger(pos) || pos < 0 || b.length - pos < RECORD_BATCH_HEADER_BYTES) fail('truncated', '', `no batch header at ${pos} in ${b.length} bytes`);
  const magic = b[pos + O.magic]!;
  if (magic !== MAGIC_V2) fail('bad-value', 'magic', `magic ${magic}`);
  const length = readInt32(b, pos + O.batchLength);
  if (length < RECORD_BATCH_LENGTH_MIN) fail('bad-length', 'batchLength', `${length}`);
  const end = pos + RECORD_BATCH_LOG_OVERHEAD_BYTES + length;
  if (end > b.length) fail('truncated', 'records', `batch ends at ${end}, buffer at ${b.length}`);
  if (options?.verifyCrc === true) {
    const stored = readUint32(b, pos + O.crc);
    if (crc32c(b, pos + CRC_START_OFFSET, end) !== stored) fail('bad-crc', 'crc', `stored 0x${stored.toString(16)}`);
  }
  const compression = b[pos + O.attributes + 1]! & COMPRESSION_MASK;
  const start = pos + RECORD_BATCH_HEADER_BYTES;
  if (compression === 0) return { bytes: b, start, end };
  if (compression > 4) fail('unsupported', 'attributes', `compression type ${compression}`);
  const data = decompressRecords(compression, b.subarray(start, end), options?.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
  return { bytes: data, start: 0, end: data.length };
}

function failVarint(r: VarintReader, path: string): never {
  const e = r.error;
  if (e === 'truncated') fail('truncated', path, 'varint');
  if (e === 'unsafe-integer') fail('bad-value', path, 'beyond ±2^52');
  fail('bad-varint', path, 'over-long varint');
}

function readBytes(r: VarintReader, path: string): Uint8Array | null {
  const n = r.varint();
  if (r.error !== null) failVarint(r, path);
  if (n === -1) return null;
  if (n < -1 || n > r.end - r.pos) fail('bad-length', path, `${n} with ${r.end - r.pos} bytes left`);
  const out = r.b.subarray(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

function readHeaders(r: VarintReader, path: string): readonly RecordHeader[] {
  const count = r.varint();
  if (r.error !== null) failVarint(r, `${path}.headers`);
  if (count === 0) return NO_HEADERS;
  if (count < 0 || count * 2 > r.end - r.pos) fail('bad-length', `${path}.headers`, `count ${count}`);
  const headers: RecordHeader[] = [];
  for (let h = 0; h < count; h++) {
    const keyBytes = readBytes(r, `${path}.headers[${h}].key`);
    if (keyBytes === null) fail('bad-value', `${path}.headers[${h}].key`, 'null header key');
    headers.push({ key: utf8.decode(keyBytes), value: readBytes(r, `${path}.headers[${h}].value`) });
  }
  return headers;
}

/**
 * Yields the records of the batch at `pos`, decoding each only when asked for. Throws
 * DecodeError on the first malformed record (records before it were already yielded).
 */
export function* iterateRecords(b: Uint8Array, pos = 0, options?: IterateOptions): IterableIterator<RecordView> {
  const section = openRecords(b, pos, options);
  const baseOffset = readInt64(b, pos + O.baseOffset);
  const baseTimestamp = readInt64(b, pos + O.baseTimestamp);
  const logAppend = (b[pos + O.attributes + 1]! & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const maxTimestamp = readInt64(b, pos + O.maxTimestamp);
  const recordCount = readInt32(b, pos + O.recordCount);
  if (recordCount < 0) fail('bad-length', 'recordCount', `${recordCount}`);
  const r = new VarintReader(section.bytes, section.start, section.end);
  let index = 0;
  while (r.pos < section.end) {
    const path = `records[${index}]`;
    if (index >= recordCount) fail('trailing-bytes', path, `more records than recordCount ${recordCount}`);
    r.end = section.end;
    const length = r.varint();
    if (r.error !== null) failVarint(r, `${path}.length`);
    if (length < 6 || length > section.end - r.pos) fail('bad-length', `${path}.length`, `${length} with ${section.end - r.pos} bytes left`);
    const recordEnd = r.pos + length;
    r.end = recordEnd;
    r.pos++; // attributes: unused in v2
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    if (r.error !== null) failVarint(r, `${path}.offsetDelta`);
    const key = readBytes(r, `${path}.key`);
    const value = readBytes(r, `${path}.value`);
    const headers = readHeaders(r, path);
    if (r.pos !== recordEnd) fail('bad-length', path, `fields end at ${r.pos}, record at ${recordEnd}`);
    const timestampMs = logAppend ? maxTimestamp : baseTimestamp + timestampDelta;
    yield { offset: baseOffset + offsetDelta, offsetDelta, timestampMs, key, value, headers };
    index++;
  }
  if (index !== recordCount) fail('truncated', 'records', `${index} records, recordCount says ${recordCount}`);
}
