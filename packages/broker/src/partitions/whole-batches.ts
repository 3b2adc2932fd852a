/**
 * wholeBatchesWithin: the longest prefix of `bytes` (whole record batches, as a log read
 * returns them) that fits in `maxBytes` — maybe none. Fetch answers use it for every
 * partition after the first (the first gets at least one whole batch, Kafka's
 * minOneMessage), both the client Fetch (Partition.fetch) and the replica fetch.
 */
import { forEachBatch } from '@samsa/codec';

export function wholeBatchesWithin(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.byteLength <= maxBytes) return bytes;
  let end = 0;
  forEachBatch(bytes, (pos, size) => {
    if (pos === end && pos + size <= maxBytes) end = pos + size;
  });
  return bytes.subarray(0, end);
}
