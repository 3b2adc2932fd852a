/**
 * zstd (Kafka codec 4, RFC 8878 frames).
 *
 * Decompression: fzstd, pure JavaScript and synchronous (by the author of fflate), so the
 * broker can decode zstd batches with no initialisation at all.
 * Compression: @hpcc-js/wasm-zstd, the reference libzstd (1.5.x) compiled to WebAssembly
 * with the module embedded in the package's JavaScript (no file or network access, runs
 * unchanged on Node, Deno and browsers). Its instantiation is asynchronous, so
 * `initCompression()` must be awaited once before `compress(zstd, ...)`; until then
 * compressing with zstd throws a plain Error saying so. No pure-JS zstd compressor with
 * real compression exists on npm.
 *
 * Bound: before decoding, every frame header is parsed and its blocks walked (3-byte
 * block headers; this costs no decompression):
 *  - declared content sizes must fit in maxBytes (checked before any allocation);
 *  - a frame whose window is larger than max(maxBytes, 8 MiB) is rejected ('too-large'):
 *    fzstd allocates the window, and 8 MiB is the window every decoder is expected to
 *    support (RFC 8878 §3.1.1.1.2; the zstd CLI's levels 1-19 stay within it);
 *  - then fzstd's streaming decoder emits one block (at most 128 KiB) at a time, and the
 *    running total is checked after each, so decoding stops at the first block past maxBytes.
 * Peak memory: output (<= maxBytes) + one window (<= max(maxBytes, 8 MiB)) + 128 KiB.
 * Content checksums (XXH64) are not verified (fzstd does not); the Kafka batch CRC-32C
 * already covers the compressed bytes.
 */
import { Decompress } from 'fzstd';
import { Zstd } from '@hpcc-js/wasm-zstd';
import { DecodeError } from '../decode-error.ts';
import { BoundedOutput, asDecodeError, corrupt, tooLarge } from './bounded-output.ts';

const CODEC = 'zstd';
const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const WINDOW_BYTES_SUPPORTED = 8 * 1024 * 1024;
/** Kafka's default `compression.zstd.level`. */
export const ZSTD_LEVEL_DEFAULT = 3;

let zstd: Zstd | undefined;
let loading: Promise<void> | undefined;

/** Loads the zstd compressor. Idempotent; concurrent callers share one load. */
export function initZstd(): Promise<void> {
  loading ??= Zstd.load().then(
    (loaded) => {
      zstd = loaded;
    },
    (error: unknown) => {
      loading = undefined; // let a later call retry
      throw error;
    },
  );
  return loading;
}

export function isZstdReady(): boolean {
  return zstd !== undefined;
}

export function zstdCompress(data: Uint8Array, level = ZSTD_LEVEL_DEFAULT): Uint8Array {
  if (zstd === undefined) throw new Error('zstd compression is not initialised: await initCompression() once before compressing with zstd');
  return zstd.compress(data, level);
}

export function zstdDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  const declaredBytes = prescanFrames(data, maxBytes);
  const out = new BoundedOutput(CODEC, maxBytes, declaredBytes);
  try {
    const decoder = new Decompress((chunk: Uint8Array) => out.append(chunk));
    decoder.push(data, true);
  } catch (error) {
    throw asDecodeError(CODEC, error);
  }
  if (out.length < declaredBytes) throw corrupt(CODEC, `frames declared ${declaredBytes} bytes, produced ${out.length}`);
  return out.finish();
}

/**
 * Walks the frame and block headers; checks declared sizes and windows against the bound.
 * Returns the sum of the declared content sizes (a lower bound of the output).
 */
function prescanFrames(data: Uint8Array, maxBytes: number): number {
  let pos = 0;
  let declaredBytes = 0;
  if (data.length === 0) throw corrupt(CODEC, 'empty input');
  // Every frame and block consumes at least 3 input bytes: the loops are bounded by the input.
  while (pos < data.length) {
    if (pos + 8 > data.length) throw corrupt(CODEC, `frame header truncated at ${pos}`);
    const magic = readU32(data, pos);
    if (((magic & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      pos += 8 + readU32(data, pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(CODEC, `bad frame magic 0x${magic.toString(16)} at ${pos}`);
    const header = readFrameHeader(data, pos + 4);
    if (header.contentBytes >= 0) {
      declaredBytes += header.contentBytes;
      if (declaredBytes > maxBytes) throw tooLarge(CODEC, maxBytes, `at least ${declaredBytes}`);
    }
    if (header.windowBytes > Math.max(maxBytes, WINDOW_BYTES_SUPPORTED)) {
      const detail = `window of ${header.windowBytes} bytes > max(maxBytes ${maxBytes}, ${WINDOW_BYTES_SUPPORTED})`;
      throw new DecodeError('too-large', 'Compression', -1, CODEC, detail);
    }
    pos = header.end;
    for (;;) {
      if (pos + 3 > data.length) throw corrupt(CODEC, 'block header truncated');
      const blockHeader = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
      const type = (blockHeader >>> 1) & 3;
      if (type === 3) throw corrupt(CODEC, 'reserved block type');
      pos += 3 + (type === 1 ? 1 : blockHeader >>> 3);
      if ((blockHeader & 1) === 1) break;
    }
    pos += header.checksumBytes;
    if (pos > data.length) throw corrupt(CODEC, 'frame runs past the input');
  }
  return declaredBytes;
}

interface FrameHeader {
  readonly contentBytes: number;
  readonly windowBytes: number;
  readonly checksumBytes: number;
  readonly end: number;
}

function readFrameHeader(data: Uint8Array, at: number): FrameHeader {
  const fhd = data[at]!;
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  if ((fhd & 0x08) !== 0) throw corrupt(CODEC, 'reserved frame header bit set');
  const dictIdBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
  let pos = at + 1;
  let windowBytes = 0;
  if (!singleSegment) {
    const wd = data[pos++]!;
    const base = 2 ** (10 + (wd >>> 3));
    windowBytes = base + (base / 8) * (wd & 7);
  }
  pos += dictIdBytes;
  if (pos + fcsBytes > data.length) throw corrupt(CODEC, 'frame header truncated');
  let contentBytes = -1;
  if (fcsBytes === 1) contentBytes = data[pos]!;
  else if (fcsBytes === 2) contentBytes = (data[pos]! | (data[pos + 1]! << 8)) + 256;
  else if (fcsBytes === 4) contentBytes = readU32(data, pos);
  else if (fcsBytes === 8) contentBytes = readU32(data, pos) + readU32(data, pos + 4) * 2 ** 32;
  if (singleSegment) windowBytes = contentBytes;
  return { contentBytes, windowBytes, checksumBytes: (fhd & 0x04) !== 0 ? 4 : 0, end: pos + fcsBytes };
}

function readU32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}
