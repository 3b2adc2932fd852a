/**
 * LogManager.close at scale, on an instrumented memory file system (counts, not timings):
 * - logs close in parallel: syncs of different logs overlap (more than one in flight),
 *   and never more than `closeConcurrency` at once (bounded: no Promise.all over every log);
 * - each log dir's checkpoint files are written once per close (O(dirs), not O(logs)),
 *   and the clean-shutdown marker is created after the last of them;
 * - everything is durable when close resolves (a crash right after loses nothing), and the
 *   next open honours the marker: no log is recovered;
 * - after a clean restart, a close of logs that were only read rewrites no index file (no
 *   truncate, no sync of the active indices: they are on disk exactly as loaded).
 */
import { buildRecordBatch } from '@samsa/codec';
import type { FileHandle, FileStat, FileSystem, OpenMode, OpenOptions } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { LogLogger } from '../logger.ts';
import { LogManager } from './log-manager.ts';

const DIRS = ['/d1', '/d2'];
const LOGS = 300;
const CLOSE_CONCURRENCY = 8;
/** Microtask turns a sync takes, so that syncs issued together are seen in flight together. */
const SYNC_TURNS = 4;
const CHECKPOINT_FILES = ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'replication-offset-checkpoint', 'cleaner-offset-checkpoint', 'cleaner-delete-horizon-checkpoint'];

/** Delegates to a MemoryFileSystem; records renames and creates in order and syncs in flight. */
class InstrumentedFs implements FileSystem {
  readonly inner: MemoryFileSystem;
  readonly events: string[] = [];
  syncsInFlight = 0;
  syncsInFlightMax = 0;
  constructor(inner: MemoryFileSystem) {
    this.inner = inner;
  }
  async open(path: string, mode: OpenMode, options?: OpenOptions): Promise<FileHandle> {
    const inner = await this.inner.open(path, mode, options);
    this.events.push(`open ${path}`);
    const fs = this;
    return {
      get path() {
        return inner.path;
      },
      read: (b, p) => inner.read(b, p),
      append: (b) => inner.append(b),
      write: (b, p) => inner.write(b, p),
      truncate: (n) => inner.truncate(n),
      size: () => inner.size(),
      close: () => inner.close(),
      async sync() {
        fs.syncsInFlight++;
        fs.syncsInFlightMax = Math.max(fs.syncsInFlightMax, fs.syncsInFlight);
        try {
          for (let i = 0; i < SYNC_TURNS; i++) await Promise.resolve();
          await inner.sync();
        } finally {
          fs.syncsInFlight--;
        }
      },
    };
  }
  mkdirp(path: string): Promise<void> {
    return this.inner.mkdirp(path);
  }
  freeSpace(path: string): ReturnType<FileSystem['freeSpace']> {
    return this.inner.freeSpace(path);
  }
  tryLock(path: string): ReturnType<FileSystem['tryLock']> {
    return this.inner.tryLock(path);
  }
  readDir(path: string): Promise<string[]> {
    return this.inner.readDir(path);
  }
  async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    this.events.push(`rename ${to}`);
  }
  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void> {
    return this.inner.remove(path, options);
  }
  stat(path: string): Promise<FileStat | null> {
    return this.inner.stat(path);
  }
  syncDir(path: string): Promise<void> {
    return this.inner.syncDir(path);
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path);
  }
}

function recordingLogger(): LogLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, info: (_o, m) => messages.push(m), warn: (_o, m) => messages.push(`WARN ${m}`) };
}

describe('LogManager.close', () => {
  it('closes logs in parallel, bounded, writes each dir checkpoint once and the marker last; the next open recovers nothing', async () => {
    const clock = new ManualClock();
    const mem = new MemoryFileSystem({ clock });
    const fs = new InstrumentedFs(mem);
    const open = (logger: LogLogger) =>
      LogManager.open({ logDirs: DIRS, fs, clock, logger, highWatermark: 'log-end', closeConcurrency: CLOSE_CONCURRENCY, defaultConfig: { segmentIndexBytes: 1024 } });
    const m = await open(recordingLogger());
    const value = new Uint8Array(50);
    for (let p = 0; p < LOGS; p++) await (await m.getOrCreateLog(`t${p % 10}`, Math.floor(p / 10))).append(buildRecordBatch([{ value }]));

    fs.events.length = 0;
    fs.syncsInFlightMax = 0;
    await m.close();
    expect(fs.syncsInFlightMax).toBeGreaterThan(1);
    expect(fs.syncsInFlightMax).toBeLessThanOrEqual(CLOSE_CONCURRENCY);
    for (const d of DIRS) {
      for (const file of CHECKPOINT_FILES) expect(fs.events.filter((e) => e === `rename ${d}/${file}`)).toHaveLength(1);
      const marker = fs.events.indexOf(`open ${d}/.kafka_cleanshutdown`);
      expect(marker).toBeGreaterThan(Math.max(...CHECKPOINT_FILES.map((f) => fs.events.indexOf(`rename ${d}/${f}`))));
    }

    mem.crash(); // whatever close left unsynced is gone
    const logger = recordingLogger();
    const reopened = await open(logger);
    try {
      expect(reopened.size).toBe(LOGS);
      expect(logger.messages.filter((x) => x.includes('recovered'))).toEqual([]);
      for (let p = 0; p < LOGS; p++) expect(reopened.getLog(`t${p % 10}`, Math.floor(p / 10))!.logEndOffset).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('closes logs that were only read since a clean restart without rewriting or syncing their indices', async () => {
    const clock = new ManualClock();
    const mem = new MemoryFileSystem({ clock });
    const open = () => LogManager.open({ logDirs: DIRS, fs: mem, clock, highWatermark: 'log-end', defaultConfig: { segmentIndexBytes: 1024, indexIntervalBytes: 1 } });
    const m = await open();
    const value = new Uint8Array(50);
    for (let p = 0; p < 20; p++) {
      const log = await m.getOrCreateLog('t', p);
      for (let i = 0; i < 3; i++) await log.append(buildRecordBatch([{ value }]));
    }
    await m.close();

    const reopened = await open();
    for (let p = 0; p < 20; p++) expect((await reopened.getLog('t', p)!.read(1, 1024)).records.byteLength).toBeGreaterThan(0); // loads the active indices
    const truncatesBefore = mem.opCount('truncate');
    const syncsBefore = mem.opCount('sync');
    await reopened.close();
    expect(mem.opCount('truncate') - truncatesBefore).toBe(0);
    // The .log files (open for the reads) are synced, once by the flush and once by the
    // segment's close; the marker once per dir. No index file.
    expect(mem.opCount('sync') - syncsBefore).toBeLessThanOrEqual(20 * 2 + 5 * DIRS.length + DIRS.length);

    const again = await open();
    for (let p = 0; p < 20; p++) expect((await again.getLog('t', p)!.read(0, 4096)).records.byteLength).toBeGreaterThan(0);
    await again.close();
  });
});
