/**
 * Log: one partition's log — the segment set, the log start / end offsets, the recovery
 * point, the high watermark, the leader-epoch cache, group commit and long-poll waiters
 * (Kafka's `LocalLog` + `UnifiedLog`). Open one with `openLog` (open-log.ts).
 *
 * Offsets and timestamps are numbers (asserted safe integers). Bytes are record batch v2.
 *
 * Writers (append, appendAsFollower, roll, truncateTo, truncateFullyAndStartAt,
 * deleteRecordsBefore, deleteSegments, replaceSegments) are serialised by one mutex.
 * Syncs run outside it (group commit), so appends keep writing while a sync is in
 * flight; structural changes that close or remove files wait for the sync in flight.
 * Reads run concurrently with everything; removed segments keep their handle open until
 * their delayed deletion (`fileDeleteDelayMs`), as Kafka does, so in-flight reads finish.
 *
 * Durability contract:
 * - `append` resolves after its bytes are written; if the flush policy requires (or
 *   `requireSync`), only after a sync covering them (`synced: true` in the result).
 * - The recovery point only moves over synced data; after a crash everything below it
 *   survives and the tail above it is validated and cut at the first bad batch.
 * - `truncateTo` and `truncateFullyAndStartAt` are durable when they resolve.
 *
 * Faults: a failing file-system operation rejects that call with LogStorageError and
 * takes the log offline; every later call except `close()` rejects with LogOfflineError
 * (Kafka's offline log dir). No promise the log creates is left unhandled.
 * A full disk ('no-space') is not such a fault where the log can undo the write: an
 * append (or roll) that hits it cuts off what it half wrote, rejects with LogNoSpaceError
 * and leaves the log online (readable, and writable once space returns); a checkpoint or
 * epoch-cache rewrite that hits it after the state changed leaves the old file, rewritten
 * at the next change, periodic checkpoint or close. A 'no-space' from a sync (a file
 * system that allocates at writeback) or from an undo that fails still takes the log
 * offline: after a failed fsync the file's contents are unknown. A compaction pass that
 * hits a full disk before its commit point (the `.swap` rename) is abandoned the same way
 * (LogNoSpaceError; only its `.cleaned` files were written).
 *
 * API (all offsets are numbers):
 * - state: `logStartOffset`, `logEndOffset`, `recoveryPoint`, `highWatermark`,
 *   `isOffline`, `sizeBytes`, `segmentCount`, `segmentsSnapshot()`, `segmentInfos()`
 * - writes: `append(bytes, { leaderEpoch, requireSync })`,
 *   `appendAsFollower(bytes, { allowGaps, requireSync })`, `roll()`, `flush()`
 * - reads: `read(from, maxBytes, { maxOffset, minOneMessage, scratch })`,
 *   `offsetForTimestamp(ts | -1 latest | -2 earliest | -3 max-timestamp)`
 * - waiting: `waitForData(offset, timeoutMs, { signal, watermark })`, `onAppend(fn)`,
 *   `updateHighWatermark(offset)`
 * - epochs: `assignEpochStartOffset`, `endOffsetForEpoch`, `latestEpoch`, `epochEntries`
 * - range: `truncateTo`, `truncateFullyAndStartAt`, `deleteRecordsBefore`
 * - retention: `segmentSummaries`, `maybeIncrementLogStartOffset`, `detachSegments`,
 *   `deleteSegments(baseOffsets, reason)`
 * - compaction: `createCleanedSegment(base)`, `replaceSegments(cleaned, old)`
 * - `close()`
 */
import { FileSystemError, type Clock, type FileSystem, type TimerHandle } from '@samsa/runtime';
import { assignOffsets, checkFollowerOffsets, forEachBatchEpoch, validateAppend } from './append-batches.ts';
import { AsyncMutex } from './async-mutex.ts';
import { DataWaiters } from './data-waiters.ts';
import {
  InvalidArgumentError,
  LogAssertionError,
  LogClosedError,
  LogError,
  LogNoSpaceError,
  LogOfflineError,
  LogStorageError,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
  SegmentsChangedError,
  assert,
  assertSafeInteger,
  completedUnlessNoSpace,
  isNoSpace,
} from './errors.ts';
import { CLEANED_FILE_SUFFIX, DELETED_FILE_SUFFIX, SWAP_FILE_SUFFIX } from './file-names.ts';
import { appendNeedsSync, sameFlushPolicy } from './flush-policy.ts';
import { GroupCommit } from './group-commit.ts';
import type { EpochEndOffset, LeaderEpochCache } from './leader-epoch-cache.ts';
import { resolveLogConfig, type LogConfig } from './log-config.ts';
import { LogSegment, type AppendStats, type SegmentContext, type TimestampAndOffset } from './log-segment.ts';
import type { LogLogger } from './logger.ts';
import type { EpochEntry } from './checkpoint-file.ts';
import type { SegmentSet } from './segment-set.ts';

/** ListOffsets special timestamps. */
export const LIST_OFFSETS_LATEST = -1;
export const LIST_OFFSETS_EARLIEST = -2;
export const LIST_OFFSETS_MAX_TIMESTAMP = -3;
export const LIST_OFFSETS_EARLIEST_LOCAL = -4;

/** Bound on queued writers and on onAppend listeners. */
export const WRITERS_QUEUED_MAX = 100_000;
export const APPEND_LISTENERS_MAX = 1024;

export interface AppendOptions {
  /** Leader epoch stamped into every batch (and assigned in the epoch cache). Default: keep the batch's. */
  readonly leaderEpoch?: number;
  /** Wait for a sync covering this append whatever the flush policy says. */
  readonly requireSync?: boolean;
}

export interface FollowerAppendOptions {
  /** Accept a gap before the first batch and between batches (compacted leader). Default false. */
  readonly allowGaps?: boolean;
  readonly requireSync?: boolean;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The broker's append time for log-append-time topics, else -1. */
  readonly logAppendTimeMs: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestamp: number;
  readonly batchCount: number;
  readonly recordCount: number;
  readonly sizeBytes: number;
  readonly logStartOffset: number;
  /** True when a sync covering this append completed before the promise resolved. */
  readonly synced: boolean;
}

export interface ReadOptions {
  /** Exclusive upper bound on offsets returned (e.g. the high watermark). Default: log end offset. */
  readonly maxOffset?: number;
  /** Return the first batch even when it is larger than maxBytes (Kafka's default). Default true. */
  readonly minOneMessage?: boolean;
  /**
   * Read into this buffer when it is large enough (the result is then a view of it, valid
   * until the caller reuses it). Saves the zero-fill of a fresh buffer per read.
   */
  readonly scratch?: Uint8Array;
}

export interface ReadResult {
  /** Whole record batches (possibly none). The first batch may start before `fromOffset`. */
  readonly records: Uint8Array;
  readonly fromOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

export interface AppendEvent {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly logEndOffset: number;
}

export type Watermark = 'log-end' | 'high-watermark';

/** What a segment summary holds for retention planning (see retention/retention-plan.ts). */
export interface SegmentInfo {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  readonly largestTimestampMs: number;
  readonly lastModifiedMs: number;
}

export interface LogState {
  readonly segments: SegmentSet;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly recoveryPoint: number;
  readonly highWatermark: number;
}

/** Hooks into the owner (standalone open-log or a LogManager) for checkpoints. */
export interface LogHost {
  /** Called after changes a restart must not lose: log start offset moved, truncation. */
  readonly persistCheckpoints: (log: Log) => Promise<void>;
  /** Writes the clean-shutdown marker after a clean close (may do nothing). */
  readonly onCleanClose: (log: Log) => Promise<void>;
}

export interface LogParams {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly config: LogConfig;
  readonly logger: LogLogger;
  readonly ctx: SegmentContext;
  readonly epochCache: LeaderEpochCache;
  readonly state: LogState;
  /** 'log-end': the high watermark follows the log end (no replication). 'manual': `updateHighWatermark`. */
  readonly highWatermarkMode: 'log-end' | 'manual';
  readonly host: LogHost;
}

export class Log {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  private configValue: LogConfig;
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly logger: LogLogger;
  private readonly ctx: SegmentContext;
  private readonly epochCache: LeaderEpochCache;
  private readonly segments: SegmentSet;
  private readonly host: LogHost;
  private readonly autoHighWatermark: boolean;
  private startOffset: number;
  private endOffset: number;
  private recoveryPointValue: number;
  private hw: number;
  private readonly writers = new AsyncMutex(WRITERS_QUEUED_MAX);
  private readonly groupCommit: GroupCommit;
  private readonly endWaiters: DataWaiters;
  private readonly hwWaiters: DataWaiters;
  private readonly listeners = new Set<(e: AppendEvent) => void>();
  private readonly pendingDeletes = new Map<LogSegment, TimerHandle>();
  private readonly pendingCloses = new Map<LogSegment, TimerHandle>();
  private flushTimer: TimerHandle | null = null;
  private offlineCause: unknown = null;
  /** The in-flight `loadSegmentSizes()`, shared by concurrent callers. */
  private sizesLoading: Promise<void> | null = null;
  private closed = false;
  /** Bumped by every truncation, so a sync that raced one does not move the recovery point. */
  private truncations = 0;

  constructor(params: LogParams) {
    this.dir = params.dir;
    this.topic = params.topic;
    this.partition = params.partition;
    this.fs = params.fs;
    this.clock = params.clock;
    this.configValue = params.config;
    this.logger = params.logger;
    this.ctx = params.ctx;
    this.epochCache = params.epochCache;
    this.segments = params.state.segments;
    this.host = params.host;
    this.startOffset = params.state.logStartOffset;
    this.endOffset = params.state.logEndOffset;
    this.recoveryPointValue = params.state.recoveryPoint;
    this.autoHighWatermark = params.highWatermarkMode === 'log-end';
    this.hw = this.autoHighWatermark ? this.endOffset : Math.min(Math.max(params.state.highWatermark, this.startOffset), this.endOffset);
    this.groupCommit = new GroupCommit((end) => this.syncTo(end), () => this.endOffset, this.recoveryPointValue, WRITERS_QUEUED_MAX);
    this.endWaiters = new DataWaiters(this.clock, this.config.waitersMax);
    this.hwWaiters = new DataWaiters(this.clock, this.config.waitersMax);
    const policy = this.config.flushPolicy;
    if (policy.kind === 'interval') this.flushTimer = this.clock.setInterval(() => this.flushInBackground(), policy.intervalMs);
  }

  // ---- config -----------------------------------------------------------------------

  /** The log's config now: the open-time config with every `updateConfig` applied. */
  get config(): LogConfig {
    return this.configValue;
  }

  /**
   * Applies a changed config to the open log, as Kafka's dynamic topic configs do; the
   * result is resolved over the current config and checked first (InvalidArgumentError,
   * nothing changed). Effective for the next append: segment.bytes, segment.ms and
   * segment.jitter.ms (the next roll check), index.interval.bytes, max.message.bytes,
   * message.timestamp.type, the flush policy (an interval timer is restarted or
   * cancelled; a stricter policy syncs on the next append), file.delete.delay.ms, and the
   * retention and compaction settings the maintenance tasks read. Kept at their open-time
   * values until the log is reopened: `segmentIndexBytes` (an index is preallocated when
   * its segment is created or loaded), `waitersMax` and `checkpointIntervalMs`.
   * Returns the config now in force.
   */
  updateConfig(changes: Partial<LogConfig>): LogConfig {
    const current = this.configValue;
    const next = resolveLogConfig({
      ...current,
      ...changes,
      segmentIndexBytes: current.segmentIndexBytes,
      waitersMax: current.waitersMax,
      checkpointIntervalMs: current.checkpointIntervalMs,
    });
    this.configValue = next;
    this.ctx.config = next;
    if (!sameFlushPolicy(current.flushPolicy, next.flushPolicy) && !this.closed) {
      this.flushTimer?.cancel();
      this.flushTimer = null;
      const policy = next.flushPolicy;
      if (policy.kind === 'interval') this.flushTimer = this.clock.setInterval(() => this.flushInBackground(), policy.intervalMs);
    }
    return next;
  }

  // ---- state ------------------------------------------------------------------------

  get logStartOffset(): number {
    return this.startOffset;
  }

  /** The offset the next appended record gets (LEO). */
  get logEndOffset(): number {
    return this.endOffset;
  }

  /** Everything below it is synced to disk. */
  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get isOffline(): boolean {
    return this.offlineCause !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Loads the active segment's indices now instead of at first use. After a clean restart
   * that checks the checkpointed end against the segment's files (LogSegment.expectNextOffset):
   * on a contradiction it rejects with a LogStorageError whose cause is a
   * CleanShutdownMismatchError, and the log is offline.
   */
  async verifyEnd(): Promise<void> {
    await this.guard('verify-end', async () => {
      await this.segments.active.loadIndexes();
    });
  }

  /**
   * Bytes of all segments. After a restart the inactive segments' sizes are read lazily:
   * until then they count as 0, and the first call starts loading them (in the
   * background; `await loadSegmentSizes()` for the exact figure at once).
   */
  get sizeBytes(): number {
    if (!this.segments.allSizesLoaded && !this.closed && this.offlineCause === null) {
      this.loadSegmentSizes().catch((e: unknown) => this.logger.warn({ dir: this.dir, error: String(e) }, 'loading segment sizes failed'));
    }
    return this.segments.knownSizeBytes();
  }

  /** False right after a restart until every segment's size was read (see `sizeBytes`). */
  get segmentSizesLoaded(): boolean {
    return this.segments.allSizesLoaded;
  }

  /** Reads the size of every segment not known yet (one stat each); then `sizeBytes` is exact. */
  async loadSegmentSizes(): Promise<void> {
    if (this.segments.allSizesLoaded) return;
    this.ensureReadable();
    this.sizesLoading ??= this.guard('load-segment-sizes', async () => {
      for (const s of this.segments.all()) if (!s.sizeLoaded) await s.loadSize();
    }).finally(() => (this.sizesLoading = null));
    return this.sizesLoading;
  }

  get segmentCount(): number {
    return this.segments.size;
  }

  /** The segments, ascending (the last is active). For the cleaner, retention and tests. */
  segmentsSnapshot(): LogSegment[] {
    return this.segments.all();
  }

  /** Summaries for retention planning (loads each segment's time index). */
  async segmentInfos(): Promise<SegmentInfo[]> {
    this.ensureReadable();
    return this.guard('segment-infos', async () => {
      const out: SegmentInfo[] = [];
      for (const s of this.segments.all()) {
        const sizeBytes = await s.loadSize();
        out.push({ baseOffset: s.baseOffset, sizeBytes, largestTimestampMs: await s.largestTimestamp(), lastModifiedMs: s.lastModifiedMs });
      }
      return out;
    });
  }

  /** The context new segments are built with (cleaner output segments). */
  segmentContext(): SegmentContext {
    return this.ctx;
  }

  // ---- append -----------------------------------------------------------------------

  /**
   * Appends record batches as the leader: validates all of them (nothing is written if
   * one is invalid), assigns offsets from the log end IN PLACE in `bytes` (the caller
   * gives up the buffer), stamps the leader epoch and, for log-append-time topics, the
   * append time. With the config current at the call (append-batches.ts, LeaderChecks):
   * create-time logs get each batch's maxTimestamp corrected to the max over its records;
   * compacted logs refuse records without a key (InvalidRecordError).
   */
  async append(bytes: Uint8Array, options: AppendOptions = {}): Promise<AppendResult> {
    this.ensureWritable();
    const config = this.config;
    const validated = validateAppend(bytes, config.maxMessageBytes, {
      createTime: config.timestampType === 'create-time',
      keysRequired: config.cleanupPolicy !== 'delete',
      logName: `${this.topic}-${this.partition}`,
    });
    if (validated.sizeBytes > this.config.segmentBytes) throw new RecordBatchTooLargeError(validated.sizeBytes, this.config.segmentBytes);
    const epoch = options.leaderEpoch ?? -1;
    if (options.leaderEpoch !== undefined) assert(Number.isInteger(epoch) && epoch >= 0 && epoch <= 0x7fffffff, `bad leader epoch ${epoch}`);
    const written = await this.writers.run(() =>
      this.guard('append', async () => {
        this.ensureWritable();
        const firstOffset = this.endOffset;
        const logAppendTimeMs = config.timestampType === 'log-append-time' ? this.clock.wallMs() : -1;
        const stats = assignOffsets(bytes, { firstOffset, leaderEpoch: epoch, logAppendTimeMs });
        await this.writeBatches(bytes, firstOffset, stats);
        return { firstOffset, stats, logAppendTimeMs };
      }),
    );
    const synced = await this.maybeSyncAfterAppend(options.requireSync === true);
    return {
      baseOffset: written.firstOffset,
      lastOffset: written.stats.lastOffset,
      logAppendTimeMs: written.logAppendTimeMs,
      maxTimestamp: written.stats.maxTimestamp,
      offsetOfMaxTimestamp: written.stats.offsetOfMaxTimestamp,
      batchCount: validated.batchCount,
      recordCount: validated.recordCount,
      sizeBytes: validated.sizeBytes,
      logStartOffset: this.startOffset,
      synced,
    };
  }

  /** Appends batches replicated from the leader, keeping their offsets and epochs. */
  async appendAsFollower(bytes: Uint8Array, options: FollowerAppendOptions = {}): Promise<AppendResult> {
    this.ensureWritable();
    const validated = validateAppend(bytes, Number.MAX_SAFE_INTEGER);
    if (validated.sizeBytes > this.config.segmentBytes) throw new RecordBatchTooLargeError(validated.sizeBytes, this.config.segmentBytes);
    const written = await this.writers.run(() =>
      this.guard('append-as-follower', async () => {
        this.ensureWritable();
        const checked = checkFollowerOffsets(bytes, this.endOffset, options.allowGaps === true);
        await this.writeBatches(bytes, checked.firstOffset, checked);
        return checked;
      }),
    );
    const synced = await this.maybeSyncAfterAppend(options.requireSync === true);
    return {
      baseOffset: written.firstOffset,
      lastOffset: written.lastOffset,
      logAppendTimeMs: -1,
      maxTimestamp: written.maxTimestamp,
      offsetOfMaxTimestamp: written.offsetOfMaxTimestamp,
      batchCount: validated.batchCount,
      recordCount: validated.recordCount,
      sizeBytes: validated.sizeBytes,
      logStartOffset: this.startOffset,
      synced,
    };
  }

  /** Under the writer lock: roll if needed, write, index, move the log end, wake waiters. */
  private async writeBatches(bytes: Uint8Array, firstOffset: number, stats: AppendStats): Promise<void> {
    const segment = await this.maybeRoll(bytes.byteLength, firstOffset, stats.lastOffset);
    try {
      await segment.append(bytes, stats);
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      // A failed undo is a storage error (the guard takes the log offline).
      await segment.discardFailedAppend();
      throw new LogNoSpaceError(this.dir, 'append', { cause: e });
    }
    let epochChanged = false;
    forEachBatchEpoch(bytes, (epoch, baseOffset) => {
      if (epoch >= 0 && epoch !== this.epochCache.latestEpoch()) {
        this.epochCache.assign(epoch, baseOffset);
        epochChanged = true;
      }
    });
    this.endOffset = stats.lastOffset + 1;
    if (epochChanged) await this.flushEpochsAllowingFullDisk('append');
    if (this.autoHighWatermark) this.hw = this.endOffset;
    this.afterAppend(firstOffset, stats.lastOffset);
  }

  private afterAppend(baseOffset: number, lastOffset: number): void {
    this.endWaiters.notify(this.endOffset);
    if (this.autoHighWatermark) this.hwWaiters.notify(this.hw);
    if (this.listeners.size === 0) return;
    const event: AppendEvent = { baseOffset, lastOffset, logEndOffset: this.endOffset };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.logger.warn({ dir: this.dir, error: String(e) }, 'onAppend listener threw');
      }
    }
  }

  private async maybeSyncAfterAppend(requireSync: boolean): Promise<boolean> {
    const unflushed = this.endOffset - this.recoveryPointValue;
    if (!requireSync && !appendNeedsSync(this.config.flushPolicy, unflushed)) return false;
    await this.syncUpTo(this.endOffset);
    return true;
  }

  private async syncUpTo(target: number): Promise<void> {
    try {
      await this.groupCommit.request(target);
    } catch (e) {
      throw this.storageFailure('sync', e);
    }
  }

  private flushInBackground(): void {
    if (this.closed || this.offlineCause !== null || this.endOffset <= this.recoveryPointValue) return;
    this.syncUpTo(this.endOffset).catch((e: unknown) => this.logger.warn({ dir: this.dir, error: String(e) }, 'background flush failed'));
  }

  /**
   * One group-commit round: sync every segment that may hold [recoveryPoint, end), the
   * indices of the non-active ones, and the directory when a segment file is new. Only
   * then does the recovery point move to `end`.
   */
  private async syncTo(end: number): Promise<void> {
    const truncationsAtStart = this.truncations;
    const segments = this.segments.range(this.recoveryPointValue, Math.max(end, this.recoveryPointValue + 1));
    for (const s of segments) {
      await s.flushLog();
      if (!s.isActive) await s.flushIndexes();
    }
    if (segments.some((s) => !s.dirEntryDurable)) {
      await this.fs.syncDir(this.dir);
      for (const s of segments) s.dirEntryDurable = true;
    }
    // Epochs an append could not checkpoint (a full disk): the recovery point stays below
    // them, so a crash re-derives them from the batches (recovery scans past it).
    if (this.epochCache.isDirty && !(await this.flushEpochsAllowingFullDisk('sync'))) return;
    if (this.truncations === truncationsAtStart && end > this.recoveryPointValue) this.recoveryPointValue = Math.min(end, this.endOffset);
  }

  // ---- roll -------------------------------------------------------------------------

  /** Rolls when Kafka's rules say so; returns the segment to append to. */
  private async maybeRoll(messagesBytes: number, firstOffset: number, lastOffset: number): Promise<LogSegment> {
    const active = this.segments.active;
    if (await active.shouldRoll(messagesBytes, lastOffset, this.clock.wallMs())) {
      if (active.sizeBytes === 0 && active.canConvertToRelativeOffset(lastOffset) && active.baseOffset <= firstOffset) return active;
      return this.rollLocked(firstOffset);
    }
    return active;
  }

  /** Starts a new active segment at the log end offset (or `expectedNextOffset` if higher). */
  async roll(expectedNextOffset?: number): Promise<LogSegment> {
    this.ensureWritable();
    return this.writers.run(() => this.guard('roll', () => this.rollLocked(expectedNextOffset ?? this.endOffset)));
  }

  private async rollLocked(expectedNextOffset: number): Promise<LogSegment> {
    const newBase = Math.max(expectedNextOffset, this.endOffset);
    const active = this.segments.active;
    if (active.baseOffset === newBase) {
      if (active.sizeBytes === 0) return active;
      throw new LogAssertionError(`roll to ${newBase}: a segment with that base offset exists`);
    }
    let segment: LogSegment;
    try {
      await active.onBecomeInactive();
      segment = await LogSegment.create(this.ctx, newBase, { active: true });
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      // Undo: the old segment stays the active one, the new one's files go (a failed undo
      // is a storage error: the guard takes the log offline).
      await LogSegment.removeFailedCreate(this.ctx, newBase);
      await active.markActive();
      throw new LogNoSpaceError(this.dir, 'roll', { cause: e });
    }
    this.segments.add(segment);
    this.logger.info({ dir: this.dir, baseOffset: newBase }, 'rolled segment');
    return segment;
  }

  // ---- read -------------------------------------------------------------------------

  /**
   * Whole batches from the batch holding `fromOffset`, about `maxBytes` of them (at least
   * one whole batch when `minOneMessage`, as Kafka does), none at or beyond `maxOffset`.
   * `fromOffset` must lie in [logStartOffset, logEndOffset].
   */
  async read(fromOffset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    assertSafeInteger(fromOffset, 'fromOffset');
    assertSafeInteger(maxBytes, 'maxBytes');
    this.ensureReadable();
    const logEndOffset = this.endOffset;
    const maxOffset = Math.min(options.maxOffset ?? logEndOffset, logEndOffset);
    if (fromOffset < this.startOffset || fromOffset > logEndOffset) throw new OffsetOutOfRangeError(fromOffset, this.startOffset, logEndOffset);
    const base = { fromOffset, logStartOffset: this.startOffset, logEndOffset, highWatermark: this.hw };
    if (fromOffset >= maxOffset) return { records: new Uint8Array(0), ...base };
    return this.guard('read', async () => {
      let segment = this.segments.floorSegment(fromOffset);
      // Bounded by the segment count: each step moves to the next segment.
      for (let from = fromOffset; segment !== undefined && segment.baseOffset < maxOffset; ) {
        const next = this.segments.higherSegment(segment.baseOffset);
        // Batches at or beyond maxOffset are cut while framing the bytes read (no extra scan).
        const sizeBytes = segment.sizeLoaded ? segment.sizeBytes : await segment.loadSize();
        const read = await segment.read(from, maxBytes, sizeBytes, options.minOneMessage !== false, options.scratch, maxOffset);
        if (read !== null) return { records: read.records, ...base };
        segment = next;
        if (segment !== undefined) from = Math.max(from, segment.baseOffset);
      }
      return { records: new Uint8Array(0), ...base };
    });
  }

  /**
   * ListOffsets: EARLIEST (-2), LATEST (-1), MAX_TIMESTAMP (-3), EARLIEST_LOCAL (-4), or a
   * timestamp → the first record with timestamp ≥ it (null when there is none).
   */
  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    assertSafeInteger(timestamp, 'timestamp');
    this.ensureReadable();
    if (timestamp === LIST_OFFSETS_EARLIEST || timestamp === LIST_OFFSETS_EARLIEST_LOCAL) {
      return { timestamp: -1, offset: this.startOffset, leaderEpoch: this.epochCache.epochForOffset(this.startOffset) ?? -1 };
    }
    if (timestamp === LIST_OFFSETS_LATEST) return { timestamp: -1, offset: this.endOffset, leaderEpoch: this.epochCache.latestEpoch() ?? -1 };
    if (timestamp < 0 && timestamp !== LIST_OFFSETS_MAX_TIMESTAMP) throw new InvalidArgumentError(`unsupported ListOffsets timestamp ${timestamp}`);
    return this.guard('offset-for-timestamp', async () => {
      const live = this.segments.all().filter((s, i, all) => (all[i + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER) > this.startOffset);
      if (timestamp === LIST_OFFSETS_MAX_TIMESTAMP) {
        let best: LogSegment | null = null;
        let bestTs = -1;
        for (const s of live) {
          const ts = await s.largestTimestamp();
          if (ts > bestTs) {
            bestTs = ts;
            best = s;
          }
        }
        return best === null ? null : best.findOffsetByTimestamp(bestTs, this.startOffset);
      }
      for (const s of live) {
        if ((await s.largestTimestamp()) < timestamp) continue;
        const found = await s.findOffsetByTimestamp(timestamp, this.startOffset);
        if (found !== null) return found;
      }
      return null;
    });
  }

  // ---- waiting ----------------------------------------------------------------------

  /**
   * Resolves true once the log end offset (or the high watermark) is beyond `offset`,
   * false after `timeoutMs`, on abort or on close. Bounded by `config.waitersMax`.
   */
  waitForData(offset: number, timeoutMs: number, options: { signal?: AbortSignal; watermark?: Watermark } = {}): Promise<boolean> {
    assertSafeInteger(offset, 'offset');
    if (this.closed) return Promise.resolve(false);
    if (options.watermark === 'high-watermark') return this.hwWaiters.wait(offset, this.hw, timeoutMs, options.signal);
    return this.endWaiters.wait(offset, this.endOffset, timeoutMs, options.signal);
  }

  /** Calls `listener` after every append (synchronously; it must not throw or block). */
  onAppend(listener: (event: AppendEvent) => void): () => void {
    if (this.listeners.size >= APPEND_LISTENERS_MAX) throw new InvalidArgumentError(`more than ${APPEND_LISTENERS_MAX} append listeners`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replication: moves the high watermark (clamped to [logStartOffset, logEndOffset]). */
  updateHighWatermark(offset: number): number {
    assertSafeInteger(offset, 'high watermark');
    this.hw = Math.min(Math.max(offset, this.startOffset), this.endOffset);
    this.hwWaiters.notify(this.hw);
    return this.hw;
  }

  // ---- leader epochs ----------------------------------------------------------------

  /** A new leader epoch starts at `startOffset` (normally the log end offset). Checkpointed. */
  async assignEpochStartOffset(epoch: number, startOffset: number): Promise<void> {
    assertSafeInteger(startOffset, 'epoch start offset');
    this.ensureWritable();
    await this.writers.run(() =>
      this.guard('assign-epoch', async () => {
        this.epochCache.assign(epoch, startOffset);
        await this.epochCache.flush();
      }),
    );
  }

  /** OffsetsForLeaderEpoch (KIP-101/279). */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(epoch, this.endOffset);
  }

  latestEpoch(): number | null {
    return this.epochCache.latestEpoch();
  }

  epochEntries(): readonly EpochEntry[] {
    return this.epochCache.epochEntries();
  }

  // ---- truncation and deletion ------------------------------------------------------

  /**
   * Removes every batch at or beyond `offset` (whole batches: one that holds `offset`
   * goes entirely, so the log end may land below `offset`). Durable when it resolves.
   * Returns false when there was nothing to remove.
   */
  async truncateTo(offset: number): Promise<boolean> {
    assertSafeInteger(offset, 'truncation offset');
    if (offset < 0) throw new InvalidArgumentError(`cannot truncate to ${offset}`);
    this.ensureWritable();
    return this.writers.run(() =>
      this.guard('truncate', async () => {
        if (offset >= this.endOffset) return false;
        if (offset < this.startOffset || (this.segments.first?.baseOffset ?? 0) > offset) {
          await this.truncateFullyLocked(offset);
          return true;
        }
        await this.settleSync();
        this.truncations++;
        // The later segments go first, durably, as Kafka's truncateTo does: a crash between
        // the steps then leaves a longer prefix of the log, never a cut segment followed
        // by segments past the cut (a hole in the offsets).
        const removed = this.segments.all().filter((s) => s.baseOffset > offset);
        for (const s of removed) this.segments.remove(s.baseOffset);
        for (const s of removed) await this.scheduleDeletion(s);
        const active = this.segments.active;
        if (removed.length > 0 || !active.dirEntryDurable) {
          await this.fs.syncDir(this.dir);
          active.dirEntryDurable = true;
        }
        const cut = await active.truncateTo(offset);
        const newEnd = Math.min(offset, cut.firstRemovedOffset ?? offset);
        if (newEnd < this.startOffset) {
          // The batch holding `offset` began below the log start (DeleteRecords cut into
          // it), so nothing at or above the log start is left: the log restarts empty
          // there, never with its end below its start.
          await this.truncateFullyLocked(this.startOffset);
          return true;
        }
        await active.markActive();
        this.endOffset = Math.max(newEnd, active.baseOffset);
        await active.flushLog();
        this.afterTruncation();
        await this.epochCache.flush();
        await this.host.persistCheckpoints(this);
        this.logger.info({ dir: this.dir, offset, logEndOffset: this.endOffset, segmentsRemoved: removed.length }, 'truncated log');
        return true;
      }),
    );
  }

  /** Deletes every segment and restarts the log empty at `offset` (a follower too far behind). */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    assertSafeInteger(offset, 'new start offset');
    if (offset < 0) throw new InvalidArgumentError(`cannot start at ${offset}`);
    this.ensureWritable();
    await this.writers.run(() => this.guard('truncate-fully', () => this.truncateFullyLocked(offset)));
  }

  private async truncateFullyLocked(offset: number): Promise<void> {
    await this.settleSync();
    this.truncations++;
    const old = this.segments.clear();
    // Rename the old files first: the new segment may reuse a base offset (and file name).
    for (const s of old) await this.scheduleDeletion(s);
    const segment = await LogSegment.create(this.ctx, offset, { active: true });
    this.segments.add(segment);
    await this.fs.syncDir(this.dir);
    segment.dirEntryDurable = true;
    this.startOffset = offset;
    this.endOffset = offset;
    this.epochCache.clear();
    this.afterTruncation();
    this.recoveryPointValue = offset;
    await this.epochCache.flush();
    await this.host.persistCheckpoints(this);
    this.logger.info({ dir: this.dir, offset }, 'truncated log fully');
  }

  private afterTruncation(): void {
    this.recoveryPointValue = Math.min(this.recoveryPointValue, this.endOffset);
    this.groupCommit.resetDurableEnd(this.endOffset);
    this.hw = this.autoHighWatermark ? this.endOffset : Math.min(this.hw, this.endOffset);
    this.epochCache.truncateFromEnd(this.endOffset);
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (≤ high watermark) and
   * deletes the segments wholly below it. Returns the new log start offset.
   */
  async deleteRecordsBefore(offset: number): Promise<number> {
    assertSafeInteger(offset, 'offset');
    this.ensureWritable();
    if (offset > this.hw || offset < 0) throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw);
    return this.writers.run(() =>
      this.guard('delete-records', async () => {
        if (offset <= this.startOffset) return this.startOffset;
        this.startOffset = offset;
        this.epochCache.truncateFromStart(offset);
        const doomed: LogSegment[] = [];
        for (const s of this.segments.all()) {
          const next = this.segments.higherSegment(s.baseOffset);
          if (next === undefined || next.baseOffset > offset) break;
          doomed.push(s);
        }
        await this.removeSegmentsLocked(doomed, 'log-start-offset');
        await this.persistAllowingFullDisk('delete-records');
        return this.startOffset;
      }),
    );
  }

  /**
   * Retention: deletes the oldest segments with the given base offsets (a prefix of the
   * log). When that includes the active segment, a new empty one is rolled first. The log
   * start offset moves to the first remaining segment. Returns how many were deleted.
   */
  async deleteSegments(baseOffsets: readonly number[], reason: string): Promise<number> {
    this.ensureWritable();
    return this.writers.run(() =>
      this.guard('delete-segments', async () => {
        const wanted = new Set(baseOffsets);
        const all = this.segments.all();
        const doomed: LogSegment[] = [];
        for (const s of all) {
          if (!wanted.has(s.baseOffset)) break;
          doomed.push(s);
        }
        if (doomed.length === 0) return 0;
        if (doomed.length === all.length) await this.rollLocked(this.endOffset);
        // An empty active segment at the log end is kept rather than rolled onto itself.
        const active = this.segments.active;
        const removable = doomed.filter((s) => s !== active);
        if (removable.length === 0) return 0;
        await this.removeSegmentsLocked(removable, reason);
        const first = this.segments.first;
        if (first !== undefined && first.baseOffset > this.startOffset) {
          this.startOffset = first.baseOffset;
          if (this.hw < this.startOffset) this.hw = this.startOffset;
          this.epochCache.truncateFromStart(this.startOffset);
        }
        await this.persistAllowingFullDisk('delete-segments');
        return removable.length;
      }),
    );
  }

  private async removeSegmentsLocked(doomed: readonly LogSegment[], reason: string): Promise<void> {
    if (doomed.length === 0) return;
    for (const s of doomed) {
      assert(s !== this.segments.active, 'cannot delete the active segment');
      this.segments.remove(s.baseOffset);
    }
    for (const s of doomed) await this.scheduleDeletion(s);
    await this.fs.syncDir(this.dir);
    this.logger.info({ dir: this.dir, reason, baseOffsets: doomed.map((s) => s.baseOffset) }, 'deleted segments');
  }

  // ---- retention hooks (retention/enforce-retention.ts RetentionTarget) ---------------

  /** Segment summaries, ascending, the last is active (RetentionTarget). */
  async segmentSummaries(): Promise<SegmentInfo[]> {
    return this.segmentInfos();
  }

  /** Raises the log start offset (never lowers it, never past the high watermark). */
  async maybeIncrementLogStartOffset(offset: number): Promise<void> {
    assertSafeInteger(offset, 'log start offset');
    this.ensureWritable();
    await this.writers.run(() =>
      this.guard('increment-log-start-offset', async () => {
        const target = Math.min(offset, this.hw);
        if (target <= this.startOffset) return;
        this.startOffset = target;
        this.epochCache.truncateFromStart(target);
        await this.persistAllowingFullDisk('increment-log-start-offset');
      }),
    );
  }

  /**
   * Removes these segments (a prefix, never the active one) from the log, leaving their
   * files to the caller (who renames them to `.deleted`). Their handles close after
   * `fileDeleteDelayMs` so reads in flight finish, as with Kafka's delayed deletion.
   */
  async detachSegments(baseOffsets: readonly number[]): Promise<void> {
    this.ensureWritable();
    await this.writers.run(async () => {
      const active = this.segments.active;
      for (const base of baseOffsets) {
        const s = this.segments.get(base);
        if (s === undefined) continue;
        assert(s !== active, 'cannot detach the active segment');
        this.segments.remove(base);
        const timer = this.clock.setTimeout(() => {
          this.pendingCloses.delete(s);
          s.closeHandle().catch(() => undefined);
        }, this.config.fileDeleteDelayMs);
        this.pendingCloses.set(s, timer);
      }
    });
  }

  /** Renames the segment to `.deleted` now and removes it after `fileDeleteDelayMs`. */
  private async scheduleDeletion(segment: LogSegment): Promise<void> {
    await segment.changeSuffix(DELETED_FILE_SUFFIX);
    const timer = this.clock.setTimeout(() => {
      this.pendingDeletes.delete(segment);
      segment.deleteFiles().catch((e: unknown) => this.logger.warn({ dir: this.dir, baseOffset: segment.baseOffset, error: String(e) }, 'async segment deletion failed'));
    }, this.config.fileDeleteDelayMs);
    this.pendingDeletes.set(segment, timer);
  }

  /**
   * The cleaner's swap: `cleaned` (suffix `.cleaned`, fully written) replaces `oldSegments`.
   * Crash-safe order (Kafka's): sync cleaned → rename to `.swap` (the commit point; recovery
   * completes the swap from here) → schedule the old segments for deletion → rename `.swap`
   * to the live name. Returns once the new segment serves reads.
   */
  async replaceSegments(cleaned: LogSegment, oldSegments: readonly LogSegment[]): Promise<void> {
    this.ensureWritable();
    assert(cleaned.suffix === CLEANED_FILE_SUFFIX, `replaceSegments wants a ${CLEANED_FILE_SUFFIX} segment, got '${cleaned.suffix}'`);
    await this.writers.run(() => {
      // Under the writer lock the segment set cannot change; a truncation or retention that
      // ran while the cleaner worked makes this pass stale, so it is abandoned whole.
      for (const s of oldSegments) {
        if (this.segments.get(s.baseOffset) !== s) throw new SegmentsChangedError(s.baseOffset);
      }
      return this.guard('replace-segments', async () => {
        const active = this.segments.active;
        for (const s of oldSegments) assert(s !== active, 'cannot replace the active segment');
        try {
          await cleaned.onBecomeInactive();
          await cleaned.flushIndexes(); // the roll path leaves them unsynced; cleaner output is synced whole
          await cleaned.flushLog();
        } catch (e) {
          // Only the `.cleaned` files were touched: a full disk abandons the pass (the
          // cleaner removes them), the log stays online.
          if (!isNoSpace(e)) throw e;
          throw new LogNoSpaceError(this.dir, 'replace-segments', { cause: e });
        }
        await cleaned.changeSuffix(SWAP_FILE_SUFFIX);
        await this.fs.syncDir(this.dir);
        // One synchronous step, so a concurrent read sees either the old segments or the
        // cleaned one and never a gap; file renames follow (recovery completes a `.swap`).
        for (const s of oldSegments) this.segments.remove(s.baseOffset);
        this.segments.add(cleaned);
        for (const s of oldSegments) await this.scheduleDeletion(s);
        await cleaned.changeSuffix('');
        await this.fs.syncDir(this.dir);
        cleaned.dirEntryDurable = true;
      });
    });
  }

  /** A new `.cleaned` segment for the cleaner to write (offsets kept, so base = first old segment's). */
  async createCleanedSegment(baseOffset: number): Promise<LogSegment> {
    this.ensureWritable();
    return this.guard('create-cleaned-segment', async () => {
      await this.fs.remove(`${this.dir}/${String(baseOffset).padStart(20, '0')}.log${CLEANED_FILE_SUFFIX}`);
      try {
        return await LogSegment.create(this.ctx, baseOffset, { suffix: CLEANED_FILE_SUFFIX, active: false });
      } catch (e) {
        if (!isNoSpace(e)) throw e;
        await LogSegment.removeFailedCreate(this.ctx, baseOffset, CLEANED_FILE_SUFFIX);
        throw new LogNoSpaceError(this.dir, 'create-cleaned-segment', { cause: e });
      }
    });
  }

  // ---- flush and close --------------------------------------------------------------

  /** Syncs everything appended so far; the recovery point reaches the log end. */
  async flush(): Promise<void> {
    this.ensureWritable();
    await this.syncUpTo(this.endOffset);
  }

  /**
   * Flushes, trims the indices, closes every file and lets the host write its
   * clean-shutdown marker. Pending waiters resolve false. On an offline log it only
   * releases resources. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushTimer?.cancel();
    this.endWaiters.closeAll();
    this.hwWaiters.closeAll();
    this.listeners.clear();
    if (this.offlineCause !== null) {
      await this.releaseQuietly();
      return;
    }
    try {
      await this.writers.run(async () => {
        await this.settleSync();
        await this.syncTo(this.endOffset);
        for (const [segment, timer] of this.pendingDeletes) {
          timer.cancel();
          await segment.deleteFiles();
        }
        this.pendingDeletes.clear();
        for (const [segment, timer] of this.pendingCloses) {
          timer.cancel();
          await segment.closeHandle();
        }
        this.pendingCloses.clear();
        for (const s of this.segments.all()) await s.close();
        await this.epochCache.flush();
        await this.host.persistCheckpoints(this);
        await this.host.onCleanClose(this);
      });
    } catch (e) {
      // A full disk at close (an index trim, a checkpoint): what was synced stays, the
      // handles are released and the host writes no clean-shutdown marker (it sees the
      // rejection), so the next open recovers from the recovery point. Not offline.
      const error = isNoSpace(e) ? new LogNoSpaceError(this.dir, 'close', { cause: e }) : this.storageFailure('close', e);
      await this.releaseQuietly();
      throw error;
    }
  }

  private async releaseQuietly(): Promise<void> {
    for (const timer of this.pendingDeletes.values()) timer.cancel();
    for (const timer of this.pendingCloses.values()) timer.cancel();
    const handles = [...this.pendingDeletes.keys(), ...this.pendingCloses.keys(), ...this.segments.all()];
    this.pendingDeletes.clear();
    this.pendingCloses.clear();
    for (const s of handles) await s.closeHandle().catch(() => undefined);
  }

  // ---- full disk --------------------------------------------------------------------

  /**
   * Writes the epoch cache; a full disk leaves it dirty (the old file stays, the next
   * flush rewrites it) and resolves false. Any other failure rejects.
   */
  private async flushEpochsAllowingFullDisk(operation: string): Promise<boolean> {
    if (await completedUnlessNoSpace(this.epochCache.flush())) return true;
    this.logger.warn({ dir: this.dir, operation }, 'no space to rewrite the leader-epoch checkpoint; kept for the next flush');
    return false;
  }

  /**
   * After the log start offset moved (DeleteRecords, retention): the epoch cache and the
   * host's checkpoints. A full disk leaves the old files, as a crash before the periodic
   * checkpoint would (Kafka writes the log-start-offset checkpoint periodically too):
   * space-freeing deletions must keep working on a full disk.
   */
  private async persistAllowingFullDisk(operation: string): Promise<void> {
    await this.flushEpochsAllowingFullDisk(operation);
    if (await completedUnlessNoSpace(this.host.persistCheckpoints(this))) return;
    this.logger.warn({ dir: this.dir, operation }, 'no space to rewrite the checkpoints; the periodic checkpoint retries');
  }

  // ---- guards -----------------------------------------------------------------------

  private async settleSync(): Promise<void> {
    const inFlight = this.groupCommit.inFlight;
    if (inFlight !== null) await inFlight.catch(() => undefined);
  }

  private ensureReadable(): void {
    if (this.closed) throw new LogClosedError(this.dir);
    if (this.offlineCause !== null) throw new LogOfflineError(this.dir, { cause: this.offlineCause });
  }

  private ensureWritable(): void {
    this.ensureReadable();
  }

  /** Runs `fn`; a file-system failure takes the log offline and becomes LogStorageError. */
  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.storageFailure(operation, e);
    }
  }

  /** Classifies an error: typed log errors pass through; anything else is a storage failure. */
  private storageFailure(operation: string, e: unknown): unknown {
    if (e instanceof LogStorageError || e instanceof LogOfflineError) return e;
    if (e instanceof LogError || e instanceof LogAssertionError || e instanceof RangeError) {
      return e;
    }
    const error = new LogStorageError(this.dir, operation, { cause: e });
    if (this.offlineCause === null) {
      this.offlineCause = e;
      this.flushTimer?.cancel();
      this.logger.warn({ dir: this.dir, operation, error: e instanceof Error ? e.message : String(e), fsCode: e instanceof FileSystemError ? e.code : undefined }, 'log is offline after a storage error');
    }
    return error;
  }
}
