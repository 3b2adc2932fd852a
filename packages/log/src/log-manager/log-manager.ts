/**
 * LogManager: many partition logs under one or more log dirs (Kafka's `LogManager`).
 *
 * Layout: `<logDir>/<topic>-<partition>/` per log, and per log dir the checkpoints
 * `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
 * `replication-offset-checkpoint` (high watermark) and `cleaner-offset-checkpoint` (where
 * each compacted log's dirty section starts), plus `.kafka_cleanshutdown` while the
 * manager is closed cleanly.
 *
 * - Startup (`LogManager.open`): for each dir, read its checkpoints and its clean-shutdown
 *   marker, remove leftovers of interrupted deletions (`*-delete` dirs), open every
 *   partition log in managed mode (no recovery scan after a clean shutdown), with at most
 *   `loadConcurrency` loads in flight; then remove the markers durably before any write.
 * - New logs go to the dir holding the fewest logs. Creation: mkdir, open (the log creates
 *   its first segment), syncDir of the partition and the log dir, so a crash leaves either
 *   no directory or a valid (possibly empty) log.
 * - Shutdown (`close`): logs close `closeConcurrency` at a time (64 by default); then each
 *   dir's checkpoint files are written once and its marker last (see `close`).
 * - Deletion (crash-safe, Kafka's way): close the log, rename its dir to
 *   `<topic>-<partition>.<uuid>-delete` (durable), drop it from the checkpoints, remove the
 *   tree after `file.delete.delay.ms`. A crash after the rename is finished at startup.
 * - Setting aside (`setAsideLog`): the same rename, to `<topic>-<partition>.<uuid>-stray`,
 *   with nothing removed; such dirs are never loaded (Kafka's stray logs).
 * - File handles: the FileSystem is wrapped in a {@link HandleCache} (`openHandlesMax`),
 *   so thousands of partitions hold a bounded number of descriptors; segments open their
 *   files and load their indices lazily (the core's LogSegment), so opening 10,000 idle
 *   partitions reads directory listings and sizes only.
 * - Maintenance through the Clock: retention every `retentionCheckIntervalMs`, the cleaner
 *   every `cleanerIntervalMs` (logs with `compact` whose dirty ratio reaches
 *   `min.cleanable.dirty.ratio`, dirtiest first, and logs whose tombstones reached their
 *   delete horizon), checkpoints every `checkpointIntervalMs`.
 *   Tasks on one log are serialized (retention and cleaning never overlap on a log); a
 *   failure is logged for that log and never escapes as an unhandled rejection. The
 *   manager is the only scheduler of retention: each pass uses every log's current config
 *   (retention.ms, retention.bytes, cleanup.policy, as `reconfigure` last set them), and a
 *   host that keeps state per log (the broker's producer state) hears every deletion
 *   through `onSegmentsDeleted`.
 * - Reconfiguring (`reconfigure`, Kafka's AlterConfigs): `Log.updateConfig` on the open
 *   log, so the next append, roll, flush, retention pass and cleaner pass see the new
 *   values (see `Log.updateConfig` for the few kept until reopen).
 *
 * Single event loop. Methods may be called concurrently; per-log work is serialized.
 * Split along its seams: checkpoint files (dir-checkpoints.ts), the cleaner's scheduling
 * and state (manager-cleaner.ts), the per-log task chain (managed-entry.ts).
 */
import { createRandom, randomSeed, systemClock, type Clock, type FileSystem, type Random, type TimerHandle } from '@samsa/runtime';
import { topicPartitionKey } from '../checkpoint-file.ts';
import { CleanShutdownMismatchError, completedUnlessNoSpace, InvalidArgumentError, isNoSpace } from '../errors.ts';
import { mkdirsDurably } from '../file-io.ts';
import { LOG_DIR_CLEAN_SHUTDOWN_FILE, joinDir, parsePartitionDirName, partitionDirName } from '../file-names.ts';
import type { LogConfig } from '../log-config.ts';
import { silentLogger, type LogLogger } from '../logger.ts';
import type { Log } from '../log.ts';
import { openLog } from '../open-log.ts';
import type { CleanResult } from '../cleaner/log-cleaner.ts';
import type { RecordsCodec } from '../cleaner/retained-batch.ts';
import { enforceRetention, retentionConfigOf } from '../retention/enforce-retention.ts';
import { CheckpointWriter, readDirCheckpoints } from './dir-checkpoints.ts';
import { HandleCache } from './handle-cache.ts';
import { CLEANER_OFFSET_MAP_BYTES_DEFAULT, ManagerCleaner } from './manager-cleaner.ts';
import { runOnLog, type ManagedEntry } from './managed-entry.ts';
import { DELETE_DIR_SUFFIX, retiredDirName, STRAY_DIR_SUFFIX } from './retired-dirs.ts';
import { runBounded } from './run-bounded.ts';

export { CLEANER_DELETE_HORIZON_CHECKPOINT_FILE, CLEANER_OFFSET_CHECKPOINT_FILE } from './dir-checkpoints.ts';
export { CLEANER_OFFSET_MAP_BYTES_DEFAULT, cleanerMapBytesFor } from './manager-cleaner.ts';
export { DELETE_DIR_SUFFIX, STRAY_DIR_SUFFIX } from './retired-dirs.ts';

/**
 * Logs closed at once by `LogManager.close`: enough to keep a disk's queue busy (each
 * close is a few syncs and small writes), small enough that the handles and index
 * buffers of the logs in flight stay bounded, and well under the default `openHandlesMax`.
 */
export const CLOSE_CONCURRENCY_DEFAULT = 64;

export interface LogManagerOptions {
  readonly logDirs: readonly string[];
  readonly fs: FileSystem;
  readonly clock?: Clock;
  /**
   * The suffixes of retired (`-delete`, `-stray`) directories come from here, so one seed
   * reproduces a run. Default: the runtime's generator on a fresh seed (as `clock` defaults
   * to the system clock).
   */
  readonly random?: Random;
  readonly logger?: LogLogger;
  /** Config of every log unless `topicConfig` says otherwise. */
  readonly defaultConfig?: Partial<LogConfig>;
  /** Per-topic overrides (the broker's topic configs); used at load and creation. */
  readonly topicConfig?: (topic: string) => Partial<LogConfig> | undefined;
  /** Real file handles open at once (HandleCache); default 1024. */
  readonly openHandlesMax?: number;
  /** Logs opened in parallel at startup; default 16. */
  readonly loadConcurrency?: number;
  /** Logs closed in parallel by `close()`; default CLOSE_CONCURRENCY_DEFAULT (64). */
  readonly closeConcurrency?: number;
  /** 'manual' (default): replication moves the high watermark. 'log-end': no replication. */
  readonly highWatermark?: 'log-end' | 'manual';
  /** `log.retention.check.interval.ms`; default 300,000. */
  readonly retentionCheckIntervalMs?: number;
  /** How often the cleaner looks for dirty logs; default 15,000. */
  readonly cleanerIntervalMs?: number;
  /** `log.flush.offset.checkpoint.interval.ms`; default 60,000. */
  readonly checkpointIntervalMs?: number;
  /**
   * Offset map bytes per cleaning pass at most (Kafka's log.cleaner.dedupe.buffer.size);
   * default 4 MiB. A pass allocates only what its dirty bytes can need (cleanerMapBytesFor).
   */
  readonly cleanerOffsetMapBytes?: number;
  /** Logs cleaned per cleaner tick at most; default 16. */
  readonly cleanerLogsPerTickMax?: number;
  /** Compression for the cleaner; default the codec package's; null keeps compressed batches as they are. */
  readonly cleanerCodec?: RecordsCodec | null;
  /** Bound on logs managed; default 1,000,000. */
  readonly logsMax?: number;
  /**
   * Called after each retention deletion (on that log's maintenance chain, before its next
   * task): a host trims what it keeps per log below the new log start offset (the broker's
   * producer state) and logs it. Synchronous; a throw is logged and ignored.
   */
  readonly onSegmentsDeleted?: (event: SegmentsDeletedEvent) => void;
}

/** One retention deletion (LogManagerOptions.onSegmentsDeleted). */
export interface SegmentsDeletedEvent {
  readonly topic: string;
  readonly partition: number;
  readonly deletedSegments: number;
  /** The log start offset after the deletion. */
  readonly logStartOffset: number;
  /** Which rules deleted them: 'retention-ms', 'retention-bytes', 'log-start-offset' (comma-joined). */
  readonly reason: string;
}

export class LogManager {
  readonly fs: FileSystem;
  readonly handleCache: HandleCache;
  readonly logDirs: readonly string[];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: LogLogger;
  private readonly options: LogManagerOptions;
  private readonly entries = new Map<string, ManagedEntry>();
  private readonly logsPerDir = new Map<string, number>();
  private readonly creating = new Map<string, Promise<Log>>();
  private readonly cleaner: ManagerCleaner;
  private readonly checkpoints: CheckpointWriter;
  private readonly timers: TimerHandle[] = [];
  /** Timers removing deleted log dirs (cancelled on close; startup finishes the job). */
  private readonly deleteTimers = new Set<TimerHandle>();
  private readonly running = new Set<string>();
  private closed = false;

  private constructor(options: LogManagerOptions) {
    if (options.logDirs.length === 0) throw new InvalidArgumentError('LogManager needs at least one log dir');
    this.options = options;
    this.logDirs = options.logDirs.map((d) => d.replace(/\/+$/, '') || '/');
    this.handleCache = options.fs instanceof HandleCache ? options.fs : new HandleCache(options.fs, { openHandlesMax: options.openHandlesMax ?? 1024 });
    this.fs = this.handleCache;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? createRandom(randomSeed());
    this.logger = options.logger ?? silentLogger;
    this.cleaner = new ManagerCleaner({
      logger: this.logger,
      offsetMapBytesMax: options.cleanerOffsetMapBytes ?? CLEANER_OFFSET_MAP_BYTES_DEFAULT,
      logsPerTickMax: options.cleanerLogsPerTickMax ?? 16,
      codec: options.cleanerCodec,
    });
    this.checkpoints = new CheckpointWriter(this.fs, {
      logs: (logDir) => [...this.entries.values()].filter((e) => e.logDir === logDir && !e.log.isOffline).map((e) => e.log),
      cleanerOffsets: this.cleaner.cleanerOffsets,
      deleteHorizons: this.cleaner.deleteHorizons,
    });
  }

  /**
   * Opens every log found under `logDirs` (creating the dirs if needed). A failed open (a storage error, a full disk during recovery)
   * closes every log it had opened before rejecting: no handle outlives it.
   */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(options);
    try {
      for (const logDir of manager.logDirs) await manager.loadDir(logDir);
    } catch (e) {
      for (const entry of manager.entries.values()) await entry.log.close().catch(() => undefined);
      manager.entries.clear();
      manager.closed = true;
      throw e;
    }
    return manager;
  }

  // ---- lookup and creation ------------------------------------------------------------

  getLog(topic: string, partition: number): Log | undefined {
    return this.entries.get(topicPartitionKey(topic, partition))?.log;
  }

  /** Every managed log. */
  allLogs(): Log[] {
    return [...this.entries.values()].map((e) => e.log);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The log of (topic, partition), created in the emptiest log dir when missing. A log
   * loaded on a clean-shutdown marker has its end checked against its files on the first
   * call (see `verifiedLog`).
   */
  async getOrCreateLog(topic: string, partition: number, config?: Partial<LogConfig>): Promise<Log> {
    this.ensureOpen();
    const key = topicPartitionKey(topic, partition);
    const inFlight = this.creating.get(key);
    if (inFlight !== undefined) return inFlight;
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      if (!existing.endUnverified) return existing.log;
      const verifying = this.verifiedLog(key, existing);
      this.creating.set(key, verifying);
      try {
        return await verifying;
      } finally {
        this.creating.delete(key);
      }
    }
    if (this.entries.size + this.creating.size >= (this.options.logsMax ?? 1_000_000)) throw new InvalidArgumentError(`more than ${this.options.logsMax ?? 1_000_000} logs`);
    if (parsePartitionDirName(partitionDirName(topic, partition)) === null || topic.length === 0 || /[\s/]/.test(topic)) {
      throw new InvalidArgumentError(`bad topic-partition ${JSON.stringify(topic)}-${partition}`);
    }
    const creation = this.createLog(topic, partition, config);
    this.creating.set(key, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(key);
    }
  }

  private async createLog(topic: string, partition: number, config: Partial<LogConfig> | undefined): Promise<Log> {
    const logDir = this.emptiestDir();
    const dir = joinDir(logDir, partitionDirName(topic, partition));
    const log = await this.openManaged(logDir, dir, topic, { recoveryPoint: 0, logStartOffset: 0, highWatermark: 0, hadCleanShutdown: false }, config);
    // The first segment's files: durable before anyone appends (openLog synced the dir entry in logDir).
    await this.fs.syncDir(dir);
    this.track(topicPartitionKey(topic, partition), { log, logDir, tasks: Promise.resolve(), endUnverified: false });
    return log;
  }

  /**
   * Checks a log loaded on the clean-shutdown marker against its files; when they
   * contradict the checkpointed end (a marker written by a process with a stale view, or
   * files changed by hand), closes it and reopens it with recovery from the files (from
   * offset 0: the checkpoint is known wrong), with a warning, instead of leaving it offline.
   * Any other failure leaves the log as it is (offline), as its first use would.
   */
  private async verifiedLog(key: string, entry: ManagedEntry): Promise<Log> {
    entry.endUnverified = false;
    try {
      await entry.log.verifyEnd();
      return entry.log;
    } catch (e) {
      const mismatch = e instanceof Error && e.cause instanceof CleanShutdownMismatchError ? e.cause : null;
      if (mismatch === null) return entry.log;
      this.logger.warn(
        { dir: entry.log.dir, checkpointedEndOffset: mismatch.expectedNextOffset, segmentEndOffset: mismatch.actualNextOffset },
        'the clean-shutdown checkpoint contradicts the log files: recovering this log from its files',
      );
    }
    await entry.tasks;
    await entry.log.close().catch(() => undefined);
    const log = await this.openManaged(
      entry.logDir,
      entry.log.dir,
      entry.log.topic,
      { recoveryPoint: 0, logStartOffset: entry.log.logStartOffset, highWatermark: entry.log.highWatermark, hadCleanShutdown: false },
      entry.log.config,
    );
    this.entries.set(key, { log, logDir: entry.logDir, tasks: Promise.resolve(), endUnverified: false });
    this.logger.warn({ dir: log.dir, logEndOffset: log.logEndOffset }, 'recovered the log from its files');
    return log;
  }

  private emptiestDir(): string {
    let best = this.logDirs[0]!;
    for (const d of this.logDirs) if ((this.logsPerDir.get(d) ?? 0) < (this.logsPerDir.get(best) ?? 0)) best = d;
    return best;
  }

  private track(key: string, entry: ManagedEntry): void {
    this.entries.set(key, entry);
    this.logsPerDir.set(entry.logDir, (this.logsPerDir.get(entry.logDir) ?? 0) + 1);
  }

  private untrack(key: string): ManagedEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.logsPerDir.set(entry.logDir, (this.logsPerDir.get(entry.logDir) ?? 1) - 1);
    return entry;
  }

  private configFor(topic: string, override?: Partial<LogConfig>): Partial<LogConfig> {
    return { ...this.options.defaultConfig, ...this.options.topicConfig?.(topic), ...override };
  }

  private async openManaged(
    logDir: string,
    dir: string,
    topic: string,
    state: { recoveryPoint: number; logStartOffset: number; highWatermark: number; hadCleanShutdown: boolean },
    config?: Partial<LogConfig>,
  ): Promise<Log> {
    return openLog({
      dir,
      fs: this.fs,
      clock: this.clock,
      logger: this.logger,
      config: this.configFor(topic, config),
      highWatermark: this.options.highWatermark ?? 'manual',
      managed: { ...state, persistCheckpoints: () => (this.closed ? Promise.resolve() : this.writeCheckpoints(logDir)) },
    });
  }

  // ---- deletion -----------------------------------------------------------------------

  /**
   * Deletes a log crash-safely; resolves once its directory is renamed away (durably) and
   * the checkpoints no longer name it; the files go after `file.delete.delay.ms`, or before
   * it resolves with `immediately` (to free space at once). Works on a full disk. Rejects
   * on a storage error (the log is then closed; a restart may bring it back).
   */
  async deleteLog(topic: string, partition: number, options: { readonly immediately?: boolean } = {}): Promise<boolean> {
    return this.retireLog(topic, partition, DELETE_DIR_SUFFIX, options.immediately === true);
  }

  /**
   * Sets a log aside without deleting anything (Kafka's stray logs): closes it and renames
   * its directory to `<topic>-<partition>.<uuid>-stray` (durably), which no later open
   * loads, and drops it from the checkpoints. For a host whose metadata no longer names
   * the log's topic (a topic deletion cut short by a crash): the data stays on disk for an
   * operator, and a new topic of the same name starts empty. Rejects on a storage error.
   */
  async setAsideLog(topic: string, partition: number): Promise<boolean> {
    return this.retireLog(topic, partition, STRAY_DIR_SUFFIX, false);
  }

  private async retireLog(topic: string, partition: number, suffix: string, removeNow: boolean): Promise<boolean> {
    this.ensureOpen();
    const key = topicPartitionKey(topic, partition);
    const entry = this.untrack(key);
    if (entry === undefined) return false;
    this.cleaner.forget(key);
    await runOnLog(entry, suffix === DELETE_DIR_SUFFIX ? 'delete' : 'set aside', this.logger, { rethrow: true }, async () => {
      const { log } = entry;
      // A full disk may fail the close's index trims; the handles are released anyway, and
      // the files are going: deleting must work on a full disk.
      await log.close().catch((e: unknown) => {
        if (!isNoSpace(e)) throw e;
      });
      const renamed = joinDir(entry.logDir, retiredDirName(topic, partition, suffix, this.random));
      await this.fs.rename(log.dir, renamed);
      await this.fs.syncDir(entry.logDir);
      if (suffix !== DELETE_DIR_SUFFIX) return;
      if (removeNow) {
        // The handles are closed, so the space is free when this resolves (a full disk).
        await this.fs.remove(renamed, { recursive: true });
        return;
      }
      const timer = this.clock.setTimeout(() => {
        this.deleteTimers.delete(timer);
        this.fs.remove(renamed, { recursive: true }).catch((e: unknown) => this.logger.warn({ dir: renamed, error: String(e) }, 'removing a deleted log failed'));
      }, log.config.fileDeleteDelayMs);
      this.deleteTimers.add(timer);
    });
    // The dir is renamed away already (the deletion happened); on a full disk the old
    // checkpoints stay until the next write (a restart skips the names they hold).
    await this.writeCheckpointsAllowingFullDisk(entry.logDir);
    return true;
  }

  /** `writeCheckpoints`, but a full disk only logs a warning and resolves false. */
  private async writeCheckpointsAllowingFullDisk(logDir: string): Promise<boolean> {
    if (await completedUnlessNoSpace(this.writeCheckpoints(logDir))) return true;
    this.logger.warn({ logDir }, 'no space to rewrite the checkpoints; the next write retries');
    return false;
  }

  /**
   * Closes one log after its pending maintenance task (a cleaning pass is never cut off
   * by the close). The log stays managed: its checkpoints are still written, and
   * `deleteLog` or `close` finish with it. No-op for an unknown log.
   */
  async closeLog(topic: string, partition: number): Promise<void> {
    const entry = this.entries.get(topicPartitionKey(topic, partition));
    if (entry === undefined) return;
    await runOnLog(entry, 'close', this.logger, { rethrow: true }, () => entry.log.close());
  }

  // ---- loading ------------------------------------------------------------------------

  private async loadDir(logDir: string): Promise<void> {
    for (const parent of await mkdirsDurably(this.fs, logDir)) {
      this.logger.warn({ logDir, parent }, 'created the log dir, but its parent may not be synced (no permission): a power loss soon after may lose it');
    }
    const markerPath = joinDir(logDir, LOG_DIR_CLEAN_SHUTDOWN_FILE);
    const hadCleanShutdown = (await this.fs.stat(markerPath)) !== null;
    const { recoveryPoints, startOffsets, highWatermarks, cleanerOffsets, deleteHorizons } = await readDirCheckpoints(this.fs, logDir, this.logger);
    for (const [key, offset] of cleanerOffsets) this.cleaner.cleanerOffsets.set(key, offset);
    for (const [key, horizonMs] of deleteHorizons) this.cleaner.deleteHorizons.set(key, horizonMs);

    const names = await this.fs.readDir(logDir);
    const toOpen: { name: string; topic: string; partition: number }[] = [];
    for (const name of names) {
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        await this.fs.remove(joinDir(logDir, name), { recursive: true });
        this.logger.info({ logDir, name }, 'finished an interrupted log deletion');
        continue;
      }
      // No stat per entry (a restart's cost is its file operations): a file that merely
      // looks like `<topic>-<partition>` fails to open below and is skipped there.
      const parsed = parsePartitionDirName(name);
      if (parsed !== null) toOpen.push({ name, ...parsed });
    }
    // After a failure no further log is opened, and every open in flight settles before the
    // failure is reported, so `open` can close what they opened.
    let failed = false;
    await runBounded(toOpen, Math.max(1, this.options.loadConcurrency ?? 16), async ({ name, topic, partition }) => {
      if (failed) return;
      try {
        const key = topicPartitionKey(topic, partition);
        if (this.entries.has(key)) throw new InvalidArgumentError(`${key} exists in two log dirs (${this.entries.get(key)!.logDir}, ${logDir})`);
        const dir = joinDir(logDir, name);
        let log: Log;
        try {
          log = await this.openManaged(logDir, dir, topic, {
            recoveryPoint: recoveryPoints.get(key) ?? 0,
            logStartOffset: startOffsets.get(key) ?? 0,
            highWatermark: highWatermarks.get(key) ?? 0,
            hadCleanShutdown,
          });
        } catch (e) {
          if ((await this.fs.stat(dir))?.isDirectory !== false) throw e;
          this.logger.warn({ logDir, name }, 'ignoring a file named like a partition directory');
          return;
        }
        this.track(key, { log, logDir, tasks: Promise.resolve(), endUnverified: hadCleanShutdown });
      } catch (e) {
        failed = true;
        throw e;
      }
    });
    if (hadCleanShutdown) {
      // From here on a crash must trigger recovery.
      await this.fs.remove(markerPath);
      await this.fs.syncDir(logDir);
    }
  }

  // ---- checkpoints --------------------------------------------------------------------

  /**
   * Rewrites the four checkpoint files of one log dir. Serialized per dir and coalesced:
   * a request made while a write is queued joins it (every log persisting at once costs
   * one write, not one per log).
   */
  writeCheckpoints(logDir: string): Promise<void> {
    return this.checkpoints.write(logDir);
  }

  /** Rewrites the checkpoints of every log dir. */
  async checkpointAll(): Promise<void> {
    for (const d of this.logDirs) await this.writeCheckpoints(d);
  }

  // ---- maintenance --------------------------------------------------------------------

  /**
   * Applies a changed config to an open log (`Log.updateConfig`): `config` is resolved
   * over the log's current config. False when the log is not managed here. Throws
   * InvalidArgumentError on a bad config (nothing changes).
   */
  reconfigure(topic: string, partition: number, config: Partial<LogConfig>): boolean {
    const entry = this.entries.get(topicPartitionKey(topic, partition));
    if (entry === undefined) return false;
    entry.log.updateConfig(config);
    return true;
  }

  /**
   * Starts the periodic tasks on the Clock: retention every `retentionCheckIntervalMs`
   * (unless `retention: false`), the cleaner (unless `cleaner: false`, Kafka's
   * log.cleaner.enable) and the checkpoints.
   */
  startMaintenance(tasks: { readonly retention?: boolean; readonly cleaner?: boolean } = {}): void {
    this.ensureOpen();
    const every = (name: string, intervalMs: number, task: () => Promise<unknown>): void => {
      this.timers.push(
        this.clock.setInterval(() => {
          if (this.closed || this.running.has(name)) return; // never two runs of one task at once
          this.running.add(name);
          task()
            .catch((e: unknown) => this.logger.warn({ task: name, error: String(e) }, 'maintenance task failed'))
            .finally(() => this.running.delete(name));
        }, intervalMs),
      );
    };
    if (tasks.retention !== false) every('retention', this.options.retentionCheckIntervalMs ?? 300_000, () => this.runRetention());
    if (tasks.cleaner !== false) every('cleaner', this.options.cleanerIntervalMs ?? 15_000, () => this.runCleaner());
    every('checkpoint', this.options.checkpointIntervalMs ?? 60_000, () => this.checkpointAll());
  }

  /**
   * One retention pass over every log with its current config (the periodic task runs
   * this); resolves the number of segments deleted. Each deletion is reported to
   * `onSegmentsDeleted`.
   */
  async runRetention(nowMs: number = this.clock.wallMs()): Promise<number> {
    let deleted = 0;
    for (const entry of [...this.entries.values()]) {
      if (entry.log.isOffline || entry.log.isClosed) continue;
      await runOnLog(entry, 'retention', this.logger, { rethrow: false }, async () => {
        const { log } = entry;
        if (log.isOffline || log.isClosed) return;
        const result = await enforceRetention(log, retentionConfigOf(log.config), nowMs);
        if (result.deletedSegments === 0) return;
        deleted += result.deletedSegments;
        this.reportDeletion({ topic: log.topic, partition: log.partition, deletedSegments: result.deletedSegments, logStartOffset: log.logStartOffset, reason: [...new Set(result.plan.reasons)].join(',') });
      });
    }
    return deleted;
  }

  private reportDeletion(event: SegmentsDeletedEvent): void {
    try {
      this.options.onSegmentsDeleted?.(event);
    } catch (e) {
      this.logger.warn({ topic: event.topic, partition: event.partition, error: String(e) }, 'onSegmentsDeleted threw');
    }
  }

  /** Cleans the dirtiest compacted logs whose dirty ratio reached min.cleanable.dirty.ratio. */
  async runCleaner(nowMs: number = this.clock.wallMs()): Promise<CleanResult[]> {
    const results = await this.cleaner.tick(this.entries.values(), nowMs);
    if (results.length > 0) await this.checkpointAll();
    return results;
  }

  /** Where the next cleaning pass of `log` starts. */
  firstDirtyOffset(log: Log): number {
    return this.cleaner.firstDirtyOffset(log);
  }

  // ---- close --------------------------------------------------------------------------

  /**
   * Stops maintenance, closes every log, writes the checkpoints and, if every log closed
   * cleanly, each dir's clean-shutdown marker (the next open skips recovery).
   *
   * Logs close `closeConcurrency` at a time (Kafka closes them on a thread pool per log
   * dir), each after its pending maintenance task. While closing, a log's own checkpoint
   * request is a no-op (`closed` is set first): each dir's checkpoint files are written
   * once, after every log closed, from the final recovery points, and only then the
   * marker. So a shutdown costs one sync per log that has something to sync plus O(dirs)
   * checkpoint writes — not a rewrite of every checkpoint file (each naming every log)
   * per closed log. A crash at any point before the marker leaves the checkpoints of the
   * last periodic write (recovery points at or below the real ones) and no marker: the
   * next open recovers, as after any crash. On a full disk (a log's close or a checkpoint
   * hit 'no-space') it still resolves, without the marker, so the next open recovers from
   * the recovery points: shutdown works full.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) t.cancel();
    for (const t of this.deleteTimers) t.cancel();
    this.deleteTimers.clear();
    let clean = true;
    await runBounded([...this.entries.values()], this.options.closeConcurrency ?? CLOSE_CONCURRENCY_DEFAULT, async (entry) => {
      await entry.tasks;
      try {
        await entry.log.close();
        if (entry.log.isOffline) clean = false;
      } catch (e) {
        clean = false;
        this.logger.warn({ dir: entry.log.dir, error: String(e) }, 'closing a log failed');
      }
    });
    for (const logDir of this.logDirs) {
      if (!(await this.writeCheckpointsAllowingFullDisk(logDir)) || !clean) continue;
      const handle = await this.fs.open(joinDir(logDir, LOG_DIR_CLEAN_SHUTDOWN_FILE), 'read-write', { truncate: true });
      await handle.sync();
      await handle.close();
      await this.fs.syncDir(logDir);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new InvalidArgumentError('LogManager is closed');
  }
}
