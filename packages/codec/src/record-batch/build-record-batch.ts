/**
 * buildRecordBatch: encodes records into one record batch v2 (producers, tests, control
 * batches, the broker's own internal topics).
 *
 * Two passes and one allocation for uncompressed batches: the first pass sizes every
 * record (keeping each body size in a scratch Int32Array), the second writes into an
 * exactly-sized Uint8Array; the CRC is computed last. Compressed batches write the records
 * into a scratch buffer, compress it, and copy it behind the header.
 *
 * Timestamps follow Kafka's MemoryRecordsBuilder: baseTimestamp is the first record's
 * timestamp (or `baseTimestampMs`), deltas may be negative, maxTimestamp is the largest.
 * With timestampType 'log-append' every record gets `logAppendTime` and the type bit is set.
 * A record without `timestampMs` takes the base timestamp. Offsets deltas are 0..n-1.
 * Inputs are asserted (RangeError/TypeError): programmer errors, not data errors.
 */
import { crc32c } from '../crc32c/index.ts';
import { writeInt16, writeInt32, writeInt64 } from './bytes.ts';
import type { CompressionType } from './compression-type.ts';
import {
  BATCH_OFFSETS as O,
  CONTROL_FLAG,
  CRC_START_OFFSET,
  MAGIC_V2,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
  TIMESTAMP_TYPE_LOG_APPEND,
  TRANSACTIONAL_FLAG,
} from './constants.ts';
import { compressRecords } from './records-payload.ts';
import { varintBytes, varlongBytes, writeVarint, writeVarlong } from './varint.ts';

export interface RecordHeaderInput {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface RecordInput {
  readonly key?: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeaderInput[];
  readonly timestampMs?: number;
}

export interface BuildOptions {
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionType;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  readonly timestampType?: 'create' | 'log-append';
  readonly baseTimestampMs?: number;
  /** The broker's append time, used when timestampType is 'log-append'. */
  readonly logAppendTime?: number;
}

/** Batches are bounded by the int32 batchLength; records by what fits in it. */
export const RECORDS_PER_BATCH_MAX = 0x7fffffff;
/** Timestamp deltas are kept within ±2^51 so the varlong round trip stays exact. */
const TIMESTAMP_DELTA_MAX = 2 ** 51;

const utf8 = new TextEncoder();
let bodySizes = new Int32Array(1024);
const EMPTY_KEYS: Uint8Array[] = [];

function assertSafe(name: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} ${v} is not a safe integer`);
}

function bytesFieldSize(v: Uint8Array | null | undefined): number {
  return v == null ? 1 : varintBytes(v.length) + v.length;
}

function writeBytesField(out: Uint8Array, p: number, v: Uint8Array | null | undefined): number {
  if (v == null) {
    out[p] = 1; // zigzag(-1)
    return p + 1;
  }
  p = writeVarint(out, p, v.length);
  if (v.length > 0) out.set(v, p);
  return p + v.length;
}

export function buildRecordBatch(records: readonly RecordInput[], options: BuildOptions = {}): Uint8Array {
  const n = records.length;
  if (n < 1) throw new RangeError('a record batch needs at least one record');
  const logAppend = options.timestampType === 'log-append';
  const first = records[0]!;
  const baseTimestamp = logAppend
    ? (options.logAppendTime ?? options.baseTimestampMs ?? NO_TIMESTAMP)
    : (options.baseTimestampMs ?? first.timestampMs ?? NO_TIMESTAMP);
  assertSafe('baseTimestamp', baseTimestamp);
  if (bodySizes.length < n) bodySizes = new Int32Array(Math.max(n, bodySizes.length * 2));
  const sizes = bodySizes;
  // Header keys are strings: encode each once, in record order, between the two passes.
  let headerKeys: Uint8Array[] = EMPTY_KEYS;

  let maxTimestamp = baseTimestamp;
  let recordsBytes = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = logAppend ? baseTimestamp : (r.timestampMs ?? baseTimestamp);
    const delta = ts - baseTimestamp;
    let body: number;
    if ((delta | 0) === delta && delta > -0x8000000 && delta < 0x8000000) {
      body = 1 + varintBytes(delta);
    } else {
      if (!(Math.abs(delta) <= TIMESTAMP_DELTA_MAX) || !Number.isInteger(ts)) throw new RangeError(`record ${i}: timestamp ${ts} too far from base ${baseTimestamp}`);
      body = 1 + varlongBytes(delta);
    }
    if (ts > maxTimestamp) maxTimestamp = ts;
    const key = r.key;
    const value = r.value;
    body += (i < 64 ? 1 : varintBytes(i)) + (key == null ? 1 : varintBytes(key.length) + key.length) + (value === null ? 1 : varintBytes(value.length) + value.length);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      body += 1;
    } else {
      if (headerKeys === EMPTY_KEYS) headerKeys = [];
      body += varintBytes(headers.length);
      for (const h of headers) {
        const k = utf8.encode(h.key);
        headerKeys.push(k);
        body += varintBytes(k.length) + k.length + bytesFieldSize(h.value);
      }
    }
    sizes[i] = body;
    recordsBytes += (body < 64 ? 1 : body < 8192 ? 2 : varintBytes(body)) + body;
  }
  if (RECORD_BATCH_HEADER_BYTES + recordsBytes > 0x7fffffff) throw new RangeError(`batch of ${recordsBytes} record bytes exceeds int32`);

  const compression = options.compression ?? 0;
  let out: Uint8Array;
  if (compression === 0) {
    out = new Uint8Array(RECORD_BATCH_HEADER_BYTES + recordsBytes);
    writeRecords(out, RECORD_BATCH_HEADER_BYTES, records, sizes, headerKeys, logAppend, baseTimestamp);
  } else {
    const raw = new Uint8Array(recordsBytes);
    writeRecords(raw, 0, records, sizes, headerKeys, logAppend, baseTimestamp);
    const compressed = compressRecords(compression, raw);
    out = new Uint8Array(RECORD_BATCH_HEADER_BYTES + compressed.length);
    out.set(compressed, RECORD_BATCH_HEADER_BYTES);
  }
  writeHeader(out, options, n, baseTimestamp, logAppend ? baseTimestamp : maxTimestamp, logAppend);
  return out;
}

function writeRecords(
  out: Uint8Array,
  start: number,
  records: readonly RecordInput[],
  sizes: Int32Array,
  headerKeys: readonly Uint8Array[],
  logAppend: boolean,
  baseTimestamp: number,
): void {
  let p = start;
  let k = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const body = sizes[i]!;
    p = writeVarint(out, p, body);
    const bodyStart = p;
    out[p++] = 0; // attributes
    const delta = logAppend ? 0 : (r.timestampMs ?? baseTimestamp) - baseTimestamp;
    if (delta === 0) out[p++] = 0;
    else p = writeVarlong(out, p, delta);
    if (i < 64) out[p++] = i << 1;
    else p = writeVarint(out, p, i);
    p = writeBytesField(out, p, r.key);
    p = writeBytesField(out, p, r.value);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      out[p++] = 0;
    } else {
      p = writeVarint(out, p, headers.length);
      for (const h of headers) {
        p = writeBytesField(out, p, headerKeys[k++]);
        p = writeBytesField(out, p, h.value);
      }
    }
    if (p - bodyStart !== body) throw new Error(`record ${i}: wrote ${p - bodyStart} bytes, sized ${body}`);
  }
  if (p !== out.length) throw new Error(`records end at ${p}, buffer at ${out.length}`);
}

function writeHeader(out: Uint8Array, o: BuildOptions, n: number, baseTimestamp: number, maxTimestamp: number, logAppend: boolean): void {
  const baseOffset = o.baseOffset ?? 0;
  assertSafe('baseOffset', baseOffset);
  const producerId = o.producerId ?? NO_PRODUCER_ID;
  assertSafe('producerId', producerId);
  const compression = o.compression ?? 0;
  if (!(compression >= 0 && compression <= 4 && Number.isInteger(compression))) throw new RangeError(`compression ${compression}`);
  const attributes =
    compression | (logAppend ? TIMESTAMP_TYPE_LOG_APPEND : 0) | (o.isTransactional === true ? TRANSACTIONAL_FLAG : 0) | (o.isControl === true ? CONTROL_FLAG : 0);
  writeInt64(out, O.baseOffset, baseOffset);
  writeInt32(out, O.batchLength, out.length - RECORD_BATCH_LOG_OVERHEAD_BYTES);
  writeInt32(out, O.partitionLeaderEpoch, o.partitionLeaderEpoch ?? -1);
  out[O.magic] = MAGIC_V2;
  writeInt16(out, O.attributes, attributes);
  writeInt32(out, O.lastOffsetDelta, n - 1);
  writeInt64(out, O.baseTimestamp, baseTimestamp);
  writeInt64(out, O.maxTimestamp, maxTimestamp);
  writeInt64(out, O.producerId, producerId);
  writeInt16(out, O.producerEpoch, o.producerEpoch ?? NO_PRODUCER_EPOCH);
  writeInt32(out, O.baseSequence, o.baseSequence ?? NO_SEQUENCE);
  writeInt32(out, O.recordCount, n);
  writeInt32(out, O.crc, crc32c(out, CRC_START_OFFSET, out.length));
}
