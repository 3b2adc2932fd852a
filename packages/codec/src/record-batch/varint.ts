/**
 * Zigzag varints of the record format (protobuf style, as Kafka's ByteUtils): a varint
 * holds an int32 in at most 5 bytes, a varlong an int64 in at most 10.
 *
 * Decoding goes through `VarintReader`, a cursor with a sticky error (franz-go style): on
 * a short read, an over-long varint or an unsafe varlong it sets `error` and returns 0
 * from then on; the caller checks `error` once per record. Never throws, never reads past
 * `end`, never loops more than 10 times per value.
 */

export type VarintError = 'truncated' | 'bad-varint' | 'unsafe-integer' | null;

export class VarintReader {
  b: Uint8Array;
  pos: number;
  end: number;
  error: VarintError = null;
  constructor(b: Uint8Array, pos: number, end: number) {
    this.b = b;
    this.pos = pos;
    this.end = end;
  }

  private fail(e: Exclude<VarintError, null>): number {
    if (this.error === null) this.error = e;
    this.pos = this.end;
    return 0;
  }

  /** Zigzag int32 (≤ 5 bytes). */
  varint(): number {
    const b = this.b;
    let p = this.pos;
    if (p >= this.end) return this.fail('truncated');
    let byte = b[p++]!;
    if (byte < 0x80) {
      this.pos = p;
      return (byte >>> 1) ^ -(byte & 1);
    }
    let raw = byte & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (p >= this.end) return this.fail('truncated');
      byte = b[p++]!;
      raw |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
      if (shift >= 28) return this.fail('bad-varint');
    }
    this.pos = p;
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zigzag int64 (≤ 10 bytes) as a number; values beyond ±2^53 set 'unsafe-integer'. */
  varlong(): number {
    const b = this.b;
    let p = this.pos;
    if (p >= this.end) return this.fail('truncated');
    let byte = b[p++]!;
    if (byte < 0x80) {
      this.pos = p;
      return (byte >>> 1) ^ -(byte & 1);
    }
    let raw = byte & 0x7f;
    let scale = 128;
    for (let i = 1; ; i++) {
      if (p >= this.end) return this.fail('truncated');
      byte = b[p++]!;
      raw += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      if (i >= 9) return this.fail('bad-varint');
      scale *= 128;
    }
    // raw is exact while ≤ 2^53; zigzag halves it, so |value| ≤ 2^52 is always exact.
    if (raw > 9007199254740991) return this.fail('unsafe-integer');
    this.pos = p;
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
}

/** Bytes of the zigzag varint encoding of int32 `v`. */
export function varintBytes(v: number): number {
  const z = ((v << 1) ^ (v >> 31)) >>> 0;
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
}

/** Writes int32 `v` as a zigzag varint at p; returns the position after it. */
export function writeVarint(b: Uint8Array, p: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0;
  while (z >= 0x80) {
    b[p++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  b[p++] = z;
  return p;
}

function zigzag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Bytes of the zigzag varlong encoding of safe integer `v`. */
export function varlongBytes(v: number): number {
  if (v >= -0x8000000 && v < 0x8000000) return varintBytes(v);
  let z = zigzag64(v);
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/** Writes safe integer `v` as a zigzag varlong at p; returns the position after it. */
export function writeVarlong(b: Uint8Array, p: number, v: number): number {
  if (v >= -0x8000000 && v < 0x8000000) return writeVarint(b, p, v);
  let z = zigzag64(v);
  while (z >= 128) {
    b[p++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  b[p++] = z;
  return p;
}
