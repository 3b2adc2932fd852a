/**
 * Properties of record batch v2:
 * - round trip (every compression codec): build → validate (plain and deep) accepts → iterate yields the input records
 *   (key, value, headers, timestamps) at offsets baseOffset + i; the view reports the options;
 * - setBatchBaseOffset / setBatchPartitionLeaderEpoch keep the CRC valid;
 * - any single-byte change in the CRC-covered region [21, end) is rejected by validate;
 * - on random bytes and on mutated batches (also with the CRC recomputed, to reach the
 *   framing checks) validate never throws, iterate throws nothing but DecodeError, split
 *   never throws and accounts for every byte;
 * - forEachRecord (cursor) visits the same records as iterateRecords, stops when asked, and
 *   fails only with DecodeError where iterate does;
 * - consistency: whenever deep validation accepts a batch, shallow validation does too and iterate yields exactly recordCount records
 *   with strictly increasing offsets ≤ lastOffset and does not throw.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initCompression } from '../compression/index.ts';
import { crc32c } from '../crc32c/index.ts';
import { DecodeError } from '../decode-error.ts';
import {
  RecordBatchView,
  batchLastOffset,
  batchRecordCount,
  buildRecordBatch,
  forEachRecord,
  iterateRecords,
  recordViewOf,
  setBatchBaseOffset,
  setBatchPartitionLeaderEpoch,
  splitRecordBatches,
  validateRecordBatch,
} from './index.ts';
import type { BuildOptions, RecordInput } from './index.ts';

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: bytesOrNull,
    value: bytesOrNull,
    headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 8 }), value: bytesOrNull }), { maxLength: 3 }),
    timestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ['value'] },
);
const optionsArb: fc.Arbitrary<BuildOptions> = fc.record(
  {
    baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    producerId: fc.integer({ min: -1, max: 2 ** 50 }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    isTransactional: fc.boolean(),
    isControl: fc.boolean(),
    compression: fc.constantFrom(0, 1, 2, 3, 4),
  },
  { requiredKeys: [] },
);
const batchArb = fc.tuple(fc.array(recordArb, { minLength: 1, maxLength: 12 }), optionsArb).map(([records, options]) => ({
  records,
  options,
  bytes: buildRecordBatch(records, options),
}));

/** Runs every reader over `b`; fails the property if any throws something unexpected. */
function probe(b: Uint8Array): void {
  const verdict = validateRecordBatch(b);
  const deep = validateRecordBatch(b, 0, b.length, { deep: true, maxDecompressedBytes: 1 << 16 });
  let yielded = 0;
  let previous = -Infinity;
  try {
    for (const r of iterateRecords(b, 0, { maxDecompressedBytes: 1 << 16 })) {
      if (deep === null) {
        expect(r.offset).toBeGreaterThan(previous);
        expect(r.offset).toBeLessThanOrEqual(batchLastOffset(b));
        previous = r.offset;
      }
      yielded++;
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(deep).not.toBeNull();
  }
  // Shallow validation accepts what deep validation accepts (it checks a subset).
  if (deep === null) expect(verdict).toBeNull();
  // forEachRecord sees exactly what iterateRecords yields, and fails the same way.
  try {
    expect(forEachRecord(b, 0, () => {}, { maxDecompressedBytes: 1 << 16 })).toBe(yielded);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(deep).not.toBeNull();
  }
  if (deep === null) {
    expect(yielded).toBe(batchRecordCount(b));
  }
  const { batches, truncatedBytes } = splitRecordBatches(b);
  expect(batches.reduce((n, x) => n + x.length, 0) + truncatedBytes).toBe(b.length);
}

describe('record batch properties', () => {
  beforeAll(() => initCompression());

  it('round-trips random records', () => {
    fc.assert(
      fc.property(batchArb, ({ records, options, bytes }) => {
        expect(validateRecordBatch(bytes)).toBeNull();
        expect(validateRecordBatch(bytes, 0, bytes.length, { deep: true })).toBeNull();
        const view = new RecordBatchView(bytes);
        const baseOffset = options.baseOffset ?? 0;
        expect(view.baseOffset).toBe(baseOffset);
        expect(view.lastOffset).toBe(baseOffset + records.length - 1);
        expect(view.recordCount).toBe(records.length);
        expect(view.producerId).toBe(options.producerId ?? -1);
        expect(view.producerEpoch).toBe(options.producerEpoch ?? -1);
        expect(view.baseSequence).toBe(options.baseSequence ?? -1);
        expect(view.partitionLeaderEpoch).toBe(options.partitionLeaderEpoch ?? -1);
        expect(view.isTransactional).toBe(options.isTransactional ?? false);
        expect(view.isControl).toBe(options.isControl ?? false);
        expect(view.compression).toBe(options.compression ?? 0);
        const baseTimestamp = records[0]!.timestampMs ?? -1;
        const timestamps = records.map((r) => r.timestampMs ?? baseTimestamp);
        expect(view.baseTimestamp).toBe(baseTimestamp);
        expect(view.maxTimestamp).toBe(Math.max(...timestamps));
        const got = [...iterateRecords(bytes)];
        expect(got.map((r) => r.offset)).toEqual(records.map((_, i) => baseOffset + i));
        const viaCursor: unknown[] = [];
        expect(forEachRecord(bytes, 0, (c) => void viaCursor.push(recordViewOf(c)))).toBe(records.length);
        expect(viaCursor).toEqual(got);
        let stoppedAfter = 0;
        expect(forEachRecord(bytes, 0, () => ++stoppedAfter < 1)).toBe(1);
        expect(got.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestampMs: r.timestampMs }))).toEqual(
          records.map((r, i) => ({ key: r.key ?? null, value: r.value, headers: r.headers ?? [], timestampMs: timestamps[i] })),
        );
      }),
    );
  });

  it('keeps the CRC valid through in-place offset and epoch assignment', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 0, max: 2 ** 52 }), fc.integer({ min: -1, max: 2 ** 31 - 1 }), ({ bytes }, offset, epoch) => {
        setBatchBaseOffset(bytes, 0, offset);
        setBatchPartitionLeaderEpoch(bytes, 0, epoch);
        expect(validateRecordBatch(bytes)).toBeNull();
        expect(new RecordBatchView(bytes).baseOffset).toBe(offset);
      }),
    );
  });

  it('detects any single-byte change in the CRC-covered region', () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ bytes }, at, xor) => {
        const i = 21 + (at % (bytes.length - 21));
        bytes[i] = bytes[i]! ^ xor;
        expect(validateRecordBatch(bytes)).not.toBeNull();
        probe(bytes);
      }),
    );
  });

  it('never throws unexpectedly on mutated batches, CRC recomputed', () => {
    fc.assert(
      fc.property(batchArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), ({ bytes }, edits) => {
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        if (bytes.length >= 61) {
          const c = crc32c(bytes, 21, bytes.length);
          bytes.set([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff], 17);
        }
        probe(bytes);
      }),
    );
  });

  it('never throws unexpectedly on random bytes or truncated batches', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => probe(b)));
    fc.assert(
      fc.property(batchArb, fc.nat(), ({ bytes }, cut) => {
        const b = bytes.subarray(0, cut % bytes.length);
        expect(validateRecordBatch(b)?.reason).toBe('truncated');
        expect(splitRecordBatches(b).truncatedBytes).toBe(b.length);
        probe(b);
      }),
    );
  });
});
