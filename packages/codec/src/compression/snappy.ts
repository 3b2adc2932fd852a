/**
 * snappy (Kafka codec 2): raw snappy blocks, and the xerial framing Java clients write.
 *
 * Xerial framing (snappy-java's SnappyOutputStream, what Java Kafka producers send and
 * librdkafka reads and writes), all integers big-endian:
 *
 *   [8]  magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 *   [4]  version (1)          [4] minimum compatible version (1)
 *   then blocks until the input ends:
 *   [4]  compressed length L  [L] one raw snappy block
 *
 * A raw snappy block starts with its uncompressed length as a varint (at most 32 bits),
 * then tagged literals and back-references (offsets up to 2^32, within the block).
 * Some producers send one raw block with no framing; decoding detects the magic.
 *
 * Bound: every block declares its output length up front, so all declared lengths are
 * summed and checked against maxBytes BEFORE anything is allocated; then one output
 * buffer of exactly that size is filled, and each block must produce exactly what it
 * declared (no silent truncation, no zero-filled tail).
 *
 * Compression uses snappyjs's compressor (pure JS, no Buffer when given a Uint8Array; its
 * own decompressor does not check output bounds, hence the decoder here).
 */
import { SnappyCompressor } from 'snappyjs/snappy_compressor.js';
import { corrupt, tooLarge } from './bounded-output.ts';

const CODEC = 'snappy';
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const;
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's default block size, which Java Kafka producers use. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** One raw snappy block (no framing). */
export function snappyCompressRaw(data: Uint8Array): Uint8Array {
  const compressor = new SnappyCompressor(data);
  const out = new Uint8Array(compressor.maxCompressedLength());
  const length = compressor.compressToBuffer(out);
  return out.slice(0, length);
}

/** Xerial-framed snappy, byte for byte the layout Java Kafka writes. */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = XERIAL_HEADER_BYTES;
  for (let start = 0; start < data.length; start += XERIAL_BLOCK_BYTES) {
    const block = snappyCompressRaw(data.subarray(start, Math.min(data.length, start + XERIAL_BLOCK_BYTES)));
    blocks.push(block);
    total += 4 + block.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(XERIAL_MAGIC, 0);
  view.setInt32(8, 1);
  view.setInt32(12, 1);
  let pos = XERIAL_HEADER_BYTES;
  for (const block of blocks) {
    view.setInt32(pos, block.length);
    out.set(block, pos + 4);
    pos += 4 + block.length;
  }
  return out;
}

export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < XERIAL_MAGIC.length) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

export function snappyDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  const blocks = isXerialFramed(data) ? xerialBlocks(data) : [data];
  let total = 0;
  const lengths: number[] = [];
  for (const block of blocks) {
    const { length } = readUncompressedLength(block);
    total += length;
    if (total > maxBytes) throw tooLarge(CODEC, maxBytes, `at least ${total}`);
    lengths.push(length);
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < blocks.length; i++) {
    const length = lengths[i]!;
    decodeRawBlock(blocks[i]!, out.subarray(pos, pos + length));
    pos += length;
  }
  return out;
}

function xerialBlocks(data: Uint8Array): Uint8Array[] {
  if (data.length < XERIAL_HEADER_BYTES) throw corrupt(CODEC, 'xerial header truncated');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks: Uint8Array[] = [];
  let pos = XERIAL_HEADER_BYTES;
  // Each block costs at least 5 input bytes, so this loop is bounded by the input length.
  while (pos < data.length) {
    if (pos + 4 > data.length) throw corrupt(CODEC, `xerial block length truncated at ${pos}`);
    const length = view.getInt32(pos);
    pos += 4;
    if (length <= 0 || pos + length > data.length) throw corrupt(CODEC, `xerial block length ${length} at ${pos - 4} outside the input`);
    blocks.push(data.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

function readUncompressedLength(block: Uint8Array): { length: number; headerBytes: number } {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (length > 0xffffffff) break;
      return { length, headerBytes: i + 1 };
    }
  }
  throw corrupt(CODEC, 'bad uncompressed-length varint');
}

/** Decodes one raw block into `out`, which must be exactly its declared length. */
function decodeRawBlock(block: Uint8Array, out: Uint8Array): void {
  let pos = readUncompressedLength(block).headerBytes;
  let outPos = 0;
  const end = block.length;
  const outEnd = out.length;
  while (pos < end) {
    const tag = block[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let length = (tag >>> 2) + 1;
      if (length > 60) {
        const lengthBytes = length - 60;
        if (pos + lengthBytes > end) throw corrupt(CODEC, 'literal length truncated');
        length = 0;
        for (let i = 0; i < lengthBytes; i++) length += block[pos + i]! * 2 ** (8 * i);
        length += 1;
        pos += lengthBytes;
      }
      if (pos + length > end) throw corrupt(CODEC, 'literal runs past the input');
      if (outPos + length > outEnd) throw corrupt(CODEC, 'literal runs past the declared length');
      if (length < 32) {
        for (let i = 0; i < length; i++) out[outPos + i] = block[pos + i]!;
      } else {
        out.set(block.subarray(pos, pos + length), outPos);
      }
      pos += length;
      outPos += length;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > end) throw corrupt(CODEC, 'copy truncated');
      length = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | block[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > end) throw corrupt(CODEC, 'copy truncated');
      length = (tag >>> 2) + 1;
      offset = block[pos]! | (block[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > end) throw corrupt(CODEC, 'copy truncated');
      length = (tag >>> 2) + 1;
      offset = (block[pos]! | (block[pos + 1]! << 8) | (block[pos + 2]! << 16) | (block[pos + 3]! << 24)) >>> 0;
      pos += 4;
    }
    if (offset === 0 || offset > outPos) throw corrupt(CODEC, `copy offset ${offset} outside the output (at ${outPos})`);
    if (outPos + length > outEnd) throw corrupt(CODEC, 'copy runs past the declared length');
    // Copies are at most 64 bytes and may overlap their source: a byte loop beats copyWithin.
    for (let i = outPos - offset, end = i + length; i < end; i++) out[outPos++] = out[i]!;
  }
  if (outPos !== outEnd) throw corrupt(CODEC, `block declared ${outEnd} bytes, produced ${outPos}`);
}
