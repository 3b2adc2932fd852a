/**
 * Opening 10,000 partitions takes bounded resources.
 *
 * Checked (no timing, no process memory — the suite must run on any runtime):
 * - a LogManager opens 10,000 partition directories (written straight onto the memory
 *   file system, as a broker's disk looks after a clean shutdown) with at most
 *   `openHandlesMax` real file handles open at any time;
 * - the load reads what it must and nothing more: per log its active segment's files
 *   (to find the log end offset), never an older segment (here: 2 segments per log, the
 *   older one empty up to offset 10);
 * - appending to every 10th partition afterwards keeps the handle count bounded;
 * - creating 1,000 logs through `getOrCreateLog` keeps it bounded too, and the disk holds
 *   only the preallocated indices (linear in the partition count, small index size).
 */
import { buildRecordBatch } from '@samsa/codec';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { HandleCache } from './handle-cache.ts';
import { LogManager } from './log-manager.ts';

const HANDLES_MAX = 64;
const INDEX_BYTES = 256;
const DIRS = ['/d1', '/d2'];

/** Writes `partitions` idle logs (two empty segments each) and clean-shutdown markers. */
async function writeIdleBroker(mem: MemoryFileSystem, partitions: number): Promise<void> {
  for (const d of DIRS) await mem.mkdirp(d);
  await mem.syncDir('/');
  for (let p = 0; p < partitions; p++) {
    const dir = `${DIRS[p % 2]}/t${p % 100}-${Math.floor(p / 100)}`;
    await mem.mkdirp(dir);
    for (const base of ['00000000000000000000', '00000000000000000010']) {
      for (const ext of ['log', 'index', 'timeindex']) await (await mem.open(`${dir}/${base}.${ext}`, 'read-write')).close();
    }
    await mem.syncDir(dir);
  }
  for (const d of DIRS) {
    await (await mem.open(`${d}/.kafka_cleanshutdown`, 'read-write')).close();
    await mem.syncDir(d);
  }
}

describe('LogManager at scale', () => {
  it('opens 10,000 partitions with bounded handles and lazy segments', async () => {
    const clock = new ManualClock();
    const mem = new MemoryFileSystem({ clock, capacityBytes: 256 * 1024 * 1024 });
    await writeIdleBroker(mem, 10_000);
    const cache = new HandleCache(mem, { openHandlesMax: HANDLES_MAX });
    const opensBefore = mem.opCount('open');
    const m = await LogManager.open({ logDirs: DIRS, fs: cache, clock, highWatermark: 'log-end', defaultConfig: { segmentIndexBytes: INDEX_BYTES } });
    expect(m.size).toBe(10_000);
    expect(cache.stats().openMaxSeen).toBeLessThanOrEqual(HANDLES_MAX);
    // At most the active segment's three files per log (plus a few checkpoint reads).
    expect(mem.opCount('open') - opensBefore).toBeLessThanOrEqual(3 * 10_000 + 20);
    const value = new Uint8Array(10);
    for (let p = 0; p < 10_000; p += 10) await m.getLog(`t${p % 100}`, Math.floor(p / 100))!.append(buildRecordBatch([{ value }]));
    expect(cache.stats().openMaxSeen).toBeLessThanOrEqual(HANDLES_MAX);
    expect(m.getLog('t10', 0)!.logEndOffset).toBe(11);
    await m.close();
    expect(cache.stats().open).toBe(0);
  });

  it('creates 1,000 logs with bounded handles and only preallocated index bytes on disk', async () => {
    const clock = new ManualClock();
    const mem = new MemoryFileSystem({ clock, capacityBytes: 64 * 1024 * 1024 });
    const cache = new HandleCache(mem, { openHandlesMax: HANDLES_MAX });
    const m = await LogManager.open({ logDirs: DIRS, fs: cache, clock, highWatermark: 'log-end', defaultConfig: { segmentIndexBytes: INDEX_BYTES } });
    for (let p = 0; p < 1000; p++) await m.getOrCreateLog(`t${p % 10}`, Math.floor(p / 10));
    expect(cache.stats().openMaxSeen).toBeLessThanOrEqual(HANDLES_MAX);
    expect(mem.usedBytes()).toBeLessThanOrEqual(1000 * 2 * INDEX_BYTES + 64 * 1024);
    expect((await mem.readDir('/d1')).filter((n) => n.startsWith('t')).length).toBe(500);
    await m.close();
    expect(cache.stats().open).toBe(0);
  });
});
