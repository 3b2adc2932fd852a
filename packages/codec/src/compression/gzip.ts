/**
 * gzip (Kafka codec 1) through pako: the reference zlib ported to pure JavaScript,
 * synchronous, no Buffer, and the most used JS inflater. Kafka writes one plain gzip
 * member (RFC 1952) around the batch's records; concatenated members are also accepted.
 * zlib checks each member's CRC-32 and ISIZE trailer.
 *
 * Bound: pako's streaming `Inflate` hands its output over in chunks of `OUTPUT_CHUNK_BYTES`
 * as it inflates; every chunk is appended to a BoundedOutput, which throws
 * DecodeError('too-large') at the first chunk that would pass maxBytes and so stops the
 * inflater mid-stream. The output buffer starts at the size the trailer's ISIZE claims
 * (capped at maxBytes: ISIZE may lie) and doubles up to maxBytes.
 * Peak memory: maxBytes (output) + 64 KiB (one chunk) + zlib's 32 KiB window and tables.
 *
 * A runtime may install a native inflater instead (apps/broker-node: node:zlib, ~10x
 * faster), checked against this one at install; see native-decompressor.ts.
 *
 * (fflate, faster to compress on some inputs, was the first choice, but its one-shot
 * decoder trusts ISIZE and cannot stop at a bound, and its streaming decoder inflates a
 * whole input slice at once: only input slicing could bound it, at up to 1032 × the slice.)
 */
import { Deflate, Inflate } from 'pako';
import { BoundedOutput, asDecodeError, corrupt } from './bounded-output.ts';
import { callNativeDecompressor, nativeDecompressor } from './native-decompressor.ts';

const CODEC = 'gzip';
const OUTPUT_CHUNK_BYTES = 64 * 1024;
/** windowBits 15 (32 KiB) + 16: gzip wrapper only (no zlib/raw auto-detection). */
const GZIP_WINDOW_BITS = 15 + 16;

export type GzipLevel = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** Level 6 is zlib's default, and what Java Kafka's GZIPOutputStream uses. */
export function gzipCompress(data: Uint8Array, level: GzipLevel = 6): Uint8Array {
  const deflate = new Deflate({ level, gzip: true, chunkSize: Math.max(16 * 1024, Math.min(1 << 20, data.length >>> 1)) });
  deflate.push(data, true);
  if (deflate.err !== 0 || !(deflate.result instanceof Uint8Array)) throw new Error(`gzip compression failed: ${deflate.msg}`);
  return deflate.result;
}

/** Uses the installed native inflater (see native-decompressor.ts) if any, else pako. */
export function gzipDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  const native = nativeDecompressor(CODEC);
  if (native === null) return gzipDecompressPureJs(data, maxBytes);
  if (!(maxBytes >= 0) || !Number.isSafeInteger(maxBytes)) throw new RangeError(`maxBytes must be a non-negative safe integer, got ${maxBytes}`);
  checkMemberLength(data);
  return callNativeDecompressor(CODEC, native, data, maxBytes);
}

/** pako, whatever is installed: the reference a native inflater is checked against. */
export function gzipDecompressPureJs(data: Uint8Array, maxBytes: number): Uint8Array {
  checkMemberLength(data);
  const n = data.length;
  const isize = (data[n - 4]! | (data[n - 3]! << 8) | (data[n - 2]! << 16) | (data[n - 1]! << 24)) >>> 0;
  const out = new BoundedOutput(CODEC, maxBytes, isize);
  const inflate = new Inflate({ windowBits: GZIP_WINDOW_BITS, chunkSize: OUTPUT_CHUNK_BYTES });
  inflate.onData = (chunk: Uint8Array) => out.append(chunk);
  try {
    inflate.push(data, true);
  } catch (error) {
    throw asDecodeError(CODEC, error);
  }
  if (inflate.err !== 0) throw corrupt(CODEC, inflate.msg || `zlib status ${inflate.err}`);
  return out.finish();
}

function checkMemberLength(data: Uint8Array): void {
  if (data.length < 18) throw corrupt(CODEC, `input of ${data.length} bytes is shorter than a gzip member`);
}
