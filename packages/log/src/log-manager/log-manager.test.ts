// LogManager on the memory file system: dirs, creation, clean restart, crash-safe deletion,
// maintenance on the Clock, checkpoints.
import { buildRecordBatch } from '@samsa/codec';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { LogLogger } from '../logger.ts';
import { advanceAndSettle, openMaintainedManager, readAll } from '../../test/log-test-support.ts';
import { LogManager } from './log-manager.ts';

const enc = new TextEncoder();
const DIRS = ['/disk1', '/disk2'];
const CRASH_STEPS_MAX = 400;

function recordingLogger(): LogLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, info: (_o, m) => messages.push(m), warn: (_o, m) => messages.push(`WARN ${m}`) };
}

const batch = (key: string, value: string | null, timestampMs?: number) =>
  buildRecordBatch([{ key: enc.encode(key), value: value === null ? null : enc.encode(value), ...(timestampMs === undefined ? {} : { timestampMs }) }]);

function setup() {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock });
  const logger = recordingLogger();
  const open = () => LogManager.open({ logDirs: DIRS, fs, clock, logger, highWatermark: 'log-end', defaultConfig: { segmentIndexBytes: 1024, segmentBytes: 1024 } });
  return { clock, fs, logger, open };
}

/**
 * Crash at every step: `prepare` builds the state on a fresh setup and returns the step;
 * the step runs with its n-th file-system operation failing, for n = 1, 2, … until it
 * finishes; after each run the machine crashes and `check` looks at what a restart finds.
 * Returns the crash points (runs the fault cut short).
 */
async function crashAtEveryStep(
  prepare: (env: ReturnType<typeof setup>) => Promise<() => Promise<unknown>>,
  check: (env: ReturnType<typeof setup>, finished: boolean) => Promise<void>,
): Promise<number> {
  for (let nth = 1; nth <= CRASH_STEPS_MAX; nth++) {
    const env = setup();
    const step = await prepare(env);
    env.fs.failOn({ op: 'any', nth });
    let finished = true;
    try {
      await step();
    } catch {
      finished = false; // the injected failure
    }
    env.fs.clearFaults();
    env.fs.crash();
    await check(env, finished);
    if (finished) return nth - 1;
  }
  throw new Error(`the step did not finish within ${CRASH_STEPS_MAX} file-system operations`);
}

describe('LogManager', () => {
  it('spreads new logs over the dirs, restarts cleanly without recovery, keeps data', async () => {
    const { fs, logger, open } = setup();
    const m = await open();
    for (let p = 0; p < 4; p++) {
      const log = await m.getOrCreateLog('orders', p);
      for (let i = 0; i < 5; i++) await log.append(batch(`k${i}`, `v${p}-${i}`));
    }
    expect(await m.getOrCreateLog('orders', 0)).toBe(m.getLog('orders', 0));
    expect((await fs.readDir('/disk1')).filter((n) => n.startsWith('orders-')).length).toBe(2);
    expect((await fs.readDir('/disk2')).filter((n) => n.startsWith('orders-')).length).toBe(2);
    await m.close();
    expect(await fs.stat('/disk1/.kafka_cleanshutdown')).not.toBeNull();
    expect(new TextDecoder().decode(await fs.readFile('/disk1/recovery-point-offset-checkpoint'))).toMatch(/^0\n2\norders-\d 0 5\n|^0\n2\norders \d 5\n/);

    logger.messages.length = 0;
    const m2 = await open();
    expect(m2.size).toBe(4);
    expect(logger.messages.filter((x) => x.includes('recovered'))).toEqual([]);
    expect(await fs.stat('/disk1/.kafka_cleanshutdown')).toBeNull();
    for (let p = 0; p < 4; p++) {
      const log = m2.getLog('orders', p)!;
      expect(log.logEndOffset).toBe(5);
      expect((await log.read(0, 1 << 20)).records.byteLength).toBeGreaterThan(0);
    }
    await m2.close();
  });

  it('skips a file named like a partition directory, after a clean or an unclean shutdown', async () => {
    const { fs, logger, open } = setup();
    const m = await open();
    await (await m.getOrCreateLog('real', 0)).append(batch('k', 'v'));
    await m.close();
    const h = await fs.open('/disk1/impostor-0', 'read-write', { truncate: true });
    await h.write(enc.encode('not a log'), 0);
    await h.sync();
    await h.close();
    await fs.syncDir('/disk1');
    for (const shutdown of ['clean', 'crash'] as const) {
      const reopened = await open();
      expect(reopened.allLogs().map((l) => l.dir)).toEqual(['/disk1/real-0']);
      expect(reopened.getLog('real', 0)?.logEndOffset).toBe(1);
      expect(logger.messages.filter((msg) => msg.includes('file named like a partition'))).toHaveLength(shutdown === 'clean' ? 1 : 2);
      if (shutdown === 'clean') {
        await reopened.close();
        // Unclean next time: without the marker the open runs recovery on every log.
        await fs.remove('/disk1/.kafka_cleanshutdown');
        await fs.syncDir('/disk1');
      }
    }
    expect((await fs.stat('/disk1/impostor-0'))?.isDirectory).toBe(false);
  });

  it('recovers after a crash: synced data survives, the unsynced tail may go', async () => {
    const { fs, logger, open } = setup();
    const m = await open();
    const log = await m.getOrCreateLog('t', 0);
    for (let i = 0; i < 5; i++) await log.append(batch('k', `${i}`));
    await log.flush();
    await m.checkpointAll();
    for (let i = 0; i < 5; i++) await log.append(batch('k', `late${i}`));
    fs.crash();
    const m2 = await open();
    const again = m2.getLog('t', 0)!;
    expect(again.logEndOffset).toBeGreaterThanOrEqual(5);
    expect(logger.messages.some((x) => x.includes('recovered'))).toBe(true);
    await m2.close();
  });

  it('deletes a log crash-safely at every step', async () => {
    const crashPoints = await crashAtEveryStep(
      async ({ open }) => {
        const m = await open();
        const log = await m.getOrCreateLog('gone', 0);
        await log.append(batch('k', 'v'));
        await log.flush();
        await m.getOrCreateLog('kept', 0);
        await m.checkpointAll();
        return () => m.deleteLog('gone', 0);
      },
      async ({ fs, open }) => {
        const m2 = await open();
        const back = m2.getLog('gone', 0);
        // Either the log is fully there (delete not done) or fully gone; never a broken dir.
        if (back !== undefined) expect(back.logEndOffset).toBe(1);
        expect(m2.getLog('kept', 0)).toBeDefined();
        const leftovers = [...(await fs.readDir('/disk1')), ...(await fs.readDir('/disk2'))].filter((n) => n.endsWith('-delete'));
        expect(leftovers).toEqual([]);
        await m2.close();
      },
    );
    expect(crashPoints).toBeGreaterThan(3);
  });

  it('creates a log crash-safely at every step: after a crash it is absent or an empty, working log', async () => {
    const crashPoints = await crashAtEveryStep(
      async ({ open }) => {
        const m = await open();
        const kept = await m.getOrCreateLog('kept', 0);
        await kept.append(batch('k', 'v'), { requireSync: true });
        await m.checkpointAll();
        return () => m.getOrCreateLog('born', 3);
      },
      async ({ open }, finished) => {
        const m2 = await open();
        const born = m2.getLog('born', 3);
        if (finished) expect(born).toBeDefined();
        if (born !== undefined) {
          expect([born.logStartOffset, born.logEndOffset]).toEqual([0, 0]);
          expect((await born.append(batch('b', 'first'), { requireSync: true })).baseOffset).toBe(0);
        }
        expect(m2.getLog('kept', 0)?.logEndOffset).toBe(1);
        await m2.close();
        const m3 = await open();
        if (born !== undefined) expect(m3.getLog('born', 3)?.logEndOffset).toBe(1);
        await m3.close();
      },
    );
    expect(crashPoints).toBeGreaterThan(3);
  });

  it('checkpoints crash-safely at every step: a crash leaves each checkpoint old or new, never torn', async () => {
    const crashPoints = await crashAtEveryStep(
      async ({ open }) => {
        const m = await open();
        const logs = await Promise.all([0, 1, 2].map((p) => m.getOrCreateLog('cp', p)));
        for (const [p, log] of logs.entries()) for (let i = 0; i <= p; i++) await log.append(batch('k', `${p}-${i}`));
        await m.checkpointAll();
        for (const log of logs) await log.append(batch('k', 'more'), { requireSync: true });
        await logs[2]!.deleteRecordsBefore(2);
        return () => m.checkpointAll();
      },
      async ({ open }) => {
        const m2 = await open();
        for (const p of [0, 1, 2]) {
          const log = m2.getLog('cp', p)!;
          expect(log.logEndOffset).toBe(p + 2);
          expect((await readAll(log)).map((r) => r.offset)).toEqual(Array.from({ length: log.logEndOffset - log.logStartOffset }, (_, i) => log.logStartOffset + i));
        }
        // DeleteRecords persisted its start offset before the faults began.
        expect(m2.getLog('cp', 2)!.logStartOffset).toBe(2);
        await m2.close();
      },
    );
    expect(crashPoints).toBeGreaterThan(3);
  });

  it('sets a log aside as -stray: files kept, never loaded again, a new log of that name starts empty', async () => {
    const { fs, clock, open } = setup();
    const m = await open();
    const log = await m.getOrCreateLog('old', 0);
    await log.append(batch('k', 'kept on disk'), { requireSync: true });
    const logDir = log.dir.slice(0, log.dir.lastIndexOf('/'));
    expect(await m.setAsideLog('old', 0)).toBe(true);
    expect(await m.setAsideLog('old', 0)).toBe(false);
    expect(m.getLog('old', 0)).toBeUndefined();
    await clock.advanceAsync(10 * 60_000); // past any file.delete.delay.ms: nothing is removed
    const stray = (await fs.readDir(logDir)).filter((n) => n.startsWith('old-0.') && n.endsWith('-stray'));
    expect(stray).toHaveLength(1);
    expect((await fs.readDir(`${logDir}/${stray[0]}`)).some((n) => n.endsWith('.log'))).toBe(true);
    fs.crash();
    const m2 = await open();
    expect(m2.getLog('old', 0)).toBeUndefined();
    expect((await m2.getOrCreateLog('old', 0)).logEndOffset).toBe(0);
    expect((await fs.readDir(logDir)).filter((n) => n.endsWith('-stray'))).toEqual(stray);
    await m2.close();
  });

  it('removes a deleted log after file.delete.delay.ms and drops it from the checkpoints', async () => {
    const { fs, clock, open } = setup();
    const m = await open();
    await m.getOrCreateLog('x', 0, { fileDeleteDelayMs: 5000 });
    await m.getOrCreateLog('y', 0);
    expect(await m.deleteLog('x', 0)).toBe(true);
    expect(m.getLog('x', 0)).toBeUndefined();
    expect((await fs.readDir('/disk1')).some((n) => /^x-0\.[0-9a-f]{32}-delete$/.test(n))).toBe(true);
    await clock.advanceAsync(5000);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect((await fs.readDir('/disk1')).some((n) => n.startsWith('x-0'))).toBe(false);
    expect(new TextDecoder().decode(await fs.readFile('/disk1/log-start-offset-checkpoint'))).not.toContain('x 0');
    expect(await m.deleteLog('x', 0)).toBe(false);
    await m.close();
  });

  it('runs retention and the cleaner on the Clock', async () => {
    const clock = new ManualClock();
    const m = await openMaintainedManager(new MemoryFileSystem({ clock }), clock, { logDirs: DIRS });
    const old = clock.wallMs() - 10 * 24 * 3600 * 1000;
    const events = await m.getOrCreateLog('events', 0, { retentionMs: 24 * 3600 * 1000 });
    for (let i = 0; i < 10; i++) await events.append(batch(`k${i}`, 'x'.repeat(50), old));
    const table = await m.getOrCreateLog('table', 0, { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.1 });
    for (let i = 0; i < 30; i++) await table.append(batch(`k${i % 3}`, `v${i}`));
    await table.roll();
    const tableBytes = table.sizeBytes;
    m.startMaintenance();
    for (let i = 0; i < 3; i++) await advanceAndSettle(clock, 1000);
    expect(events.logStartOffset).toBe(10);
    expect(table.sizeBytes).toBeLessThan(tableBytes);
    expect(m.firstDirtyOffset(table)).toBe(30);
    await m.close();
  });

  it('keeps a tombstone delete.retention.ms after the cleaner first sees it, whatever its timestamp, then drops it with nothing new written (KIP-534)', async () => {
    const clock = new ManualClock();
    const m = await openMaintainedManager(new MemoryFileSystem({ clock }), clock, { logDirs: DIRS });
    const table = await m.getOrCreateLog('table', 0, { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.1, deleteRetentionMs: 60_000 });
    const tenDaysAgo = clock.wallMs() - 10 * 24 * 3600 * 1000;
    for (let i = 0; i < 20; i++) await table.append(batch(`k${i % 2}`, `v${i}`));
    await table.append(batch('gone', 'before'));
    await table.append(batch('gone', null, tenDaysAgo)); // a tombstone with a very old timestamp
    await table.roll();
    const keys = async () => (await readAll(table)).map((r) => r.key);
    const tick = (ms: number) => advanceAndSettle(clock, ms);
    m.startMaintenance({ retention: false });
    await tick(1000); // first pass: superseded records go, the tombstone stays and gets its horizon
    expect(await keys()).toEqual(['k0', 'k1', 'gone']);
    expect(m.firstDirtyOffset(table)).toBe(22);
    await tick(30_000);
    expect(await keys()).toEqual(['k0', 'k1', 'gone']); // 31 s after the first pass: kept
    await tick(30_000);
    expect(await keys()).toEqual(['k0', 'k1']); // past the horizon: a pass ran though nothing was dirty
    await m.close();
  });

  it('remembers a pending delete horizon across a restart, so a quiet log still drops its tombstones on time', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock });
    const config = { cleanupPolicy: 'compact' as const, minCleanableDirtyRatio: 0.1, deleteRetentionMs: 60_000 };
    // The host (the broker) supplies each topic's config on every open.
    const open = () => openMaintainedManager(fs, clock, { logDirs: ['/disk1'], topicConfig: () => config });
    const tick = (ms: number) => advanceAndSettle(clock, ms);
    let m = await open();
    let table = await m.getOrCreateLog('table', 0, config);
    for (let i = 0; i < 20; i++) await table.append(batch(`k${i % 2}`, `v${i}`));
    await table.append(batch('gone', null));
    await table.roll();
    m.startMaintenance({ retention: false });
    await tick(1000); // stamps the horizon: now + 60 s
    expect((await readAll(table)).map((r) => r.key)).toEqual(['k0', 'k1', 'gone']);
    await m.close();
    expect(new TextDecoder().decode(await fs.readFile('/disk1/cleaner-delete-horizon-checkpoint'))).toContain('table 0 ');

    m = await open();
    table = m.getLog('table', 0)!;
    m.startMaintenance({ retention: false });
    await tick(30_000);
    expect((await readAll(table)).map((r) => r.key)).toEqual(['k0', 'k1', 'gone']);
    await tick(31_000);
    expect((await readAll(table)).map((r) => r.key)).toEqual(['k0', 'k1']); // no write since the restart
    await m.close();
    expect(new TextDecoder().decode(await fs.readFile('/disk1/cleaner-delete-horizon-checkpoint'))).not.toContain('table 0 ');
  });
});
