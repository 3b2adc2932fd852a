/**
 * Batch building through the RecordAccumulator. Invariants checked, for random record
 * sizes, batch sizes and partitions:
 * - records keep their order per partition across batches;
 * - a batch stays within batchSizeBytes unless it holds one record;
 * - the size estimate is an upper bound of the encoded (uncompressed) batch;
 * - the batch encoded at append is byte for byte what the codec's buildRecordBatch makes
 *   of the same records (keys, headers, timestamps before and after the first), and a
 *   compressed batch reads back the same records;
 * - drained idempotent batches get contiguous sequences per partition, starting at 0,
 *   and the encoded header carries them;
 * - only the newest batch of a partition is open.
 */
import { batchBaseSequence, batchRecordCount, buildRecordBatch, CompressionType, iterateRecords, validateRecordBatch } from '@samsa/codec/wire';
import type { RecordInput } from '@samsa/codec/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateRecordBytes } from './producer-batch.ts';
import { RecordAccumulator } from './record-accumulator.ts';

const recordArb = fc.record({
  partition: fc.integer({ min: 0, max: 2 }),
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null, freq: 10 }),
  headers: fc.option(fc.array(fc.record({ key: fc.string({ maxLength: 12 }), value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }) }), { maxLength: 3 }), { nil: undefined }),
  timestampDeltaMs: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
});

describe('RecordAccumulator batch building', () => {
  it('keeps order, bounds and sequences', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 80 }), fc.integer({ min: 64, max: 2048 }), fc.constantFrom(CompressionType.none, CompressionType.gzip, CompressionType.lz4), (records, batchSizeBytes, compression) => {
        const acc = new RecordAccumulator();
        const inputs: RecordInput[] = records.map((r) => ({ key: r.key, value: r.value, ...(r.headers === undefined ? {} : { headers: r.headers }), timestampMs: 1_700_000_000_000 + r.timestampDeltaMs }));
        records.forEach((r, i) => acc.append('t', r.partition, inputs[i]!, estimateRecordBytes(inputs[i]!), batchSizeBytes, 0));
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
              b.encode(compression);
            },
          });
        }
        for (const q of acc.queues()) {
          let sequence = 0;
          const want = inputs.filter((_, i) => records[i]!.partition === q.partition);
          const got: RecordInput[] = [];
          for (const b of q.inFlight) {
            const bytes = b.bytes!;
            const mine = want.slice(sequence, sequence + b.recordCount);
            expect(validateRecordBatch(bytes, 0, bytes.length)).toBe(null);
            if (compression === CompressionType.none) {
              expect(bytes.byteLength).toBeLessThanOrEqual(b.sizeBytes);
              expect([...bytes]).toEqual([...buildRecordBatch(mine, { producerId: 42, producerEpoch: 0, baseSequence: sequence })]);
            }
            expect(batchBaseSequence(bytes)).toBe(sequence);
            expect(batchRecordCount(bytes)).toBe(b.recordCount);
            sequence += b.recordCount;
            for (const r of iterateRecords(bytes, 0)) {
              got.push({ key: r.key, value: r.value, ...(r.headers.length === 0 ? {} : { headers: r.headers.map((h) => ({ key: h.key, value: h.value })) }), timestampMs: r.timestampMs });
            }
          }
          const plain = (rs: RecordInput[]) => rs.map((r) => ({ ...r, key: r.key == null ? null : [...r.key], value: r.value === null ? null : [...r.value], headers: (r.headers ?? []).map((h) => ({ key: h.key, value: h.value === null ? null : [...h.value] })) }));
          expect(plain(got)).toEqual(plain(want));
        }
      }),
    );
  });
});
