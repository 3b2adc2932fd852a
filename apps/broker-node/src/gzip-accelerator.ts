/**
 * Installs node:zlib's gunzip as the codec's gzip decompressor.
 *
 * Why: since the leader's append decompresses every compressed produced batch (to recompute
 * its maxTimestamp and check keys on compacted topics, as Kafka does), gzip append costs
 * what pako's pure-JS inflate costs: ~180 µs per 16 KiB batch, against ~20 µs for zlib
 * itself (bench/log/append-compressed.ts). node:zlib is built into Node (and Deno's
 * node:zlib needs no permission), so no dependency is added.
 *
 * Bound: `gunzipSync(data, { maxOutputLength: maxBytes })` stops inflating at the first
 * chunk (CHUNK_BYTES) past the bound and throws RangeError ERR_BUFFER_TOO_LARGE, mapped here
 * to DecodeError('too-large'); peak memory is maxBytes + one chunk + the final copy, as with
 * pako. zlib errors (Z_DATA_ERROR, Z_BUF_ERROR: corrupt or truncated) become
 * DecodeError('decompression'). Concatenated members are inflated, as pako does.
 * The output is a Uint8Array owning its whole ArrayBuffer (never a Buffer or a pool slice),
 * like pako's.
 *
 * The codec checks the function against pako at install (`setNativeDecompressor`); if the
 * check fails or node:zlib is missing, the broker keeps pako and says why.
 */
import { constants as bufferConstants } from 'node:buffer';
import * as nodeZlib from 'node:zlib';
import { DecodeError, setNativeDecompressor } from '@samsa/codec';

const CODEC = 'gzip';
const CHUNK_BYTES = 64 * 1024;
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** The part of node:zlib used here (injectable so the fallback can be tested). */
export interface GunzipModule {
  gunzipSync(data: Uint8Array, options: { maxOutputLength: number; chunkSize: number }): Uint8Array;
}

/** Returns 'native' when installed, 'pure-js' otherwise (with the reason). */
export function installGzipAccelerator(zlib: GunzipModule = nodeZlib): { readonly implementation: 'native' | 'pure-js'; readonly reason?: string } {
  if (typeof zlib.gunzipSync !== 'function') return { implementation: 'pure-js', reason: 'zlib.gunzipSync is not available' };
  try {
    setNativeDecompressor(CODEC, (data, maxBytes) => gunzipBounded(zlib, data, maxBytes));
  } catch (error) {
    return { implementation: 'pure-js', reason: (error as Error).message };
  }
  return { implementation: 'native' };
}

function gunzipBounded(zlib: GunzipModule, data: Uint8Array, maxBytes: number): Uint8Array {
  let out: Uint8Array;
  try {
    // node:zlib wants 1 <= maxOutputLength <= buffer.constants.MAX_LENGTH; a 0 bound is
    // enforced on the result below, and no Buffer can pass MAX_LENGTH anyway.
    const maxOutputLength = Math.min(Math.max(1, maxBytes), MAX_LENGTH);
    out = zlib.gunzipSync(data, { maxOutputLength, chunkSize: CHUNK_BYTES });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError('too-large', 'Compression', -1, CODEC, `output > maxBytes ${maxBytes}`, { cause: error });
    }
    throw new DecodeError('decompression', 'Compression', -1, CODEC, (error as Error).message, { cause: error });
  }
  if (out.length > maxBytes) throw new DecodeError('too-large', 'Compression', -1, CODEC, `output ${out.length} bytes > maxBytes ${maxBytes}`);
  // A plain view when the Buffer owns its memory (no Buffer semantics such as a non-copying
  // slice), else an own copy (small outputs may sit in Buffer's shared pool slab).
  if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) return new Uint8Array(out.buffer, 0, out.byteLength);
  return new Uint8Array(out);
}
