/**
 * Kafka UUIDs as strings, in Kafka's own text form: 16 bytes as unpadded URL-safe base64
 * (22 characters), which is what `kafka-topics.sh --describe` prints as a TopicId.
 * A string keeps uuids usable as Map keys and comparable with `===`.
 * The zero uuid (Kafka's `Uuid.ZERO_UUID`, "no topic id") is `ZERO_UUID`.
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const lookup = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const UUID_BYTES = 16;

/** 16 bytes at `offset` to the 22-character form. */
export function uuidToString(buf: Uint8Array, offset: number): string {
  let s = '';
  let i = 0;
  for (; i + 3 <= UUID_BYTES; i += 3) {
    const n = (buf[offset + i]! << 16) | (buf[offset + i + 1]! << 8) | buf[offset + i + 2]!;
    s += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + alphabet[n & 63]!;
  }
  const last = buf[offset + i]!; // 16 = 5*3 + 1: one byte left, 2 characters
  return s + alphabet[last >>> 2]! + alphabet[(last & 3) << 4]!;
}

/** Writes the 22-character form as 16 bytes; returns false (writing nothing useful) if `s` is not a canonical uuid. */
export function uuidWrite(s: string, buf: Uint8Array, offset: number): boolean {
  if (!isUuid(s)) return false;
  let o = offset;
  let i = 0;
  for (; i + 4 <= 20; i += 4) {
    const n = (sextet(s, i) << 18) | (sextet(s, i + 1) << 12) | (sextet(s, i + 2) << 6) | sextet(s, i + 3);
    buf[o++] = n >>> 16;
    buf[o++] = (n >>> 8) & 0xff;
    buf[o++] = n & 0xff;
  }
  buf[o] = (sextet(s, 20) << 2) | (sextet(s, 21) >>> 4);
  return true;
}

/** True when `s` is 22 base64url characters whose last one carries no stray low bits. */
export function isUuid(s: string): boolean {
  if (typeof s !== 'string' || s.length !== 22) return false;
  for (let i = 0; i < 22; i++) if (sextet(s, i) < 0) return false;
  return (sextet(s, 21) & 15) === 0;
}

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? lookup[c]! : -1;
}
