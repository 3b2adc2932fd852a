/**
 * Installs @node-rs/crc32's native CRC-32C (SSE4.2) as the codec's CRC-32C.
 *
 * Why: validating produced batches is CRC-bound — the pure-JS slicing-by-16 runs at
 * ~0.7–0.9 GB/s here, the native one at ~3–4 GB/s (bench/codec/crc32c.ts). The core
 * packages never load native code; `setCrc32cImplementation` lets the Node app install it,
 * after the codec checks it against a known vector. If the prebuilt binary is not
 * available for this platform the broker keeps the pure-JS implementation.
 */
import { createRequire } from 'node:module';
import { setCrc32cImplementation } from '@samsa/codec';

interface NodeRsCrc32 {
  crc32c(input: Buffer, initialState?: number): number;
}

/** Returns 'native' when installed, 'pure-js' otherwise (with the reason). */
export function installCrc32cAccelerator(): { readonly implementation: 'native' | 'pure-js'; readonly reason?: string } {
  let native: NodeRsCrc32;
  try {
    native = createRequire(import.meta.url)('@node-rs/crc32') as NodeRsCrc32;
  } catch (error) {
    return { implementation: 'pure-js', reason: (error as Error).message.split('\n')[0] };
  }
  setCrc32cImplementation((bytes, start = 0, end = bytes.length, initial = 0) => {
    if (start < 0 || end > bytes.length || start > end) throw new RangeError(`crc32c range [${start}, ${end}) of ${bytes.length}`);
    return native.crc32c(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start), initial) >>> 0;
  });
  return { implementation: 'native' };
}
