/**
 * compress / decompress: the one entry point record batches use, dispatching on Kafka's
 * codec id. Synchronous: the record batch builder is synchronous. zstd compression alone
 * needs `await initCompression()` once per process (WebAssembly instantiation is async);
 * every decompressor, zstd included, works without it.
 *
 * decompress(type, data, maxBytes) never returns more than maxBytes and throws only
 * DecodeError: reason 'too-large' when the output would pass maxBytes (detected before the
 * output is allocated where the format declares sizes, else at the first block past it),
 * 'decompression' for anything malformed. api 'Compression', version -1, path = codec name.
 */
import { DecodeError } from '../decode-error.ts';
import type { CompressionType } from './compression-type.ts';
import { tooLarge } from './bounded-output.ts';
import { gzipCompress, gzipDecompress } from './gzip.ts';
import { lz4Compress, lz4Decompress } from './lz4-frame.ts';
import { snappyCompress, snappyDecompress } from './snappy.ts';
import { initZstd, zstdCompress, zstdDecompress } from './zstd.ts';

/** Prepares the codecs that need asynchronous set-up (zstd compression). Idempotent. */
export function initCompression(): Promise<void> {
  return initZstd();
}

/** `compress(none, data)` returns `data` itself; every other codec returns a new array. */
export function compress(type: CompressionType, data: Uint8Array): Uint8Array {
  switch (type) {
    case 0:
      return data;
    case 1:
      return gzipCompress(data);
    case 2:
      return snappyCompress(data);
    case 3:
      return lz4Compress(data);
    case 4:
      return zstdCompress(data);
    default:
      throw new RangeError(`unknown compression type ${String(type)}`);
  }
}

/** Throws RangeError for a bad maxBytes (a caller bug), DecodeError for bad input. */
export function decompress(type: CompressionType, data: Uint8Array, maxBytes: number): Uint8Array {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative safe integer, got ${maxBytes}`);
  switch (type) {
    case 0:
      if (data.length > maxBytes) throw tooLarge('none', maxBytes, data.length);
      return data;
    case 1:
      return gzipDecompress(data, maxBytes);
    case 2:
      return snappyDecompress(data, maxBytes);
    case 3:
      return lz4Decompress(data, maxBytes);
    case 4:
      return zstdDecompress(data, maxBytes);
    default:
      throw new DecodeError('bad-value', 'Compression', -1, '', `unknown compression type ${String(type)}`);
  }
}

