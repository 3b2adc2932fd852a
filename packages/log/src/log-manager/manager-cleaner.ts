/**
 * ManagerCleaner: the LogManager's side of compaction — which compacted logs to clean on
 * a tick (dirty ratio at or above min.cleanable.dirty.ratio, dirtiest first, or a delete
 * horizon that passed), where each log's next pass starts (`cleaner-offset-checkpoint`),
 * each log's earliest pending delete horizon (KIP-534), and how big a pass's offset map is.
 *
 * Invariants: a pass runs on the log's maintenance chain (never beside its retention or
 * close); at most `logsPerTickMax` logs are cleaned per tick; a pass's offset map is at
 * most `offsetMapBytesMax`; a failure is logged for that log and the tick goes on.
 */
import { topicPartitionKey } from '../checkpoint-file.ts';
import { cleanLog, dirtyRatio, type CleanResult } from '../cleaner/log-cleaner.ts';
import type { RecordsCodec } from '../cleaner/retained-batch.ts';
import type { Log } from '../log.ts';
import type { LogLogger } from '../logger.ts';
import { runOnLog, type ManagedEntry } from './managed-entry.ts';

export const CLEANER_OFFSET_MAP_BYTES_DEFAULT = 4 * 1024 * 1024;
/** The smallest record a v2 batch can hold (length, attributes, timestamp/offset deltas, key, value, header count: 1 byte each). */
const RECORD_BYTES_MIN = 7;
const CLEANER_MAP_BYTES_MIN = 64 * 1024;

/**
 * Offset-map bytes for a pass over `dirtyBytes`: enough 16-byte slots (at load factor 0.9,
 * ×2 for the map's power-of-two rounding down) for one key per smallest possible record,
 * capped at `maxBytes`. So a pass over a few KiB of `__consumer_offsets` allocates 64 KiB,
 * not Kafka's 128 MiB dedupe buffer. Compressed batches can hold more records than this
 * assumes; then the map fills and the pass is incremental (the next one continues).
 */
export function cleanerMapBytesFor(dirtyBytes: number, maxBytes: number): number {
  const records = Math.ceil(Math.max(0, dirtyBytes) / RECORD_BYTES_MIN);
  const needed = Math.ceil(records / 0.9) * 16 * 2;
  return Math.min(maxBytes, Math.max(CLEANER_MAP_BYTES_MIN, needed));
}

export interface ManagerCleanerOptions {
  readonly logger: LogLogger;
  readonly offsetMapBytesMax: number;
  readonly logsPerTickMax: number;
  /** undefined: the codec package's compression; null: compressed batches kept as they are. */
  readonly codec: RecordsCodec | null | undefined;
}

interface Candidate {
  readonly entry: ManagedEntry;
  readonly ratio: number;
  readonly dirtyBytes: number;
  readonly tombstonesDue: boolean;
}

export class ManagerCleaner {
  /** Where each compacted log's dirty section starts (cleaner-offset-checkpoint). */
  readonly cleanerOffsets = new Map<string, number>();
  /**
   * Per log: the earliest delete horizon (KIP-534) of a batch still holding tombstones, as
   * the last pass through its cleaned section saw it. When it passes, the log is cleaned
   * even if not dirty. Checkpointed in CLEANER_DELETE_HORIZON_CHECKPOINT_FILE.
   */
  readonly deleteHorizons = new Map<string, number>();
  private readonly options: ManagerCleanerOptions;

  constructor(options: ManagerCleanerOptions) {
    this.options = options;
  }

  /** A log is gone (deleted or set aside): its cleaner state goes too. */
  forget(key: string): void {
    this.cleanerOffsets.delete(key);
    this.deleteHorizons.delete(key);
  }

  /** Where the next cleaning pass of `log` starts. */
  firstDirtyOffset(log: Log): number {
    const stored = this.cleanerOffsets.get(topicPartitionKey(log.topic, log.partition)) ?? log.logStartOffset;
    // After truncation below it, or deletion past it, the checkpoint is out of range: start over.
    return stored < log.logStartOffset || stored > log.logEndOffset ? log.logStartOffset : stored;
  }

  /**
   * One tick: cleans the dirtiest due logs among `entries`; resolves what each pass did.
   * With every segment size known, the passes join the logs' chains in the same turn of
   * the event loop (a close requested after the tick started runs after its pass).
   */
  async tick(entries: Iterable<ManagedEntry>, nowMs: number): Promise<CleanResult[]> {
    const candidates: Candidate[] = [];
    for (const entry of entries) {
      if (!this.compactable(entry.log)) continue;
      // Lazily opened segments (after a restart) learn their sizes once; no await otherwise.
      if (!entry.log.segmentSizesLoaded && !(await this.loadSizes(entry.log))) continue;
      const candidate = this.candidate(entry, nowMs);
      if (candidate !== null) candidates.push(candidate);
    }
    candidates.sort((a, b) => b.ratio - a.ratio);
    const results: CleanResult[] = [];
    for (const candidate of candidates.slice(0, this.options.logsPerTickMax)) {
      await runOnLog(candidate.entry, 'clean', this.options.logger, { rethrow: false }, async () => {
        const result = await this.clean(candidate, nowMs);
        if (result !== null) results.push(result);
      });
    }
    return results;
  }

  private compactable(log: Log): boolean {
    return !log.isOffline && !log.isClosed && log.config.cleanupPolicy.includes('compact');
  }

  private async loadSizes(log: Log): Promise<boolean> {
    try {
      await log.loadSegmentSizes();
      return true;
    } catch (e) {
      this.options.logger.warn({ dir: log.dir, error: String(e) }, 'cleaner could not read segment sizes');
      return false;
    }
  }

  private candidate(entry: ManagedEntry, nowMs: number): Candidate | null {
    const { log } = entry;
    const { ratio, dirtyBytes } = dirtyRatio(log, this.firstDirtyOffset(log));
    const horizon = this.deleteHorizons.get(topicPartitionKey(log.topic, log.partition));
    const tombstonesDue = horizon !== undefined && horizon <= nowMs;
    if ((ratio > 0 && ratio >= log.config.minCleanableDirtyRatio) || tombstonesDue) return { entry, ratio, dirtyBytes, tombstonesDue };
    return null;
  }

  private async clean(candidate: Candidate, nowMs: number): Promise<CleanResult | null> {
    const { log } = candidate.entry;
    const { config } = log;
    if (log.isOffline || log.isClosed) return null;
    const codec = this.options.codec;
    const result = await cleanLog(log, {
      firstDirtyOffset: this.firstDirtyOffset(log),
      nowMs,
      deleteRetentionMs: config.deleteRetentionMs,
      minCompactionLagMs: config.minCompactionLagMs,
      segmentBytes: config.segmentBytes,
      offsetMapBytes: cleanerMapBytesFor(candidate.dirtyBytes, this.options.offsetMapBytesMax),
      ...(codec === undefined ? {} : { codec }),
      tombstonesDue: candidate.tombstonesDue,
    });
    const key = topicPartitionKey(log.topic, log.partition);
    this.cleanerOffsets.set(key, result.endOffset);
    // A pass that went through the cleaned section knows every horizon still pending.
    if (result.segmentsRewritten > 0 || candidate.tombstonesDue) {
      if (result.earliestDeleteHorizonMs === null) this.deleteHorizons.delete(key);
      else this.deleteHorizons.set(key, result.earliestDeleteHorizonMs);
    }
    return result;
  }
}
