/**
 * Helpers shared by @samsa/log's tests (runtime-free: memory FS, manual clock, batches
 * built with the codec). Not part of the package build.
 */
import { batchBaseOffset, batchLastOffset, buildRecordBatch, iterateRecords, nextBatchEnd, validateRecordBatch } from '@samsa/codec';
import type { FileSystem } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { LogManager, type LogManagerOptions } from '../src/log-manager/log-manager.ts';
import { openLog, type OpenLogOptions } from '../src/open-log.ts';
import type { Log } from '../src/log.ts';
import type { LogConfig } from '../src/log-config.ts';
import type { LogLogger } from '../src/logger.ts';

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

export interface TestRecord {
  readonly key: string | null;
  readonly value: string;
  readonly timestampMs: number;
}

export function batchOf(records: readonly TestRecord[], options: { leaderEpoch?: number; baseOffset?: number } = {}): Uint8Array {
  return buildRecordBatch(
    records.map((r) => ({ key: r.key === null ? null : encoder.encode(r.key), value: encoder.encode(r.value), timestampMs: r.timestampMs })),
    { baseOffset: options.baseOffset ?? 0, partitionLeaderEpoch: options.leaderEpoch ?? -1 },
  );
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export interface DecodedRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  readonly timestampMs: number;
}

/** Decodes whole batches, asserting each one is valid and that nothing is left over. */
export function decodeBatches(bytes: Uint8Array): { records: DecodedRecord[]; batches: { base: number; last: number }[] } {
  const records: DecodedRecord[] = [];
  const batches: { base: number; last: number }[] = [];
  let pos = 0;
  while (pos < bytes.byteLength) {
    const end = nextBatchEnd(bytes, pos);
    if (end < 0) throw new Error(`incomplete batch at ${pos} of ${bytes.byteLength}`);
    const invalid = validateRecordBatch(bytes, pos, end);
    if (invalid !== null) throw new Error(`invalid batch at ${pos}: ${invalid.reason} ${invalid.detail}`);
    batches.push({ base: batchBaseOffset(bytes, pos), last: batchLastOffset(bytes, pos) });
    for (const r of iterateRecords(bytes, pos)) {
      records.push({ offset: r.offset, key: r.key === null ? null : decoder.decode(r.key), value: decoder.decode(r.value ?? new Uint8Array(0)), timestampMs: r.timestampMs });
    }
    pos = end;
  }
  return { records, batches };
}

export interface CapturedLog {
  readonly entries: { level: 'info' | 'warn'; obj: Record<string, unknown>; msg: string }[];
  readonly logger: LogLogger;
}

export function captureLogger(): CapturedLog {
  const entries: CapturedLog['entries'] = [];
  return {
    entries,
    logger: {
      info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    },
  };
}

export const SMALL_CONFIG: Partial<LogConfig> = {
  segmentBytes: 4096,
  segmentIndexBytes: 1024,
  indexIntervalBytes: 256,
  fileDeleteDelayMs: 1000,
};

export function memoryEnv(): { fs: MemoryFileSystem; clock: ManualClock } {
  const clock = new ManualClock();
  return { fs: new MemoryFileSystem({ clock }), clock };
}

export function open(fs: FileSystem, clock: ManualClock, extra: Partial<OpenLogOptions> = {}, config: Partial<LogConfig> = {}): Promise<Log> {
  return openLog({ dir: '/data/events-0', fs, clock, config: { ...SMALL_CONFIG, ...config }, ...extra });
}

/**
 * A LogManager on the memory file system for maintenance tests: small segments, the
 * cleaner (and retention) every second on `clock`; `options` override any of it.
 */
export function openMaintainedManager(fs: FileSystem, clock: ManualClock, options: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  return LogManager.open({
    logDirs: ['/data'],
    fs,
    clock,
    highWatermark: 'log-end',
    defaultConfig: { segmentIndexBytes: 1024, segmentBytes: 300 },
    retentionCheckIntervalMs: 1000,
    cleanerIntervalMs: 1000,
    ...options,
  });
}

/** Moves `clock` by `ms`, then lets the maintenance work it started run (200 macrotask turns). */
export async function advanceAndSettle(clock: ManualClock, ms: number): Promise<void> {
  await clock.advanceAsync(ms);
  for (let j = 0; j < 200; j++) await new Promise((r) => setTimeout(r, 0));
}

/** Reads every record from the log start to the end, in as many reads as needed. */
export async function readAll(log: Log, maxBytes = 1000): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let offset = log.logStartOffset;
  for (let i = 0; i < 1_000_000 && offset < log.logEndOffset; i++) {
    const r = await log.read(offset, maxBytes);
    if (r.records.byteLength === 0) break;
    const decoded = decodeBatches(r.records);
    for (const rec of decoded.records) if (rec.offset >= offset) out.push(rec);
    offset = decoded.batches[decoded.batches.length - 1]!.last + 1;
  }
  return out;
}
