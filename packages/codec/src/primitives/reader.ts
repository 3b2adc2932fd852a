/**
 * Reader: a cursor over a Uint8Array with a sticky error (franz-go's kbin.Reader idea).
 *
 * Every read checks bounds. The first failure (short input, bad length, bad varint, bad
 * value) is recorded; from then on `failed` is true, every read returns a default (0, '',
 * an empty view, -1 for lengths) and nothing advances. Generated decoders test `failed`
 * after each field and, only on that error path, call `at(segment)` on their way out, so
 * the field path ("topicData[2].partitionData[0].records") costs nothing when input is good.
 * Finish with `complete()` (first failure, or trailing bytes) or read `error`. A request
 * decode that, like Kafka's, tolerates bytes after the body reads `error` and `remaining`
 * instead (librdkafka >= 2.1 leaves 3 bytes after its all-topics Metadata v9+ body).
 *
 * Lengths and counts are validated against the bytes left BEFORE anything is allocated:
 * a string/bytes length must fit, an array count N needs N * minElementBytes bytes.
 * bytes/records come back as zero-copy `subarray` views of the input.
 *
 * int64 is read as a JavaScript number; a value outside Number.isSafeInteger is a
 * 'bad-value' failure. Single-owner, not shared across concurrent decodes.
 */
import { DecodeError } from '../decode-error.ts';
import type { DecodeErrorReason } from '../decode-error.ts';
import { utf8Read } from './utf8.ts';
import { uuidToString, ZERO_UUID } from './uuid.ts';

const EMPTY = new Uint8Array(0);
const TWO_POW_32 = 0x1_0000_0000;

export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Next byte to read (absolute index into `buf`). */
  pos: number;
  /** One past the last readable byte. */
  readonly end: number;
  /** Used in error reports. */
  api: string;
  version: number;
  failed = false;
  #reason: DecodeErrorReason = 'truncated';
  #detail = '';
  #failPos = 0;
  /** Path segments pushed innermost-first while unwinding after a failure. */
  #path: (string | number)[] = [];
  #error: DecodeError | null = null;

  constructor(buf: Uint8Array, api = '', version = -1, start = 0, end = buf.length) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.api = api;
    this.version = version;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Records the first failure; later ones are ignored. Returns nothing useful: callers return defaults. */
  fail(reason: DecodeErrorReason, detail = ''): void {
    if (this.failed) return;
    this.failed = true;
    this.#reason = reason;
    this.#detail = detail;
    this.#failPos = this.pos;
  }

  /** Error path only: adds a path segment (a field name or an array index), innermost first. */
  at(segment: string | number): void {
    this.#path.push(segment);
  }

  /** Error path only: adds `segment` and returns a placeholder the caller must not use (check `failed`). */
  bail(segment: string | number): never {
    this.#path.push(segment);
    return undefined as never;
  }

  /** The first failure as a DecodeError (with api, version and field path), or null. */
  get error(): DecodeError | null {
    if (!this.failed) return null;
    if (this.#error === null) {
      let path = '';
      for (let i = this.#path.length - 1; i >= 0; i--) {
        const s = this.#path[i]!;
        path += typeof s === 'number' ? `[${s}]` : path === '' ? s : `.${s}`;
      }
      const detail = `${this.#detail ? `${this.#detail}, ` : ''}at byte ${this.#failPos}`;
      this.#error = new DecodeError(this.#reason, this.api, this.version, path, detail);
    }
    return this.#error;
  }

  /** Ends a decode: the first failure, else 'trailing-bytes' if input is left, else null. */
  complete(): DecodeError | null {
    if (!this.failed && this.pos !== this.end) this.fail('trailing-bytes', `${this.end - this.pos} bytes left`);
    return this.error;
  }

  /** Reserves n bytes; returns the start offset or -1 (and fails) if they are not there. */
  #take(n: number): number {
    const p = this.pos;
    if (this.failed) return -1;
    if (n > this.end - p) {
      this.fail('truncated', `need ${n} bytes, have ${this.end - p}`);
      return -1;
    }
    this.pos = p + n;
    return p;
  }

  int8(): number {
    const p = this.#take(1);
    return p < 0 ? 0 : this.view.getInt8(p);
  }
  bool(): boolean {
    const p = this.#take(1);
    return p < 0 ? false : this.buf[p] !== 0;
  }
  int16(): number {
    const p = this.#take(2);
    return p < 0 ? 0 : this.view.getInt16(p);
  }
  uint16(): number {
    const p = this.#take(2);
    return p < 0 ? 0 : this.view.getUint16(p);
  }
  int32(): number {
    const p = this.#take(4);
    return p < 0 ? 0 : this.view.getInt32(p);
  }
  uint32(): number {
    const p = this.#take(4);
    return p < 0 ? 0 : this.view.getUint32(p);
  }
  float64(): number {
    const p = this.#take(8);
    return p < 0 ? 0 : this.view.getFloat64(p);
  }
  /** int64 as a safe-integer number; outside ±(2^53-1) fails with 'bad-value'. */
  int64(): number {
    const p = this.#take(8);
    if (p < 0) return 0;
    const v = this.view.getInt32(p) * TWO_POW_32 + this.view.getUint32(p + 4);
    if (!Number.isSafeInteger(v)) {
      this.pos = p;
      this.fail('bad-value', 'int64 outside the safe-integer range');
      return 0;
    }
    return v;
  }
  /** int64 as a bigint (full range), for callers that need it. */
  int64BigInt(): bigint {
    const p = this.#take(8);
    return p < 0 ? 0n : this.view.getBigInt64(p);
  }

  /** Unsigned varint of at most 5 bytes (an unsigned 32-bit value). */
  uvarint(): number {
    if (this.failed) return 0;
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) {
        this.fail('truncated', 'inside a varint');
        return 0;
      }
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (i === 4 && b > 0x0f) break;
        return value;
      }
    }
    this.fail('bad-varint', 'unsigned varint longer than 32 bits');
    return 0;
  }
  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }
  /** Zigzag-encoded signed 64-bit varint as a safe-integer number (record fields). */
  varlong(): number {
    if (this.failed) return 0;
    let raw = 0n;
    let small = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) {
        this.fail('truncated', 'inside a varlong');
        return 0;
      }
      const b = this.buf[this.pos++]!;
      if (i < 7) small += (b & 0x7f) * 2 ** (7 * i); // exact up to 49 bits
      else {
        if (i === 7) raw = BigInt(small);
        raw |= BigInt(b & 0x7f) << BigInt(7 * i);
      }
      if (b < 0x80) {
        if (i < 7) return small % 2 === 0 ? small / 2 : -(small + 1) / 2;
        if (i === 9 && b > 1) break;
        const v = raw & 0xffff_ffff_ffff_ffffn;
        const n = Number((v >> 1n) ^ -(v & 1n));
        if (!Number.isSafeInteger(n)) {
          this.fail('bad-value', 'varlong outside the safe-integer range');
          return 0;
        }
        return n;
      }
    }
    this.fail('bad-varint', 'varlong longer than 64 bits');
    return 0;
  }

  uuid(): string {
    const p = this.#take(16);
    return p < 0 ? ZERO_UUID : uuidToString(this.buf, p);
  }

  /**
   * A length prefix: int16 (strings) or int32 (bytes) when !flex, unsigned varint minus one
   * when flex. Returns -1 for null (only if `nullable`), else a length that fits in what is left.
   */
  #length(flex: boolean, wide: boolean, nullable: boolean): number {
    const n = flex ? this.uvarint() - 1 : wide ? this.int32() : this.int16();
    if (this.failed) return -1;
    if (n < 0) {
      if (n === -1 && nullable) return -1;
      this.fail('bad-length', `length ${n}`);
      return -1;
    }
    if (n > this.end - this.pos) {
      this.fail('bad-length', `length ${n} exceeds the ${this.end - this.pos} bytes left`);
      return -1;
    }
    return n;
  }

  string(flex: boolean): string {
    const n = this.#length(flex, false, false);
    return n < 0 ? '' : this.#utf8(n);
  }
  nullableString(flex: boolean): string | null {
    const n = this.#length(flex, false, true);
    return n < 0 ? (this.failed ? '' : null) : this.#utf8(n);
  }
  #utf8(n: number): string {
    const s = utf8Read(this.buf, this.pos, n);
    if (s === null) {
      this.fail('bad-value', 'invalid UTF-8');
      return '';
    }
    this.pos += n;
    return s;
  }

  /** Zero-copy view of a bytes field. */
  bytes(flex: boolean): Uint8Array {
    const n = this.#length(flex, true, false);
    return n < 0 ? EMPTY : this.raw(n);
  }
  nullableBytes(flex: boolean): Uint8Array | null {
    const n = this.#length(flex, true, true);
    return n < 0 ? (this.failed ? EMPTY : null) : this.raw(n);
  }
  /** Zero-copy view of the next n bytes. */
  raw(n: number): Uint8Array {
    const p = this.#take(n);
    return p < 0 ? EMPTY : this.buf.subarray(p, p + n);
  }

  /** Number of tagged fields that follow; each takes at least 2 bytes (tag, size). */
  tagCount(): number {
    const n = this.uvarint();
    if (n * 2 > this.end - this.pos) {
      this.fail('bad-length', `${n} tagged fields in ${this.end - this.pos} bytes`);
      return 0;
    }
    return n;
  }
  /** Size of one tagged field's data, checked against what is left. */
  tagSize(): number {
    const n = this.uvarint();
    if (n > this.end - this.pos) {
      this.fail('bad-length', `tagged field of ${n} bytes, ${this.end - this.pos} left`);
      return 0;
    }
    return n;
  }

  /**
   * An array count: -1 for null (only if `nullable`), else N with N * minElementBytes
   * bytes still available, so a forged count cannot make the decoder allocate.
   */
  arrayLength(flex: boolean, nullable: boolean, minElementBytes: number): number {
    const n = flex ? this.uvarint() - 1 : this.int32();
    if (this.failed) return -1;
    if (n < 0) {
      if (n === -1 && nullable) return -1;
      this.fail('bad-length', `array count ${n}`);
      return -1;
    }
    if (n * minElementBytes > this.end - this.pos) {
      this.fail('bad-length', `array count ${n} needs at least ${n * minElementBytes} bytes, ${this.end - this.pos} left`);
      return -1;
    }
    return n;
  }
}
