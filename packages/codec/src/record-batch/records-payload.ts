/**
 * The one place record-batch touches compression: the records section of a compressed
 * batch (bytes [61, end)) is one compressed block of the concatenated records.
 *
 * Until src/compression lands only codec 0 is supported here; other ids throw
 * DecodeError('unsupported'). Decompression is bounded by `maxBytes` (zip-bomb guard).
 */
import { DecodeError } from '../decode-error.ts';
import type { CompressionType } from './compression-type.ts';

export function decompressRecords(compression: number, data: Uint8Array, maxBytes: number): Uint8Array {
  if (compression === 0) {
    if (data.length > maxBytes) throw new DecodeError('too-large', 'RecordBatch', 2, 'records', `${data.length} > ${maxBytes}`);
    return data;
  }
  throw new DecodeError('unsupported', 'RecordBatch', 2, 'records', `compression type ${compression} not available yet`);
}

export function compressRecords(compression: CompressionType, data: Uint8Array): Uint8Array {
  if (compression === 0) return data;
  throw new RangeError(`compression type ${compression} not available yet`);
}
