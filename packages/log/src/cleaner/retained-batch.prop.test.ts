/**
 * filterBatch against the codec: batches built with buildRecordBatch, filtered by a random
 * predicate, then read back with validateRecordBatch and iterateRecords.
 *
 * Invariants:
 * - a rewritten batch is valid record batch v2 (magic, lengths, CRC, framing);
 * - it keeps baseOffset, baseTimestamp, lastOffsetDelta, producer fields, leader epoch and
 *   its compression codec (none, gzip, snappy, lz4: decompressed, filtered, recompressed);
 * - the surviving records are exactly the retained ones, with their offsets, timestamps,
 *   keys, values and headers unchanged;
 * - maxTimestamp is the largest surviving timestamp (create time);
 * - nothing retained → 'dropped', or an empty (0-record) valid batch when keepEmpty;
 *   everything retained → 'unchanged'.
 * - with a delete horizon to stamp (KIP-534): a batch keeping a tombstone and carrying no
 *   horizon is rewritten with the flag and baseTimestamp = the horizon, every record's
 *   timestamp unchanged (create time: deltas re-encoded; log-append time: maxTimestamp);
 *   a batch that already has one keeps it; no tombstone kept → no horizon.
 */
import { batchBaseOffset, batchCompression, batchBaseTimestamp, batchHasDeleteHorizon, batchTimestampType, batchLastOffsetDelta, batchMaxTimestamp, batchPartitionLeaderEpoch, batchProducerId, batchRecordCount, buildRecordBatch, iterateRecords, validateRecordBatch } from '@samsa/codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchDeleteHorizonMs, filterBatch, kafkaRecordsCodec } from './retained-batch.ts';

const recordArb = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 8 })),
  value: fc.option(fc.uint8Array({ maxLength: 24 })),
  timestampMs: fc.integer({ min: 1_000, max: 2_000 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 4 }), value: fc.option(fc.uint8Array({ maxLength: 4 })) }), { maxLength: 2 }),
});

describe('filterBatch', () => {
  it('keeps exactly the retained records, byte-exact, in a valid batch', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 20 }), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), fc.nat(1_000_000), fc.boolean(), fc.nat(3), fc.constantFrom(0, 1, 2, 3), (records, keepMask, baseOffset, keepEmpty, pad, compression) => {
        const built = buildRecordBatch(records, { baseOffset, producerId: 7, producerEpoch: 1, baseSequence: 3, partitionLeaderEpoch: 5, compression: compression as 0 | 1 | 2 | 3 });
        // Place the batch at a non-zero position inside a bigger buffer, as in a segment read.
        const buffer = new Uint8Array(pad + built.length + 2);
        buffer.set(built, pad);
        const outcome = filterBatch(buffer, pad, built.length, keepEmpty, (_s, frame) => keepMask[frame.offsetDelta]!, kafkaRecordsCodec);
        const keptIdx = records.map((_, i) => i).filter((i) => keepMask[i]!);
        if (keptIdx.length === records.length) {
          expect(outcome.kind).toBe('unchanged');
          return;
        }
        if (keptIdx.length === 0 && !keepEmpty) {
          expect(outcome).toEqual({ kind: 'dropped', recordsRemoved: records.length });
          return;
        }
        expect(outcome.kind).toBe('rewritten');
        if (outcome.kind !== 'rewritten') return;
        const out = outcome.bytes;
        expect(outcome.recordsRemoved).toBe(records.length - keptIdx.length);
        expect(validateRecordBatch(out, 0, out.length)).toBeNull();
        expect(batchBaseOffset(out)).toBe(baseOffset);
        expect(batchLastOffsetDelta(out)).toBe(records.length - 1);
        expect(batchBaseTimestamp(out)).toBe(batchBaseTimestamp(built));
        expect(batchProducerId(out)).toBe(7);
        expect(batchPartitionLeaderEpoch(out)).toBe(5);
        expect(batchRecordCount(out)).toBe(keptIdx.length);
        expect(batchCompression(out)).toBe(keptIdx.length === 0 ? 0 : compression);
        const got = [...iterateRecords(out, 0, { verifyCrc: true })].map((r) => ({ offset: r.offset, ts: r.timestampMs, key: r.key, value: r.value, headers: r.headers.map((h) => ({ key: h.key, value: h.value })) }));
        const want = keptIdx.map((i) => ({ offset: baseOffset + i, ts: records[i]!.timestampMs, key: records[i]!.key, value: records[i]!.value, headers: records[i]!.headers }));
        expect(got).toEqual(want);
        if (keptIdx.length > 0) expect(batchMaxTimestamp(out)).toBe(Math.max(...keptIdx.map((i) => records[i]!.timestampMs)));
        else expect(batchMaxTimestamp(out)).toBe(batchMaxTimestamp(built));
      }),
    );
  });

  it('stamps a delete horizon on a batch that keeps a tombstone; record timestamps stay', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        fc.constantFrom(0, 1, 3),
        fc.constantFrom<'create' | 'log-append'>('create', 'log-append'),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (records, keepMask, compression, timestampType, horizonMs) => {
          const built = buildRecordBatch(records, { baseOffset: 100, compression: compression as 0 | 1 | 3, timestampType, ...(timestampType === 'log-append' ? { logAppendTime: 5_000 } : {}) });
          const timestampsOf = (b: Uint8Array) => [...iterateRecords(b, 0, { verifyCrc: true })].map((r) => [r.offset, r.timestampMs, r.value === null]);
          const outcome = filterBatch(built, 0, built.length, false, (_s, frame) => keepMask[frame.offsetDelta]!, kafkaRecordsCodec, horizonMs);
          const keptIdx = records.map((_, i) => i).filter((i) => keepMask[i]!);
          const tombstonesKept = keptIdx.filter((i) => records[i]!.value === null).length;
          if (keptIdx.length === 0) {
            expect(outcome.kind).toBe('dropped');
            return;
          }
          if (keptIdx.length === records.length && tombstonesKept === 0) {
            expect(outcome).toEqual({ kind: 'unchanged', tombstonesKept: 0 });
            return;
          }
          expect(outcome.kind).toBe('rewritten');
          if (outcome.kind !== 'rewritten') return;
          const out = outcome.bytes;
          expect(outcome.tombstonesKept).toBe(tombstonesKept);
          expect(validateRecordBatch(out, 0, out.length)).toBeNull();
          expect(batchHasDeleteHorizon(out)).toBe(tombstonesKept > 0);
          expect(batchDeleteHorizonMs(out)).toBe(tombstonesKept > 0 ? horizonMs : null);
          expect(batchTimestampType(out)).toBe(timestampType);
          expect(batchCompression(out)).toBe(compression);
          const before = new Map(timestampsOf(built).map(([o, ts, t]) => [o, [ts, t]]));
          expect(timestampsOf(out)).toEqual(keptIdx.map((i) => [100 + i, ...before.get(100 + i)!]));

          // A second pass with another horizon keeps the first one.
          const again = filterBatch(out, 0, out.length, false, () => true, kafkaRecordsCodec, horizonMs + 1);
          expect(again.kind).toBe('unchanged');
        },
      ),
    );
  });

  it('treats a compressed batch as opaque without a codec, or when the codec cannot compress it', () => {
    const built = buildRecordBatch([{ key: new Uint8Array([1]), value: null }], { compression: 1 });
    expect(filterBatch(built, 0, built.length, false, () => false).kind).toBe('opaque');
    const noGzip = { ...kafkaRecordsCodec, canRewrite: (c: number) => c !== 1 };
    expect(filterBatch(built, 0, built.length, false, () => false, noGzip).kind).toBe('opaque');
    expect(filterBatch(built, 0, built.length, false, () => false, kafkaRecordsCodec).kind).toBe('dropped');
  });
});
