/**
 * cleanLog against a model, on the real Log over the memory file system.
 *
 * The model: the list of every appended record (offset, key, value, batch timestamp,
 * producer). After passes of the cleaner at time t0 until it has mapped the whole dirty
 * section (incremental when the offset map is tiny), a record below the first uncleanable
 * offset survives iff it has a key and no later record below that offset has the same key
 * — tombstones too, however old their timestamps (KIP-534: the first pass only stamps
 * their delete horizon, t0 + delete.retention.ms, which the result reports). Then a
 * tombstones-due pass at t0 + laterMs drops exactly those tombstones iff laterMs ≥
 * delete.retention.ms. Records at or past the first uncleanable offset all survive.
 *
 * Batches are uncompressed or gzip/snappy/lz4 (rewritten through the codec package).
 *
 * Invariants checked:
 * - the surviving records are exactly the model's, each byte-equal (key, value,
 *   timestamp) to what was appended at that offset: offsets are preserved;
 * - every batch read back is valid (codec validateRecordBatch) and batch offsets strictly
 *   increase; the log end offset is unchanged;
 * - the last batch of each producer id below the uncleanable offset is still there
 *   (possibly empty), so producer state survives;
 * - a tiny offset map makes the cleaner incremental (several passes), with the same result;
 * - the log reopens after the swaps with the same content.
 */
import { batchBaseOffset, batchLastOffset, buildRecordBatch, iterateRecords, nextBatchEnd, validateRecordBatch } from '@samsa/codec';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Log } from '../log.ts';
import { openLog } from '../open-log.ts';
import { cleanLog, firstUncleanableOffset } from './log-cleaner.ts';

const DIR = '/data/compacted-0';
const DELETE_RETENTION_MS = 10_000;

interface ModelRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly timestampMs: number;
}

const batchArb = fc.record({
  producer: fc.constantFrom(-1, -1, 1, 2),
  compression: fc.constantFrom(0, 0, 1, 2, 3),
  ageMs: fc.integer({ min: 0, max: 2 * DELETE_RETENTION_MS }),
  records: fc.array(
    fc.record({ key: fc.option(fc.integer({ min: 0, max: 6 }), { freq: 10 }), tombstone: fc.boolean(), value: fc.string({ maxLength: 12 }) }),
    { minLength: 1, maxLength: 5 },
  ),
});

const scenarioArb = fc.record({
  batches: fc.array(batchArb, { minLength: 1, maxLength: 30 }),
  segmentBytes: fc.integer({ min: 300, max: 900 }),
  tinyMap: fc.boolean(),
  rollAtEnd: fc.boolean(),
  laterMs: fc.oneof(fc.integer({ min: 0, max: 2 * DELETE_RETENTION_MS }), fc.constant(DELETE_RETENTION_MS - 1), fc.constant(DELETE_RETENTION_MS)),
});

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readAll(log: Log): Promise<{ records: ModelRecord[]; batches: { base: number; last: number; producerBase: number }[] }> {
  const records: ModelRecord[] = [];
  const batches: { base: number; last: number; producerBase: number }[] = [];
  let offset = log.logStartOffset;
  for (let guard = 0; guard < 10_000 && offset < log.logEndOffset; guard++) {
    const { records: bytes } = await log.read(offset, 1 << 16);
    if (bytes.byteLength === 0) break;
    for (let pos = 0; pos < bytes.byteLength; pos = nextBatchEnd(bytes, pos)) {
      expect(validateRecordBatch(bytes, pos, nextBatchEnd(bytes, pos))).toBeNull();
      const base = batchBaseOffset(bytes, pos);
      const last = batchLastOffset(bytes, pos);
      if (last < offset) continue;
      if (batches.length > 0) expect(base).toBeGreaterThan(batches[batches.length - 1]!.last);
      batches.push({ base, last, producerBase: base });
      for (const r of iterateRecords(bytes, pos)) {
        records.push({ offset: r.offset, key: r.key === null ? null : dec.decode(r.key), value: r.value === null ? null : dec.decode(r.value), timestampMs: r.timestampMs });
      }
      offset = last + 1;
    }
  }
  return { records, batches };
}

describe('cleanLog (model)', () => {
  it('keeps the latest record per key, preserves offsets and timestamps, drops tombstones only past their delete horizon', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const clock = new ManualClock();
        const fs = new MemoryFileSystem({ clock });
        // Written under cleanup.policy=delete, then switched to compact (as AlterConfigs
        // does): a compacted log refuses keyless records on append, but a log switched
        // later (or a follower) can still hold some, and the cleaner must cope.
        const config = { segmentBytes: s.segmentBytes, segmentIndexBytes: 1024, cleanupPolicy: 'delete' as const, deleteRetentionMs: DELETE_RETENTION_MS };
        const log = await openLog({ dir: DIR, fs, clock, config });
        const now = clock.wallMs();
        const appended: ModelRecord[] = [];
        const producerBatches = new Map<number, number[]>();
        for (const b of s.batches) {
          const timestampMs = now - b.ageMs;
          const inputs = b.records.map((r) => ({ key: r.key === null ? null : enc.encode(`k${r.key}`), value: r.tombstone ? null : enc.encode(r.value), timestampMs }));
          const options = { compression: b.compression as 0 | 1 | 2 | 3, ...(b.producer >= 0 ? { producerId: b.producer, producerEpoch: 0, baseSequence: 0 } : {}) };
          const result = await log.append(buildRecordBatch(inputs, options));
          if (b.producer >= 0) producerBatches.set(b.producer, [...(producerBatches.get(b.producer) ?? []), result.baseOffset]);
          b.records.forEach((r, i) => appended.push({ offset: result.baseOffset + i, key: r.key === null ? null : `k${r.key}`, value: r.tombstone ? null : r.value, timestampMs }));
        }
        if (s.rollAtEnd) await log.roll();
        log.updateConfig({ cleanupPolicy: 'compact' });
        const logEndOffset = log.logEndOffset;
        const uncleanable = await firstUncleanableOffset(log, now, 0);

        const clean = (nowMs: number, firstDirtyOffset: number, tombstonesDue = false) =>
          cleanLog(log, { firstDirtyOffset, nowMs, deleteRetentionMs: DELETE_RETENTION_MS, segmentBytes: s.segmentBytes, offsetMapBytes: s.tinyMap ? 16 * 16 : 1 << 20, yieldNow: async () => {}, tombstonesDue });
        let firstDirty = 0;
        let passes = 0;
        let horizon: number | null = null;
        for (; passes < 200; passes++) {
          const r = await clean(now, firstDirty);
          expect(r.endOffset).toBeGreaterThanOrEqual(firstDirty);
          if (s.tinyMap) expect(r.mapEntries).toBeLessThanOrEqual(14);
          firstDirty = r.endOffset;
          horizon = r.earliestDeleteHorizonMs;
          if (!r.mapFull) break;
        }
        expect(firstDirty).toBe(uncleanable);

        const latest = new Map<string, number>();
        for (const r of appended) if (r.key !== null && r.offset < uncleanable) latest.set(r.key, r.offset);
        const afterFirst = appended.filter((r) => r.offset >= uncleanable || (r.key !== null && latest.get(r.key) === r.offset));
        let got = await readAll(log);
        expect(got.records).toEqual(afterFirst);
        const tombstonesBelow = afterFirst.some((r) => r.offset < uncleanable && r.value === null);
        expect(horizon).toBe(tombstonesBelow ? now + DELETE_RETENTION_MS : null);

        // Nothing dirty any more: only a tombstones-due pass runs, and only past the horizon removes.
        expect((await clean(now + s.laterMs, firstDirty)).segmentsRewritten).toBe(0);
        const due = await clean(now + s.laterMs, firstDirty, true);
        expect(due.endOffset).toBe(firstDirty);
        const expired = s.laterMs >= DELETE_RETENTION_MS;
        const expected = afterFirst.filter((r) => !(expired && r.offset < uncleanable && r.value === null));
        expect(due.earliestDeleteHorizonMs).toBe(tombstonesBelow && !expired ? now + DELETE_RETENTION_MS : null);
        got = await readAll(log);
        expect(got.records).toEqual(expected);
        expect(log.logEndOffset).toBe(logEndOffset);
        for (const bases of producerBatches.values()) {
          const lastBelow = bases.filter((b) => b < uncleanable).pop();
          if (lastBelow !== undefined) expect(got.batches.some((b) => b.base === lastBelow)).toBe(true);
        }
        await log.close();
        const reopened = await openLog({ dir: DIR, fs, clock, config });
        expect((await readAll(reopened)).records).toEqual(expected);
        await reopened.close();
      }),
      { numRuns: 60 },
    );
  });
});
