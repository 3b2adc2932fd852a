/**
 * Crash in the middle of every structural operation of the log, at every file-system
 * operation it makes: the n-th operation fails (the log goes offline), the machine
 * crashes (unsynced bytes and directory changes are lost), the log is reopened. The
 * loop runs n = 1, 2, … until the operation completes without a fault, so every step of
 * it is a crash point.
 *
 * The log before the operation is fully synced: 3 segments of 6 batches of 2 records,
 * offsets 0..35, leader epochs 1 (from 0) and 2 (from 12).
 *
 * Invariants after every crash point:
 * - the log reopens;
 * - it holds exactly the records at offsets [logStartOffset, logEndOffset), dense, each
 *   byte-equal to the record first appended at that offset (no hole, no duplicate, no
 *   offset handed out twice for different records);
 * - the log start and end lie between the state before the operation and the state
 *   after it (the operation's outcome is all, nothing, or a step on the way that is
 *   itself a valid log, such as a longer prefix during truncation);
 * - every leader-epoch entry starts inside [logStartOffset, logEndOffset];
 * - no `.tmp`, `.swap`, `.cleaned` or `.deleted` file is left behind;
 * - the next append gets offset logEndOffset, and a clean reopen gives the same log.
 */
import type { MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { batchOf, memoryEnv, open, readAll, type DecodedRecord } from '../test/log-test-support.ts';
import type { Log } from './log.ts';

const DIR = '/data/events-0';
const T0 = 1_700_000_000_000;
const CONFIG = { segmentBytes: 6 * 2 * 90, segmentIndexBytes: 1024, indexIntervalBytes: 64 };
const OPS_MAX = 500;

type Fixture = { fs: MemoryFileSystem; log: Log; reopen: () => Promise<Log> };

/** value of the record at an offset, as first appended (epoch-independent). */
const valueAt = (offset: number): string => `value-${offset}-${'z'.repeat(20)}`;

async function build(): Promise<Fixture> {
  const { fs, clock } = memoryEnv();
  const log = await open(fs, clock, {}, CONFIG);
  for (let b = 0; b < 18; b++) {
    const base = b * 2;
    await log.append(batchOf([0, 1].map((j) => ({ key: `k${(base + j) % 7}`, value: valueAt(base + j), timestampMs: T0 + base + j }))), { leaderEpoch: base < 12 ? 1 : 2 });
  }
  await log.flush();
  expect(log.segmentCount).toBeGreaterThanOrEqual(3);
  return { fs, log, reopen: () => open(fs, clock, {}, CONFIG) };
}

interface Shape {
  readonly start: number;
  readonly end: number;
}

function checkRecords(records: readonly DecodedRecord[], start: number, end: number, where: string): void {
  const offsets = records.map((r) => r.offset);
  const dense = Array.from({ length: end - start }, (_, i) => start + i);
  if (JSON.stringify(offsets) !== JSON.stringify(dense)) throw new Error(`${where}: offsets ${JSON.stringify(offsets)}, want [${start}, ${end})`);
  for (const r of records) if (r.value !== valueAt(r.offset)) throw new Error(`${where}: offset ${r.offset} holds ${r.value}`);
}

/** Checks the reopened log (then appends one record and closes it); returns its shape as reopened. */
async function checkReopened(fixture: Fixture, log: Log, before: Shape, after: Shape, where: string): Promise<Shape> {
  const start = log.logStartOffset;
  const end = log.logEndOffset;
  const lo = (a: number, b: number): number => Math.min(a, b);
  const hi = (a: number, b: number): number => Math.max(a, b);
  // truncateFullyAndStartAt may leave an empty log anywhere in its own range.
  const emptyAtAfter = after.start === after.end && start === end && start === after.start;
  if (!emptyAtAfter) {
    if (start < lo(before.start, after.start) || start > hi(before.start, after.start)) throw new Error(`${where}: log start ${start} outside [${before.start}, ${after.start}]`);
    if (end < lo(before.end, after.end) || end > hi(before.end, after.end)) throw new Error(`${where}: log end ${end} outside [${after.end}, ${before.end}]`);
  }
  checkRecords(await readAll(log), start, end, where);
  for (const e of log.epochEntries()) {
    if (e.startOffset < start || e.startOffset > end) throw new Error(`${where}: epoch entry ${JSON.stringify(e)} outside [${start}, ${end}]`);
  }
  const stray = (await fixture.fs.readDir(DIR)).filter((n) => /\.(tmp|swap|cleaned|deleted)$/.test(n));
  if (stray.length > 0) throw new Error(`${where}: stray files ${stray.join(', ')}`);
  const appended = await log.append(batchOf([{ key: 'next', value: valueAt(end), timestampMs: T0 + 1000 }]), { leaderEpoch: 3, requireSync: true });
  expect({ where, baseOffset: appended.baseOffset }).toEqual({ where, baseOffset: end });
  await log.close();
  const again = await fixture.reopen();
  expect({ where, range: [again.logStartOffset, again.logEndOffset] }).toEqual({ where, range: [start, end + 1] });
  checkRecords(await readAll(again), start, end + 1, `${where}, clean reopen`);
  await again.close();
  return { start, end };
}

/**
 * Runs `operation` against a fresh fixture with the n-th file-system operation failing,
 * for every n until it completes; checks every crash point. Returns how many there were.
 */
async function crashAtEveryStep(name: string, operation: (log: Log) => Promise<unknown>, after: (log: Log) => Shape): Promise<number> {
  const reference = await build();
  const before = { start: reference.log.logStartOffset, end: reference.log.logEndOffset };
  await operation(reference.log);
  const expected = after(reference.log);
  await reference.log.close();

  for (let nth = 1; nth <= OPS_MAX; nth++) {
    const fixture = await build();
    fixture.fs.failOn({ op: 'any', nth });
    let completed = true;
    try {
      await operation(fixture.log);
    } catch {
      completed = false;
    }
    fixture.fs.clearFaults();
    if (completed) {
      // No fault fired: the operation is done; check its result survives a crash too.
      await fixture.log.flush();
    }
    fixture.fs.crash();
    await fixture.log.close().catch(() => undefined);
    const reopened = await fixture.reopen();
    const where = `${name}, crash at fs op ${nth}${completed ? ' (completed)' : ''}`;
    const reopenedShape = await checkReopened(fixture, reopened, before, expected, where);
    if (completed) {
      expect({ where, shape: reopenedShape }).toEqual({ where, shape: expected });
      return nth - 1;
    }
  }
  throw new Error(`${name} did not complete within ${OPS_MAX} file-system operations`);
}

const shape = (log: Log): Shape => ({ start: log.logStartOffset, end: log.logEndOffset });

describe('crash at every step of a structural operation', () => {
  it('truncateTo inside an older segment', async () => {
    expect(await crashAtEveryStep('truncateTo(9)', (log) => log.truncateTo(9), shape)).toBeGreaterThan(3);
  });

  it('truncateTo at the base of the second segment, and to 0', async () => {
    const secondBase = (await build()).log.segmentsSnapshot()[1]!.baseOffset;
    expect(await crashAtEveryStep(`truncateTo(${secondBase})`, (log) => log.truncateTo(secondBase), shape)).toBeGreaterThan(3);
    expect(await crashAtEveryStep('truncateTo(0)', (log) => log.truncateTo(0), shape)).toBeGreaterThan(3);
  });

  it('truncateTo inside the active segment', async () => {
    expect(await crashAtEveryStep('truncateTo(31)', (log) => log.truncateTo(31), shape)).toBeGreaterThan(1);
  });

  it('truncateFullyAndStartAt past the end', async () => {
    expect(await crashAtEveryStep('truncateFullyAndStartAt(50)', (log) => log.truncateFullyAndStartAt(50), shape)).toBeGreaterThan(3);
  });

  it('truncateFullyAndStartAt below the end', async () => {
    expect(await crashAtEveryStep('truncateFullyAndStartAt(10)', (log) => log.truncateFullyAndStartAt(10), shape)).toBeGreaterThan(3);
  });

  it('deleteRecordsBefore inside the second segment', async () => {
    expect(await crashAtEveryStep('deleteRecordsBefore(17)', (log) => log.deleteRecordsBefore(17), shape)).toBeGreaterThan(1);
  });

  it('retention deletes the two oldest segments', async () => {
    const crashPoints = await crashAtEveryStep(
      'deleteSegments(two oldest)',
      (log) => log.deleteSegments(log.segmentsSnapshot().slice(0, 2).map((s) => s.baseOffset), 'retention'),
      shape,
    );
    expect(crashPoints).toBeGreaterThan(1);
  });

  it('retention deletes every segment, the active one too', async () => {
    const crashPoints = await crashAtEveryStep('deleteSegments(all)', (log) => log.deleteSegments(log.segmentsSnapshot().map((s) => s.baseOffset), 'retention'), shape);
    expect(crashPoints).toBeGreaterThan(1);
  });

  it('roll, then a synced append to the new segment', async () => {
    const crashPoints = await crashAtEveryStep(
      'roll + append',
      async (log) => {
        await log.roll();
        await log.append(batchOf([{ key: 'r', value: valueAt(36), timestampMs: T0 + 36 }]), { leaderEpoch: 2, requireSync: true });
      },
      shape,
    );
    expect(crashPoints).toBeGreaterThan(1);
  });

  it('a new leader epoch', async () => {
    expect(await crashAtEveryStep('assignEpochStartOffset(5, 36)', (log) => log.assignEpochStartOffset(5, 36), shape)).toBeGreaterThan(0);
  });
});
