/**
 * Loads @node-rs/crc32's native CRC-32C (SSE4.2) for the codec.
 *
 * Why: validating produced batches is CRC-bound — the pure-JS slicing-by-16 runs at
 * ~0.7–0.9 GB/s here, the native one at ~3–4 GB/s (bench/codec/crc32c.ts). The core
 * packages never load native code; the host installs this function with the codec's
 * `setCrc32cImplementation`, which checks it against a known vector first. If the prebuilt
 * binary is not available for this platform (or, on Deno, --allow-ffi is not granted) the
 * broker keeps the pure-JS implementation. Works on Node and on Deno (a Node-API addon).
 */
import { createRequire } from 'node:module';
import type { Loaded } from './loaded.ts';

interface NodeRsCrc32 {
  crc32c(input: Buffer, initialState?: number): number;
}

/** CRC-32C of bytes[start, end), continuing from `initial`; the codec's signature. */
export type Crc32cFunction = (bytes: Uint8Array, start?: number, end?: number, initial?: number) => number;

export function loadNativeCrc32c(): Loaded<Crc32cFunction> {
  let native: NodeRsCrc32;
  try {
    native = createRequire(import.meta.url)('@node-rs/crc32') as NodeRsCrc32;
  } catch (error) {
    return { fn: null, reason: (error as Error).message.split('\n')[0]! };
  }
  return {
    fn: (bytes, start = 0, end = bytes.length, initial = 0) => {
      if (start < 0 || end > bytes.length || start > end) throw new RangeError(`crc32c range [${start}, ${end}) of ${bytes.length}`);
      return native.crc32c(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start), initial) >>> 0;
    },
  };
}
