/**
 * CRC-32 (IEEE 802.3, the zlib polynomial 0xEDB88320) of `bytes[start, end)`: the checksum
 * of legacy messages (magic 0/1). Record batch v2 uses CRC-32C instead (../crc32c).
 *
 * The table-driven implementation is SheetJS's `crc-32` (pure JS, no dependencies, no
 * runtime APIs; see ../../README.md for why). It returns a signed int32; this returns the
 * unsigned value that is on the wire.
 */
import CRC32 from 'crc-32';

export function crc32(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  return CRC32.buf(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
}
