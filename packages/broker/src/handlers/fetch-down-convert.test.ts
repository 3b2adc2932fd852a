// downConvertForFetch: Fetch v0-v1 get magic 0, v2-v3 magic 1, v4+ the bytes unchanged;
// the budget, the fetch offset, zstd and corrupt batches as partition error codes.
import { buildRecordBatch, ErrorCode, initCompression, readMessageSet } from '@samsa/codec';
import type { RecordInput } from '@samsa/codec';
import { beforeAll, describe, expect, it } from 'vitest';
import { downConvertForFetch } from './fetch-down-convert.ts';

const enc = new TextEncoder();
const recs = (n: number): RecordInput[] => Array.from({ length: n }, (_, i) => ({ key: enc.encode(`k${i}`), value: enc.encode(`value-${i}`), timestampMs: 1_700_000_000_000 + i }));

function read(bytes: Uint8Array) {
  const r = readMessageSet(bytes);
  if (r.invalid !== null) throw new Error(r.invalid.detail);
  return r.records;
}

describe('downConvertForFetch', () => {
  beforeAll(async () => {
    await initCompression(); // zstd batches (inside the describe: the Deno shim runs hooks per describe)
  });

  it('v0-v1 → magic 0 (no timestamps), v2-v3 → magic 1, v4+ unchanged', () => {
    const batch = buildRecordBatch(recs(3), { baseOffset: 7 });
    for (const v of [0, 1, 2, 3]) {
      const out = downConvertForFetch(batch, v, 1 << 20);
      expect(out.errorCode).toBe(ErrorCode.NONE);
      expect(out.convertedRecords).toBe(3);
      const got = read(out.records);
      expect(got.map((r) => r.magic)).toEqual(v <= 1 ? [0, 0, 0] : [1, 1, 1]);
      expect(got.map((r) => r.offset)).toEqual([7, 8, 9]);
      expect(got[2]!.timestampMs).toBe(v <= 1 ? -1 : 1_700_000_000_002);
    }
    for (const v of [4, 12]) expect(downConvertForFetch(batch, v, 10)).toEqual({ records: batch, errorCode: ErrorCode.NONE, convertedRecords: 0 });
  });

  it('keeps to the budget but returns at least one whole message; drops plain records below the fetch offset', () => {
    const batch = buildRecordBatch(recs(10), { baseOffset: 0 });
    const one = downConvertForFetch(batch, 2, 1);
    expect(one.convertedRecords).toBe(1);
    const all = downConvertForFetch(batch, 2, 1 << 20, { fetchOffset: 4 });
    expect(read(all.records).map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('zstd first → UNSUPPORTED_COMPRESSION_TYPE; corrupt first → CORRUPT_MESSAGE; after converted batches they end the conversion', () => {
    const zstd = buildRecordBatch(recs(2), { baseOffset: 0, compression: 4 });
    expect(downConvertForFetch(zstd, 3, 1 << 20)).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, convertedRecords: 0 });
    const corrupt = buildRecordBatch(recs(2), { baseOffset: 0 });
    corrupt[corrupt.length - 1]! ^= 1;
    expect(downConvertForFetch(corrupt, 0, 1 << 20)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, convertedRecords: 0 });
    const good = buildRecordBatch(recs(2), { baseOffset: 0, compression: 1 });
    const both = new Uint8Array(good.length + zstd.length);
    both.set(good);
    both.set(zstd, good.length);
    const out = downConvertForFetch(both, 3, 1 << 20);
    expect(out).toMatchObject({ errorCode: ErrorCode.NONE, convertedRecords: 2 });
    expect(read(out.records).map((r) => r.compression)).toEqual([1, 1]);
  });
});
