import { describe, expect, it } from 'vitest';
import { batchOf, captureLogger, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { LOG_CLEAN_SHUTDOWN_FILE, segmentFilePath } from './file-names.ts';

const rec = (i: number) => ({ key: `k${i}`, value: `value-${i}-${'y'.repeat(40)}`, timestampMs: T0 + i });
const DIR = '/data/events-0';
const T0 = 1_700_000_000_000;

async function writeSegments(count: number) {
  const env = memoryEnv();
  const log = await open(env.fs, env.clock);
  for (let i = 0; i < count; i++) await log.append(batchOf([rec(i)]));
  await log.flush();
  const segments = log.segmentsSnapshot().map((s) => ({ base: s.baseOffset, size: s.sizeBytes }));
  return { ...env, log, segments };
}

/** Overwrites one byte of a file in place. */
async function flipByte(fs: ReturnType<typeof memoryEnv>['fs'], path: string, position: number): Promise<void> {
  const h = await fs.open(path, 'read-write');
  const b = new Uint8Array(1);
  await h.read(b, position);
  b[0] = b[0]! ^ 0x5a;
  await h.write(b, position);
  await h.sync();
  await h.close();
}

describe('recovery', () => {
  it('skips the scan after a clean shutdown and removes the marker at open', async () => {
    const { fs, clock, log } = await writeSegments(50);
    await log.close();
    expect(await fs.stat(`${DIR}/${LOG_CLEAN_SHUTDOWN_FILE}`)).not.toBeNull();
    const captured = captureLogger();
    const reopened = await open(fs, clock, { logger: captured.logger });
    expect(captured.entries.some((e) => e.msg.includes('recovered'))).toBe(false);
    expect(await fs.stat(`${DIR}/${LOG_CLEAN_SHUTDOWN_FILE}`)).toBeNull();
    expect(reopened.logEndOffset).toBe(50);
    await reopened.close();
  });

  it('cuts a corrupt batch (CRC) in an older segment, drops the later segments and reports it', async () => {
    const { fs, clock, log, segments } = await writeSegments(120);
    expect(segments.length).toBeGreaterThan(3);
    fs.crash(); // unclean: no marker
    await log.close().catch(() => undefined);
    const victim = segments[1]!;
    // Flip a byte inside the third batch of the second segment (past its 61-byte header).
    const batchBytes = batchOf([rec(0)]).byteLength;
    await flipByte(fs, segmentFilePath(DIR, victim.base, 'log'), batchBytes * 2 + 70);
    const captured = captureLogger();
    // Recovery point 0: everything is scanned (no checkpoint was written).
    const reopened = await open(fs, clock, { logger: captured.logger });
    expect(reopened.logEndOffset).toBe(victim.base + 2);
    expect((await readAll(reopened)).map((r) => r.offset)).toEqual([...Array(victim.base + 2).keys()]);
    const warning = captured.entries.find((e) => e.msg.includes('truncated'));
    expect(warning?.obj.baseOffset).toBe(victim.base);
    expect(String(warning?.obj.reason)).toContain('bad-crc');
    expect(captured.entries.filter((e) => e.msg.includes('deleted a segment')).length).toBe(segments.length - 2);
    // Appends continue from the cut.
    expect((await reopened.append(batchOf([rec(999)]))).baseOffset).toBe(victim.base + 2);
    await reopened.close();
  });

  it('rebuilds a missing or corrupt index of a cleanly closed segment', async () => {
    const { fs, clock, log, segments } = await writeSegments(150);
    await log.close();
    await fs.remove(segmentFilePath(DIR, segments[0]!.base, 'index'));
    const timeIndexPath = segmentFilePath(DIR, segments[1]!.base, 'timeindex');
    const h = await fs.open(timeIndexPath, 'read-write');
    await h.truncate(7); // not a multiple of 12
    await h.close();
    const captured = captureLogger();
    const reopened = await open(fs, clock, { logger: captured.logger });
    expect((await readAll(reopened, 300)).length).toBe(150);
    expect((await reopened.offsetForTimestamp(T0 + segments[1]!.base + 1))?.offset).toBe(segments[1]!.base + 1);
    expect(captured.entries.filter((e) => e.msg.includes('rebuilt index')).length).toBe(2);
    expect(await fs.stat(segmentFilePath(DIR, segments[0]!.base, 'index'))).not.toBeNull();
    await reopened.close();
  });

  it('removes stray files and completes an interrupted swap', async () => {
    const { fs, clock, log, segments } = await writeSegments(150);
    await log.close();
    const [s0, s1] = [segments[0]!, segments[1]!];
    // A swap that replaces segments 0 and 1 with one file holding both (as the cleaner would).
    const parts: Uint8Array[] = [];
    for (const s of [s0, s1]) parts.push((await fs.readFile(segmentFilePath(DIR, s.base, 'log'))));
    const swap = await fs.open(`${segmentFilePath(DIR, s0.base, 'log')}.swap`, 'read-write');
    await swap.write(parts, 0);
    await swap.close();
    for (const name of ['00000000000000000500.log.cleaned', '00000000000000000600.log.deleted', 'recovery-point-offset-checkpoint.tmp']) {
      const h = await fs.open(`${DIR}/${name}`, 'read-write');
      await h.close();
    }
    const reopened = await open(fs, clock);
    const names = await fs.readDir(DIR);
    expect(names.filter((n) => n.endsWith('.swap') || n.endsWith('.cleaned') || n.endsWith('.deleted') || n.endsWith('.tmp'))).toEqual([]);
    expect(names).not.toContain(segmentFilePath(DIR, s1.base, 'log').split('/').pop());
    expect(await reopened.segmentsSnapshot()[0]!.loadSize()).toBe(s0.size + s1.size);
    expect((await readAll(reopened, 500)).map((r) => r.offset)).toEqual([...Array(150).keys()]);
    await reopened.close();
  });

  it('re-derives leader epochs from recovered batches when the checkpoint is lost', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0), rec(1)]), { leaderEpoch: 3 });
    await log.append(batchOf([rec(2)]), { leaderEpoch: 5, requireSync: true });
    expect(log.epochEntries()).toEqual([
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 2 },
    ]);
    fs.crash();
    await log.close().catch(() => undefined);
    await fs.remove(`${DIR}/leader-epoch-checkpoint`);
    const reopened = await open(fs, clock);
    expect(reopened.epochEntries()).toEqual([
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 2 },
    ]);
    expect(reopened.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 2 });
    await reopened.close();
  });
  it('starts empty at the checkpointed log start offset when the records below it were lost', async () => {
    // Found by the log model (seed -1571369337): an unsynced append, then DeleteRecords past
    // it (the log-start checkpoint is durable), then a crash that drops the append.
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0), rec(1), rec(2)]), { leaderEpoch: 2 });
    expect(await log.deleteRecordsBefore(3)).toBe(3);
    fs.crash();
    await log.close().catch(() => undefined);
    const captured = captureLogger();
    const reopened = await open(fs, clock, { logger: captured.logger });
    expect([reopened.logStartOffset, reopened.logEndOffset, reopened.recoveryPoint]).toEqual([3, 3, 3]);
    expect(reopened.epochEntries()).toEqual([]);
    expect(captured.entries.some((e) => e.msg.includes('below the log start offset'))).toBe(true);
    // Offsets 0..2 were handed out once; the next append does not reuse them.
    expect((await reopened.append(batchOf([rec(3)]), { leaderEpoch: 2 })).baseOffset).toBe(3);
    await reopened.close();
    const again = await open(fs, clock);
    expect([again.logStartOffset, again.logEndOffset]).toEqual([3, 4]);
    expect((await readAll(again)).map((r) => r.offset)).toEqual([3]);
    await again.close();
  });
  it('makes a recovery cut durable, so a second crash after a roll cannot bring the torn tail back', async () => {
    // Found by the long-sequence log model hunt (seed -1022560338).
    const { fs, clock } = memoryEnv();
    let log = await open(fs, clock);
    await Promise.all([log.append(batchOf([rec(0)]), { requireSync: true }), log.append(batchOf([rec(1)]), { requireSync: true })]);
    await log.close();
    log = await open(fs, clock);
    await log.append(batchOf([rec(2)]));
    await log.append(batchOf([rec(3)]));
    fs.crash({ tear: { seed: 0, mode: 'last' } });
    await log.close().catch(() => undefined);
    log = await open(fs, clock);
    const cutEnd = log.logEndOffset;
    const cutBytes = log.segmentsSnapshot()[0]!.sizeBytes;
    await log.roll();
    await Promise.all([log.append(batchOf([rec(10)]), { requireSync: true }), log.append(batchOf([rec(11)]), { requireSync: true })]);
    fs.crash({ tear: { seed: 0, mode: 'last' } });
    await log.close().catch(() => undefined);
    log = await open(fs, clock);
    await log.loadSegmentSizes();
    expect(log.segmentsSnapshot()[0]!.sizeBytes).toBe(cutBytes);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([...Array(cutEnd + 2).keys()]);
    await log.close();
  });
  it('never reopens past a lost tail: a roll syncs the old segment before the new one exists', async () => {
    // Found by the leader-epoch model (FC_SEED=-626044739): unsynced records, a roll, then a
    // leader-epoch checkpoint rewrite whose syncDir made the new segment's entry durable.
    // A crash dropped the old segment's bytes and kept the new, empty segment: the log
    // reopened with its end at the new base, past offsets it no longer held.
    const { fs, clock } = memoryEnv();
    let log = await open(fs, clock, {}, { segmentBytes: 200 });
    for (let i = 0; i < 6; i++) await log.append(batchOf([rec(i)]), { leaderEpoch: 0 });
    expect(log.segmentCount).toBeGreaterThan(1);
    await log.append(batchOf([rec(6)]), { leaderEpoch: 1 }); // rewrites the epoch checkpoint (syncDir)
    fs.crash();
    await log.close().catch(() => undefined);
    log = await open(fs, clock, {}, { segmentBytes: 200 });
    const offsets = (await readAll(log)).map((r) => r.offset);
    expect(offsets).toEqual([...Array(log.logEndOffset).keys()]);
    expect(log.logEndOffset).toBeGreaterThanOrEqual(log.segmentsSnapshot().at(-1)!.baseOffset);
    expect(log.epochEntries()[0]).toEqual({ epoch: 0, startOffset: 0 });
    await log.close();
  });
});

describe('a corrupt leader-epoch-checkpoint', () => {
  /** Says 2 entries, holds 1: CorruptCheckpointError at open. */
  async function corruptEpochCheckpoint(fs: ReturnType<typeof memoryEnv>['fs']): Promise<void> {
    const h = await fs.open(`${DIR}/leader-epoch-checkpoint`, 'read-write', { truncate: true });
    await h.write(new TextEncoder().encode('0\n2\n3 0\n'), 0);
    await h.sync();
    await h.close();
  }
  const segmentsConfig = { segmentBytes: 400 };

  async function threeEpochs(fs: ReturnType<typeof memoryEnv>['fs'], clock: ReturnType<typeof memoryEnv>['clock']) {
    const log = await open(fs, clock, {}, segmentsConfig);
    for (let i = 0; i < 12; i++) await log.append(batchOf([rec(i)]), { leaderEpoch: i < 4 ? 3 : i < 9 ? 5 : 8 });
    await log.flush();
    const expected = [
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 4 },
      { epoch: 8, startOffset: 9 },
    ];
    expect(log.epochEntries()).toEqual(expected);
    expect(log.segmentCount).toBeGreaterThan(2);
    return { log, expected };
  }

  it('is re-derived from every segment after a crash (recovery scans only from the recovery point)', async () => {
    const { fs, clock } = memoryEnv();
    const { log, expected } = await threeEpochs(fs, clock);
    await log.close(); // the recovery point is the end, in the last segment...
    await fs.remove(`${DIR}/${LOG_CLEAN_SHUTDOWN_FILE}`); // ...but no clean shutdown
    await corruptEpochCheckpoint(fs);
    const reopened = await open(fs, clock, {}, segmentsConfig);
    expect(reopened.epochEntries()).toEqual(expected);
    expect(reopened.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 4 });
    expect(reopened.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 9 });
    await reopened.close();
  });

  it('is re-derived after a clean shutdown too', async () => {
    const { fs, clock } = memoryEnv();
    const { log, expected } = await threeEpochs(fs, clock);
    await log.close();
    await corruptEpochCheckpoint(fs);
    const reopened = await open(fs, clock, {}, segmentsConfig);
    expect(reopened.epochEntries()).toEqual(expected);
    expect(reopened.endOffsetForEpoch(7)).toEqual({ leaderEpoch: 5, endOffset: 9 });
    await reopened.close();
    // The re-derived history was written back: a third open reads it.
    const again = await open(fs, clock, {}, segmentsConfig);
    expect(again.epochEntries()).toEqual(expected);
    await again.close();
  });
});
