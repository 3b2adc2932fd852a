/**
 * Big-endian fixed-width reads/writes on a Uint8Array at an absolute position, without a
 * DataView (none to allocate per batch). int64 values become JS numbers: exact while
 * |value| ≤ Number.MAX_SAFE_INTEGER, approximate beyond (validation rejects those).
 * Callers check bounds first; out-of-range reads yield garbage, never throw.
 */

export function readInt16(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
}

export function readInt32(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

export function readUint32(b: Uint8Array, p: number): number {
  return readInt32(b, p) >>> 0;
}

export function readInt64(b: Uint8Array, p: number): number {
  return readInt32(b, p) * 4294967296 + readUint32(b, p + 4);
}

/** True when the int64 at p is within ±Number.MAX_SAFE_INTEGER (i.e. `readInt64` is exact). */
export function isSafeInt64(b: Uint8Array, p: number): boolean {
  const hi = readInt32(b, p);
  // |value| ≤ 2^53 - 1  ⇔  hi in [-2^21, 2^21 - 1], excluding -2^53 itself.
  if (hi >= -0x200000 && hi < 0x200000) return !(hi === -0x200000 && readUint32(b, p + 4) === 0);
  return false;
}

export function writeInt16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v;
}

export function writeInt32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

/** Writes a safe integer as int64 (two's complement). Caller asserts Number.isSafeInteger(v). */
export function writeInt64(b: Uint8Array, p: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  writeInt32(b, p, hi);
  writeInt32(b, p + 4, v - hi * 4294967296);
}
