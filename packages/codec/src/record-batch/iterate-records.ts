/**
 * Lazy iteration over the records of one batch (consumers, compaction, tools — never the
 * broker's produce/fetch path). Record layout and error rules: record-cursor.ts.
 *
 * For uncompressed batches key, value and header values are views into the input
 * (zero-copy: they alias the batch, so copy them before reusing the buffer); for compressed
 * batches they are views into one decompressed block. offset = baseOffset + offsetDelta;
 * timestampMs = baseTimestamp + timestampDelta, or the batch's maxTimestamp when the batch
 * uses log-append time (as Kafka reports it). Header keys decode like Java's
 * `new String(bytes, UTF_8)` (malformed UTF-8 → U+FFFD), so every batch that
 * `validateRecordBatch` accepts also iterates.
 *
 * Bad input throws DecodeError (api 'RecordBatch', path 'records[i]...'), nothing else.
 * The CRC is not checked unless `verifyCrc` (the broker already validated what it serves).
 */
import { RecordCursor, fail, openRecords, readRecord } from './record-cursor.ts';
import type { IterateOptions } from './record-cursor.ts';
import { VarintReader } from './varint.ts';

export type { IterateOptions } from './record-cursor.ts';

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

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);
const utf8 = new TextDecoder('utf-8');

/** Decodes the headers readRecord already checked. */
export function decodeHeaders(c: RecordCursor): readonly RecordHeader[] {
  if (c.headerCount === 0) return NO_HEADERS;
  const r = new VarintReader(c.bytes, c.headersStart, c.end);
  const headers: RecordHeader[] = [];
  for (let h = 0; h < c.headerCount; h++) {
    const keyLength = r.varint();
    const key = utf8.decode(c.bytes.subarray(r.pos, r.pos + keyLength));
    r.pos += keyLength;
    const valueLength = r.varint();
    const value = valueLength < 0 ? null : c.bytes.subarray(r.pos, r.pos + valueLength);
    if (valueLength > 0) r.pos += valueLength;
    headers.push({ key, value });
  }
  if (r.error !== null || r.pos !== c.end) fail('bad-length', `records[${c.index}].headers`, 'headers changed under the cursor');
  return headers;
}

/** The record under the cursor as an object (views, no copies). */
export function recordViewOf(c: RecordCursor): RecordView {
  return {
    offset: c.offset,
    offsetDelta: c.offsetDelta,
    timestampMs: c.timestampMs,
    key: c.keyLength < 0 ? null : c.bytes.subarray(c.keyStart, c.keyStart + c.keyLength),
    value: c.valueLength < 0 ? null : c.bytes.subarray(c.valueStart, c.valueStart + c.valueLength),
    headers: decodeHeaders(c),
  };
}

/**
 * Yields the records of the batch at `pos`, decoding each only when asked for. Throws
 * DecodeError on the first malformed record (records before it were already yielded).
 */
export function* iterateRecords(b: Uint8Array, pos = 0, options?: IterateOptions): IterableIterator<RecordView> {
  const section = openRecords(b, pos, options);
  const r = new VarintReader(section.bytes, section.start, section.end);
  const c = new RecordCursor();
  let index = 0;
  while (r.pos < section.end) {
    if (index >= section.recordCount) fail('trailing-bytes', `records[${index}]`, `more records than recordCount ${section.recordCount}`);
    readRecord(r, section, index, c);
    yield recordViewOf(c);
    index++;
  }
  if (index !== section.recordCount) fail('truncated', 'records', `${index} records, recordCount says ${section.recordCount}`);
}
