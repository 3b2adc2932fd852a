/**
 * Record decoding shared by `iterateRecords` and `forEachRecord`: finds a batch's (possibly
 * decompressed) records section, and parses one record's framing into a reusable
 * `RecordCursor` of positions — no allocation per record.
 *
 * Record layout (inside the records section, all varints zigzag):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
 *   headerCount varint | headers: keyLength varint, key UTF-8, valueLength varint (-1 = null), value
 *
 * Every length is checked against the record's own length before it is used; bad input
 * throws DecodeError (api 'RecordBatch', path 'records[i]...'), nothing else.
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

export interface IterateOptions {
  /** Bound on a compressed batch's decompressed records (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
  /** Check the CRC-32C before decoding anything. */
  readonly verifyCrc?: boolean;
}

/**
 * One record's fields as positions into `bytes` (the batch itself when uncompressed, else
 * the decompressed block). Reused: valid only until the next record is read.
 */
export class RecordCursor {
  bytes: Uint8Array = new Uint8Array(0);
  /** Index of the record within the batch. */
  index = 0;
  offset = 0;
  offsetDelta = 0;
  timestampMs = 0;
  keyStart = 0;
  /** -1 for a null key. */
  keyLength = -1;
  valueStart = 0;
  /** -1 for a null value. */
  valueLength = -1;
  headerCount = 0;
  /** Position of the first header (after the header count). */
  headersStart = 0;
  /** Position after the record. */
  end = 0;
}

const API = 'RecordBatch';

export function fail(reason: DecodeError['reason'], path: string, detail: string): never {
  throw new DecodeError(reason, API, MAGIC_V2, path, detail);
}

export interface RecordsSection {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly baseOffset: number;
  readonly baseTimestamp: number;
  /** The batch uses log-append time: every record reports `maxTimestamp`. */
  readonly logAppend: boolean;
  readonly maxTimestamp: number;
  readonly recordCount: number;
}

/** Checks what decoding relies on and finds the (decompressed) records section. */
export function openRecords(b: Uint8Array, pos: number, options: IterateOptions | undefined): RecordsSection {
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
  const recordCount = readInt32(b, pos + O.recordCount);
  if (recordCount < 0) fail('bad-length', 'recordCount', `${recordCount}`);
  const attributes = b[pos + O.attributes + 1]!;
  const header = {
    baseOffset: readInt64(b, pos + O.baseOffset),
    baseTimestamp: readInt64(b, pos + O.baseTimestamp),
    logAppend: (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0,
    maxTimestamp: readInt64(b, pos + O.maxTimestamp),
    recordCount,
  };
  const compression = attributes & COMPRESSION_MASK;
  const start = pos + RECORD_BATCH_HEADER_BYTES;
  if (compression === 0) return { bytes: b, start, end, ...header };
  if (compression > 4) fail('unsupported', 'attributes', `compression type ${compression}`);
  const data = decompressRecords(compression, b.subarray(start, end), options?.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
  return { bytes: data, start: 0, end: data.length, ...header };
}

function failVarint(r: VarintReader, index: number, field: string): never {
  const path = `records[${index}].${field}`;
  const e = r.error;
  if (e === 'truncated') fail('truncated', path, 'varint');
  if (e === 'unsafe-integer') fail('bad-value', path, 'beyond ±2^52');
  fail('bad-varint', path, 'over-long varint');
}

/** Reads a length-prefixed field's length (-1 = null) and skips its bytes. */
function skipBytes(r: VarintReader, index: number, field: string, nullable: boolean): number {
  const n = r.varint();
  if (r.error !== null) failVarint(r, index, field);
  if (n === -1 && nullable) return -1;
  if (n < 0 || n > r.end - r.pos) fail('bad-length', `records[${index}].${field}`, `${n} with ${r.end - r.pos} bytes left`);
  r.pos += n;
  return n;
}

/**
 * Parses the record at `r.pos` (r.end = end of the records section) into `c`; leaves
 * r.pos after it. Throws DecodeError on bad framing.
 */
export function readRecord(r: VarintReader, section: RecordsSection, index: number, c: RecordCursor): void {
  const sectionEnd = section.end;
  r.end = sectionEnd;
  const length = r.varint();
  if (r.error !== null) failVarint(r, index, 'length');
  if (length < 6 || length > sectionEnd - r.pos) fail('bad-length', `records[${index}].length`, `${length} with ${sectionEnd - r.pos} bytes left`);
  const recordEnd = r.pos + length;
  r.end = recordEnd;
  r.pos++; // attributes: unused in v2
  const timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  if (r.error !== null) failVarint(r, index, 'offsetDelta');
  c.bytes = r.b;
  c.index = index;
  c.offsetDelta = offsetDelta;
  c.offset = section.baseOffset + offsetDelta;
  c.timestampMs = section.logAppend ? section.maxTimestamp : section.baseTimestamp + timestampDelta;
  c.keyLength = skipBytes(r, index, 'key', true);
  c.keyStart = r.pos - (c.keyLength > 0 ? c.keyLength : 0);
  c.valueLength = skipBytes(r, index, 'value', true);
  c.valueStart = r.pos - (c.valueLength > 0 ? c.valueLength : 0);
  const count = r.varint();
  if (r.error !== null) failVarint(r, index, 'headers');
  if (count < 0 || count * 2 > recordEnd - r.pos) fail('bad-length', `records[${index}].headers`, `count ${count}`);
  c.headerCount = count;
  c.headersStart = r.pos;
  for (let h = 0; h < count; h++) {
    skipBytes(r, index, `headers[${h}].key`, false);
    skipBytes(r, index, `headers[${h}].value`, true);
  }
  if (r.pos !== recordEnd) fail('bad-length', `records[${index}]`, `fields end at ${r.pos}, record at ${recordEnd}`);
  c.end = recordEnd;
  r.end = sectionEnd;
}

/**
 * Calls `fn(cursor)` for each record of the batch at `pos`, reusing one cursor (copy what
 * you keep). `fn` may return false to stop. Returns the number of records visited. Throws
 * DecodeError on malformed data (records before it were already visited).
 */
export function forEachRecord(b: Uint8Array, pos: number, fn: (record: RecordCursor) => boolean | void, options?: IterateOptions): number {
  const section = openRecords(b, pos, options);
  const r = new VarintReader(section.bytes, section.start, section.end);
  const c = new RecordCursor();
  let index = 0;
  while (r.pos < section.end) {
    if (index >= section.recordCount) fail('trailing-bytes', `records[${index}]`, `more records than recordCount ${section.recordCount}`);
    readRecord(r, section, index, c);
    index++;
    if (fn(c) === false) return index;
  }
  if (index !== section.recordCount) fail('truncated', 'records', `${index} records, recordCount says ${section.recordCount}`);
  return index;
}
