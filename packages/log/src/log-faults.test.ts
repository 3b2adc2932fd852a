import { describe, expect, it } from 'vitest';
import { batchOf, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { LogOfflineError, LogStorageError } from './errors.ts';

const rec = (i: number) => ({ key: null, value: `v${i}`, timestampMs: 1_700_000_000_000 + i });

describe('faults', () => {
  it('a failing write rejects with LogStorageError, then the log refuses appends until reopened', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0)]), { requireSync: true });
    fs.failOn({ op: 'write', nth: 1 });
    const failed = await log.append(batchOf([rec(1)])).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LogStorageError);
    expect((failed as LogStorageError).code).toBe('storage-error');
    expect(log.isOffline).toBe(true);
    await expect(log.append(batchOf([rec(2)]))).rejects.toBeInstanceOf(LogOfflineError);
    await expect(log.read(0, 100)).rejects.toBeInstanceOf(LogOfflineError);
    await expect(log.flush()).rejects.toBeInstanceOf(LogOfflineError);
    await log.close(); // releases handles, never throws for an offline log
    const reopened = await open(fs, clock);
    expect((await readAll(reopened)).map((r) => r.value)).toEqual(['v0']);
    expect((await reopened.append(batchOf([rec(3)]))).baseOffset).toBe(1);
    await reopened.close();
  });

  it('a failing sync rejects every append waiting on it (group commit) and takes the log offline', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { flushPolicy: { kind: 'every-append' } });
    await log.append(batchOf([rec(0)]));
    fs.failOn({ op: 'sync', nth: 1 });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => log.append(batchOf([rec(i)]))));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason as unknown);
    // Appends that waited on the failed sync see the storage error; later ones find the log offline.
    expect(reasons[0]).toBeInstanceOf(LogStorageError);
    for (const e of reasons) expect(e instanceof LogStorageError || e instanceof LogOfflineError).toBe(true);
    expect(log.isOffline).toBe(true);
    await log.close();
    fs.crash();
    const reopened = await open(fs, clock);
    expect(reopened.logEndOffset).toBeGreaterThanOrEqual(1);
    expect((await readAll(reopened))[0]!.value).toBe('v0');
    await reopened.close();
  });

  it('a failing roll (file creation) surfaces as a typed error, never an unhandled rejection', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0)]));
    fs.failOn({ op: 'open', nth: 1 });
    await expect(log.roll()).rejects.toBeInstanceOf(LogStorageError);
    await expect(log.append(batchOf([rec(1)]))).rejects.toBeInstanceOf(LogOfflineError);
    await log.close();
  });

  it('a failing directory sync during truncation takes the log offline', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    for (let i = 0; i < 100; i++) await log.append(batchOf([rec(i)]));
    expect(log.segmentCount).toBeGreaterThan(1);
    fs.failOn({ op: 'syncDir', nth: 1 });
    await expect(log.truncateTo(3)).rejects.toBeInstanceOf(LogStorageError);
    expect(log.isOffline).toBe(true);
    await log.close();
  });

  it('a failing open surfaces as LogStorageError', async () => {
    const { fs, clock } = memoryEnv();
    fs.failOn({ op: 'readDir', nth: 1 });
    await expect(open(fs, clock)).rejects.toBeInstanceOf(LogStorageError);
    const log = await open(fs, clock);
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });
});
