/**
 * Crash recovery of the last segment starts at its offset-index entry at the recovery
 * point (segment-indexes.ts `recoverIndexes`), not at the segment start. Invariants:
 * - the `.log` bytes before that entry are not read again (a read-recording file system);
 * - every batch from the recovery point on is still validated: a corrupt one is cut, and
 *   so is a torn tail, at the last whole valid batch;
 * - records below the recovery point read back unchanged through the kept index entries;
 * - an index entry that does not name the batch at its position is not trusted: recovery
 *   starts at the segment start instead, with the same result;
 * - appends continue at the recovered end, and a clean reopen gives the same log.
 */
import type { FileHandle, FileSystem } from '@samsa/runtime';
import type { MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { batchOf, captureLogger, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { segmentFilePath } from './file-names.ts';
import type { Log } from './log.ts';

const DIR = '/data/events-0';
const T0 = 1_700_000_000_000;
/** One segment for everything, an index entry every ~3 batches. */
const CONFIG = { segmentBytes: 1024 * 1024, segmentIndexBytes: 64 * 1024, indexIntervalBytes: 256 };
const CLEAN_BATCHES = 2000;
const SYNCED_BATCHES = 100;
const UNSYNCED_BATCHES = 30;

const rec = (i: number) => ({ key: `k${i}`, value: `value-${i}-${'r'.repeat(30)}`, timestampMs: T0 + i });

/** `fs` with every read of a `.log` file recorded (bytes asked for, by position). */
function recordingLogReads(fs: MemoryFileSystem, reads: { position: number; bytes: number }[]): FileSystem {
  const wrapHandle = (handle: FileHandle): FileHandle =>
    new Proxy(handle, {
      get(target, prop) {
        if (prop === 'read') {
          return (buffer: Uint8Array, position: number) => {
            reads.push({ position, bytes: buffer.byteLength });
            return target.read(buffer, position);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  return new Proxy(fs, {
    get(target, prop) {
      if (prop === 'open') {
        return async (path: string, ...rest: Parameters<FileSystem['open']> extends [string, ...infer R] ? R : never) => {
          const handle = await target.open(path, ...rest);
          return path.endsWith('.log') ? wrapHandle(handle) : handle;
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A log of CLEAN_BATCHES closed cleanly (its index files written, the recovery point
 * checkpointed at CLEAN_BATCHES), reopened, SYNCED_BATCHES more appended and synced, then
 * UNSYNCED_BATCHES more, and the machine crashed (`tear`: part of the unsynced bytes stay).
 */
async function crashedLog(tear?: { seed: number }): Promise<{ fs: MemoryFileSystem; clock: ReturnType<typeof memoryEnv>['clock']; sizeBytes: number }> {
  const { fs, clock } = memoryEnv();
  const first = await open(fs, clock, {}, CONFIG);
  for (let i = 0; i < CLEAN_BATCHES; i++) await first.append(batchOf([rec(i)]));
  await first.close();
  const log = await open(fs, clock, {}, CONFIG);
  for (let i = CLEAN_BATCHES; i < CLEAN_BATCHES + SYNCED_BATCHES; i++) await log.append(batchOf([rec(i)]));
  await log.flush();
  for (let i = CLEAN_BATCHES + SYNCED_BATCHES; i < CLEAN_BATCHES + SYNCED_BATCHES + UNSYNCED_BATCHES; i++) await log.append(batchOf([rec(i)]));
  expect(log.segmentCount).toBe(1);
  const sizeBytes = log.sizeBytes;
  fs.crash(tear === undefined ? {} : { tear });
  await log.close().catch(() => undefined);
  return { fs, clock, sizeBytes };
}

async function expectDenseLog(log: Log, end: number): Promise<void> {
  const records = await readAll(log, 64 * 1024);
  expect(records.map((r) => r.offset)).toEqual([...Array(end).keys()]);
  expect(records.every((r) => r.value === rec(r.offset).value && r.timestampMs === rec(r.offset).timestampMs)).toBe(true);
}

async function flipByte(fs: MemoryFileSystem, path: string, position: number): Promise<void> {
  const h = await fs.open(path, 'read-write');
  const b = new Uint8Array(1);
  await h.read(b, position);
  b[0] = b[0]! ^ 0x5a;
  await h.write(b, position);
  await h.sync();
  await h.close();
}

describe('crash recovery from the index entry at the recovery point', () => {
  it('does not re-read the segment below that entry, and recovers every synced record', async () => {
    const { fs, clock, sizeBytes } = await crashedLog();
    const reads: { position: number; bytes: number }[] = [];
    const captured = captureLogger();
    const log = await open(recordingLogReads(fs, reads), clock, { logger: captured.logger }, CONFIG);
    expect(captured.entries.some((e) => e.msg.includes('recovered log'))).toBe(true);
    expect(log.logEndOffset).toBe(CLEAN_BATCHES + SYNCED_BATCHES);
    // The recovery point is CLEAN_BATCHES (the close's checkpoint): about the last 5 % of
    // the file is read again, plus the first batch header (segment.ms after a restart).
    const bytesRead = reads.reduce((n, r) => n + r.bytes, 0);
    expect(bytesRead).toBeLessThan(sizeBytes / 4);
    expect(reads.filter((r) => r.position > 0).every((r) => r.position > sizeBytes / 2)).toBe(true);
    await expectDenseLog(log, CLEAN_BATCHES + SYNCED_BATCHES);
    const next = await log.append(batchOf([rec(CLEAN_BATCHES + SYNCED_BATCHES)]));
    expect(next.baseOffset).toBe(CLEAN_BATCHES + SYNCED_BATCHES);
    await log.close();
    const again = await open(fs, clock, {}, CONFIG);
    await expectDenseLog(again, CLEAN_BATCHES + SYNCED_BATCHES + 1);
    await again.close();
  });

  it('cuts a torn tail at the last whole valid batch', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const { fs, clock } = await crashedLog({ seed });
      const log = await open(fs, clock, {}, CONFIG);
      expect(log.logEndOffset).toBeGreaterThanOrEqual(CLEAN_BATCHES + SYNCED_BATCHES);
      expect(log.logEndOffset).toBeLessThanOrEqual(CLEAN_BATCHES + SYNCED_BATCHES + UNSYNCED_BATCHES);
      await expectDenseLog(log, log.logEndOffset);
      await log.close();
    }
  });

  it('still validates every batch after the recovery point: a corrupt one is cut', async () => {
    const { fs, clock } = await crashedLog();
    const victim = CLEAN_BATCHES + 40;
    let position = 0;
    for (let i = 0; i < victim; i++) position += batchOf([rec(i)]).byteLength;
    // Flip a byte in the victim's records (past its 61-byte header).
    await flipByte(fs, segmentFilePath(DIR, 0, 'log'), position + 70);
    const captured = captureLogger();
    const log = await open(fs, clock, { logger: captured.logger }, CONFIG);
    expect(log.logEndOffset).toBe(victim);
    expect(String(captured.entries.find((e) => e.msg.includes('truncated'))?.obj.reason)).toContain('bad-crc');
    await expectDenseLog(log, victim);
    await log.close();
  });

  it('starts at the segment start when the index entry does not name the batch at its position', async () => {
    const { fs, clock, sizeBytes } = await crashedLog();
    // Shift the position of every index entry by one byte: none names a batch start.
    const indexPath = segmentFilePath(DIR, 0, 'index');
    const content = await fs.readFile(indexPath);
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let at = 0; at + 8 <= content.byteLength; at += 8) if (view.getInt32(at + 4) > 0) view.setInt32(at + 4, view.getInt32(at + 4) + 1);
    const h = await fs.open(indexPath, 'read-write', { truncate: true });
    await h.write(content, 0);
    await h.sync();
    await h.close();
    const reads: { position: number; bytes: number }[] = [];
    const log = await open(recordingLogReads(fs, reads), clock, {}, CONFIG);
    expect(reads.reduce((n, r) => n + r.bytes, 0)).toBeGreaterThan(sizeBytes / 2);
    expect(log.logEndOffset).toBe(CLEAN_BATCHES + SYNCED_BATCHES);
    await expectDenseLog(log, CLEAN_BATCHES + SYNCED_BATCHES);
    await log.close();
  });
});
