/**
 * The model-based log test's model, real system and core commands (fast-check
 * `fc.commands`). The model is a list of records with dense offsets, the log start and
 * end offsets, the batch boundaries, and `durableEnd`: everything below it was covered by
 * a sync the log acknowledged (a synced append, flush, truncation, clean close), and
 * the expected leader-epoch cache (appends stamp the model's current epoch).
 *
 * Extension point: other suites (retention, compaction) build their own command lists
 * with `coreCommands(...)` plus their commands, and reuse `checkLogAgainstModel` and
 * `checkIndexesAgree` as invariants.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { batchLastOffset, batchMaxTimestamp } from '@samsa/codec';
import type { FileSystem } from '@samsa/runtime';
import type { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import type { Log } from '../src/log.ts';
import type { FlushPolicy } from '../src/flush-policy.ts';
import type { LogConfig } from '../src/log-config.ts';
import { batchOf, concat, decodeBatches, open, readAll, type TestRecord } from './log-test-support.ts';

export interface ModelRecord extends TestRecord {
  readonly offset: number;
}

export class LogModel {
  records: ModelRecord[] = [];
  /** Base offsets of batches still in the log, ascending (with their last offsets). */
  batches: { base: number; last: number }[] = [];
  logStart = 0;
  end = 0;
  durableEnd = 0;
  /** The leader epoch stamped on appends, and the expected epoch cache. */
  epoch = 0;
  epochs: { epoch: number; startOffset: number }[] = [];

  /** Kafka's truncateFromStart. */
  epochsFromStart(startOffset: number): void {
    let last: { epoch: number; startOffset: number } | undefined;
    while (this.epochs.length > 0 && this.epochs[0]!.startOffset <= startOffset) last = this.epochs.shift();
    if (last !== undefined) this.epochs.unshift({ epoch: last.epoch, startOffset });
  }

  /**
   * An append stamps the model's current epoch at `startOffset` (Kafka's assign): nothing
   * when that epoch is already the latest; otherwise entries that would break monotonicity
   * go first, such as an earlier epoch that starts at the same offset (DeleteRecords moved
   * its start up to the log end, and no record of it is left).
   */
  assignEpoch(startOffset: number): void {
    if (this.epochs[this.epochs.length - 1]?.epoch === this.epoch) return;
    this.epochs = this.epochs.filter((e) => e.epoch < this.epoch && e.startOffset < startOffset);
    this.epochs.push({ epoch: this.epoch, startOffset });
  }

  /**
   * After a reopen, an epoch with no records left (its entry starts at the log end, e.g.
   * after DeleteRecords to the end) may be gone, dropped by the loader's truncateFromEnd,
   * or still there, re-derived by recovery from a batch below the log start. Kafka's
   * LogLoader gives both outcomes too. The model takes the log's choice for that one entry
   * and nowhere else: the entries of epochs that still have records must match exactly.
   */
  adoptEmptyEpochAtEnd(real: readonly { epoch: number; startOffset: number }[]): void {
    const withRecords = (es: readonly { epoch: number; startOffset: number }[]) => JSON.stringify(es.filter((e) => e.startOffset < this.end));
    const extra = real.filter((e) => e.startOffset >= this.end);
    if (withRecords(real) === withRecords(this.epochs) && extra.length <= 1 && extra.every((e) => e.startOffset === this.end)) {
      this.epochs = real.map((e) => ({ ...e }));
    }
  }

  truncateTo(end: number): void {
    this.records = this.records.filter((r) => r.offset < end);
    this.batches = this.batches.filter((b) => b.last < end);
    this.end = end;
    this.durableEnd = Math.min(this.durableEnd, end);
    this.logStart = Math.min(this.logStart, end);
    this.epochs = this.epochs.filter((e) => e.startOffset < end);
  }

  /** Where `truncateTo(target)` must leave the log end: whole batches go. */
  truncationEnd(target: number): number {
    const holding = this.batches.find((b) => b.base <= target && target <= b.last);
    return holding === undefined ? Math.min(target, this.end) : holding.base;
  }
}

export interface RealLog {
  fs: MemoryFileSystem;
  clock: ManualClock;
  log: Log;
  config: Partial<LogConfig>;
}

type Cmd = fc.AsyncCommand<LogModel, RealLog>;

const recordArb = fc.record({
  key: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: null }),
  value: fc.string({ maxLength: 120 }),
  timestampMs: fc.integer({ min: 1_699_999_990_000, max: 1_700_000_100_000 }),
});
const batchesArb = fc.array(fc.array(recordArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

function applyAppend(m: LogModel, batches: readonly (readonly TestRecord[])[]): void {
  for (const b of batches) {
    const base = m.end;
    b.forEach((r, i) => m.records.push({ ...r, offset: base + i }));
    m.batches.push({ base, last: base + b.length - 1 });
    m.end += b.length;
  }
}

class AppendCommand implements Cmd {
  readonly batches: TestRecord[][];
  readonly requireSync: boolean;
  readonly newEpoch: boolean;
  constructor(batches: TestRecord[][], requireSync: boolean, newEpoch: boolean) {
    this.batches = batches;
    this.requireSync = requireSync;
    this.newEpoch = newEpoch;
  }
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    if (this.newEpoch) m.epoch++;
    const result = await r.log.append(concat(this.batches.map((b) => batchOf(b))), { requireSync: this.requireSync, leaderEpoch: m.epoch });
    expect(result.baseOffset).toBe(m.end);
    m.assignEpoch(m.end);
    applyAppend(m, this.batches);
    expect(result.lastOffset).toBe(m.end - 1);
    expect(r.log.logEndOffset).toBe(m.end);
    // The policy in force now (ReconfigureCommand may have changed it) decides.
    if (this.requireSync || r.log.config.flushPolicy.kind === 'every-append') expect(result.synced).toBe(true);
    if (r.log.config.flushPolicy.kind === 'none' && !this.requireSync) expect(result.synced).toBe(false);
    if (result.synced) m.durableEnd = m.end;
  }
  toString = (): string => `append(${this.batches.map((b) => b.length).join(',')}${this.requireSync ? ', sync' : ''}${this.newEpoch ? ', new epoch' : ''})`;
}

/** Several appends at once: group commit shares syncs; offsets follow call order. */
class ConcurrentAppendCommand implements Cmd {
  readonly appends: TestRecord[][];
  constructor(appends: TestRecord[][]) {
    this.appends = appends;
  }
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    const results = await Promise.all(this.appends.map((b) => r.log.append(batchOf(b), { requireSync: true, leaderEpoch: m.epoch })));
    for (let i = 0; i < results.length; i++) {
      expect(results[i]!.baseOffset).toBe(m.end);
      m.assignEpoch(m.end);
      applyAppend(m, [this.appends[i]!]);
      expect(results[i]!.synced).toBe(true);
    }
    m.durableEnd = m.end;
  }
  toString = (): string => `concurrentAppend(${this.appends.length})`;
}

class ReadCommand implements Cmd {
  readonly where: number;
  readonly maxBytes: number;
  constructor(where: number, maxBytes: number) {
    this.where = where;
    this.maxBytes = maxBytes;
  }
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    const from = m.logStart + Math.floor(this.where * (m.end - m.logStart + 1));
    const fromClamped = Math.min(from, m.end);
    const result = await r.log.read(fromClamped, this.maxBytes);
    const decoded = decodeBatches(result.records); // throws on torn or invalid batches
    const got = decoded.records.filter((x) => x.offset >= fromClamped);
    if (fromClamped < m.end) expect(decoded.batches.length).toBeGreaterThan(0);
    if (decoded.batches.length > 0) expect(decoded.batches[0]!.base <= fromClamped && fromClamped <= decoded.batches[0]!.last).toBe(true);
    const want = m.records.filter((x) => x.offset >= fromClamped).slice(0, got.length);
    expect(got).toEqual(want.map(({ offset, key, value, timestampMs }) => ({ offset, key, value, timestampMs })));
  }
  toString = (): string => `read(${this.where.toFixed(2)}, ${this.maxBytes})`;
}

class RollCommand implements Cmd {
  check = (): boolean => true;
  async run(_m: LogModel, r: RealLog): Promise<void> {
    await r.log.roll();
  }
  toString = (): string => 'roll';
}

class FlushCommand implements Cmd {
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    await r.log.flush();
    m.durableEnd = m.end;
    expect(r.log.recoveryPoint).toBe(m.end);
  }
  toString = (): string => 'flush';
}

class TruncateCommand implements Cmd {
  readonly where: number;
  constructor(where: number) {
    this.where = where;
  }
  check = (m: Readonly<LogModel>): boolean => m.end > m.logStart;
  async run(m: LogModel, r: RealLog): Promise<void> {
    const target = m.logStart + Math.floor(this.where * (m.end - m.logStart));
    const expectedEnd = Math.max(m.truncationEnd(target), m.logStart);
    await r.log.truncateTo(target);
    // A batch straddling the log start may leave the end at the log start.
    expect(r.log.logEndOffset).toBe(expectedEnd < m.logStart ? m.logStart : expectedEnd);
    m.truncateTo(r.log.logEndOffset);
  }
  toString = (): string => `truncateTo(${this.where.toFixed(2)})`;
}

class TruncateFullyCommand implements Cmd {
  readonly ahead: number;
  constructor(ahead: number) {
    this.ahead = ahead;
  }
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    const offset = m.end + this.ahead;
    await r.log.truncateFullyAndStartAt(offset);
    m.records = [];
    m.batches = [];
    m.epochs = [];
    m.logStart = m.end = m.durableEnd = offset;
    expect([r.log.logStartOffset, r.log.logEndOffset]).toEqual([offset, offset]);
  }
  toString = (): string => `truncateFullyAndStartAt(+${this.ahead})`;
}

class DeleteRecordsCommand implements Cmd {
  readonly where: number;
  constructor(where: number) {
    this.where = where;
  }
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    const offset = m.logStart + Math.floor(this.where * (m.end - m.logStart + 1));
    const lso = await r.log.deleteRecordsBefore(offset);
    if (offset > m.logStart) m.epochsFromStart(offset);
    m.logStart = Math.max(m.logStart, offset);
    expect(lso).toBe(m.logStart);
    m.records = m.records.filter((x) => x.offset >= m.logStart);
    m.batches = m.batches.filter((b) => b.last >= m.logStart);
  }
  toString = (): string => `deleteRecordsBefore(${this.where.toFixed(2)})`;
}

class AdvanceClockCommand implements Cmd {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  check = (): boolean => true;
  async run(_m: LogModel, r: RealLog): Promise<void> {
    r.clock.advance(this.ms);
    await Promise.resolve();
  }
  toString = (): string => `advance(${this.ms})`;
}

/**
 * `Log.updateConfig` on the open log (Kafka's dynamic topic configs): roll size and age,
 * index interval, flush policy. The host keeps the new config, so reopens use it too.
 */
class ReconfigureCommand implements Cmd {
  readonly changes: Partial<LogConfig>;
  constructor(changes: Partial<LogConfig>) {
    this.changes = changes;
  }
  check = (): boolean => true;
  async run(_m: LogModel, r: RealLog): Promise<void> {
    const next = r.log.updateConfig(this.changes);
    expect(next).toMatchObject(this.changes);
    expect(r.log.config).toBe(next);
    r.config = { ...r.config, ...this.changes };
  }
  toString = (): string => `reconfigure(${JSON.stringify(this.changes)})`;
}

class CleanRestartCommand implements Cmd {
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    await r.log.close();
    r.log = await open(r.fs, r.clock, {}, r.config);
    m.durableEnd = m.end;
    expect([r.log.logStartOffset, r.log.logEndOffset]).toEqual([m.logStart, m.end]);
    m.adoptEmptyEpochAtEnd(r.log.epochEntries());
    expect(r.log.epochEntries()).toEqual(m.epochs);
  }
  toString = (): string => 'cleanRestart';
}

class CrashCommand implements Cmd {
  readonly seed: number;
  readonly mode: 'prefix' | 'last';
  constructor(seed: number, mode: 'prefix' | 'last') {
    this.seed = seed;
    this.mode = mode;
  }
  check = (): boolean => true;
  async run(m: LogModel, r: RealLog): Promise<void> {
    r.fs.crash({ tear: { seed: this.seed, mode: this.mode } });
    await r.log.close().catch(() => undefined);
    r.log = await open(r.fs, r.clock, {}, r.config);
    const end = r.log.logEndOffset;
    // Every synced append survives; the surviving tail is whole batches of what was written.
    expect(end).toBeGreaterThanOrEqual(m.durableEnd);
    expect(end).toBeLessThanOrEqual(m.end);
    expect(end === m.end || m.batches.some((b) => b.base === end) || end === m.logStart).toBe(true);
    m.truncateTo(end);
    m.durableEnd = Math.min(r.log.recoveryPoint, end);
    if (r.log.logStartOffset > m.logStart) m.epochsFromStart(r.log.logStartOffset);
    m.logStart = r.log.logStartOffset;
    m.records = m.records.filter((x) => x.offset >= m.logStart);
    m.batches = m.batches.filter((b) => b.last >= m.logStart);
    m.adoptEmptyEpochAtEnd(r.log.epochEntries());
    expect(r.log.epochEntries()).toEqual(m.epochs);
  }
  toString = (): string => `crash(seed ${this.seed}, ${this.mode})`;
}

/** The core command set; other suites append theirs. */
export function coreCommands(): fc.Arbitrary<Cmd>[] {
  return [
    fc.tuple(batchesArb, fc.boolean(), fc.boolean()).map(([b, s, e]) => new AppendCommand(b, s, e)),
    fc.tuple(batchesArb, fc.boolean(), fc.constant(false)).map(([b, s, e]) => new AppendCommand(b, s, e)),
    fc.array(fc.array(recordArb, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 5 }).map((a) => new ConcurrentAppendCommand(a)),
    fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 3000 })).map(([w, n]) => new ReadCommand(w, n)),
    fc.constant(new RollCommand()),
    fc.constant(new FlushCommand()),
    fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((w) => new TruncateCommand(w)),
    fc.integer({ min: 0, max: 5 }).map((n) => new TruncateFullyCommand(n)),
    fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((w) => new DeleteRecordsCommand(w)),
    fc.integer({ min: 1, max: 3000 }).map((ms) => new AdvanceClockCommand(ms)),
    fc.constant(new CleanRestartCommand()),
    fc
      .record(
        {
          // Not below 1024: one append (up to 4 batches of 6 small records, ~730 bytes) must fit a segment.
          segmentBytes: fc.constantFrom(1024, 2048, 8192),
          segmentMs: fc.constantFrom(1000, 5000),
          indexIntervalBytes: fc.constantFrom(64, 256, 2048),
          flushPolicy: fc.constantFrom<FlushPolicy>({ kind: 'none' }, { kind: 'every-append' }, { kind: 'messages', messages: 5 }, { kind: 'interval', intervalMs: 1000 }),
        },
        { requiredKeys: [] },
      )
      .map((changes) => new ReconfigureCommand(changes)),
    fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), fc.constantFrom('prefix' as const, 'last' as const)).map(([s, mode]) => new CrashCommand(s, mode)),
  ];
}

/** The log holds exactly the model's records, from its start to its end. */
export async function checkLogAgainstModel(m: LogModel, r: RealLog): Promise<void> {
  expect(r.log.logStartOffset).toBe(m.logStart);
  expect(r.log.logEndOffset).toBe(m.end);
  expect(r.log.epochEntries()).toEqual(m.epochs);
  const all = await readAll(r.log, 700);
  expect(all).toEqual(m.records.map(({ offset, key, value, timestampMs }) => ({ offset, key, value, timestampMs })));
}

/** Every offset-index entry points at a batch ending at its offset; every time-index entry names a batch with that max timestamp. */
export async function checkIndexesAgree(log: Log, fs: FileSystem): Promise<void> {
  // Sizes (lazily loaded after a restart) agree with the files.
  await log.loadSegmentSizes();
  let filesBytes = 0;
  for (const segment of log.segmentsSnapshot()) {
    const stat = await fs.stat(segment.path('log'));
    expect(segment.sizeBytes).toBe(stat?.sizeBytes);
    filesBytes += stat?.sizeBytes ?? 0;
  }
  expect(log.sizeBytes).toBe(filesBytes);
  for (const segment of log.segmentsSnapshot()) {
    const byPosition = new Map<number, number>();
    const tsByLast = new Map<number, number>();
    await segment.forEachBatch((batch, position) => {
      byPosition.set(position, batchLastOffset(batch, 0));
      tsByLast.set(batchLastOffset(batch, 0), batchMaxTimestamp(batch, 0));
      return true;
    });
    const offsetIndex = await segment.offsetIndex();
    for (let i = 0; i < offsetIndex.entries; i++) {
      const e = offsetIndex.entry(i);
      expect(byPosition.get(e.position)).toBe(e.offset);
    }
    const timeIndex = await segment.timeIndex();
    for (let i = 0; i < timeIndex.entries; i++) {
      const e = timeIndex.entry(i);
      expect(tsByLast.get(e.offset)).toBe(e.timestamp);
    }
  }
}
