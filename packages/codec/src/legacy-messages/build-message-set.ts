/**
 * buildMessageSet: encodes records as a magic 0 or 1 message set, the way Kafka's
 * MemoryRecordsBuilder does for those magics (what a broker sends to Fetch v0-v3):
 *
 * - Uncompressed: one message per record at the record's own offset. Magic 1 carries the
 *   record's timestamp (-1 when absent) and, with `timestampType: 'log-append'`, the
 *   log-append bit and `logAppendTime` instead. Magic 0 has neither.
 * - Compressed (1 gzip, 2 snappy, 3 lz4): the messages above form an inner set whose
 *   offsets are absolute for magic 0 and relative to the first record for magic 1; it is
 *   compressed into the value of one wrapper message: offset = the last record's offset,
 *   key null, attributes = codec (| log-append bit), timestamp = the largest record
 *   timestamp (or `logAppendTime`). Inner messages of a log-append set carry the bit too.
 * - lz4 with magic 0 writes the frame header checksum over the magic bytes as well, as
 *   Kafka did before KIP-57 (and as its readers of magic 0 data expect).
 *
 * One exact-size allocation for uncompressed sets (sizes first, CRC-32 last per message).
 * Inputs are asserted (RangeError): programmer errors, not data errors.
 */
import { compress } from '../compression/index.ts';
import { xxh32 } from '../compression/xxh32.ts';
import {
  COMPRESSION_MASK,
  CRC_AT,
  LEGACY_MAGIC_V0,
  LEGACY_MAGIC_V1,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  NO_TIMESTAMP,
  TIMESTAMP_TYPE_LOG_APPEND,
  legacyEntryBytes,
} from './constants.ts';
import { crc32 } from './crc32.ts';

export interface LegacyRecordInput {
  /** Absolute offset. */
  readonly offset: number;
  /** Magic 1 only; -1 (NO_TIMESTAMP) when absent. */
  readonly timestampMs?: number;
  readonly key?: Uint8Array | null;
  readonly value: Uint8Array | null;
}

export interface BuildMessageSetOptions {
  readonly magic: 0 | 1;
  readonly compression?: 0 | 1 | 2 | 3;
  /** Magic 1: 'log-append' sets the timestamp-type bit and writes `logAppendTime`. */
  readonly timestampType?: 'create' | 'log-append';
  readonly logAppendTime?: number;
}

const INT32_MAX = 0x7fffffff;
/** LZ4 frame header: magic (4) FLG (1) BD (1) HC (1); HC is byte 6. */
const LZ4_HEADER_CHECKSUM_AT = 6;

function assertSafe(name: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} ${v} is not a safe integer`);
}

function writeBytes(out: Uint8Array, view: DataView, p: number, v: Uint8Array | null | undefined): number {
  if (v == null) {
    view.setInt32(p, -1);
    return p + 4;
  }
  view.setInt32(p, v.length);
  out.set(v, p + 4);
  return p + 4 + v.length;
}

/** Writes one message-set entry at `p`; returns its end. */
function writeEntry(out: Uint8Array, view: DataView, p: number, offset: number, magic: number, attributes: number, timestampMs: number, key: Uint8Array | null | undefined, value: Uint8Array | null): number {
  const start = p;
  view.setBigInt64(p, BigInt(offset));
  out[p + MAGIC_AT] = magic;
  out[p + MAGIC_AT + 1] = attributes;
  p += MAGIC_AT + 2;
  if (magic === LEGACY_MAGIC_V1) {
    view.setBigInt64(p, BigInt(timestampMs));
    p += 8;
  }
  p = writeBytes(out, view, p, key);
  p = writeBytes(out, view, p, value);
  view.setInt32(start + 8, p - start - LOG_OVERHEAD_BYTES);
  view.setUint32(start + CRC_AT, crc32(out, start + MAGIC_AT, p));
  return p;
}

/** Uncompressed messages; `offsetBase` is subtracted from every offset (magic 1 inner sets). */
function writePlain(records: readonly LegacyRecordInput[], magic: 0 | 1, logAppendTime: number | null, offsetBase: number): Uint8Array {
  let size = 0;
  for (const r of records) size += legacyEntryBytes(magic, r.key ?? null, r.value);
  if (size > INT32_MAX) throw new RangeError(`message set of ${size} bytes exceeds int32`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const attributes = magic === LEGACY_MAGIC_V1 && logAppendTime !== null ? TIMESTAMP_TYPE_LOG_APPEND : 0;
  let p = 0;
  for (const r of records) {
    assertSafe('offset', r.offset);
    const ts = logAppendTime ?? r.timestampMs ?? NO_TIMESTAMP;
    assertSafe('timestamp', ts);
    p = writeEntry(out, view, p, r.offset - offsetBase, magic, attributes, ts, r.key, r.value);
  }
  if (p !== size) throw new Error(`wrote ${p} bytes, sized ${size}`);
  return out;
}

export function buildMessageSet(records: readonly LegacyRecordInput[], options: BuildMessageSetOptions): Uint8Array {
  const magic = options.magic;
  if (magic !== LEGACY_MAGIC_V0 && magic !== LEGACY_MAGIC_V1) throw new RangeError(`magic ${String(magic)}`);
  const codec = options.compression ?? 0;
  if (!(codec >= 0 && codec <= 3 && Number.isInteger(codec))) throw new RangeError(`compression ${codec} (magic < 2 has none, gzip, snappy, lz4)`);
  const logAppendTime = magic === LEGACY_MAGIC_V1 && options.timestampType === 'log-append' ? (options.logAppendTime ?? NO_TIMESTAMP) : null;
  if (codec === 0) return writePlain(records, magic, logAppendTime, 0);
  if (records.length === 0) throw new RangeError('a compressed message needs at least one record');
  const first = records[0]!.offset;
  const last = records[records.length - 1]!.offset;
  const inner = writePlain(records, magic, logAppendTime, magic === LEGACY_MAGIC_V1 ? first : 0);
  const value = compress(codec, inner);
  if (codec === 3 && magic === LEGACY_MAGIC_V0) value[LZ4_HEADER_CHECKSUM_AT] = (xxh32(value, 0, LZ4_HEADER_CHECKSUM_AT) >>> 8) & 0xff;
  let maxTimestamp = NO_TIMESTAMP;
  for (const r of records) maxTimestamp = Math.max(maxTimestamp, r.timestampMs ?? NO_TIMESTAMP);
  const out = new Uint8Array(legacyEntryBytes(magic, null, value));
  const attributes = (codec & COMPRESSION_MASK) | (logAppendTime !== null ? TIMESTAMP_TYPE_LOG_APPEND : 0);
  writeEntry(out, new DataView(out.buffer), 0, last, magic, attributes, logAppendTime ?? maxTimestamp, null, value);
  return out;
}
