/**
 * readMessageSet / validateMessageSet: parse a magic 0/1 message set (what Produce v0-v2
 * carries and Fetch v0-v3 returns) into its records, with Kafka's rules
 * (LegacyRecord, AbstractLegacyRecordBatch's deep iterator, LogValidator):
 *
 * - Every entry: ≥ 12 bytes of offset + size, messageSize ≥ 14 (Kafka's RECORD_OVERHEAD_V0)
 *   and ≥ the overhead of its magic, inside the input; magic 0 or 1; CRC-32 of
 *   [magic, end) matches; key and value lengths (-1 null) fill the message exactly;
 *   offsets and magic 1 timestamps are safe integers.
 * - A compressed entry (attributes bits 0-2 = 1 gzip, 2 snappy, 3 lz4) is a wrapper: its
 *   value (not null) decompresses (bounded) to an inner message set, non-empty, whose
 *   messages have the wrapper's magic, are not compressed themselves and are whole (a cut
 *   inner tail is refused). zstd (4) cannot be carried by magic < 2: 'unsupported-compression'.
 * - Inner offsets: magic 0 absolute; magic 1 relative — absolute = wrapper offset − last
 *   inner offset + inner offset, except a wrapper offset of 0 (some producers, kafka-python
 *   and old librdkafka, send 0: base 0); a wrapper offset below the last inner offset is
 *   refused ('bad-wrapper').
 * - Timestamps: magic 0 has none (NO_TIMESTAMP, -1). Magic 1 inner messages take the
 *   wrapper's timestamp type, and the wrapper's timestamp when that type is log-append time.
 * - A last entry cut short is allowed only with `allowTruncatedTail` (Fetch responses cut
 *   at max_bytes); Produce data never has one.
 *
 * Never throws on bad input: the first problem is returned as a `LegacyInvalid` value.
 * Memory: keys and values are views into the input or into a decompressed buffer; all
 * decompressed buffers together stay within `maxDecompressedBytes`, records within
 * `recordsMax`.
 */
import { decompress } from '../compression/index.ts';
import type { CompressionType } from '../compression/index.ts';
import { DecodeError } from '../decode-error.ts';
import { DECOMPRESSED_BYTES_MAX_DEFAULT } from '../record-batch/validate.ts';
import {
  ATTRIBUTES_AT,
  COMPRESSION_MASK,
  CRC_AT,
  LEGACY_MAGIC_V0,
  LEGACY_MAGIC_V1,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MESSAGE_SIZE_MIN,
  NO_TIMESTAMP,
  SIZE_AT,
  TIMESTAMP_AT,
  TIMESTAMP_TYPE_LOG_APPEND,
  messageOverhead,
} from './constants.ts';
import { crc32 } from './crc32.ts';

export type LegacyInvalidReason =
  | 'empty'
  | 'truncated'
  | 'bad-size'
  | 'bad-magic'
  | 'bad-crc'
  | 'bad-framing'
  | 'bad-compression'
  | 'unsupported-compression'
  | 'decompression'
  | 'bad-wrapper'
  | 'too-large'
  | 'unsafe-integer';

export interface LegacyInvalid {
  readonly reason: LegacyInvalidReason;
  readonly detail: string;
}

/** One (deep) record of a message set. */
export interface LegacyRecord {
  /** Absolute offset by Kafka's rules (what a consumer sees). */
  readonly offset: number;
  readonly magic: 0 | 1;
  /** -1 (NO_TIMESTAMP) for magic 0. */
  readonly timestampMs: number;
  /** Magic 1 with the log-append-time bit (inner messages: the wrapper's). */
  readonly logAppendTime: boolean;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** The codec of the wrapper this record came from; 0 for a plain message. */
  readonly compression: 0 | 1 | 2 | 3;
}

export interface ReadMessageSetOptions {
  /** Fetch responses only: a cut-off last entry is ignored (counted in `truncatedBytes`). */
  readonly allowTruncatedTail?: boolean;
  /** Bound on all decompressed wrapper values together (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
  /** Bound on each top-level entry, log overhead included (max.message.bytes); none by default. */
  readonly entryBytesMax?: number;
  /** Bound on the records returned (default 2^24). */
  readonly recordsMax?: number;
}

export type MessageSetRead =
  | { readonly invalid: null; readonly records: LegacyRecord[]; readonly entries: number; readonly truncatedBytes: number }
  | { readonly invalid: LegacyInvalid };

export const LEGACY_RECORDS_MAX_DEFAULT = 1 << 24;

/** One parsed entry: positions into its buffer. Reused; valid until the next read. */
interface Entry {
  offset: number;
  size: number;
  magic: 0 | 1;
  attributes: number;
  timestampMs: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  end: number;
}

const newEntry = (): Entry => ({ offset: 0, size: 0, magic: 0, attributes: 0, timestampMs: NO_TIMESTAMP, key: null, value: null, end: 0 });
const invalid = (reason: LegacyInvalidReason, detail: string): LegacyInvalid => ({ reason, detail });

function int64At(view: DataView, at: number): number | null {
  const v = view.getBigInt64(at);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

/** Reads a bytes field (int32 length, -1 null) at `at`, ending at or before `end`; returns its end or -1. */
function bytesField(b: Uint8Array, view: DataView, at: number, end: number, set: (v: Uint8Array | null) => void): number {
  if (end - at < 4) return -1;
  const n = view.getInt32(at);
  if (n === -1) {
    set(null);
    return at + 4;
  }
  if (n < 0 || n > end - at - 4) return -1;
  set(b.subarray(at + 4, at + 4 + n));
  return at + 4 + n;
}

/**
 * Reads the entry at `pos` into `e`. Returns null (ok), 'cut' when it does not fit in
 * [pos, end), or why it is invalid.
 */
function readEntry(b: Uint8Array, view: DataView, pos: number, end: number, e: Entry, where: string): LegacyInvalid | 'cut' | null {
  if (end - pos < LOG_OVERHEAD_BYTES) return 'cut';
  const size = view.getInt32(pos + SIZE_AT);
  if (size < MESSAGE_SIZE_MIN) return invalid('bad-size', `${where}: messageSize ${size} < ${MESSAGE_SIZE_MIN}`);
  if (size > end - pos - LOG_OVERHEAD_BYTES) return 'cut';
  const entryEnd = pos + LOG_OVERHEAD_BYTES + size;
  const offset = int64At(view, pos);
  if (offset === null) return invalid('unsafe-integer', `${where}: offset beyond ±2^53`);
  const magic = b[pos + MAGIC_AT]!;
  if (magic !== LEGACY_MAGIC_V0 && magic !== LEGACY_MAGIC_V1) return invalid('bad-magic', `${where}: magic ${magic}`);
  if (size < messageOverhead(magic)) return invalid('bad-size', `${where}: messageSize ${size} < ${messageOverhead(magic)} for magic ${magic}`);
  const stored = view.getUint32(pos + CRC_AT);
  const computed = crc32(b, pos + MAGIC_AT, entryEnd);
  if (stored !== computed) return invalid('bad-crc', `${where}: stored crc 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`);
  let at = pos + TIMESTAMP_AT;
  let timestampMs = NO_TIMESTAMP;
  if (magic === LEGACY_MAGIC_V1) {
    const ts = int64At(view, at);
    if (ts === null) return invalid('unsafe-integer', `${where}: timestamp beyond ±2^53`);
    timestampMs = ts;
    at += 8;
  }
  at = bytesField(b, view, at, entryEnd, (v) => (e.key = v));
  if (at >= 0) at = bytesField(b, view, at, entryEnd, (v) => (e.value = v));
  if (at !== entryEnd) return invalid('bad-framing', `${where}: key and value do not fill the ${size}-byte message`);
  e.offset = offset;
  e.size = size;
  e.magic = magic;
  e.attributes = b[pos + ATTRIBUTES_AT]!;
  e.timestampMs = timestampMs;
  e.end = entryEnd;
  return null;
}

interface ReadState {
  readonly records: LegacyRecord[];
  decompressedLeft: number;
  readonly recordsMax: number;
}

function push(state: ReadState, r: LegacyRecord): LegacyInvalid | null {
  if (state.records.length >= state.recordsMax) return invalid('too-large', `more than ${state.recordsMax} records`);
  state.records.push(r);
  return null;
}

function inflate(codec: number, value: Uint8Array, state: ReadState, where: string): Uint8Array | LegacyInvalid {
  try {
    const inner = decompress(codec as CompressionType, value, state.decompressedLeft);
    state.decompressedLeft -= inner.length;
    return inner;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return invalid(err.reason === 'too-large' ? 'too-large' : 'decompression', `${where}: ${err.message}`);
  }
}

/** Reads a wrapper's inner messages into `state` (Kafka's deep iteration rules, see above). */
function readWrapper(w: Entry, state: ReadState, where: string): LegacyInvalid | null {
  const codec = w.attributes & COMPRESSION_MASK;
  if (codec === 4) return invalid('unsupported-compression', `${where}: zstd needs magic 2`);
  if (codec > 4) return invalid('bad-compression', `${where}: compression type ${codec}`);
  if (w.value === null) return invalid('bad-wrapper', `${where}: compressed message with a null value`);
  const inner = inflate(codec, w.value, state, where);
  if (!(inner instanceof Uint8Array)) return inner;
  const view = new DataView(inner.buffer, inner.byteOffset, inner.byteLength);
  const logAppend = w.magic === LEGACY_MAGIC_V1 && (w.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const first = state.records.length;
  const e = newEntry();
  let pos = 0;
  for (let i = 0; pos < inner.length; i++) {
    const at = `${where}.inner[${i}]`;
    const bad = readEntry(inner, view, pos, inner.length, e, at);
    if (bad === 'cut') return invalid('bad-framing', `${at}: inner message cut short`);
    if (bad !== null) return bad;
    if (e.magic !== w.magic) return invalid('bad-wrapper', `${at}: magic ${e.magic} inside a magic ${w.magic} wrapper`);
    if ((e.attributes & COMPRESSION_MASK) !== 0) return invalid('bad-wrapper', `${at}: inner messages must not be compressed`);
    const pushed = push(state, {
      offset: e.offset,
      magic: e.magic,
      timestampMs: logAppend ? w.timestampMs : e.timestampMs,
      logAppendTime: logAppend,
      key: e.key,
      value: e.value,
      compression: codec as 1 | 2 | 3,
    });
    if (pushed) return pushed;
    pos = e.end;
  }
  if (state.records.length === first) return invalid('bad-wrapper', `${where}: compressed message set with no inner messages`);
  if (w.magic === LEGACY_MAGIC_V1) return absoluteOffsets(state.records, first, w.offset, where);
  return null;
}

/** Magic 1 inner offsets are relative: rewrite records[first..] to absolute offsets. */
function absoluteOffsets(records: LegacyRecord[], first: number, wrapperOffset: number, where: string): LegacyInvalid | null {
  const lastInner = records[records.length - 1]!.offset;
  if (wrapperOffset !== 0 && wrapperOffset < lastInner) {
    return invalid('bad-wrapper', `${where}: wrapper offset ${wrapperOffset} is below the last inner offset ${lastInner}`);
  }
  const base = wrapperOffset === 0 ? 0 : wrapperOffset - lastInner;
  for (let i = first; i < records.length; i++) {
    const r = records[i]!;
    const offset = base + r.offset;
    if (!Number.isSafeInteger(offset)) return invalid('unsafe-integer', `${where}: inner offset ${r.offset} + base ${base}`);
    records[i] = { ...r, offset };
  }
  return null;
}

export function readMessageSet(bytes: Uint8Array, options: ReadMessageSetOptions = {}): MessageSetRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entryBytesMax = options.entryBytesMax ?? Number.POSITIVE_INFINITY;
  const state: ReadState = {
    records: [],
    decompressedLeft: options.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT,
    recordsMax: options.recordsMax ?? LEGACY_RECORDS_MAX_DEFAULT,
  };
  const e = newEntry();
  let pos = 0;
  let entries = 0;
  while (pos < bytes.length) {
    const where = `messages[${entries}]`;
    const bad = readEntry(bytes, view, pos, bytes.length, e, where);
    if (bad === 'cut') {
      if (options.allowTruncatedTail === true) return { invalid: null, records: state.records, entries, truncatedBytes: bytes.length - pos };
      return { invalid: invalid('truncated', `${where}: ${bytes.length - pos} bytes left, the message needs more`) };
    }
    if (bad !== null) return { invalid: bad };
    if (LOG_OVERHEAD_BYTES + e.size > entryBytesMax) return { invalid: invalid('too-large', `${where}: ${LOG_OVERHEAD_BYTES + e.size} bytes > ${entryBytesMax}`) };
    const codec = e.attributes & COMPRESSION_MASK;
    const failed =
      codec === 0
        ? push(state, {
            offset: e.offset,
            magic: e.magic,
            timestampMs: e.timestampMs,
            logAppendTime: e.magic === LEGACY_MAGIC_V1 && (e.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0,
            key: e.key,
            value: e.value,
            compression: 0,
          })
        : readWrapper({ ...e }, state, where);
    if (failed) return { invalid: failed };
    entries++;
    pos = e.end;
  }
  return { invalid: null, records: state.records, entries, truncatedBytes: 0 };
}

/** null when `bytes` is a valid message set under `options`, else why not. */
export function validateMessageSet(bytes: Uint8Array, options: ReadMessageSetOptions = {}): LegacyInvalid | null {
  return readMessageSet(bytes, options).invalid;
}
