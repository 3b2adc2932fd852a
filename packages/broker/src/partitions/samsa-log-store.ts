/**
 * SamsaLogStore: the PartitionLogStore over a @samsa/log `LogManager` on `<log.dirs[0]>`
 * — Kafka's on-disk layout (`<topic>-<partition>/` per log, per-dir checkpoint files,
 * `cleaner-offset-checkpoint`, `.kafka_cleanshutdown`).
 *
 * What the manager does for the broker:
 *   - startup: opens every partition directory with its topic's config (`topicConfig`,
 *     resolved from the broker's topic metadata; `defaultConfig` for a directory no topic
 *     names), skipping recovery after a clean shutdown; finishes interrupted deletions
 *     (`<topic>-<partition>.<id>-delete`).
 *   - the log cleaner: every `log.cleaner.backoff.ms` it compacts the logs whose
 *     cleanup.policy has `compact` and whose dirty ratio reached min.cleanable.dirty.ratio
 *     (delete.retention.ms, min.compaction.lag.ms per topic), dirtiest first, and records
 *     where it stopped in `cleaner-offset-checkpoint`. This is what keeps
 *     `__consumer_offsets` bounded.
 *   - retention every `log.retention.check.interval.ms`, with each topic's current
 *     retention.ms / retention.bytes / cleanup.policy (the logs are reconfigured on every
 *     config change, below): the manager is the only scheduler of retention, and tells the
 *     broker after each deletion (`onSegmentsDeleted`) so it trims the partition's producer
 *     state. Retention and cleaning run on one per-log chain, so they never overlap.
 *   - checkpoints every `log.flush.offset.checkpoint.interval.ms` and at close.
 *   - close: closes every log, 64 at a time, then writes the checkpoints once and
 *     `.kafka_cleanshutdown` last (no recovery next start).
 *
 * Config changes (AlterConfigs, topic or dynamic broker level): `reconfigure` hands the
 * topic's new config to the open log (`LogManager.reconfigure` → `Log.updateConfig`), so
 * segment.bytes, segment.ms, flush.messages, flush.ms, max.message.bytes,
 * message.timestamp.type, retention and compaction settings apply from the next append or
 * maintenance pass, without a restart; segment.index.bytes applies when the log is next
 * opened. The broker also checks max.message.bytes itself before appending.
 *
 * Data dirs from the earlier standalone mode (a `.samsa_cleanshutdown` marker in each
 * partition directory, no `.kafka_cleanshutdown`) open with a recovery scan from the
 * checkpointed recovery points; the stale per-log markers are removed.
 *
 * Leader epochs: every appended batch is stamped with the partition's current leader
 * epoch (`Partition.leaderEpoch`, passed as `leaderEpoch`: 0 on a single broker, the
 * view's in a cluster; 0 when a caller passes none). The log writes it in place (outside
 * the CRC) and records a new epoch's start offset in `leader-epoch-checkpoint` at the
 * first append of that epoch.
 */
import { flushPolicyFromKafka, LOG_CLEAN_SHUTDOWN_FILE, LOG_DIR_CLEAN_SHUTDOWN_FILE, LogManager } from '@samsa/log';
import type { AppendEvent, AppendOptions, AppendResult, EpochEndOffset, FollowerAppendOptions, Log, LogConfig, ReadOptions, ReadResult, SegmentInfo, SegmentsDeletedEvent, TimestampAndOffset } from '@samsa/log';
import { joinPath } from '@samsa/runtime';
import type { Clock, FileSystem, Random } from '@samsa/runtime';
import type { Logger } from '../observability/logger.ts';
import type { PartitionLog, PartitionLogConfig, PartitionLogStore, RemoveOptions, WaitForDataOptions } from './partition-log.ts';

/** The epoch of an append that names none (a single broker's partitions lead at 0 forever). */
const DEFAULT_LEADER_EPOCH = 0;

/**
 * The topic's config in the log's terms, value for value: no clamps. The topic and broker
 * config validators hold every value to the log's bounds where it is set
 * (config/log-limits.ts), so a value the log cannot take never gets here; if one did,
 * the log's own check rejects it rather than the broker quietly changing it.
 */
export function toSamsaLogConfig(c: PartitionLogConfig): Partial<LogConfig> {
  const policy = c.cleanupPolicy.includes('compact') ? (c.cleanupPolicy.includes('delete') ? 'compact,delete' : 'compact') : 'delete';
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    segmentIndexBytes: c.segmentIndexBytes,
    indexIntervalBytes: c.indexIntervalBytes,
    maxMessageBytes: c.maxMessageBytes,
    timestampType: c.logAppendTime ? 'log-append-time' : 'create-time',
    flushPolicy: flushPolicyFromKafka(c.flushMessages, c.flushMs),
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    cleanupPolicy: policy,
    ...(c.deleteRetentionMs === undefined ? {} : { deleteRetentionMs: c.deleteRetentionMs }),
    ...(c.minCompactionLagMs === undefined ? {} : { minCompactionLagMs: c.minCompactionLagMs }),
    ...(c.minCleanableDirtyRatio === undefined ? {} : { minCleanableDirtyRatio: c.minCleanableDirtyRatio }),
    ...(c.fileDeleteDelayMs === undefined ? {} : { fileDeleteDelayMs: c.fileDeleteDelayMs }),
  };
}

/**
 * The Log as the broker's PartitionLog: every call and result is the log's own; only the
 * default leader epoch (0 when the caller names none), close (after the log's running
 * maintenance task) and retention (on the manager's per-log chain) go through here.
 */
class SamsaPartitionLog implements PartitionLog {
  readonly log: Log;
  readonly #manager: LogManager;
  constructor(log: Log, manager: LogManager) {
    this.log = log;
    this.#manager = manager;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get highWatermark(): number {
    return this.log.highWatermark;
  }
  get sizeBytes(): number {
    return this.log.sizeBytes;
  }
  get isOffline(): boolean {
    return this.log.isOffline;
  }
  append(batches: Uint8Array, options: AppendOptions = {}): Promise<AppendResult> {
    return this.log.append(batches, { ...options, leaderEpoch: options.leaderEpoch ?? DEFAULT_LEADER_EPOCH });
  }
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset {
    return this.log.endOffsetForEpoch(leaderEpoch);
  }
  appendAsFollower(batches: Uint8Array, options?: FollowerAppendOptions): Promise<AppendResult> {
    return this.log.appendAsFollower(batches, options);
  }
  updateHighWatermark(offset: number): number {
    return this.log.updateHighWatermark(offset);
  }
  assignEpochStartOffset(epoch: number, startOffset: number): Promise<void> {
    return this.log.assignEpochStartOffset(epoch, startOffset);
  }
  latestEpoch(): number | null {
    return this.log.latestEpoch();
  }
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.log.truncateFullyAndStartAt(offset);
  }
  onAppend(listener: (event: AppendEvent) => void): () => void {
    return this.log.onAppend(listener);
  }
  truncateTo(offset: number): Promise<boolean> {
    return this.log.truncateTo(offset);
  }
  read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult> {
    return this.log.read(offset, maxBytes, options);
  }
  offsetForTimestamp(timestampMs: number): Promise<TimestampAndOffset | null> {
    return this.log.offsetForTimestamp(timestampMs);
  }
  segmentInfos(): Promise<readonly SegmentInfo[]> {
    return this.log.segmentInfos();
  }
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.log.deleteRecordsBefore(offset);
  }
  waitForData(offset: number, timeoutMs: number, options?: WaitForDataOptions): Promise<boolean> {
    return this.log.waitForData(offset, timeoutMs, options);
  }
  /** After the log's running maintenance task (a cleaning pass is not cut off). */
  close(): Promise<void> {
    return this.#manager.closeLog(this.log.topic, this.log.partition);
  }
}

/** The manager's periodic work (from server.properties; see LogMaintenanceConfig). */
export interface SamsaLogStoreMaintenance {
  /** `log.retention.check.interval.ms`: how often retention runs over every log. */
  readonly retentionCheckIntervalMs: number;
  /** `log.cleaner.enable`. */
  readonly cleanerEnable: boolean;
  /** `log.cleaner.backoff.ms`: how often the cleaner looks for dirty logs. */
  readonly cleanerBackoffMs: number;
  /** `log.cleaner.dedupe.buffer.size`: the offset map of one cleaning pass. */
  readonly cleanerDedupeBufferBytes: number;
  /** `log.flush.offset.checkpoint.interval.ms`. */
  readonly checkpointIntervalMs: number;
}

export interface SamsaLogStoreOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** Suffixes of retired partition dirs (LogManager's `random`). */
  readonly random?: Random;
  /** The log dir (Samsa uses the first of log.dirs). */
  readonly logDir: string;
  readonly logger: Logger;
  /** The current config of a topic (metadata + dynamic broker configs), undefined when no such topic. */
  readonly topicConfig?: (topic: string) => PartitionLogConfig | undefined;
  /** Config of a directory no topic names (the broker's defaults). */
  readonly defaultConfig?: PartitionLogConfig;
  /**
   * `log-end` (default; a single broker): the high watermark follows the log end. `manual`
   * (a cluster broker): replication moves it (`updateHighWatermark`), and it is
   * checkpointed in `replication-offset-checkpoint` and restored at open, as Kafka's.
   */
  readonly highWatermark?: 'log-end' | 'manual';
  /** Omitted: no periodic retention, cleaner or checkpoints (tests drive `manager` by hand). */
  readonly maintenance?: SamsaLogStoreMaintenance;
  /**
   * Told after retention deleted a log's oldest segments (on that log's maintenance chain):
   * the broker trims the partition's producer state and logs it. A throw is logged.
   */
  readonly onSegmentsDeleted?: (event: SegmentsDeletedEvent) => void;
}

export class SamsaLogStore implements PartitionLogStore {
  /** The LogManager under the store (tests and tools: runCleaner, checkpoints). */
  readonly manager: LogManager;
  readonly #opts: SamsaLogStoreOptions;

  private constructor(options: SamsaLogStoreOptions, manager: LogManager) {
    this.#opts = options;
    this.manager = manager;
  }

  /** Opens every partition log in the log dir and starts retention, the cleaner and checkpoints. */
  static async open(options: SamsaLogStoreOptions): Promise<SamsaLogStore> {
    const { fs, clock, random, logDir, logger, topicConfig, defaultConfig, maintenance, onSegmentsDeleted } = options;
    // (LogManager creates the dir durably; a missing dir stats as null.)
    const fromStandalone = (await fs.stat(joinPath(logDir, LOG_DIR_CLEAN_SHUTDOWN_FILE))) === null;
    const manager = await LogManager.open({
      logDirs: [logDir],
      fs,
      clock,
      ...(random === undefined ? {} : { random }),
      logger,
      highWatermark: options.highWatermark ?? 'log-end',
      ...(defaultConfig === undefined ? {} : { defaultConfig: toSamsaLogConfig(defaultConfig) }),
      topicConfig: (topic) => {
        const c = topicConfig?.(topic);
        return c === undefined ? undefined : toSamsaLogConfig(c);
      },
      ...(onSegmentsDeleted === undefined ? {} : { onSegmentsDeleted }),
      ...(maintenance === undefined
        ? {}
        : {
            retentionCheckIntervalMs: maintenance.retentionCheckIntervalMs,
            cleanerIntervalMs: maintenance.cleanerBackoffMs,
            checkpointIntervalMs: maintenance.checkpointIntervalMs,
            cleanerOffsetMapBytes: maintenance.cleanerDedupeBufferBytes,
          }),
    });
    const store = new SamsaLogStore(options, manager);
    try {
      if (fromStandalone) await store.#removeStandaloneMarkers();
      // A partition directory no topic refers to is what a topic deletion cut short by a
      // crash leaves (the removal is persisted first). Loaded, it would come back as the
      // data of a new topic of the same name; it is set aside as `-stray` instead (Kafka's
      // stray logs), with its files kept for an operator.
      const strays = topicConfig === undefined ? [] : [...manager.allLogs()].filter((log) => topicConfig(log.topic) === undefined);
      for (const log of strays) {
        await manager.setAsideLog(log.topic, log.partition);
        logger.warn({ topic: log.topic, partition: log.partition, dir: log.dir }, 'set aside a partition directory no topic refers to (renamed to *-stray, files kept)');
      }
      if (maintenance !== undefined) manager.startMaintenance({ cleaner: maintenance.cleanerEnable });
    } catch (e) {
      await manager.close().catch(() => {});
      throw e;
    }
    logger.info({ logDir, logs: manager.size, cleaner: maintenance?.cleanerEnable ?? false }, 'log manager opened');
    return store;
  }

  /** The standalone mode's per-log clean-shutdown markers would mislead a later standalone open. */
  async #removeStandaloneMarkers(): Promise<void> {
    const { fs } = this.#opts;
    for (const log of this.manager.allLogs()) {
      const marker = joinPath(log.dir, LOG_CLEAN_SHUTDOWN_FILE);
      if ((await fs.stat(marker)) === null) continue;
      await fs.remove(marker);
      await fs.syncDir(log.dir);
    }
  }

  async open(topic: string, partition: number, config: PartitionLogConfig): Promise<PartitionLog> {
    const full = this.#fullConfig(topic, config);
    const log = await this.manager.getOrCreateLog(topic, partition, full);
    // A log opened at startup got the topic's config then; make maintenance see today's.
    this.manager.reconfigure(topic, partition, full);
    return new SamsaPartitionLog(log, this.manager);
  }

  reconfigure(log: PartitionLog, config: PartitionLogConfig): void {
    if (!(log instanceof SamsaPartitionLog)) return;
    const { topic, partition } = log.log;
    try {
      this.manager.reconfigure(topic, partition, this.#fullConfig(topic, config));
    } catch (e) {
      this.#opts.logger.warn({ topic, partition, err: e }, 'could not apply the changed topic config to the log');
    }
  }

  /**
   * Deletes the partition's log crash-safely (rename to `-delete`, files removed after
   * file.delete.delay.ms, or before resolving with `immediately`).
   */
  async remove(topic: string, partition: number, options: RemoveOptions = {}): Promise<void> {
    await this.manager.deleteLog(topic, partition, { immediately: options.immediately === true });
  }

  /** Closes every log, writes the checkpoints and the clean-shutdown marker. */
  close(): Promise<void> {
    return this.manager.close();
  }

  /** `config` (what the registry passes) over the topic's full config (with the compaction keys). */
  #fullConfig(topic: string, config: PartitionLogConfig): Partial<LogConfig> {
    return toSamsaLogConfig({ ...this.#opts.topicConfig?.(topic), ...config });
  }
}
