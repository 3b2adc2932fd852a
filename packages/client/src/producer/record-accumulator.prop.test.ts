/**
 * Batch building through the RecordAccumulator. Invariants checked, for random record
 * sizes, batch sizes and partitions:
 * - records keep their order per partition across batches;
 * - a batch stays within batchSizeBytes unless it holds one record;
 * - the size estimate is an upper bound of the encoded (uncompressed) batch;
 * - drained idempotent batches get contiguous sequences per partition, starting at 0,
 *   and the encoded header carries them;
 * - only the newest batch of a partition is open.
 */
import { batchBaseSequence, batchRecordCount, iterateRecords } from '@samsa/codec/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateRecordBytes } from './producer-batch.ts';
import { RecordAccumulator } from './record-accumulator.ts';

const recordArb = fc.record({
  partition: fc.integer({ min: 0, max: 2 }),
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.uint8Array({ maxLength: 300 }),
});

describe('RecordAccumulator batch building', () => {
  it('keeps order, bounds and sequences', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 80 }), fc.integer({ min: 64, max: 2048 }), (records, batchSizeBytes) => {
        const acc = new RecordAccumulator();
        records.forEach((r, i) => {
          const input = { key: r.key, value: r.value, timestampMs: 1_700_000_000_000 + i };
          acc.append('t', r.partition, input, estimateRecordBytes(input), batchSizeBytes, 0);
        });
        for (const q of acc.queues()) {
          q.queued.slice(0, -1).forEach((b) => expect(b.open).toBe(false));
          for (const b of q.queued) if (b.recordCount > 1) expect(b.sizeBytes).toBeLessThanOrEqual(batchSizeBytes);
        }
        // Drain everything (no linger, as many in flight as needed) as an idempotent producer would.
        for (let guard = 0; guard < 200 && acc.pending().some((b) => b.bytes === null); guard++) {
          acc.drain({
            nowMs: 0, lingerMs: 0, batchSizeBytes, inFlightMax: 1000, requestBytesMax: 1 << 30, flushing: true,
            leaderFor: () => 1,
            prepare: (q, b) => {
              b.producerId = 42;
              b.producerEpoch = 0;
              b.baseSequence = q.nextSequence;
              q.nextSequence += b.recordCount;
              b.encode(0);
            },
          });
        }
        for (const q of acc.queues()) {
          let sequence = 0;
          const values: Uint8Array[] = [];
          for (const b of q.inFlight) {
            const bytes = b.bytes!;
            expect(bytes.byteLength).toBeLessThanOrEqual(b.sizeBytes);
            expect(batchBaseSequence(bytes)).toBe(sequence);
            expect(batchRecordCount(bytes)).toBe(b.recordCount);
            sequence += b.recordCount;
            for (const r of iterateRecords(bytes, 0)) values.push(r.value!);
          }
          const want = records.filter((r) => r.partition === q.partition).map((r) => r.value);
          expect(values.map((v) => [...v])).toEqual(want.map((v) => [...v]));
        }
      }),
    );
  });
});
