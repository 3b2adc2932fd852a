/**
 * Writer: fills ONE buffer that was sized exactly beforehand, and never grows.
 *
 * Generated codecs compute `sizeX(msg, version)` first (which also validates the message:
 * see EncodeError), allocate once, then `writeX`. Writing past the end is a bug in a size
 * function, so it throws a RangeError from DataView/TypedArray; `finish()` asserts the
 * buffer was filled exactly. bytes/records are copied with a single `set`.
 *
 * The `size*` functions below are the matching measurement helpers.
 *
 * Splice mode (for `encodeResponseFrameChunks`): a Writer built with `splice(minBytes)`
 * does not copy a bytes field of >= minBytes; it writes the length prefix, closes the
 * current segment of its buffer and records the caller's own view as the next chunk, so
 * `chunks()` returns [segment, view, segment, ...]. Its buffer is sized as the message
 * size minus the spliced bytes, which the size pass measures when wrapped in
 * `measureSpliced(minBytes, fn)` (a module-scoped accumulator, active only inside fn;
 * sizing is synchronous, so nothing else can observe it).
 */
import { utf8Length, utf8Write } from './utf8.ts';
import { uuidWrite } from './uuid.ts';
import { EncodeError } from './encode-error.ts';

const TWO_POW_32 = 0x1_0000_0000;

export class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  /** Splice mode: bytes fields at least this long are passed through as views (Infinity = off). */
  #spliceMin = Infinity;
  #segmentStart = 0;
  #chunks: Uint8Array[] | null = null;

  /** A fresh buffer of exactly `size` bytes, or (buf, start) to write into part of an existing one. */
  constructor(sizeOrBuf: number | Uint8Array, start = 0) {
    this.buf = typeof sizeOrBuf === 'number' ? new Uint8Array(sizeOrBuf) : sizeOrBuf;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = start;
  }

  /** Asserts the whole buffer was written and returns it. */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`Writer: wrote ${this.pos} of ${this.buf.length} bytes (size function out of step with write)`);
    return this.buf;
  }

  /** Turns on splice mode (see file comment); returns this. */
  splice(minBytes: number): this {
    this.#spliceMin = minBytes;
    this.#segmentStart = this.pos;
    this.#chunks = [];
    return this;
  }

  /** Splice mode: asserts the buffer was filled exactly and returns the chunks in order (empty segments left out). */
  chunks(): Uint8Array[] {
    const chunks = this.#chunks;
    if (chunks === null) throw new Error('Writer: chunks() without splice()');
    this.finish();
    if (this.pos > this.#segmentStart) chunks.push(this.buf.subarray(this.#segmentStart, this.pos));
    this.#segmentStart = this.pos;
    this.#chunks = [];
    return chunks;
  }

  int8(v: number): void {
    this.view.setInt8(this.pos, v);
    this.pos += 1;
  }
  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0;
  }
  int16(v: number): void {
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  uint16(v: number): void {
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }
  int32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  uint32(v: number): void {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  float64(v: number): void {
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }
  /** int64 from a safe integer (checked by the size pass; asserted here too). */
  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 ${v} is not a safe integer`);
    const hi = Math.floor(v / TWO_POW_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * TWO_POW_32);
    this.pos += 8;
  }
  int64BigInt(v: bigint): void {
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
  }
  uvarint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  /** Zigzag signed 32-bit varint. */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  /** Zigzag signed 64-bit varint from a safe integer. */
  varlong(v: number): void {
    const u = v >= 0 ? v * 2 : -v * 2 - 1;
    if (u <= Number.MAX_SAFE_INTEGER) return this.uvarint(u); // exact: Math.floor(u / 128) is exact too
    let b = (BigInt(v) << 1n) ^ (BigInt(v) >> 63n); // beyond 2^53 the doubled value is not exact
    while (b >= 0x80n) {
      this.buf[this.pos++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    this.buf[this.pos++] = Number(b);
  }
  uuid(v: string): void {
    if (!uuidWrite(v, this.buf, this.pos)) throw new RangeError(`not a uuid: ${v}`);
    this.pos += 16;
  }

  #length(flex: boolean, wide: boolean, n: number): void {
    if (flex) this.uvarint(n + 1);
    else if (wide) this.int32(n);
    else this.int16(n);
  }
  string(flex: boolean, v: string): void {
    const n = utf8Length(v);
    this.#length(flex, false, n);
    utf8Write(this.buf, this.pos, v, n);
    this.pos += n;
  }
  nullableString(flex: boolean, v: string | null): void {
    if (v === null) this.#length(flex, false, -1);
    else this.string(flex, v);
  }
  bytes(flex: boolean, v: Uint8Array): void {
    this.#length(flex, true, v.length);
    if (v.length >= this.#spliceMin && this.#chunks !== null) {
      if (this.pos > this.#segmentStart) this.#chunks.push(this.buf.subarray(this.#segmentStart, this.pos));
      this.#chunks.push(v);
      this.#segmentStart = this.pos;
      return;
    }
    this.raw(v);
  }
  nullableBytes(flex: boolean, v: Uint8Array | null): void {
    if (v === null) this.#length(flex, true, -1);
    else this.bytes(flex, v);
  }
  raw(v: Uint8Array): void {
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
  /** Array count, -1 for null. */
  arrayLength(flex: boolean, n: number): void {
    if (flex) this.uvarint(n + 1);
    else this.int32(n);
  }
}

export function sizeUvarint(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
export function sizeVarint(v: number): number {
  return sizeUvarint(((v << 1) ^ (v >> 31)) >>> 0);
}
export function sizeVarlong(v: number): number {
  return sizeUvarint(v >= 0 ? v * 2 : -v * 2 - 1);
}
/** Encoded size of a length prefix (string: int16, bytes/array: int32, flexible: uvarint n+1). */
export function sizeLength(flex: boolean, wide: boolean, n: number): number {
  return flex ? sizeUvarint(n + 1) : wide ? 4 : 2;
}
/** Throws EncodeError when a non-compact string is longer than its int16 prefix allows. */
export function sizeString(flex: boolean, v: string): number {
  const n = utf8Length(v);
  if (!flex && n > 0x7fff) throw new EncodeError('', -1, '', `string of ${n} bytes exceeds the int16 length prefix`);
  return sizeLength(flex, false, n) + n;
}
export function sizeNullableString(flex: boolean, v: string | null): number {
  return v === null ? sizeLength(flex, false, -1) : sizeString(flex, v);
}
/** Active only inside measureSpliced: bytes fields of >= spliceMeasureMin add their length to splicedBytes. */
let spliceMeasureMin = Infinity;
let splicedBytes = 0;

/**
 * Runs a size pass `fn` and also returns how many of the measured bytes are in bytes fields
 * of >= minBytes (which a splicing Writer passes through instead of copying). Not reentrant.
 */
export function measureSpliced(minBytes: number, fn: () => number): { size: number; splicedBytes: number } {
  if (spliceMeasureMin !== Infinity) throw new Error('measureSpliced is not reentrant');
  spliceMeasureMin = minBytes;
  splicedBytes = 0;
  try {
    const size = fn();
    return { size, splicedBytes };
  } finally {
    spliceMeasureMin = Infinity;
    splicedBytes = 0;
  }
}

export function sizeBytes(flex: boolean, v: Uint8Array): number {
  if (v.length >= spliceMeasureMin) splicedBytes += v.length;
  return sizeLength(flex, true, v.length) + v.length;
}
export function sizeNullableBytes(flex: boolean, v: Uint8Array | null): number {
  return v === null ? sizeLength(flex, true, -1) : sizeBytes(flex, v);
}
export function sizeArrayLength(flex: boolean, n: number): number {
  return flex ? sizeUvarint(n + 1) : 4;
}
