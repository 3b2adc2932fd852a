// enforceRetention and the deferred removal of `.deleted` files, on the memory file system.
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { beforeEach, describe, expect, it } from 'vitest';
import { segmentFilePath } from '../file-names.ts';
import { DeferredFileRemover, markFilesDeleted, removeStrayDeletedFiles } from './deleted-files.ts';
import { enforceRetention, type RetentionTarget } from './enforce-retention.ts';
import type { SegmentSummary } from './retention-plan.ts';

const DIR = '/data/t-0';

/** A log stand-in: segments in an array, one set of files per segment. */
class FakeLog implements RetentionTarget {
  readonly dir = DIR;
  logStartOffset = 0;
  logEndOffset: number;
  segments: SegmentSummary[];
  detached: number[] = [];
  rolls = 0;
  constructor(segments: SegmentSummary[], logEndOffset: number) {
    this.segments = segments;
    this.logEndOffset = logEndOffset;
  }
  async segmentSummaries(): Promise<readonly SegmentSummary[]> {
    return this.segments;
  }
  async roll(): Promise<void> {
    this.rolls++;
    this.segments.push({ baseOffset: this.logEndOffset, sizeBytes: 0, largestTimestampMs: -1, lastModifiedMs: 0 });
  }
  maybeIncrementLogStartOffset(offset: number): void {
    this.logStartOffset = Math.max(this.logStartOffset, offset);
  }
  async detachSegments(baseOffsets: readonly number[]): Promise<void> {
    this.detached.push(...baseOffsets);
    this.segments = this.segments.filter((s) => !baseOffsets.includes(s.baseOffset));
  }
}

async function writeSegmentFiles(fs: MemoryFileSystem, base: number): Promise<void> {
  for (const kind of ['log', 'index', 'timeindex'] as const) {
    const h = await fs.open(segmentFilePath(DIR, base, kind), 'read-write');
    await h.write(new Uint8Array(8).fill(base % 256), 0);
    await h.sync();
    await h.close();
  }
}

describe('enforceRetention', () => {
  let fs: MemoryFileSystem;
  let clock: ManualClock;
  let errors: string[];
  let remover: DeferredFileRemover;
  beforeEach(async () => {
    clock = new ManualClock();
    fs = new MemoryFileSystem({ clock });
    await fs.mkdirp(DIR);
    await fs.syncDir('/data');
    await fs.syncDir('/');
    errors = [];
    remover = new DeferredFileRemover({ fs, clock, delayMs: 60_000, onError: (p) => errors.push(p) });
  });

  it('renames expired segments to .deleted durably, removes them after file.delete.delay.ms', async () => {
    for (const base of [0, 10, 20]) await writeSegmentFiles(fs, base);
    await fs.syncDir(DIR);
    const now = clock.wallMs();
    const log = new FakeLog(
      [
        { baseOffset: 0, sizeBytes: 8, largestTimestampMs: now - 5000, lastModifiedMs: 0 },
        { baseOffset: 10, sizeBytes: 8, largestTimestampMs: now - 4000, lastModifiedMs: 0 },
        { baseOffset: 20, sizeBytes: 8, largestTimestampMs: now, lastModifiedMs: 0 },
      ],
      25,
    );
    const result = await enforceRetention(log, fs, { retentionMs: 1000, retentionBytes: -1, deleteEnabled: true }, now, remover);
    expect(result.plan.deleteBaseOffsets).toEqual([0, 10]);
    expect(log.detached).toEqual([0, 10]);
    expect(log.logStartOffset).toBe(10 + 10);
    expect(await fs.readDir(DIR)).toEqual([
      '00000000000000000000.index.deleted',
      '00000000000000000000.log.deleted',
      '00000000000000000000.timeindex.deleted',
      '00000000000000000010.index.deleted',
      '00000000000000000010.log.deleted',
      '00000000000000000010.timeindex.deleted',
      '00000000000000000020.index',
      '00000000000000000020.log',
      '00000000000000000020.timeindex',
    ]);
    // The renames are durable: a crash now does not bring the segments back.
    expect(fs.durableContent(`${DIR}/00000000000000000000.log`)).toBeNull();
    expect(fs.durableContent(`${DIR}/00000000000000000000.log.deleted`)).not.toBeNull();
    expect(remover.pendingCount).toBe(6);
    clock.advance(59_999);
    await Promise.resolve();
    expect((await fs.readDir(DIR)).length).toBe(9);
    clock.advance(1);
    await remover.flushNow();
    expect(await fs.readDir(DIR)).toEqual(['00000000000000000020.index', '00000000000000000020.log', '00000000000000000020.timeindex']);
    expect(errors).toEqual([]);
  });

  it('rolls before deleting an expired active segment', async () => {
    await writeSegmentFiles(fs, 0);
    const now = clock.wallMs();
    const log = new FakeLog([{ baseOffset: 0, sizeBytes: 8, largestTimestampMs: now - 5000, lastModifiedMs: 0 }], 7);
    const result = await enforceRetention(log, fs, { retentionMs: 1000, retentionBytes: -1, deleteEnabled: true }, now, remover);
    expect(result.plan.rollActiveFirst).toBe(true);
    expect(log.rolls).toBe(1);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([7]);
    expect(log.logStartOffset).toBe(7);
  });

  it('does nothing when nothing is due', async () => {
    await writeSegmentFiles(fs, 0);
    const now = clock.wallMs();
    const log = new FakeLog([{ baseOffset: 0, sizeBytes: 8, largestTimestampMs: now, lastModifiedMs: 0 }], 3);
    const result = await enforceRetention(log, fs, { retentionMs: 1000, retentionBytes: 100, deleteEnabled: true }, now, remover);
    expect(result.deletedPaths).toEqual([]);
    expect(log.detached).toEqual([]);
    expect(remover.pendingCount).toBe(0);
  });
});

describe('deleted files', () => {
  it('skips missing files, reports removal errors to the callback, and recovery removes strays', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock });
    await fs.mkdirp(DIR);
    await (await fs.open(`${DIR}/a.log`, 'read-write')).close();
    await (await fs.open(`${DIR}/b.log`, 'read-write')).close();
    const renamed = await markFilesDeleted(fs, [`${DIR}/a.log`, `${DIR}/missing.index`, `${DIR}/b.log`]);
    expect(renamed).toEqual([`${DIR}/a.log.deleted`, `${DIR}/b.log.deleted`]);
    const errors: string[] = [];
    const remover = new DeferredFileRemover({ fs, clock, delayMs: 10, onError: (p) => errors.push(p) });
    remover.schedule(renamed);
    fs.failOn({ op: 'remove', nth: 1 });
    clock.advance(10);
    await remover.flushNow();
    expect(errors).toEqual([`${DIR}/a.log.deleted`]);
    expect(await fs.readDir(DIR)).toEqual(['a.log.deleted']);
    expect(await removeStrayDeletedFiles(fs, DIR)).toEqual(['a.log.deleted']);
    expect(await fs.readDir(DIR)).toEqual([]);
  });

  it('bounds the queue: beyond pendingMax the oldest paths are removed at once', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock });
    await fs.mkdirp(DIR);
    const remover = new DeferredFileRemover({ fs, clock, delayMs: 1000, pendingMax: 4 });
    for (let i = 0; i < 6; i++) {
      await (await fs.open(`${DIR}/${i}.deleted`, 'read-write')).close();
      remover.schedule([`${DIR}/${i}.deleted`]);
      expect(remover.pendingCount).toBeLessThanOrEqual(4);
    }
    // Let the early removals run (they were started, not awaited).
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(await fs.readDir(DIR)).toEqual(['2.deleted', '3.deleted', '4.deleted', '5.deleted']);
    remover.cancelAll();
    clock.advance(5000);
    await remover.flushNow();
    expect((await fs.readDir(DIR)).length).toBe(4);
  });
});
