/**
 * UTF-8 helpers shared by Reader and Writer.
 *
 * Kafka strings are short and almost always ASCII (topic names, client ids), so both
 * directions take a plain loop for ASCII and fall back to TextEncoder/TextDecoder otherwise.
 * Decoding is strict (`fatal: true`): invalid UTF-8 is a decode error, not U+FFFD.
 */

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
/** Below this many bytes the hand loop beats TextDecoder. */
const asciiLoopBytesMax = 64;

/** Number of bytes `s` takes in UTF-8 (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // surrogate pair: 2 UTF-16 units -> 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** Writes `s` (already measured as `length` bytes) into `buf` at `offset`. */
export function utf8Write(buf: Uint8Array, offset: number, s: string, length: number): void {
  if (length === s.length) {
    for (let i = 0; i < length; i++) buf[offset + i] = s.charCodeAt(i);
    return;
  }
  const { written } = encoder.encodeInto(s, buf.subarray(offset, offset + length));
  if (written !== length) throw new Error(`utf8Write: wrote ${written} bytes, expected ${length}`);
}

/** Decodes `length` bytes at `offset`; returns null when the bytes are not valid UTF-8. */
export function utf8Read(buf: Uint8Array, offset: number, length: number): string | null {
  if (length <= asciiLoopBytesMax) {
    let s = '';
    let i = 0;
    for (; i < length; i++) {
      const b = buf[offset + i]!;
      if (b >= 0x80) break;
      s += String.fromCharCode(b);
    }
    if (i === length) return s;
  }
  try {
    return decoder.decode(buf.subarray(offset, offset + length));
  } catch {
    return null;
  }
}
