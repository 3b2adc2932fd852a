/**
 * node:zlib's gunzip with an output bound: the codec's gzip decompressor on Node and Deno
 * (the host installs it with the codec's `setNativeDecompressor`, which checks it against
 * pako first).
 *
 * Why: since the leader's append decompresses every compressed produced batch (to recompute
 * its maxTimestamp and check keys on compacted topics, as Kafka does), gzip append costs
 * what pako's pure-JS inflate costs: ~180 µs per 16 KiB batch, against ~20 µs for zlib
 * itself (bench/log/append-compressed.ts). node:zlib is built into Node (and Deno's
 * node:zlib needs no permission), so no dependency is added.
 *
 * Bound: `gunzipSync(data, { maxOutputLength: maxBytes })` stops inflating at the first
 * chunk (CHUNK_BYTES) past the bound and throws RangeError ERR_BUFFER_TOO_LARGE, mapped here
 * to a GunzipError with code 'too-large'; peak memory is maxBytes + one chunk + the final
 * copy, as with pako. zlib errors (Z_DATA_ERROR, Z_BUF_ERROR: corrupt or truncated) become
 * code 'decompression'. The host turns both into the codec's DecodeError of the same
 * reason (they cross the seam by code). Concatenated members are inflated, as pako does.
 * The output is a Uint8Array owning its whole ArrayBuffer (never a Buffer or a pool slice),
 * like pako's.
 */
import { constants as bufferConstants } from 'node:buffer';
import * as nodeZlib from 'node:zlib';
import type { Loaded } from './loaded.ts';

const CHUNK_BYTES = 64 * 1024;
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** The part of node:zlib used here (injectable so the fallback can be tested). */
export interface GunzipModule {
  gunzipSync(data: Uint8Array, options: { maxOutputLength: number; chunkSize: number }): Uint8Array;
}

/** Why a bounded gunzip failed: the output passed the bound, or the input is not valid gzip. */
export class GunzipError extends Error {
  override readonly name = 'GunzipError';
  readonly code: 'too-large' | 'decompression';
  constructor(code: 'too-large' | 'decompression', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Inflates `data` (gzip, concatenated members allowed) to at most `maxBytes`; throws GunzipError. */
export type GunzipFunction = (data: Uint8Array, maxBytes: number) => Uint8Array;

/** The bounded gunzip over `zlib` (node:zlib by default), or why it is not available. */
export function loadNativeGunzip(zlib: GunzipModule = nodeZlib): Loaded<GunzipFunction> {
  if (typeof zlib.gunzipSync !== 'function') return { fn: null, reason: 'zlib.gunzipSync is not available' };
  return { fn: (data, maxBytes) => gunzipBounded(zlib, data, maxBytes) };
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
      throw new GunzipError('too-large', `output > maxBytes ${maxBytes}`, { cause: error });
    }
    throw new GunzipError('decompression', (error as Error).message, { cause: error });
  }
  if (out.length > maxBytes) throw new GunzipError('too-large', `output ${out.length} bytes > maxBytes ${maxBytes}`);
  // A plain view when the Buffer owns its memory (no Buffer semantics such as a non-copying
  // slice), else an own copy (small outputs may sit in Buffer's shared pool slab).
  if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) return new Uint8Array(out.buffer, 0, out.byteLength);
  return new Uint8Array(out);
}
