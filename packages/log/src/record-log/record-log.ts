/**
 * RecordLog: a durable append-only log of records for an application, on top of the
 * Kafka-format engine (`Log`). Open it on a directory, append records, read or tail them,
 * keep named cursors, and let retention and compaction trim it.
 *
 * Directory layout (`dir` is the record log's root):
 *
 * ```
 * <dir>/.lock                       exclusive OS lock: one process writes a log at a time
 * <dir>/records-0/                  the engine's partition directory (segments, indices)
 * <dir>/*-checkpoint                the engine's checkpoints (recovery point, log start, epochs)
 * <dir>/cleaner-offset-checkpoint   where compaction's next pass starts
 * <dir>/cursors/<name>.checkpoint   each named cursor's committed offset
 * ```
 *
 * Invariants:
 * - offsets are dense and assigned in `append` call order; an append's records are
 *   contiguous;
 * - an append resolves only once its records reached its durability (see log-record.ts),
 *   so after a crash every append acknowledged with `fsync` is there, and after a process
 *   crash every one acknowledged with `os` too;
 * - a write failure fails the log for good (AppenderFailedError); reopening recovers the
 *   longest valid prefix, as the engine does after a crash;
 * - readers see only written records; `stream` never yields an offset twice and never
 *   skips one (except what retention or compaction removed).
 */
import type { Clock, FileLock, FileSystem } from '@samsa/runtime';
import { systemClock } from '@samsa/runtime';
import { readCheckpointLines, writeCheckpointLines } from '../checkpoint-file.ts';
import { cleanLog } from '../cleaner/log-cleaner.ts';
import { mkdirsDurably } from '../file-io.ts';
import type { Log } from '../log.ts';
import type { CleanupPolicy, LogConfig } from '../log-config.ts';
import { openLog } from '../open-log.ts';
import { enforceRetention, retentionConfigOf } from '../retention/enforce-retention.ts';
import { CursorStore } from './cursor-store.ts';
import { GroupCommitAppender } from './group-commit-appender.ts';
import type { AppendAck, Durability, LogRecord, RecordToAppend } from './log-record.ts';
import { readRecords } from './record-reader.ts';
import type { RecordSerdes } from './record-reader.ts';
import { bytesSerde } from './serde.ts';
import type { Serde } from './serde.ts';
import { RecordCursor } from './record-cursor.ts';
import type { StreamOptions } from './record-cursor.ts';

export interface RetentionOptions {
  /** Delete whole segments whose newest record is older than this. */
  readonly ms?: number;
  /** Delete the oldest segments while the log is larger than this. */
  readonly bytes?: number;
}

export interface CompactionOptions {
  /** How long a tombstone (null value) stays readable after compaction reached it. Default 86 400 000 (Kafka's). */
  readonly deleteRetentionMs?: number;
  /** Records younger than this are not compacted. Default 0. */
  readonly minCompactionLagMs?: number;
}

export interface RecordLogOptions<K = Uint8Array, V = Uint8Array> {
  /** Files and time: `nodeRuntime()`, `denoRuntime()`, or `{ fs: new MemoryFileSystem() }`. */
  readonly runtime: { readonly fs: FileSystem; readonly clock?: Clock };
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  /** Default durability of an append. Default 'os'. */
  readonly durability?: Durability;
  /** Default: keep everything. */
  readonly retention?: RetentionOptions;
  /** Keep only the latest record per key (a changelog). Default off. */
  readonly compaction?: boolean | CompactionOptions;
  /** Size of one segment file. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** How often retention and compaction run by themselves; 0: only when `maintain()` is called. Default 60 000. */
  readonly maintenanceIntervalMs?: number;
  /** Records waiting for the next write, in estimated bytes; appends wait beyond it. Default 16 MiB. */
  readonly pendingBytesMax?: number;
  /** Engine settings for the advanced user (see log-config.ts); the options above win. */
  readonly config?: Partial<LogConfig>;
}

export interface AppendOptions {
  readonly durability?: Durability;
}

export interface ReadOptions {
  /** First offset; default the log start. */
  readonly from?: number;
  /** Default 1 000. */
  readonly maxRecords?: number;
}

export interface MaintenanceResult {
  readonly segmentsDeleted: number;
  readonly recordsCompactedAway: number;
}

export class RecordLogLockedError extends Error {
  constructor(dir: string) {
    super(`${dir} is open in another process (or another RecordLog in this one): its .lock is held`);
    this.name = 'RecordLogLockedError';
  }
}

const PARTITION_DIR = 'records-0';
const CLEANER_CHECKPOINT = 'cleaner-offset-checkpoint';
const READ_BYTES_MAX = 1 << 20;
/** Records `stream()` decodes per engine read at most (one 1 MiB read of 100 B records is ~8 000). */
const STREAM_CHUNK_RECORDS = 10_000;
const DELETE_RETENTION_MS_DEFAULT = 86_400_000;

export class RecordLog<K = Uint8Array, V = Uint8Array> {
  readonly dir: string;
  readonly #log: Log;
  readonly #fs: FileSystem;
  readonly #clock: Clock;
  readonly #lock: FileLock;
  readonly #serdes: RecordSerdes<K, V>;
  readonly #durability: Durability;
  readonly #appender: GroupCommitAppender;
  readonly #cursors: CursorStore;
  readonly #compaction: Required<CompactionOptions> | null;
  readonly #maintenanceTimer: { cancel(): void } | null;
  #maintaining: Promise<MaintenanceResult> | null = null;
  #tombstonesDueMs: number | null = null;
  #closed = false;

  /** Use `openRecordLog`. */
  constructor(parts: {
    dir: string;
    log: Log;
    fs: FileSystem;
    clock: Clock;
    lock: FileLock;
    serdes: RecordSerdes<K, V>;
    durability: Durability;
    compaction: Required<CompactionOptions> | null;
    pendingBytesMax: number;
    maintenanceIntervalMs: number;
  }) {
    this.dir = parts.dir;
    this.#log = parts.log;
    this.#fs = parts.fs;
    this.#clock = parts.clock;
    this.#lock = parts.lock;
    this.#serdes = parts.serdes;
    this.#durability = parts.durability;
    this.#compaction = parts.compaction;
    this.#appender = new GroupCommitAppender(parts.log, {
      batchBytesMax: parts.log.config.maxMessageBytes,
      pendingBytesMax: parts.pendingBytesMax,
      waitersMax: 10_000,
    });
    this.#cursors = new CursorStore(parts.fs, parts.dir);
    this.#maintenanceTimer = parts.maintenanceIntervalMs > 0
      ? parts.clock.setInterval(() => void this.maintain().catch(() => {}), parts.maintenanceIntervalMs)
      : null;
  }

  /** The first offset still in the log. */
  get startOffset(): number {
    return this.#log.logStartOffset;
  }

  /** The offset the next appended record gets. */
  get endOffset(): number {
    return this.#appender.nextOffset;
  }

  /** The engine underneath, for the batch-level API (reads only: appends go through this log). */
  get engine(): Log {
    return this.#log;
  }

  /** Appends one record (resolves `{ offset }`) or several (resolves one ack per record, in order). */
  append(record: RecordToAppend<K, V>, options?: AppendOptions): Promise<AppendAck>;
  append(records: readonly RecordToAppend<K, V>[], options?: AppendOptions): Promise<AppendAck[]>;
  async append(input: RecordToAppend<K, V> | readonly RecordToAppend<K, V>[], options: AppendOptions = {}): Promise<AppendAck | AppendAck[]> {
    this.#checkOpen();
    const many = Array.isArray(input);
    const list: readonly RecordToAppend<K, V>[] = many ? input : [input as RecordToAppend<K, V>];
    const nowMs = this.#clock.wallMs();
    const encoded = list.map((r) => ({
      key: r.key == null ? null : this.#serdes.key.serialize(r.key),
      value: r.value === null ? null : this.#serdes.value.serialize(r.value),
      headers: r.headers ?? [],
      timestampMs: r.timestamp ?? nowMs,
    }));
    const base = await this.#appender.append(encoded, options.durability ?? this.#durability);
    return many ? encoded.map((_, i) => ({ offset: base + i })) : { offset: base };
  }

  /** Up to `maxRecords` records from `from`. */
  async read(options: ReadOptions = {}): Promise<LogRecord<K, V>[]> {
    this.#checkOpen();
    const maxRecords = options.maxRecords ?? 1_000;
    if (!(maxRecords >= 1)) throw new RangeError(`maxRecords must be >= 1, got ${maxRecords}`);
    const chunk = await readRecords(this.#log, this.#serdes, options.from ?? this.#log.logStartOffset, maxRecords, READ_BYTES_MAX);
    return chunk.records;
  }

  /**
   * Every record from `from` (default the log start), in offset order; with `follow`, waits
   * for new ones until `signal` aborts or the log closes. One record at a time: the next
   * read happens when the consumer asks, so a slow consumer holds nothing back.
   */
  async *stream(options: StreamOptions = {}): AsyncGenerator<LogRecord<K, V>, void, undefined> {
    const signal = options.signal;
    let next = options.from ?? this.#log.logStartOffset;
    const chunkRecords = options.chunkRecords ?? STREAM_CHUNK_RECORDS;
    for (;;) {
      if (this.#closed || isAborted(signal)) return;
      // One engine read per chunk: decoding all it returned (up to chunkRecords) means no
      // batch is read or decoded twice, which reading fewer records per round would cost.
      const chunk = await readRecords(this.#log, this.#serdes, next, chunkRecords, READ_BYTES_MAX, this.#log.logEndOffset, 1);
      for (const r of chunk.records) {
        yield r;
        if (isAborted(signal)) return;
      }
      next = chunk.nextOffset;
      if (chunk.records.length > 0 || next < this.#log.logEndOffset) continue;
      if (options.follow !== true) return;
      await this.#log.waitForData(next, 60_000, signal === undefined ? {} : { signal });
    }
  }

  /** The first offset whose record's timestamp is ≥ `timestampMs`, or null when none is. */
  async offsetForTime(timestampMs: number): Promise<number | null> {
    this.#checkOpen();
    const found = await this.#log.offsetForTimestamp(timestampMs);
    return found === null ? null : found.offset;
  }

  /** A named, durable reading position (see record-cursor.ts). */
  cursor(name: string): RecordCursor<K, V> {
    this.#checkOpen();
    return new RecordCursor(name, this.#cursors, this);
  }

  /** Names of the cursors that have committed. */
  cursors(): Promise<string[]> {
    return this.#cursors.list();
  }

  deleteCursor(name: string): Promise<void> {
    return this.#cursors.delete(name);
  }

  /**
   * The compacted view: for each key, its latest record (unless that is a tombstone), in
   * offset order; records without key are left out. Two passes over the log; memory holds
   * one entry per distinct key.
   */
  async *latestByKey(): AsyncGenerator<LogRecord<K, V>, void, undefined> {
    const raw: RecordSerdes<Uint8Array, Uint8Array> = { key: bytesSerde, value: bytesSerde };
    const end = this.#log.logEndOffset;
    const latest = new Map<string, number>();
    for (let next = this.#log.logStartOffset; next < end;) {
      const chunk = await readRecords(this.#log, raw, next, 10_000, READ_BYTES_MAX, end);
      for (const r of chunk.records) if (r.key !== null) latest.set(keyId(r.key), r.value === null ? -1 : r.offset);
      if (chunk.nextOffset === next) break;
      next = chunk.nextOffset;
    }
    const wanted = new Set<number>();
    for (const offset of latest.values()) if (offset >= 0) wanted.add(offset);
    latest.clear();
    for (let next = this.#log.logStartOffset; next < end && wanted.size > 0;) {
      const chunk = await readRecords(this.#log, this.#serdes, next, 10_000, READ_BYTES_MAX, end);
      for (const r of chunk.records) {
        if (!wanted.delete(r.offset)) continue;
        yield r;
      }
      if (chunk.nextOffset === next) break;
      next = chunk.nextOffset;
    }
  }

  /** Runs retention and (when on) compaction now; concurrent calls share one pass. */
  maintain(): Promise<MaintenanceResult> {
    this.#checkOpen();
    this.#maintaining ??= this.#maintain().finally(() => (this.#maintaining = null));
    return this.#maintaining;
  }

  /** Resolves once everything appended so far is synced to disk. */
  async flush(): Promise<void> {
    await this.#appender.drain();
    await this.#log.flush();
  }

  /** Writes what is pending, syncs, and releases the directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#maintenanceTimer?.cancel();
    await this.#appender.close();
    await this.#maintaining?.catch(() => {});
    await this.#log.close();
    await this.#lock.release();
  }

  async #maintain(): Promise<MaintenanceResult> {
    const nowMs = this.#clock.wallMs();
    const retention = await enforceRetention(this.#log, retentionConfigOf(this.#log.config), nowMs);
    let recordsCompactedAway = 0;
    if (this.#compaction !== null) {
      const path = `${this.dir}/${CLEANER_CHECKPOINT}`;
      const lines = await readCheckpointLines(this.#fs, path, 1);
      const firstDirtyOffset = lines === null || lines.length === 0 ? this.#log.logStartOffset : Number(lines[0]![0]);
      const result = await cleanLog(this.#log, {
        firstDirtyOffset,
        nowMs,
        deleteRetentionMs: this.#compaction.deleteRetentionMs,
        minCompactionLagMs: this.#compaction.minCompactionLagMs,
        segmentBytes: this.#log.config.segmentBytes,
        tombstonesDue: this.#tombstonesDueMs !== null && this.#tombstonesDueMs <= nowMs,
      });
      recordsCompactedAway = result.recordsRemoved;
      if (result.segmentsRewritten > 0 || this.#tombstonesDueMs === null) this.#tombstonesDueMs = result.earliestDeleteHorizonMs;
      if (result.endOffset !== firstDirtyOffset) await writeCheckpointLines(this.#fs, path, [String(result.endOffset)]);
    }
    return { segmentsDeleted: retention.deletedSegments, recordsCompactedAway };
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error(`record log ${this.dir} is closed`);
  }
}

/** A function, so the compiler does not carry a narrowed `aborted` across a yield. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Hex of the key bytes: a Map key that tells every byte string apart. */
function keyId(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) s += (key[i]! < 16 ? '0' : '') + key[i]!.toString(16);
  return s;
}

/**
 * Opens (creating when missing) the record log in `dir`, recovering it after a crash.
 * Rejects with RecordLogLockedError when another RecordLog holds it.
 */
export async function openRecordLog<K = Uint8Array, V = Uint8Array>(dir: string, options: RecordLogOptions<K, V>): Promise<RecordLog<K, V>> {
  const root = dir.replace(/\/+$/, '');
  const fs = options.runtime.fs;
  const clock = options.runtime.clock ?? systemClock;
  await mkdirsDurably(fs, root);
  const lock = await fs.tryLock(`${root}/.lock`);
  if (lock === null) throw new RecordLogLockedError(root);
  try {
    const compactionGiven = options.compaction === true ? {} : options.compaction === false || options.compaction === undefined ? null : options.compaction;
    const compaction = compactionGiven === null
      ? null
      : { deleteRetentionMs: compactionGiven.deleteRetentionMs ?? DELETE_RETENTION_MS_DEFAULT, minCompactionLagMs: compactionGiven.minCompactionLagMs ?? 0 };
    const retention = options.retention ?? {};
    const deletes = retention.ms !== undefined || retention.bytes !== undefined;
    const cleanupPolicy: CleanupPolicy = compaction === null ? 'delete' : deletes ? 'compact,delete' : 'compact';
    const log = await openLog({
      dir: `${root}/${PARTITION_DIR}`,
      fs,
      clock,
      config: {
        ...options.config,
        cleanupPolicy,
        retentionMs: retention.ms ?? -1,
        retentionBytes: retention.bytes ?? -1,
        ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
        ...(compaction === null ? {} : { deleteRetentionMs: compaction.deleteRetentionMs, minCompactionLagMs: compaction.minCompactionLagMs }),
      },
    });
    return new RecordLog<K, V>({
      dir: root,
      log,
      fs,
      clock,
      lock,
      serdes: { key: options.keySerde ?? (bytesSerde as unknown as Serde<K>), value: options.valueSerde ?? (bytesSerde as unknown as Serde<V>) },
      durability: options.durability ?? 'os',
      compaction,
      pendingBytesMax: options.pendingBytesMax ?? 16 * 1024 * 1024,
      maintenanceIntervalMs: options.maintenanceIntervalMs ?? 60_000,
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
}
