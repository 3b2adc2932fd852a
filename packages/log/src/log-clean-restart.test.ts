// A clean restart is lazy: the log end offset comes from the checkpointed recovery
// point, no segment is stat-ed (each size is read on first need, the active segment's
// with its indices and tail at its first use), and no segment or index file is opened
// until the log is used. The first use
// checks that promise against the active segment's real tail; a stale checkpoint takes
// the log offline instead of letting it hand out offsets twice, and the next open (the
// marker is gone by then) recovers the real end.
import type { FileSystem } from '@samsa/runtime';
import { describe, expect, it } from 'vitest';
import { batchOf, captureLogger, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint-file.ts';
import { RECOVERY_POINT_CHECKPOINT_FILE } from './file-names.ts';

const DIR = '/data/events-0';
const T0 = 1_700_000_000_000;
const rec = (i: number) => ({ key: `k${i}`, value: `value-${i}`, timestampMs: T0 + i });

const SEGMENT_BYTES = 600;

/** 40 records over several 600-byte segments, then a clean close; what the log looked like. */
async function fortyRecordsClosed(fs: FileSystem, clock: ReturnType<typeof memoryEnv>['clock']): Promise<{ sizeBytes: number; segmentSizes: number[] }> {
  const log = await open(fs, clock, {}, { segmentBytes: SEGMENT_BYTES });
  for (let i = 0; i < 40; i++) await log.append(batchOf([rec(i)]));
  const before = { sizeBytes: log.sizeBytes, segmentSizes: log.segmentsSnapshot().map((seg) => seg.sizeBytes) };
  await log.close();
  return before;
}

/** Counts `open` and `stat` calls on the files of the partition directory. */
function countingOpens(fs: FileSystem): { fs: FileSystem; opened: string[]; statted: string[] } {
  const opened: string[] = [];
  const statted: string[] = [];
  const wrapped = new Proxy(fs, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if ((key !== 'open' && key !== 'stat') || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (path: string, ...rest: unknown[]) => {
        if (path.startsWith(`${DIR}/`)) (key === 'open' ? opened : statted).push(path.slice(DIR.length + 1));
        return (value as (...a: unknown[]) => unknown).call(target, path, ...rest);
      };
    },
  });
  return { fs: wrapped, opened, statted };
}

describe('clean restart', () => {
  it('opens no segment or index file, then appends and reads on from the checkpointed end', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { segmentBytes: 600 });
    for (let i = 0; i < 30; i++) await log.append(batchOf([rec(i)]));
    expect(log.segmentCount).toBeGreaterThan(2);
    await log.close();

    const counting = countingOpens(fs);
    const reopened = await open(counting.fs, clock, {}, { segmentBytes: 600 });
    expect(reopened.logEndOffset).toBe(30);
    expect(counting.opened.filter((f) => /\.(log|index|timeindex)$/.test(f))).toEqual([]);

    const appended = await reopened.append(batchOf([rec(30), rec(31)]));
    expect(appended.baseOffset).toBe(30);
    expect((await readAll(reopened)).map((r) => r.offset)).toEqual([...Array(32).keys()]);
    expect((await reopened.offsetForTimestamp(T0 + 31))?.offset).toBe(31);
    await reopened.close();
  });

  it('a stale recovery point is caught at first use: the log goes offline and the next open recovers', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    for (let i = 0; i < 10; i++) await log.append(batchOf([rec(i)]));
    await log.close();

    // Tamper: the checkpoint now claims 7 while the segment holds offsets 0..9.
    const path = `/data/${RECOVERY_POINT_CHECKPOINT_FILE}`;
    const before = await readOffsetCheckpoint(fs, path);
    expect(before.get('events-0')).toBe(10);
    await writeOffsetCheckpoint(fs, path, [{ topic: 'events', partition: 0, offset: 7 }]);

    const trusted = await open(fs, clock);
    expect(trusted.logEndOffset).toBe(7);
    await expect(trusted.append(batchOf([rec(10)]))).rejects.toThrow(/clean-shutdown checkpoint said 7/);
    expect(trusted.isOffline).toBe(true);
    await trusted.close();

    // The marker was removed by the open above, so this open scans and finds the real end.
    const recovered = await open(fs, clock);
    expect(recovered.logEndOffset).toBe(10);
    expect((await recovered.append(batchOf([rec(10)]))).baseOffset).toBe(10);
    expect((await readAll(recovered)).map((r) => r.offset)).toEqual([...Array(11).keys()]);
    await recovered.close();
  });

  it('reports a recovery only when one ran: not for a brand-new log, yes after a crash', async () => {
    const { fs, clock } = memoryEnv();
    const fresh = captureLogger();
    const log = await open(fs, clock, { logger: fresh.logger });
    expect(fresh.entries.filter((e) => e.msg.includes('recovered'))).toEqual([]);
    await log.append(batchOf([rec(0)]));
    await log.flush();
    fs.crash();
    await log.close().catch(() => undefined);
    const afterCrash = captureLogger();
    const reopened = await open(fs, clock, { logger: afterCrash.logger });
    expect(afterCrash.entries.filter((e) => e.msg.includes('recovered')).map((e) => e.obj.logEndOffset)).toEqual([1]);
    await reopened.close();
  });

  it('stats no segment; each learns its size on first need', async () => {
    const { fs, clock } = memoryEnv();
    const { sizeBytes: sizeBefore, segmentSizes: segmentsBefore } = await fortyRecordsClosed(fs, clock);
    expect(segmentsBefore.length).toBeGreaterThan(3);

    const counting = countingOpens(fs);
    const reopened = await open(counting.fs, clock, {}, { segmentBytes: SEGMENT_BYTES });
    expect(counting.statted.filter((f) => f.endsWith('.log'))).toEqual([]);
    const segments = reopened.segmentsSnapshot();
    expect(segments.map((seg) => seg.sizeLoaded)).toEqual(segments.map(() => false));
    expect(reopened.segmentSizesLoaded).toBe(false);
    expect(() => segments[0]!.sizeBytes).toThrow(/not loaded yet/);

    // A read of the first segment loads that segment's size only.
    expect((await reopened.read(0, 10_000)).records.byteLength).toBe(segmentsBefore[0]);
    expect(segments[0]!.sizeLoaded).toBe(true);
    expect(segments[1]!.sizeLoaded).toBe(false);

    // Retention planning sees exact sizes; loadSegmentSizes makes sizeBytes exact.
    expect((await reopened.segmentInfos()).map((i) => i.sizeBytes)).toEqual(segmentsBefore);
    await reopened.loadSegmentSizes();
    expect(reopened.sizeBytes).toBe(sizeBefore);
    expect((await readAll(reopened)).map((r) => r.offset)).toEqual([...Array(40).keys()]);
    await reopened.close();
  });

  it('sizeBytes right after a restart counts what is known and starts loading the rest', async () => {
    const { fs, clock } = memoryEnv();
    const { sizeBytes: sizeBefore } = await fortyRecordsClosed(fs, clock);
    const reopened = await open(fs, clock, {}, { segmentBytes: SEGMENT_BYTES });
    expect(reopened.segmentsSnapshot().some((seg) => seg.sizeLoaded)).toBe(false);
    expect(reopened.sizeBytes).toBe(0); // nothing known yet
    for (let i = 0; i < 100 && !reopened.segmentSizesLoaded; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reopened.sizeBytes).toBe(sizeBefore);
    await reopened.close();
  });
});
