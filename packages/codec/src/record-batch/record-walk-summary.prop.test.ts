/**
 * validateRecordBatch's walk summary and setBatchMaxTimestampCreateTime, on arbitrary
 * batches (uncompressed and every codec).
 *
 * Invariants:
 * - a valid uncompressed batch, or a compressed one with `deep`, is `walked`; its summary's
 *   maxTimestamp is the max over the timestamps iterateRecords reports;
 *   `keylessIndices` lists exactly the records whose key is null, in order;
 * - a compressed batch without `deep` is not walked, and the summary says so;
 * - a summary reused for the next batch holds only that batch's results;
 * - passing a summary changes no verdict: the result equals the one without;
 * - setBatchMaxTimestampCreateTime leaves a batch that validates (CRC recomputed), whose
 *   header has the new maxTimestamp and create time, and whose records are unchanged.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initCompression } from '../compression/index.ts';
import type { CompressionType } from './compression-type.ts';
import {
  batchMaxTimestamp,
  batchTimestampType,
  buildRecordBatch,
  iterateRecords,
  newRecordWalkSummary,
  setBatchMaxTimestampCreateTime,
  validateRecordBatch,
} from './index.ts';

const T0 = 1_700_000_000_000;

const batchArb = fc.record({
  records: fc.array(
    fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 6 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
      timestampMs: fc.integer({ min: T0 - 1_000_000, max: T0 + 1_000_000 }),
    }),
    { minLength: 1, maxLength: 15 },
  ),
  compression: fc.constantFrom<CompressionType>(0, 1, 2, 3, 4),
});

describe('validateRecordBatch summary', () => {
  beforeAll(async () => {
    await initCompression(); // zstd compression of the test batches
  });

  it('reports the max record timestamp and the keyless records of the walk', () => {
    const summary = newRecordWalkSummary(true);
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 4 }), (batches) => {
        for (const spec of batches) {
          const b = buildRecordBatch(spec.records, { compression: spec.compression });
          const records = [...iterateRecords(b, 0)];
          const shallow = validateRecordBatch(b, 0, b.length, { summary });
          expect(shallow).toEqual(validateRecordBatch(b, 0, b.length));
          expect(shallow).toBeNull();
          expect(summary.walked).toBe(spec.compression === 0);
          const deep = validateRecordBatch(b, 0, b.length, { deep: true, summary });
          expect(deep).toBeNull();
          expect(summary.walked).toBe(true);
          expect(summary.maxTimestamp).toBe(records.reduce((m, r) => Math.max(m, r.timestampMs), -1));
          expect(summary.keylessIndices).toEqual(records.flatMap((r, i) => (r.key === null ? [i] : [])));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('setBatchMaxTimestampCreateTime keeps the batch valid and its records unchanged', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: -1, max: 2 ** 52 }), fc.boolean(), (spec, ts, logAppend) => {
        const b = buildRecordBatch(spec.records, { compression: spec.compression, ...(logAppend ? { timestampType: 'log-append' as const, logAppendTime: T0 } : {}) });
        setBatchMaxTimestampCreateTime(b, 0, ts);
        expect(validateRecordBatch(b, 0, b.length, { deep: true })).toBeNull();
        expect(batchMaxTimestamp(b, 0)).toBe(ts);
        expect(batchTimestampType(b, 0)).toBe('create');
        const after = [...iterateRecords(b, 0)].map((r) => [r.offset, r.key, r.value]);
        expect(after).toEqual(spec.records.map((r, i) => [i, r.key, r.value]));
      }),
      { numRuns: 100 },
    );
  });
});
