/**
 * The leader's append against a model of what it must store (issue 11, defects A and C).
 *
 * Arbitrary appends of 1-3 batches each, every batch uncompressed or compressed with any
 * codec, records with arbitrary timestamps (also below the first record's) and null or
 * present keys; each batch's header maxTimestamp is left right, set to -1 or to an
 * arbitrary wrong value, and sometimes carries the log-append-time bit a client should
 * not set (the CRC is recomputed, so the batch is valid apart from that).
 *
 * Invariants on a create-time log (cleanup.policy=delete):
 * - every stored batch's maxTimestamp equals the max over its records' timestamps, and
 *   its timestamp type is create time;
 * - every stored batch passes deep validation (its CRC-32C is valid after any rewrite);
 * - offsets are as assigned: batch bases are consecutive from the log end offset before
 *   the append, and the records read back (offset, key, value, timestamp) are the input's;
 * - the append result's maxTimestamp is the max over the append's records;
 * - the segment's largest timestamp, and its time index's last entry once it rolled, are
 *   the max over all records appended, at an offset at or after a record carrying it;
 * - offsetForTimestamp(t) answers the first record in log order with timestamp ≥ t.
 * Invariants on a compacted log:
 * - an append whose batches all have keys goes in (as above); otherwise it is refused with
 *   InvalidRecordError listing exactly the keyless records of the first batch that has
 *   any, and the log end offset and the log's bytes do not change.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchBaseOffset,
  batchMaxTimestamp,
  batchTimestampType,
  buildRecordBatch,
  computeBatchCrc,
  initCompression,
  iterateRecords,
  nextBatchEnd,
  validateRecordBatch,
} from '@samsa/codec';
import type { CompressionType } from '@samsa/codec';
import { MemoryFileSystem, ManualClock } from '@samsa/runtime/memory';
import { InvalidRecordError } from './errors.ts';
import type { Log } from './log.ts';
import { openLog } from './open-log.ts';

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

interface ModelRecord {
  readonly key: string | null;
  readonly value: string;
  readonly timestampMs: number;
}

interface BatchSpec {
  readonly records: readonly ModelRecord[];
  readonly compression: CompressionType;
  /** 'right' keeps the builder's header; a number replaces maxTimestamp (and fixes the CRC). */
  readonly header: 'right' | number;
  readonly logAppendBit: boolean;
}

const recordArb = fc.record({
  key: fc.option(fc.string({ maxLength: 4 }), { nil: null, freq: 4 }),
  value: fc.string({ maxLength: 12 }),
  timestampMs: fc.integer({ min: T0 - 100_000, max: T0 + 100_000 }),
});

const batchArb: fc.Arbitrary<BatchSpec> = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 12 }),
  compression: fc.constantFrom<CompressionType>(0, 1, 2, 3, 4),
  header: fc.oneof(fc.constant<'right'>('right'), fc.constant(-1), fc.integer({ min: -1, max: 2 ** 50 })),
  logAppendBit: fc.boolean(),
});

const appendsArb = fc.array(fc.array(batchArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 });

function encodeBatch(spec: BatchSpec): Uint8Array {
  const b = buildRecordBatch(
    spec.records.map((r) => ({ key: r.key === null ? null : enc.encode(r.key), value: enc.encode(r.value), timestampMs: r.timestampMs })),
    { compression: spec.compression },
  );
  if (spec.header === 'right' && !spec.logAppendBit) return b;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (spec.header !== 'right') view.setBigInt64(35, BigInt(spec.header));
  if (spec.logAppendBit) view.setInt16(21, view.getInt16(21) | 0x08);
  view.setUint32(17, computeBatchCrc(b, 0));
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const maxOf = (records: readonly ModelRecord[]): number => records.reduce((m, r) => Math.max(m, r.timestampMs), -1);

async function openTestLog(cleanupPolicy: 'delete' | 'compact'): Promise<Log> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock });
  return openLog({ dir: '/data/t-0', fs, clock, config: { segmentBytes: 1 << 24, indexIntervalBytes: 0, cleanupPolicy } });
}

/** Every stored batch with its records, checking each batch's header against its records. */
async function readBack(log: Log): Promise<Array<ModelRecord & { offset: number }>> {
  const { records: bytes } = await log.read(log.logStartOffset, 1 << 24);
  const out: Array<ModelRecord & { offset: number }> = [];
  for (let pos = 0; pos < bytes.byteLength; pos = nextBatchEnd(bytes, pos)) {
    const end = nextBatchEnd(bytes, pos);
    expect(validateRecordBatch(bytes, pos, end, { deep: true })).toBeNull();
    expect(batchTimestampType(bytes, pos)).toBe('create');
    const records = [...iterateRecords(bytes, pos)].map((r) => ({
      offset: r.offset,
      key: r.key === null ? null : dec.decode(r.key),
      value: dec.decode(r.value!),
      timestampMs: r.timestampMs,
    }));
    expect(batchMaxTimestamp(bytes, pos)).toBe(maxOf(records));
    expect(records[0]!.offset).toBe(batchBaseOffset(bytes, pos));
    out.push(...records);
  }
  return out;
}

describe('leader append: the stored maxTimestamp is the max over the records', () => {
  beforeAll(async () => {
    await initCompression(); // zstd compression of the test batches
  });

  it('create-time log: headers corrected, CRCs valid, offsets as assigned, time index and lookups right', async () => {
    await fc.assert(
      fc.asyncProperty(appendsArb, fc.array(fc.integer({ min: T0 - 110_000, max: T0 + 110_000 }), { maxLength: 5 }), async (appends, targets) => {
        const log = await openTestLog('delete');
        const model: Array<ModelRecord & { offset: number }> = [];
        try {
          for (const batches of appends) {
            const before = log.logEndOffset;
            const result = await log.append(concat(batches.map(encodeBatch)));
            expect(result.baseOffset).toBe(before);
            const records = batches.flatMap((b) => b.records);
            expect(result.lastOffset).toBe(before + records.length - 1);
            expect(result.maxTimestamp).toBe(maxOf(records));
            records.forEach((r, i) => model.push({ ...r, offset: before + i }));
          }
          expect(await readBack(log)).toEqual(model);
          const overallMax = maxOf(model);
          for (const t of [...targets, overallMax]) {
            const first = model.find((r) => r.timestampMs >= t);
            const found = await log.offsetForTimestamp(t);
            expect(found === null ? null : { offset: found.offset, timestamp: found.timestamp }).toEqual(first === undefined ? null : { offset: first.offset, timestamp: first.timestampMs });
          }
          // The time index is sparse while a segment is active; its last entry is the
          // segment's max once the segment rolls.
          const segment = log.segmentsSnapshot()[0]!;
          expect(await segment.largestTimestamp()).toBe(overallMax);
          await log.roll();
          const last = (await segment.timeIndex()).lastEntry;
          expect(last.timestamp).toBe(overallMax);
          expect(model.find((r) => r.offset <= last.offset && r.timestampMs === overallMax)).toBeDefined();
        } finally {
          await log.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('compacted log: an append with a keyless record is refused whole, naming exactly the keyless records', async () => {
    await fc.assert(
      fc.asyncProperty(appendsArb, async (appends) => {
        const log = await openTestLog('compact');
        const model: Array<ModelRecord & { offset: number }> = [];
        try {
          for (const batches of appends) {
            const before = log.logEndOffset;
            const sizeBefore = log.sizeBytes;
            const firstKeyless = batches.find((b) => b.records.some((r) => r.key === null));
            const append = log.append(concat(batches.map(encodeBatch)));
            if (firstKeyless !== undefined) {
              const error = await append.then(
                () => null,
                (e: unknown) => e,
              );
              expect(error).toBeInstanceOf(InvalidRecordError);
              const expected = firstKeyless.records.flatMap((r, i) => (r.key === null ? [i] : []));
              expect((error as InvalidRecordError).recordErrors.map((e) => e.batchIndex)).toEqual(expected);
              expect(log.logEndOffset).toBe(before);
              expect(log.sizeBytes).toBe(sizeBefore);
              continue;
            }
            expect((await append).baseOffset).toBe(before);
            batches.flatMap((b) => b.records).forEach((r, i) => model.push({ ...r, offset: before + i }));
          }
          expect(await readBack(log)).toEqual(model);
        } finally {
          await log.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
