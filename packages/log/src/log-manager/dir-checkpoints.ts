/**
 * The per-log-dir checkpoint files of a LogManager: reading them at startup and
 * rewriting them, serialized and coalesced per dir.
 *
 * Files (Kafka's, plus one of Samsa's own): recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint (high watermarks),
 * cleaner-offset-checkpoint (where each compacted log's dirty section starts) and
 * cleaner-delete-horizon-checkpoint (each log's earliest pending delete horizon, ms).
 *
 * Invariants: each file is replaced atomically (temp file, sync, rename, syncDir); at
 * most one rewrite per dir runs at a time, and a request made while one is queued joins
 * it (every log asking at once costs one write, not one per log). An unreadable file
 * reads as empty, with a warning (the logs then recover from offset 0 or start empty).
 */
import type { FileSystem } from '@samsa/runtime';
import { readOffsetCheckpoint, topicPartitionKey, writeOffsetCheckpoint } from '../checkpoint-file.ts';
import { LOG_START_OFFSET_CHECKPOINT_FILE, RECOVERY_POINT_CHECKPOINT_FILE, REPLICATION_OFFSET_CHECKPOINT_FILE, joinDir } from '../file-names.ts';
import type { Log } from '../log.ts';
import type { LogLogger } from '../logger.ts';

export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
/**
 * Samsa's own checkpoint (Kafka keeps this in memory only): per log, the earliest delete
 * horizon still pending, so a quiet compacted log drops its tombstones on time after a
 * restart too. Same line format as the offset checkpoints, with milliseconds for offsets.
 */
export const CLEANER_DELETE_HORIZON_CHECKPOINT_FILE = 'cleaner-delete-horizon-checkpoint';

/** What a log dir's checkpoint files hold, keyed by `topicPartitionKey`. */
export interface DirCheckpoints {
  readonly recoveryPoints: Map<string, number>;
  readonly startOffsets: Map<string, number>;
  readonly highWatermarks: Map<string, number>;
  readonly cleanerOffsets: Map<string, number>;
  readonly deleteHorizons: Map<string, number>;
}

export async function readDirCheckpoints(fs: FileSystem, logDir: string, logger: LogLogger): Promise<DirCheckpoints> {
  const read = async (file: string): Promise<Map<string, number>> => {
    try {
      return await readOffsetCheckpoint(fs, joinDir(logDir, file));
    } catch (e) {
      logger.warn({ logDir, file, error: String(e) }, 'ignoring unreadable checkpoint');
      return new Map();
    }
  };
  return {
    recoveryPoints: await read(RECOVERY_POINT_CHECKPOINT_FILE),
    startOffsets: await read(LOG_START_OFFSET_CHECKPOINT_FILE),
    highWatermarks: await read(REPLICATION_OFFSET_CHECKPOINT_FILE),
    cleanerOffsets: await read(CLEANER_OFFSET_CHECKPOINT_FILE),
    deleteHorizons: await read(CLEANER_DELETE_HORIZON_CHECKPOINT_FILE),
  };
}

/** The rows of one dir's checkpoints: its online logs and the cleaner's per-log state. */
export interface CheckpointSource {
  readonly logs: (logDir: string) => readonly Log[];
  readonly cleanerOffsets: ReadonlyMap<string, number>;
  readonly deleteHorizons: ReadonlyMap<string, number>;
}

/** Rewrites each dir's checkpoint files, serialized and coalesced per dir. */
export class CheckpointWriter {
  private readonly fs: FileSystem;
  private readonly source: CheckpointSource;
  private readonly chains = new Map<string, { running: Promise<void>; queued: Promise<void> | null }>();

  constructor(fs: FileSystem, source: CheckpointSource) {
    this.fs = fs;
    this.source = source;
  }

  /** Rewrites the checkpoint files of `logDir`; joins a rewrite already queued. */
  write(logDir: string): Promise<void> {
    const chain = this.chains.get(logDir) ?? { running: Promise.resolve(), queued: null };
    if (chain.queued !== null) return chain.queued;
    const queued = chain.running.then(() => {
      chain.queued = null;
      return this.writeNow(logDir);
    });
    chain.queued = queued;
    chain.running = queued.catch(() => undefined);
    this.chains.set(logDir, chain);
    return queued;
  }

  private async writeNow(logDir: string): Promise<void> {
    const logs = this.source.logs(logDir);
    const rows = (value: (log: Log) => number) => logs.map((log) => ({ topic: log.topic, partition: log.partition, offset: value(log) }));
    const rowsOf = (values: ReadonlyMap<string, number>) =>
      logs.filter((l) => values.has(topicPartitionKey(l.topic, l.partition))).map((l) => ({ topic: l.topic, partition: l.partition, offset: values.get(topicPartitionKey(l.topic, l.partition))! }));
    await writeOffsetCheckpoint(this.fs, joinDir(logDir, RECOVERY_POINT_CHECKPOINT_FILE), rows((l) => l.recoveryPoint));
    await writeOffsetCheckpoint(this.fs, joinDir(logDir, LOG_START_OFFSET_CHECKPOINT_FILE), rows((l) => l.logStartOffset));
    await writeOffsetCheckpoint(this.fs, joinDir(logDir, REPLICATION_OFFSET_CHECKPOINT_FILE), rows((l) => l.highWatermark));
    await writeOffsetCheckpoint(this.fs, joinDir(logDir, CLEANER_OFFSET_CHECKPOINT_FILE), rowsOf(this.source.cleanerOffsets));
    await writeOffsetCheckpoint(this.fs, joinDir(logDir, CLEANER_DELETE_HORIZON_CHECKPOINT_FILE), rowsOf(this.source.deleteHorizons));
  }
}
