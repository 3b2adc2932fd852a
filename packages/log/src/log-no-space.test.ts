// A full disk is not a storage fault (log.ts "Faults"): every write of an append, a roll
// or a DeleteRecords that fails with 'no-space' fails that call alone. Invariants checked:
// - the call rejects with LogNoSpaceError (or succeeds, where only a checkpoint failed),
//   nothing of a failed append is readable, and the log stays online;
// - reads of what was there keep working, and the next append once space returns gets the
//   next offset;
// - after a clean close, and after a crash, the log reopens with exactly the acknowledged
//   records, valid batches only (a half-written batch was cut off);
// - a failing sync still takes the log offline (after a failed fsync the file is unknown).
import { FileSystemError, type FileHandle, type FileSystem } from '@samsa/runtime';
import type { FaultOp } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { batchOf, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { cleanLog } from './cleaner/log-cleaner.ts';
import { LogNoSpaceError, LogOfflineError, LogStorageError } from './errors.ts';

const rec = (i: number) => ({ key: null, value: `v${i}`, timestampMs: 1_700_000_000_000 + i });
const values = async (log: Awaited<ReturnType<typeof open>>) => (await readAll(log)).map((r) => r.value);

/** Delegates to `inner`; while `armed`, a positional write writes its first half and then fails with 'no-space' (as ENOSPC after a short write). */
class ShortWriteFileSystem implements FileSystem {
  armed = false;
  readonly inner: FileSystem;
  constructor(inner: FileSystem) {
    this.inner = inner;
  }
  async open(...args: Parameters<FileSystem['open']>): Promise<FileHandle> {
    const handle = await this.inner.open(...args);
    const write: FileHandle['write'] = async (buffers, position) => {
      if (!this.armed) return handle.write(buffers, position);
      this.armed = false;
      const bytes = buffers instanceof Uint8Array ? buffers : buffers[0]!;
      await handle.write(bytes.subarray(0, bytes.byteLength >> 1), position);
      throw new FileSystemError('no-space', handle.path, 'short write, then ENOSPC (test)');
    };
    return new Proxy(handle, { get: (target, key) => (key === 'write' ? write : Reflect.get(target, key)) });
  }
  mkdirp = (path: string) => this.inner.mkdirp(path);
  readDir = (path: string) => this.inner.readDir(path);
  rename = (from: string, to: string) => this.inner.rename(from, to);
  remove = (path: string, options?: { readonly recursive?: boolean }) => this.inner.remove(path, options);
  stat = (path: string) => this.inner.stat(path);
  syncDir = (path: string) => this.inner.syncDir(path);
  readFile = (path: string) => this.inner.readFile(path);
  freeSpace = (path: string) => this.inner.freeSpace(path);
  tryLock = (path: string) => this.inner.tryLock(path);
}

describe('a full disk', () => {
  it('fails the append alone: the log stays online, readable, and writable once space returns', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0)]), { requireSync: true });
    fs.failOn({ op: 'write', nth: 1, code: 'no-space' });
    await expect(log.append(batchOf([rec(1)]))).rejects.toBeInstanceOf(LogNoSpaceError);
    expect(log.isOffline).toBe(false);
    expect(log.logEndOffset).toBe(1);
    expect(await values(log)).toEqual(['v0']);
    expect((await log.append(batchOf([rec(2)]))).baseOffset).toBe(1);
    expect(await values(log)).toEqual(['v0', 'v2']);
    await log.close();
    const reopened = await open(fs, clock);
    expect(await values(reopened)).toEqual(['v0', 'v2']);
    await reopened.close();
  });

  it('cuts off the half a short write left, so no torn batch is served or recovered', async () => {
    const { fs: memory, clock } = memoryEnv();
    const fs = new ShortWriteFileSystem(memory);
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0), rec(1)]), { requireSync: true });
    fs.armed = true;
    await expect(log.append(batchOf([rec(2), rec(3), rec(4)]))).rejects.toBeInstanceOf(LogNoSpaceError);
    expect(fs.armed).toBe(false);
    expect(log.isOffline).toBe(false);
    expect((await log.append(batchOf([rec(5)]))).baseOffset).toBe(2);
    await log.flush();
    expect(await values(log)).toEqual(['v0', 'v1', 'v5']);
    memory.crash();
    const recovered = await open(fs, clock);
    expect(await values(recovered)).toEqual(['v0', 'v1', 'v5']);
    await recovered.close();
  });

  it('fails a rolling append alone at whichever write-side operation the disk fills', async () => {
    const ops: readonly FaultOp[] = ['open', 'write', 'truncate', 'rename', 'sync', 'syncDir'];
    let failedRolls = 0;
    for (const op of ops) {
      for (let nth = 1; nth <= 12; nth++) {
        const { fs, clock } = memoryEnv();
        const log = await open(fs, clock, {}, { segmentBytes: 150, indexIntervalBytes: 1 });
        await log.append(batchOf([rec(0), rec(1)]), { requireSync: true, leaderEpoch: 0 });
        expect(log.segmentCount).toBe(1);
        const where = `${op} #${nth}`;
        fs.failOn({ op, nth, code: 'no-space' });
        // Epoch 1 makes the append rewrite the leader-epoch checkpoint too.
        const outcome = await log.append(batchOf([rec(2), rec(3), rec(4), rec(5), rec(6), rec(7)]), { leaderEpoch: 1 }).then(() => 'ok', (e: unknown) => e);
        if (op === 'sync' && nth === 1) {
          // The roll's first act is to sync the old segment's data (local-log.ts): a failing
          // fsync of records is not a full disk that passes, the log goes offline (below).
          expect({ where, error: outcome instanceof LogStorageError, offline: log.isOffline }).toEqual({ where, error: true, offline: true });
          failedRolls++;
          continue;
        }
        const expected = outcome === 'ok' ? ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'] : ['v0', 'v1'];
        if (outcome === 'ok') expect(log.segmentCount).toBe(2);
        if (outcome !== 'ok') {
          expect({ where, error: outcome instanceof LogNoSpaceError }).toEqual({ where, error: true });
          failedRolls++;
        }
        fs.clearFaults();
        expect({ where, offline: log.isOffline }).toEqual({ where, offline: false });
        expect({ where, got: await values(log) }).toEqual({ where, got: expected });
        await log.append(batchOf([rec(8)]), { leaderEpoch: 1 });
        await log.flush();
        const crashed = fs.clone();
        await log.close();
        for (const copy of [fs, crashed]) {
          if (copy === crashed) copy.crash();
          const reopened = await open(copy, clock, {}, { segmentBytes: 150, indexIntervalBytes: 1 });
          expect({ where, crashed: copy === crashed, got: await values(reopened) }).toEqual({ where, crashed: copy === crashed, got: [...expected, 'v8'] });
          await reopened.close();
        }
      }
    }
    expect(failedRolls).toBeGreaterThan(3);
  });

  it('keeps DeleteRecords working when the checkpoints cannot be rewritten', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { segmentBytes: 200 });
    for (let i = 0; i < 10; i++) await log.append(batchOf([rec(i), rec(i + 100)]));
    await log.flush();
    const segments = log.segmentCount;
    fs.failOn({ op: 'write', nth: 1, code: 'no-space' });
    fs.failOn({ op: 'open', nth: 1, code: 'no-space' });
    expect(await log.deleteRecordsBefore(10)).toBe(10);
    fs.clearFaults();
    expect(log.isOffline).toBe(false);
    expect(log.segmentCount).toBeLessThan(segments);
    expect((await readAll(log))[0]!.offset).toBe(10);
    await log.close();
  });

  it('a close that hits a full disk rejects with LogNoSpaceError and releases every handle', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { segmentBytes: 200 });
    for (let i = 0; i < 6; i++) await log.append(batchOf([rec(i), rec(i + 100)]));
    fs.failOn({ op: 'write', nth: 1, code: 'no-space' });
    await expect(log.close()).rejects.toBeInstanceOf(LogNoSpaceError);
    expect(log.isOffline).toBe(false);
    expect(fs.openHandles()).toBe(0);
    const reopened = await open(fs, clock, {}, { segmentBytes: 200 });
    expect((await readAll(reopened)).length).toBe(12);
    await reopened.close();
  });

  it('a recovery on a full disk opens the log and serves it (rebuilt indices and epochs stay in memory)', async () => {
    const { fs, clock } = memoryEnv();
    const config = { segmentBytes: 150, indexIntervalBytes: 1 };
    const log = await open(fs, clock, {}, config);
    for (let i = 0; i < 12; i++) await log.append(batchOf([rec(i)]), { leaderEpoch: i < 6 ? 0 : 1 });
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(2);
    fs.crash(); // no clean shutdown: the next open recovers
    fs.failRandomly({ seed: 1, probability: 1, ops: ['write', 'append'], code: 'no-space' });
    const recovered = await open(fs, clock, {}, config);
    expect(await values(recovered)).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`));
    expect(recovered.isOffline).toBe(false);
    fs.clearFaults();
    expect((await recovered.append(batchOf([rec(12)]), { leaderEpoch: 1 })).baseOffset).toBe(12);
    await recovered.close();
    const reopened = await open(fs, clock, {}, config);
    expect((await values(reopened)).length).toBe(13);
    await reopened.close();
  });

    it('a compaction pass that hits a full disk is abandoned: the log stays online with its records', async () => {
    const config = { segmentBytes: 300, cleanupPolicy: 'compact' as const };
    let abandoned = 0;
    for (const op of ['open', 'write', 'truncate', 'sync'] as const) {
      for (let nth = 1; nth <= 8; nth++) {
        const { fs, clock } = memoryEnv();
        const log = await open(fs, clock, {}, config);
        for (let i = 0; i < 20; i++) await log.append(batchOf([{ key: `k${i % 3}`, value: `v${i}`, timestampMs: 1_700_000_000_000 + i }]));
        await log.roll();
        await log.flush();
        const latest = new Map((await readAll(log)).map((r) => [r.key, r.value]));
        const where = `${op} #${nth}`;
        fs.failOn({ op, nth, code: 'no-space' });
        const outcome = await cleanLog(log, { firstDirtyOffset: 0, nowMs: clock.wallMs(), deleteRetentionMs: 0, segmentBytes: 1200, yieldNow: async () => {} }).then(
          () => 'ok',
          (e: unknown) => e,
        );
        fs.clearFaults();
        if (outcome !== 'ok') {
          expect({ where, noSpace: outcome instanceof LogNoSpaceError || (outcome as { code?: string }).code === 'no-space' }).toEqual({ where, noSpace: true });
          abandoned++;
        }
        expect({ where, offline: log.isOffline }).toEqual({ where, offline: false });
        const after = await readAll(log);
        expect({ where, latest: new Map(after.map((r) => [r.key, r.value])) }).toEqual({ where, latest });
        expect({ where, leftovers: (await fs.readDir('/data/events-0')).filter((n) => n.includes('.cleaned') || n.includes('.swap')) }).toEqual({ where, leftovers: [] });
        await log.close();
      }
    }
    expect(abandoned).toBeGreaterThan(3);
  });

    it('a failing sync still takes the log offline, even with no-space', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0)]));
    fs.failOn({ op: 'sync', nth: 1, code: 'no-space' });
    await expect(log.flush()).rejects.toBeInstanceOf(LogStorageError);
    expect(log.isOffline).toBe(true);
    await expect(log.read(0, 100)).rejects.toBeInstanceOf(LogOfflineError);
    await log.close();
  });
});
