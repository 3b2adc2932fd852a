/**
 * LZ4 block compressor (the greedy "fast" parser of the reference lz4, level 1).
 *
 * A block is a run of sequences [token][literal length+][literals][offset u16 LE][match
 * length+]; the token's high nibble is the literal count and its low nibble the match
 * length - 4 (15 = more length bytes follow, each 255 meaning "continue").
 * Spec constraints kept here: the last 5 bytes are literals, the last match starts at
 * least 12 bytes before the block end, offsets are 1..65535, and matches never reach
 * before the block start (blocks are independent, as Kafka's Java reader requires).
 *
 * The hash table maps the hash of 4 bytes to a position. Instead of clearing its 256 KiB
 * for every block (a fixed cost that dominates small batches), positions are stored
 * plus a base that grows with every block: an entry left from an earlier block decodes to
 * a position before the current block and is ignored. The table is cleared only when the
 * base nears 2^31. Not reentrant (one module-level table); compression is synchronous.
 */

const HASH_BITS = 16;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const OFFSET_MAX = 65535;
const SKIP_TRIGGER = 6;
const BASE_MAX = 0x7fff0000;

let table: Int32Array | undefined;
let base = 1;

/** Worst-case compressed size of a block of `n` bytes. */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

function readU32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * Compresses src[start, end) into dst from dPos (dst needs lz4BlockBound(end - start)
 * bytes free); returns the end position in dst.
 */
export function lz4CompressBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, dPos: number): number {
  table ??= new Int32Array(1 << HASH_BITS);
  if (base + (end - start) > BASE_MAX) {
    table.fill(0);
    base = 1;
  }
  const hashTable = table;
  const shift = base - start; // stored = position + shift; an entry < base is from an earlier block
  base += end - start + 1;
  let d = dPos;
  let anchor = start;
  if (end - start >= MF_LIMIT + 1) {
    const matchStartLimit = end - MF_LIMIT;
    const matchEndLimit = end - LAST_LITERALS;
    let ip = start;
    let misses = 1 << SKIP_TRIGGER;
    while (ip < matchStartLimit) {
      const seq = readU32(src, ip);
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_BITS);
      const ref = hashTable[h]! - shift;
      hashTable[h] = ip + shift;
      if (ref < start || ip - ref > OFFSET_MAX || readU32(src, ref) !== seq) {
        ip += misses++ >> SKIP_TRIGGER; // step up through incompressible data
        continue;
      }
      misses = 1 << SKIP_TRIGGER;
      let matchEnd = ip + MIN_MATCH;
      let refEnd = ref + MIN_MATCH;
      while (matchEnd < matchEndLimit && src[matchEnd] === src[refEnd]) {
        matchEnd++;
        refEnd++;
      }
      d = writeSequence(src, anchor, ip, dst, d, ip - ref, matchEnd - ip - MIN_MATCH);
      ip = matchEnd;
      anchor = ip;
    }
  }
  return writeLastLiterals(src, anchor, end, dst, d);
}

function writeLength(dst: Uint8Array, d: number, rest: number): number {
  while (rest >= 255) {
    dst[d++] = 255;
    rest -= 255;
  }
  dst[d++] = rest;
  return d;
}

function writeSequence(src: Uint8Array, anchor: number, ip: number, dst: Uint8Array, d: number, offset: number, matchExtra: number): number {
  const literals = ip - anchor;
  const token = d++;
  if (literals >= 15) d = writeLength(dst, d, literals - 15);
  if (literals < 32) {
    for (let i = 0; i < literals; i++) dst[d + i] = src[anchor + i]!;
  } else {
    dst.set(src.subarray(anchor, ip), d);
  }
  d += literals;
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  if (matchExtra >= 15) d = writeLength(dst, d, matchExtra - 15);
  dst[token] = (Math.min(literals, 15) << 4) | Math.min(matchExtra, 15);
  return d;
}

function writeLastLiterals(src: Uint8Array, anchor: number, end: number, dst: Uint8Array, d: number): number {
  const literals = end - anchor;
  dst[d++] = Math.min(literals, 15) << 4;
  if (literals >= 15) d = writeLength(dst, d, literals - 15);
  dst.set(src.subarray(anchor, end), d);
  return d + literals;
}
