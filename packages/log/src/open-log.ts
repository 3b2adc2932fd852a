/**
 * openLog: opens (creating if needed) one partition log in `dir`, recovering it if the
 * last shutdown was not clean.
 *
 * `dir` is the partition directory, named `<topic>-<partition>` as Kafka requires (e.g.
 * `/data/events-0`); its parent is the log dir.
 *
 * Two modes:
 * - standalone (no `managed`): the log reads its recovery point, log start offset and
 *   high watermark from the log dir's checkpoint files (recovery-point-offset-checkpoint,
 *   log-start-offset-checkpoint, replication-offset-checkpoint) and rewrites its own line
 *   in them (read-merge-write, atomic) on close, after truncation and deletion, and every
 *   `checkpointIntervalMs`. Clean shutdown is marked by `<dir>/.samsa_cleanshutdown`,
 *   written by `close()` after everything is synced and removed (durably) at open.
 *   Several standalone logs may share a log dir if they are not opened concurrently by
 *   different processes; use a LogManager for more.
 * - managed (`managed` given): a LogManager passes the checkpointed values and whether the
 *   log dir was shut down cleanly (its `.kafka_cleanshutdown`), and writes checkpoints
 *   itself (`log.recoveryPoint`, `log.logStartOffset`, `log.highWatermark`). The log
 *   touches nothing outside `dir`.
 */
import { systemClock, type Clock, type FileSystem, type TimerHandle } from '@samsa/runtime';
import { readLeaderEpochCheckpoint, readOffsetCheckpoint, topicPartitionKey, writeOffsetCheckpoint } from './checkpoint-file.ts';
import { InvalidArgumentError, LogAssertionError, LogError, LogStorageError, isNoSpace } from './errors.ts';
import { mkdirsDurably } from './file-io.ts';
import {
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  baseName,
  joinDir,
  parentDir,
  parsePartitionDirName,
} from './file-names.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { resolveLogConfig, type LogConfig } from './log-config.ts';
import { loadLog } from './log-loader.ts';
import type { SegmentContext } from './log-segment.ts';
import { silentLogger, type LogLogger } from './logger.ts';
import { Log, type LogHost } from './log.ts';

export interface ManagedLogState {
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly hadCleanShutdown: boolean;
  /** Called when the log changed something a restart must see (truncation, deletion). */
  readonly persistCheckpoints?: (log: Log) => Promise<void>;
}

export interface OpenLogOptions {
  /** The partition directory `<logDir>/<topic>-<partition>`. */
  readonly dir: string;
  readonly fs: FileSystem;
  readonly clock?: Clock;
  readonly config?: Partial<LogConfig>;
  readonly logger?: LogLogger;
  /** 'log-end' (default standalone): everything written is committed. 'manual' (default managed): replication moves it. */
  readonly highWatermark?: 'log-end' | 'manual';
  readonly managed?: ManagedLogState;
}

export async function openLog(options: OpenLogOptions): Promise<Log> {
  try {
    return await openLogUnchecked(options);
  } catch (e) {
    if (e instanceof LogError || e instanceof LogAssertionError) throw e;
    throw new LogStorageError(options.dir, 'open', { cause: e });
  }
}

async function openLogUnchecked(options: OpenLogOptions): Promise<Log> {
  const { fs } = options;
  const dir = options.dir.replace(/\/+$/, '');
  const parsed = parsePartitionDirName(baseName(dir));
  if (parsed === null) throw new InvalidArgumentError(`log directory ${dir} is not named <topic>-<partition>`);
  const clock = options.clock ?? systemClock;
  const config = resolveLogConfig(options.config);
  const logger = options.logger ?? silentLogger;
  const logDir = parentDir(dir);

  // A managed log after a clean shutdown was found by listing its log dir: no stat needed.
  const existed = options.managed?.hadCleanShutdown === true || (await fs.stat(dir)) !== null;
  if (!existed) {
    for (const parent of await mkdirsDurably(fs, dir)) logger.warn({ dir, parent }, 'created a directory whose parent may not be synced (no permission): a power loss soon after may lose it');
  }

  const managed = options.managed;
  const key = topicPartitionKey(parsed.topic, parsed.partition);
  let hadCleanShutdown: boolean;
  let recoveryPoint: number;
  let logStartOffset: number;
  let highWatermark: number;
  const markerPath = joinDir(dir, LOG_CLEAN_SHUTDOWN_FILE);
  if (managed !== undefined) {
    ({ hadCleanShutdown, recoveryPoint, logStartOffset, highWatermark } = managed);
  } else {
    hadCleanShutdown = existed && (await fs.stat(markerPath)) !== null;
    recoveryPoint = (await readCheckpointQuietly(fs, joinDir(logDir, RECOVERY_POINT_CHECKPOINT_FILE), logger)).get(key) ?? 0;
    logStartOffset = (await readCheckpointQuietly(fs, joinDir(logDir, LOG_START_OFFSET_CHECKPOINT_FILE), logger)).get(key) ?? 0;
    highWatermark = (await readCheckpointQuietly(fs, joinDir(logDir, REPLICATION_OFFSET_CHECKPOINT_FILE), logger)).get(key) ?? 0;
  }

  const epochPath = joinDir(dir, LEADER_EPOCH_CHECKPOINT_FILE);
  let epochEntries: Awaited<ReturnType<typeof readLeaderEpochCheckpoint>> = [];
  let epochsOnDisk = false;
  try {
    epochEntries = await readLeaderEpochCheckpoint(fs, epochPath);
    epochsOnDisk = true;
  } catch (e) {
    logger.warn({ dir, error: String(e) }, 'ignoring corrupt leader-epoch-checkpoint; epochs are re-derived where recovery scans');
  }
  const epochCache = new LeaderEpochCache(fs, epochPath, epochEntries, epochsOnDisk);

  const ctx: SegmentContext = {
    fs,
    clock,
    config,
    dir,
    onIndexRebuilt: (baseOffset, reason) => logger.warn({ dir, baseOffset, reason }, 'rebuilt index from its segment'),
  };
  const loaded = await loadLog({ ctx, logger, hadCleanShutdown, recoveryPoint, logStartOffset, epochCache, epochsOnDisk });
  if (loaded.recovered) logger.info({ dir, recoveryPoint, logEndOffset: loaded.logEndOffset, truncatedBytes: loaded.truncatedBytes }, 'recovered log after unclean shutdown');
  try {
    // A full disk keeps the re-derived epochs in memory (dirty): the log's syncs retry.
    await epochCache.flush().catch((e: unknown) => {
      if (!isNoSpace(e)) throw e;
      logger.warn({ dir }, 'no space to rewrite the leader-epoch checkpoint after recovery; kept for the next flush');
    });
    // From here on a crash must trigger recovery: the marker goes, durably, before any write.
    if (managed === undefined && hadCleanShutdown) {
      await fs.remove(markerPath);
      await fs.syncDir(dir);
    }
  } catch (e) {
    for (const s of loaded.segments.all()) await s.closeHandle().catch(() => undefined);
    throw e;
  }

  let checkpointTimer: TimerHandle | null = null;
  const host: LogHost =
    managed !== undefined
      ? { persistCheckpoints: managed.persistCheckpoints ?? (async () => undefined), onCleanClose: async () => undefined }
      : {
          persistCheckpoints: (log) => writeStandaloneCheckpoints(fs, logDir, parsed.topic, parsed.partition, log),
          onCleanClose: async () => {
            checkpointTimer?.cancel();
            const handle = await fs.open(markerPath, 'read-write', { truncate: true });
            await handle.sync();
            await handle.close();
            await fs.syncDir(dir);
          },
        };
  const log = new Log({
    dir,
    topic: parsed.topic,
    partition: parsed.partition,
    fs,
    clock,
    config,
    logger,
    ctx,
    epochCache,
    state: { segments: loaded.segments, logStartOffset: loaded.logStartOffset, logEndOffset: loaded.logEndOffset, recoveryPoint: loaded.recoveryPoint, highWatermark },
    highWatermarkMode: options.highWatermark ?? (managed !== undefined ? 'manual' : 'log-end'),
    host,
  });
  if (managed === undefined) {
    checkpointTimer = clock.setInterval(() => {
      if (log.isClosed || log.isOffline) {
        checkpointTimer?.cancel();
        return;
      }
      writeStandaloneCheckpoints(fs, logDir, parsed.topic, parsed.partition, log).catch((e: unknown) =>
        logger.warn({ dir, error: String(e) }, 'periodic checkpoint failed'),
      );
    }, config.checkpointIntervalMs);
  }
  return log;
}

async function readCheckpointQuietly(fs: FileSystem, path: string, logger: LogLogger): Promise<Map<string, number>> {
  try {
    return await readOffsetCheckpoint(fs, path);
  } catch (e) {
    logger.warn({ path, error: String(e) }, 'ignoring unreadable checkpoint');
    return new Map();
  }
}

/** Serialises checkpoint rewrites per log dir within this process (read-merge-write). */
const checkpointLocks = new Map<string, Promise<void>>();
/** Bound on log dirs tracked by the lock map (entries are dropped when idle). */
const CHECKPOINT_LOCKS_MAX = 10_000;

/** Rewrites this log's line in the three per-dir checkpoint files, atomically each. */
export async function writeStandaloneCheckpoints(fs: FileSystem, logDir: string, topic: string, partition: number, log: Log): Promise<void> {
  const previous = checkpointLocks.get(logDir) ?? Promise.resolve();
  const run = previous.then(async () => {
    const key = topicPartitionKey(topic, partition);
    const values: [string, number][] = [
      [RECOVERY_POINT_CHECKPOINT_FILE, log.recoveryPoint],
      [LOG_START_OFFSET_CHECKPOINT_FILE, log.logStartOffset],
      [REPLICATION_OFFSET_CHECKPOINT_FILE, log.highWatermark],
    ];
    for (const [file, offset] of values) {
      const path = joinDir(logDir, file);
      let current: Map<string, number>;
      try {
        current = await readOffsetCheckpoint(fs, path);
      } catch {
        current = new Map();
      }
      if (current.get(key) === offset) continue;
      current.set(key, offset);
      const entries = [...current].map(([k, v]) => {
        const p = parsePartitionDirName(k);
        return { topic: p?.topic ?? k, partition: p?.partition ?? 0, offset: v };
      });
      await writeOffsetCheckpoint(fs, path, entries);
    }
  });
  const settled = run.catch(() => undefined);
  if (checkpointLocks.size < CHECKPOINT_LOCKS_MAX || checkpointLocks.has(logDir)) checkpointLocks.set(logDir, settled);
  void settled.then(() => {
    if (checkpointLocks.get(logDir) === settled) checkpointLocks.delete(logDir);
  });
  await run;
}
