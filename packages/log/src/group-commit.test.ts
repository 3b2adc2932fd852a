import { describe, expect, it } from 'vitest';
import type { FileHandle, FileSystem } from '@samsa/runtime';
import { batchOf, memoryEnv, open } from '../test/log-test-support.ts';
import { appendNeedsSync, flushPolicyFromKafka } from './flush-policy.ts';

const rec = (i: number) => ({ key: null, value: `v${i}`, timestampMs: 1_700_000_000_000 + i });

/** A file system whose syncs take `delayMs` of real time, like a disk (counts them). */
function slowSyncs(fs: FileSystem, delayMs: number): { fs: FileSystem; syncs: () => number } {
  let syncs = 0;
  const wrap = (h: FileHandle): FileHandle =>
    new Proxy(h, {
      get(target, prop, receiver) {
        if (prop === 'sync') {
          return async () => {
            syncs++;
            await new Promise((r) => setTimeout(r, delayMs));
            await target.sync();
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const slow: FileSystem = Object.create(fs) as FileSystem;
  slow.open = async (path, mode, options) => wrap(await fs.open(path, mode, options));
  return { fs: slow, syncs: () => syncs };
}

describe('flush policy and group commit', () => {
  it('maps Kafka flush.messages / flush.ms', () => {
    expect(flushPolicyFromKafka()).toEqual({ kind: 'none' });
    expect(flushPolicyFromKafka(1)).toEqual({ kind: 'every-append' });
    expect(flushPolicyFromKafka(10)).toEqual({ kind: 'messages', messages: 10 });
    expect(flushPolicyFromKafka(undefined, 250)).toEqual({ kind: 'interval', intervalMs: 250 });
    expect(appendNeedsSync({ kind: 'messages', messages: 10 }, 9)).toBe(false);
    expect(appendNeedsSync({ kind: 'messages', messages: 10 }, 10)).toBe(true);
  });

  it('every-append: concurrent appends share syncs and all resolve synced', async () => {
    const env = memoryEnv();
    const { fs, syncs: syncCount } = slowSyncs(env.fs, 5);
    const log = await open(fs, env.clock, {}, { flushPolicy: { kind: 'every-append' } });
    await log.append(batchOf([rec(0)]));
    const before = syncCount();
    const results = await Promise.all([...Array(40).keys()].map((i) => log.append(batchOf([rec(i)]))));
    const syncs = syncCount() - before;
    expect(results.every((r) => r.synced)).toBe(true);
    expect(results.map((r) => r.baseOffset)).toEqual([...Array(40).keys()].map((i) => i + 1));
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThanOrEqual(4);
    expect(log.recoveryPoint).toBe(41);
    await log.close();
  });

  it('none: appends do not sync; flush() moves the recovery point', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    const before = fs.opCount('sync');
    const r = await log.append(batchOf([rec(0)]));
    expect(r.synced).toBe(false);
    expect(fs.opCount('sync')).toBe(before);
    expect(log.recoveryPoint).toBe(0);
    await log.flush();
    expect(log.recoveryPoint).toBe(1);
    await log.close();
  });

  it('messages: the append that reaches N unsynced records waits for the sync', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { flushPolicy: { kind: 'messages', messages: 3 } });
    const synced: boolean[] = [];
    for (let i = 0; i < 6; i++) synced.push((await log.append(batchOf([rec(i)]))).synced);
    expect(synced).toEqual([false, false, true, false, false, true]);
    await log.close();
  });

  it('interval: a timer syncs in the background', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { flushPolicy: { kind: 'interval', intervalMs: 100 } });
    await log.append(batchOf([rec(0)]));
    expect(log.recoveryPoint).toBe(0);
    clock.advance(100);
    for (let i = 0; i < 20 && log.recoveryPoint < 1; i++) await new Promise((r) => setTimeout(r, 0));
    expect(log.recoveryPoint).toBe(1);
    await log.close();
  });
});
