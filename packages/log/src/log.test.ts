import { describe, expect, it } from 'vitest';
import { batchOf, concat, decodeBatches, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { InvalidRecordBatchError, OffsetOutOfRangeError } from './errors.ts';
import { LIST_OFFSETS_EARLIEST, LIST_OFFSETS_LATEST, LIST_OFFSETS_MAX_TIMESTAMP } from './log.ts';

const rec = (i: number, ts = 1_700_000_000_000 + i) => ({ key: `k${i % 7}`, value: `value-${i}-${'x'.repeat(i % 50)}`, timestampMs: ts });

describe('Log on the memory file system', () => {
  it('appends, assigns offsets in place and reads back by offset', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    const a = await log.append(batchOf([rec(0), rec(1), rec(2)]));
    const b = await log.append(concat([batchOf([rec(3)]), batchOf([rec(4), rec(5)])]));
    expect([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset]).toEqual([0, 2, 3, 5]);
    expect(log.logEndOffset).toBe(6);
    const all = await readAll(log);
    expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(all.map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5].map((i) => rec(i).value));
    // A read from the middle of a batch returns the whole batch.
    const mid = decodeBatches((await log.read(4, 1)).records);
    expect(mid.batches).toEqual([{ base: 4, last: 5 }]);
    await expect(log.read(7, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await log.read(6, 100)).records.byteLength).toBe(0);
    await log.close();
  });

  it('rejects an invalid batch and writes nothing', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    const good = batchOf([rec(0)]);
    const bad = batchOf([rec(1)]);
    bad[bad.length - 1]! ^= 0xff;
    await expect(log.append(concat([good, bad]))).rejects.toBeInstanceOf(InvalidRecordBatchError);
    expect(log.logEndOffset).toBe(0);
    expect(log.sizeBytes).toBe(0);
    await log.close();
  });

  it('rolls segments, survives a clean reopen and finds offsets by timestamp', async () => {
    const { fs, clock } = memoryEnv();
    let log = await open(fs, clock);
    for (let i = 0; i < 200; i++) await log.append(batchOf([rec(i, 1_700_000_000_000 + i * 10)]));
    expect(log.segmentCount).toBeGreaterThan(3);
    await log.close();
    log = await open(fs, clock);
    expect(log.logEndOffset).toBe(200);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([...Array(200).keys()]);
    expect((await log.offsetForTimestamp(1_700_000_000_000 + 57 * 10))?.offset).toBe(57);
    expect((await log.offsetForTimestamp(1_700_000_000_000 + 57 * 10 - 3))?.offset).toBe(57);
    expect(await log.offsetForTimestamp(1_700_000_000_000 + 99_999)).toBeNull();
    expect((await log.offsetForTimestamp(5))?.offset).toBe(0);
    expect((await log.offsetForTimestamp(LIST_OFFSETS_EARLIEST))?.offset).toBe(0);
    expect((await log.offsetForTimestamp(LIST_OFFSETS_LATEST))?.offset).toBe(200);
    expect((await log.offsetForTimestamp(LIST_OFFSETS_MAX_TIMESTAMP))?.offset).toBe(199);
    await log.close();
  });
  it('truncateTo into a batch that DeleteRecords cut leaves the log empty at its start, never with the end below the start', async () => {
    // Found by the log model (seed 854433478): batches [0..2] and [3..6], log start 1, truncateTo(1 or 2).
    for (const target of [1, 2]) {
      const { fs, clock } = memoryEnv();
      const log = await open(fs, clock);
      await log.append(concat([batchOf([0, 1, 2].map(rec)), batchOf([3, 4, 5, 6].map(rec))]), { leaderEpoch: 1 });
      expect(await log.deleteRecordsBefore(1)).toBe(1);
      expect(await log.truncateTo(target)).toBe(true);
      expect([target, log.logStartOffset, log.logEndOffset, log.recoveryPoint]).toEqual([target, 1, 1, 1]);
      expect(await readAll(log)).toEqual([]);
      expect((await log.append(batchOf([rec(7)]), { leaderEpoch: 2 })).baseOffset).toBe(1);
      await log.close();
      const again = await open(fs, clock);
      expect([again.logStartOffset, again.logEndOffset]).toEqual([1, 2]);
      expect((await readAll(again)).map((r) => r.value)).toEqual([rec(7).value]);
      await again.close();
    }
  });
});
