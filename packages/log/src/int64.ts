/**
 * int64 fields read and written as JavaScript numbers without bigint: hi * 2^32 + lo.
 * Callers keep values within ±2^53 (asserted where they enter the engine).
 */
const TWO_32 = 4294967296;

export function readInt64(view: DataView, pos: number): number {
  return view.getInt32(pos) * TWO_32 + view.getUint32(pos + 4);
}

export function writeInt64(view: DataView, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  view.setInt32(pos, hi);
  view.setUint32(pos + 4, value - hi * TWO_32);
}
