/**
 * Shared inputs of the bench/log scenarios: 16 KiB record batches of N-byte records
 * (built once with the codec), and a temp directory helper.
 */
import { buildRecordBatch } from '@samsa/codec';

export const BATCH_BYTES = 16 * 1024;

/** One ~16 KiB batch of `recordBytes`-byte values (records = as many as fit), plus its record count. */
export function makeBatch(recordBytes: number): { bytes: Uint8Array; records: number } {
  const value = new Uint8Array(recordBytes).fill(7);
  const records: { key: null; value: Uint8Array }[] = [];
  // Each record costs its value plus ~8 bytes of framing; stop before 16 KiB.
  while (61 + (records.length + 1) * (recordBytes + 8) <= BATCH_BYTES) records.push({ key: null, value });
  const bytes = buildRecordBatch(records, { baseTimestampMs: Date.now() });
  return { bytes, records: records.length };
}

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
