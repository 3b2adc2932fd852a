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
import { Log, type CheckpointedOffsets, type LogHost } from './log.ts';

export interface ManagedLogState {
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly hadCleanShutdown: boolean;
  /** Called when the log changed something a restart must see (truncation, deletion). */
  readonly persistCheckpoints?: (log: CheckpointedOffsets) => Promise<void>;
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
  const markerPath = joinDir(dir, LOG_CLEAN_SHUTDOWN_FILE);
  const { hadCleanShutdown, recoveryPoint, logStartOffset, highWatermark } =
    managed ?? (await readStandaloneState(fs, logDir, topicPartitionKey(parsed.topic, parsed.partition), existed && (await fs.stat(markerPath)) !== null, logger));
  const { epochCache, epochsOnDisk } = await readEpochCache(fs, dir, logger);

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

  const standalone = managed === undefined ? standaloneHost({ fs, clock, logger, dir, logDir, topic: parsed.topic, partition: parsed.partition, markerPath, intervalMs: config.checkpointIntervalMs }) : null;
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
    host: standalone?.host ?? { persistCheckpoints: managed?.persistCheckpoints ?? (async () => undefined), onCleanClose: async () => undefined },
  });
  standalone?.startCheckpoints(log);
  return log;
}

interface StandaloneHostParams {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly logger: LogLogger;
  readonly dir: string;
  readonly logDir: string;
  readonly topic: string;
  readonly partition: number;
  readonly markerPath: string;
  readonly intervalMs: number;
}

/**
 * A standalone log's host: it rewrites its own line of the log dir's checkpoints (on
 * changes, and every `intervalMs` once started) and writes its `.samsa_cleanshutdown`
 * marker, durably, after a clean close.
 */
function standaloneHost(p: StandaloneHostParams): { readonly host: LogHost; readonly startCheckpoints: (log: Log) => void } {
  let checkpointTimer: TimerHandle | null = null;
  const host: LogHost = {
    persistCheckpoints: (log) => writeStandaloneCheckpoints(p.fs, p.logDir, p.topic, p.partition, log),
    onCleanClose: async () => {
      checkpointTimer?.cancel();
      const handle = await p.fs.open(p.markerPath, 'read-write', { truncate: true });
      await handle.sync();
      await handle.close();
      await p.fs.syncDir(p.dir);
    },
  };
  const startCheckpoints = (log: Log): void => {
    checkpointTimer = p.clock.setInterval(() => {
      if (log.isClosed || log.isOffline) {
        checkpointTimer?.cancel();
        return;
      }
      writeStandaloneCheckpoints(p.fs, p.logDir, p.topic, p.partition, log).catch((e: unknown) => p.logger.warn({ dir: p.dir, error: String(e) }, 'periodic checkpoint failed'));
    }, p.intervalMs);
  };
  return { host, startCheckpoints };
}

/** A standalone log's checkpointed state, from its log dir's files (missing: 0). */
async function readStandaloneState(fs: FileSystem, logDir: string, key: string, hadCleanShutdown: boolean, logger: LogLogger): Promise<ManagedLogState> {
  const read = async (file: string): Promise<number> => (await readCheckpointQuietly(fs, joinDir(logDir, file), logger)).get(key) ?? 0;
  return {
    hadCleanShutdown,
    recoveryPoint: await read(RECOVERY_POINT_CHECKPOINT_FILE),
    logStartOffset: await read(LOG_START_OFFSET_CHECKPOINT_FILE),
    highWatermark: await read(REPLICATION_OFFSET_CHECKPOINT_FILE),
  };
}

/** The leader-epoch cache from `<dir>/leader-epoch-checkpoint`; a corrupt file reads as empty, and `epochsOnDisk` false. */
async function readEpochCache(fs: FileSystem, dir: string, logger: LogLogger): Promise<{ readonly epochCache: LeaderEpochCache; readonly epochsOnDisk: boolean }> {
  const epochPath = joinDir(dir, LEADER_EPOCH_CHECKPOINT_FILE);
  try {
    return { epochCache: new LeaderEpochCache(fs, epochPath, await readLeaderEpochCheckpoint(fs, epochPath), true), epochsOnDisk: true };
  } catch (e) {
    logger.warn({ dir, error: String(e) }, 'ignoring corrupt leader-epoch-checkpoint; epochs are re-derived where recovery scans');
    return { epochCache: new LeaderEpochCache(fs, epochPath, [], false), epochsOnDisk: false };
  }
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
export async function writeStandaloneCheckpoints(fs: FileSystem, logDir: string, topic: string, partition: number, log: CheckpointedOffsets): Promise<void> {
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
