/**
 * Hook for a runtime's native decompressor (today: gzip), installed process-wide by an app,
 * as `setCrc32cImplementation` does for CRC-32C. The codec itself never loads native code:
 * apps/broker-node installs node:zlib's inflater through `setNativeDecompressor`.
 *
 * Contract of an installed `NativeDecompressor(data, maxBytes)`, the same as the pure-JS one's:
 *  - returns the whole decompressed payload (concatenated gzip members included), at most
 *    maxBytes long, never allocating much past the bound;
 *  - throws DecodeError('too-large') when the output would pass maxBytes, and
 *    DecodeError('decompression') for malformed input. Anything else it throws is wrapped as
 *    'decompression', and an output longer than maxBytes is refused as 'too-large' here.
 * The pure-JS codec still runs its cheap input checks before calling it.
 *
 * Installing goes through `setNativeDecompressor` (set-native-decompressor.ts), which checks
 * the function first. One realm-wide slot per codec; null means pure JS.
 */
import { asDecodeError, tooLarge } from './bounded-output.ts';

export type NativeDecompressor = (data: Uint8Array, maxBytes: number) => Uint8Array;
/** Codecs that accept a native decompressor. */
export type NativeDecompressorCodec = 'gzip';

const installed: { gzip: NativeDecompressor | null } = { gzip: null };

/** The installed native decompressor of `codec`, or null when the pure-JS one is used. */
export function nativeDecompressor(codec: NativeDecompressorCodec): NativeDecompressor | null {
  return installed[codec];
}

/** Calls `fn` under the contract above: only DecodeErrors escape, output within maxBytes. */
export function callNativeDecompressor(codec: NativeDecompressorCodec, fn: NativeDecompressor, data: Uint8Array, maxBytes: number): Uint8Array {
  let out: Uint8Array;
  try {
    out = fn(data, maxBytes);
  } catch (error) {
    throw asDecodeError(codec, error);
  }
  if (out.length > maxBytes) throw tooLarge(codec, maxBytes, out.length);
  return out;
}

/** Sets the slot without checking: only for `setNativeDecompressor`, after its self-check. */
export function installCheckedDecompressor(codec: NativeDecompressorCodec, fn: NativeDecompressor | null): void {
  installed[codec] = fn;
}
