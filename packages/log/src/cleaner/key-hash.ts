/**
 * Key hashing for the cleaner's offset map: two independent 32-bit MurmurHash3 (x86_32)
 * values of the key bytes, read together as one 64-bit fingerprint.
 *
 * Why 64 bits and not the key: the offset map must have a fixed memory bound whatever the
 * key sizes (Kafka stores a 16-byte MD5 per key for the same reason). Two keys with the
 * same 64-bit fingerprint are treated as one key, so the older one's records could be
 * dropped; with n keys in a map that happens with probability about n² / 2^65
 * (≈ 3·10^-8 for a million keys), the same order of risk Kafka accepts with MD5.
 *
 * Pure, allocation-free; safe from any caller.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The two seeds give two unrelated hash functions. */
export const KEY_HASH_SEED_A = 0x9747b28c;
export const KEY_HASH_SEED_B = 0x1b5e7c31;

/** MurmurHash3 x86_32 of `bytes[start, end)`, as an unsigned 32-bit integer. */
export function murmur3(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed >>> 0;
  const blocksEnd = start + ((end - start) & ~3);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = end - i;
  if (tail > 0) {
    let k = bytes[i]!;
    if (tail > 1) k ^= bytes[i + 1]! << 8;
    if (tail > 2) k ^= bytes[i + 2]! << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
