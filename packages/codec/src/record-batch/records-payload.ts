/**
 * The one place record-batch touches compression: the records section of a compressed
 * batch (bytes [61, end)) is one compressed block of the concatenated records.
 *
 * Decompression is bounded by `maxBytes` (zip-bomb guard) and its DecodeErrors (api
 * 'Compression') are re-labelled api 'RecordBatch', path 'records', keeping the reason
 * ('decompression' / 'too-large') and the original as `cause`. zstd compression needs
 * `await initCompression()` once per process (see src/compression).
 */
import { compress, decompress } from '../compression/index.ts';
import { DecodeError } from '../decode-error.ts';
import type { CompressionType } from './compression-type.ts';

export function decompressRecords(compression: number, data: Uint8Array, maxBytes: number): Uint8Array {
  if (!(compression >= 0 && compression <= 4)) throw new DecodeError('unsupported', 'RecordBatch', 2, 'attributes', `compression type ${compression}`);
  try {
    return decompress(compression as CompressionType, data, maxBytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.reason, 'RecordBatch', 2, 'records', e.message, { cause: e });
    throw e;
  }
}

export function compressRecords(compression: CompressionType, data: Uint8Array): Uint8Array {
  return compress(compression, data);
}
