/**
 * Log: one partition's log — the log start / end offsets, the recovery point, the high
 * watermark, the leader-epoch cache, validation, group commit and long-poll waiters
 * (Kafka's `UnifiedLog`), over a LocalLog (local-log.ts: the segments and their file
 * operations, Kafka's `LocalLog`). Open one with `openLog` (open-log.ts).
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
 * Faults (log-faults.ts): a failing file-system operation rejects that call with
 * LogStorageError and takes the log offline (every later call but `close()` rejects with
 * LogOfflineError). A full disk ('no-space') is no such fault where the log can undo the
 * write: an append or roll cuts off what it half wrote and rejects with LogNoSpaceError,
 * online; a checkpoint or epoch rewrite after the state changed keeps the old file for the
 * next change, periodic checkpoint or close; a compaction pass before its `.swap` commit
 * point is abandoned. A 'no-space' from a sync or from a failed undo is a fault (after a
 * failed fsync the file's contents are unknown). No promise the log creates is left unhandled.
 *
 * API (all offsets are numbers):
 * - state: `logStartOffset`, `logEndOffset`, `recoveryPoint`, `highWatermark`,
 *   `isOffline`, `sizeBytes`, `segmentCount`, `segmentsSnapshot()`
 * - writes: `append(bytes, { leaderEpoch, requireSync })`,
 *   `appendAsFollower(bytes, { allowGaps, requireSync })`, `roll()`, `flush()`
 * - reads: `read(from, maxBytes, { maxOffset, minOneMessage, scratch })`,
 *   `offsetForTimestamp(ts | -1 latest | -2 earliest | -3 max-timestamp)`
 * - waiting: `waitForData(offset, timeoutMs, { signal, watermark })`, `onAppend(fn)`,
 *   `updateHighWatermark(offset)`
 * - epochs: `assignEpochStartOffset`, `endOffsetForEpoch`, `latestEpoch`, `epochEntries`
 * - range: `truncateTo`, `truncateFullyAndStartAt`, `deleteRecordsBefore`
 * - retention: `segmentInfos`, `deleteSegments(baseOffsets, reason)`
 * - compaction: `createCleanedSegment(base)`, `replaceSegments(cleaned, old)`
 * - `close()`
 */
import type { Clock } from '@samsa/runtime';
import { assignOffsets, checkFollowerOffsets, forEachBatchEpoch, leaderChecksFor, validateAppend, type ValidatedAppend } from './append-batches.ts';
import { AsyncMutex } from './async-mutex.ts';
import { InvalidArgumentError, LogNoSpaceError, OffsetOutOfRangeError, RecordBatchTooLargeError, StaleLeaderEpochError, assert, assertSafeInteger, completedUnlessNoSpace, isNoSpace } from './errors.ts';
import { CLEANED_FILE_SUFFIX } from './file-names.ts';
import { sameFlushPolicy } from './flush-policy.ts';
import type { EpochEndOffset, LeaderEpochCache } from './leader-epoch-cache.ts';
import { resolveLogConfig, type LogConfig } from './log-config.ts';
import type { AppendStats, LogSegment, SegmentContext, TimestampAndOffset } from './log-segment.ts';
import { LocalLog } from './local-log.ts';
import { LogDurability } from './log-durability.ts';
import { LogFaults } from './log-faults.ts';
import { LIST_OFFSETS_EARLIEST, LIST_OFFSETS_EARLIEST_LOCAL, LIST_OFFSETS_LATEST, LIST_OFFSETS_MAX_TIMESTAMP, WRITERS_QUEUED_MAX, type AppendEvent, type AppendOptions, type AppendResult, type FollowerAppendOptions, type LogParams, type LogHost, type ReadOptions, type ReadResult, type SegmentInfo, type Watermark } from './log-types.ts';
import { LogWatchers } from './log-watchers.ts';
import type { LogLogger } from './logger.ts';
import type { EpochEntry } from './checkpoint-file.ts';

export * from './log-types.ts';

/** What a write under the lock produced, for the AppendResult. */
type Written = Pick<AppendResult, 'baseOffset' | 'lastOffset' | 'logAppendTimeMs' | 'maxTimestamp' | 'offsetOfMaxTimestamp'>;

export class Log {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  private configValue: LogConfig;
  private readonly clock: Clock;
  private readonly logger: LogLogger;
  private readonly ctx: SegmentContext;
  private readonly epochCache: LeaderEpochCache;
  private readonly local: LocalLog;
  private readonly host: LogHost;
  private readonly autoHighWatermark: boolean;
  private startOffset: number;
  private endOffset: number;
  private hw: number;
  private readonly writers = new AsyncMutex(WRITERS_QUEUED_MAX);
  private readonly durability: LogDurability;
  private readonly watchers: LogWatchers;
  private readonly faults: LogFaults;
  /** The in-flight `loadSegmentSizes()`, shared by concurrent callers. */
  private sizesLoading: Promise<void> | null = null;
  private closed = false;

  constructor(params: LogParams) {
    this.dir = params.dir;
    this.topic = params.topic;
    this.partition = params.partition;
    this.clock = params.clock;
    this.configValue = params.config;
    this.logger = params.logger;
    this.ctx = params.ctx;
    this.epochCache = params.epochCache;
    this.local = new LocalLog({ dir: params.dir, fs: params.fs, clock: params.clock, logger: params.logger, ctx: params.ctx, segments: params.state.segments });
    this.host = params.host;
    this.startOffset = params.state.logStartOffset;
    this.endOffset = params.state.logEndOffset;
    this.autoHighWatermark = params.highWatermarkMode === 'log-end';
    this.hw = this.autoHighWatermark ? this.endOffset : Math.min(Math.max(params.state.highWatermark, this.startOffset), this.endOffset);
    this.watchers = new LogWatchers(this.dir, this.clock, this.config.waitersMax, this.logger);
    this.faults = new LogFaults(this.dir, this.logger, () => this.durability.stop());
    const durabilityHost = {
      dir: this.dir,
      clock: this.clock,
      logger: this.logger,
      endOffset: () => this.endOffset,
      syncRange: (from: number, to: number) => this.local.syncRange(from, to),
      flushDirtyEpochs: () => (this.epochCache.isDirty ? this.flushEpochsAllowingFullDisk('sync') : Promise.resolve(true)),
      classify: (operation: string, e: unknown) => this.faults.classify(operation, e),
      usable: () => !this.closed && !this.faults.isOffline,
    };
    this.durability = new LogDurability(durabilityHost, params.state.recoveryPoint, this.config.flushPolicy);
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
    if (!sameFlushPolicy(current.flushPolicy, next.flushPolicy) && !this.closed) this.durability.applyPolicy(next.flushPolicy);
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
    return this.durability.recoveryPoint;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get isOffline(): boolean {
    return this.faults.isOffline;
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
      await this.local.active.loadIndexes();
    });
  }

  /**
   * Bytes of all segments. After a restart the inactive segments' sizes are read lazily:
   * until then they count as 0, and the first call starts loading them (in the
   * background; `await loadSegmentSizes()` for the exact figure at once).
   */
  get sizeBytes(): number {
    if (!this.local.segments.allSizesLoaded && !this.closed && !this.faults.isOffline) {
      this.loadSegmentSizes().catch((e: unknown) => this.logger.warn({ dir: this.dir, error: String(e) }, 'loading segment sizes failed'));
    }
    return this.local.segments.knownSizeBytes();
  }

  /** False right after a restart until every segment's size was read (see `sizeBytes`). */
  get segmentSizesLoaded(): boolean {
    return this.local.segments.allSizesLoaded;
  }

  /** Reads the size of every segment not known yet (one stat each); then `sizeBytes` is exact. */
  async loadSegmentSizes(): Promise<void> {
    if (this.local.segments.allSizesLoaded) return;
    this.ensureAvailable();
    this.sizesLoading ??= this.guard('load-segment-sizes', () => this.local.loadSegmentSizes()).finally(() => (this.sizesLoading = null));
    return this.sizesLoading;
  }

  get segmentCount(): number {
    return this.local.segments.size;
  }

  /** The segments, ascending (the last is active). For the cleaner, retention and tests. */
  segmentsSnapshot(): LogSegment[] {
    return this.local.segments.all();
  }

  /** Summaries for retention planning, ascending, the last is active (RetentionTarget; loads each segment's time index). */
  async segmentInfos(): Promise<SegmentInfo[]> {
    this.ensureAvailable();
    return this.guard('segment-infos', () => this.local.segmentInfos());
  }

  // ---- append -----------------------------------------------------------------------

  /**
   * Appends record batches as the leader: validates all of them (nothing is written if
   * one is invalid), assigns offsets from the log end IN PLACE in `bytes` (the caller
   * gives up the buffer), stamps the leader epoch and, for log-append-time topics, the
   * append time. With the config current at the call (append-batches.ts, LeaderChecks):
   * create-time logs get each batch's maxTimestamp corrected to the max over its records;
   * compacted logs refuse records without a key (InvalidRecordError).
   *
   * `leaderEpoch` (the partition's current leader epoch) is written into each batch's
   * partitionLeaderEpoch field, which the CRC-32C does not cover (it covers attributes
   * onwards), so no checksum is recomputed. The first append of a new epoch records
   * (epoch → its base offset) in the epoch cache and checkpoints it before resolving. An
   * epoch older than the latest the log holds is refused (StaleLeaderEpochError), nothing
   * written.
   */
  async append(bytes: Uint8Array, options: AppendOptions = {}): Promise<AppendResult> {
    this.ensureAvailable();
    const config = this.config;
    const validated = validateAppend(bytes, config.maxMessageBytes, leaderChecksFor(config, `${this.topic}-${this.partition}`));
    if (validated.sizeBytes > this.config.segmentBytes) throw new RecordBatchTooLargeError(validated.sizeBytes, this.config.segmentBytes);
    const epoch = options.leaderEpoch ?? -1;
    if (options.leaderEpoch !== undefined) assert(Number.isInteger(epoch) && epoch >= 0 && epoch <= 0x7fffffff, `bad leader epoch ${epoch}`);
    const written = await this.writers.run(() =>
      this.guard('append', async (): Promise<Written> => {
        this.ensureAvailable();
        // Under the lock: a truncation or follower append may have changed the history.
        const latest = this.epochCache.latestEpoch();
        if (epoch >= 0 && latest !== null && epoch < latest) throw new StaleLeaderEpochError(epoch, latest);
        const firstOffset = this.endOffset;
        const logAppendTimeMs = config.timestampType === 'log-append-time' ? this.clock.wallMs() : -1;
        const stats = assignOffsets(bytes, { firstOffset, leaderEpoch: epoch, logAppendTimeMs });
        await this.writeBatches(bytes, firstOffset, stats);
        return { baseOffset: firstOffset, lastOffset: stats.lastOffset, logAppendTimeMs, maxTimestamp: stats.maxTimestamp, offsetOfMaxTimestamp: stats.offsetOfMaxTimestamp };
      }),
    );
    return this.appendResult(written, validated, await this.durability.maybeSyncAfterAppend(this.config.flushPolicy, options.requireSync === true));
  }

  /** Appends batches replicated from the leader, keeping their offsets and epochs. */
  async appendAsFollower(bytes: Uint8Array, options: FollowerAppendOptions = {}): Promise<AppendResult> {
    this.ensureAvailable();
    const validated = validateAppend(bytes, Number.MAX_SAFE_INTEGER);
    if (validated.sizeBytes > this.config.segmentBytes) throw new RecordBatchTooLargeError(validated.sizeBytes, this.config.segmentBytes);
    const written = await this.writers.run(() =>
      this.guard('append-as-follower', async (): Promise<Written> => {
        this.ensureAvailable();
        const checked = checkFollowerOffsets(bytes, this.endOffset, options.allowGaps === true);
        await this.writeBatches(bytes, checked.firstOffset, checked);
        return { baseOffset: checked.firstOffset, lastOffset: checked.lastOffset, logAppendTimeMs: -1, maxTimestamp: checked.maxTimestamp, offsetOfMaxTimestamp: checked.offsetOfMaxTimestamp };
      }),
    );
    return this.appendResult(written, validated, await this.durability.maybeSyncAfterAppend(this.config.flushPolicy, options.requireSync === true));
  }

  private appendResult(written: Written, validated: ValidatedAppend, synced: boolean): AppendResult {
    const { batchCount, recordCount, sizeBytes } = validated;
    return { ...written, batchCount, recordCount, sizeBytes, logStartOffset: this.startOffset, synced };
  }

  /** Under the writer lock: roll if needed, write, index, move the log end, wake waiters. */
  private async writeBatches(bytes: Uint8Array, firstOffset: number, stats: AppendStats): Promise<void> {
    const segment = await this.local.maybeRoll(bytes.byteLength, firstOffset, stats.lastOffset, this.endOffset);
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
    this.watchers.appended(firstOffset, stats.lastOffset, this.endOffset, this.autoHighWatermark ? this.hw : null);
  }

  /** Starts a new active segment at the log end offset (or `expectedNextOffset` if higher). */
  async roll(expectedNextOffset?: number): Promise<LogSegment> {
    this.ensureAvailable();
    return this.writers.run(() => this.guard('roll', () => this.local.rollTo(Math.max(expectedNextOffset ?? this.endOffset, this.endOffset))));
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
    this.ensureAvailable();
    const logEndOffset = this.endOffset;
    const maxOffset = Math.min(options.maxOffset ?? logEndOffset, logEndOffset);
    if (fromOffset < this.startOffset || fromOffset > logEndOffset) throw new OffsetOutOfRangeError(fromOffset, this.startOffset, logEndOffset);
    const base = { fromOffset, logStartOffset: this.startOffset, logEndOffset, highWatermark: this.hw };
    if (fromOffset >= maxOffset) return { records: new Uint8Array(0), ...base };
    const request = { fromOffset, maxBytes, maxOffset, minOneMessage: options.minOneMessage !== false, scratch: options.scratch };
    return { records: await this.guard('read', () => this.local.read(request)), ...base };
  }

  /**
   * ListOffsets: EARLIEST (-2), LATEST (-1), MAX_TIMESTAMP (-3), EARLIEST_LOCAL (-4), or a
   * timestamp → the first record with timestamp ≥ it (null when there is none).
   */
  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    assertSafeInteger(timestamp, 'timestamp');
    this.ensureAvailable();
    if (timestamp === LIST_OFFSETS_EARLIEST || timestamp === LIST_OFFSETS_EARLIEST_LOCAL) {
      return { timestamp: -1, offset: this.startOffset, leaderEpoch: this.epochCache.epochForOffset(this.startOffset) ?? -1 };
    }
    if (timestamp === LIST_OFFSETS_LATEST) return { timestamp: -1, offset: this.endOffset, leaderEpoch: this.epochCache.latestEpoch() ?? -1 };
    if (timestamp < 0 && timestamp !== LIST_OFFSETS_MAX_TIMESTAMP) throw new InvalidArgumentError(`unsupported ListOffsets timestamp ${timestamp}`);
    return this.guard('offset-for-timestamp', () => this.local.offsetForTimestamp(timestamp, this.startOffset));
  }

  // ---- waiting ----------------------------------------------------------------------

  /**
   * Resolves true once the log end offset (or the high watermark) is beyond `offset`,
   * false after `timeoutMs`, on abort or on close. Bounded by `config.waitersMax`: a
   * waiter past the bound is answered at once with a rejection (TooManyWaitersError,
   * code 'too-many-waiters'), never left waiting.
   */
  waitForData(offset: number, timeoutMs: number, options: { signal?: AbortSignal; watermark?: Watermark } = {}): Promise<boolean> {
    assertSafeInteger(offset, 'offset');
    if (this.closed) return Promise.resolve(false);
    const watermark = options.watermark ?? 'log-end';
    return this.watchers.wait(offset, watermark === 'high-watermark' ? this.hw : this.endOffset, timeoutMs, watermark, options.signal);
  }

  /** Calls `listener` after every append (synchronously; it must not throw or block). */
  onAppend(listener: (event: AppendEvent) => void): () => void {
    return this.watchers.onAppend(listener);
  }

  /** Replication: moves the high watermark (clamped to [logStartOffset, logEndOffset]). */
  updateHighWatermark(offset: number): number {
    assertSafeInteger(offset, 'high watermark');
    this.hw = Math.min(Math.max(offset, this.startOffset), this.endOffset);
    this.watchers.highWatermarkMoved(this.hw);
    return this.hw;
  }

  // ---- leader epochs ----------------------------------------------------------------

  /** A new leader epoch starts at `startOffset` (normally the log end offset). Checkpointed. */
  async assignEpochStartOffset(epoch: number, startOffset: number): Promise<void> {
    assertSafeInteger(startOffset, 'epoch start offset');
    this.ensureAvailable();
    await this.writers.run(() =>
      this.guard('assign-epoch', async () => {
        this.epochCache.assign(epoch, startOffset);
        await this.epochCache.flush();
      }),
    );
  }

  /**
   * OffsetsForLeaderEpoch (KIP-101/279), Kafka's semantics: for the latest epoch, the log
   * end offset; for an older one, the start offset of the first epoch above it, with the
   * largest known epoch ≤ `leaderEpoch` (or `leaderEpoch` itself when it precedes every
   * known epoch: the log has nothing of it and its end is where the earliest known epoch
   * starts); (-1, -1) for an epoch newer than any known, for -1, and on an empty cache.
   */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(leaderEpoch, this.endOffset);
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
   * goes entirely, so the log end may land below `offset`) and every leader epoch that
   * starts at or beyond it — also when no batch goes. Durable when it resolves.
   * Returns false when no batch was removed.
   */
  async truncateTo(offset: number): Promise<boolean> {
    assertSafeInteger(offset, 'truncation offset');
    if (offset < 0) throw new InvalidArgumentError(`cannot truncate to ${offset}`);
    this.ensureAvailable();
    return this.writers.run(() =>
      this.guard('truncate', async () => {
        if (offset >= this.endOffset) {
          // No record goes, but an epoch that starts at or past `offset` (one assigned at
          // become-leader with nothing appended in it) does: a follower truncating on a
          // diverging epoch relies on each step dropping its latest epoch (KIP-320).
          this.epochCache.truncateFromEnd(offset);
          if (this.epochCache.isDirty) await this.epochCache.flush();
          return false;
        }
        if (offset < this.startOffset || (this.local.segments.first?.baseOffset ?? 0) > offset) {
          await this.truncateFullyLocked(offset);
          return true;
        }
        await this.durability.settle();
        this.durability.beginTruncation();
        const cut = await this.local.truncateTo(offset, this.startOffset);
        if (cut.belowStart) {
          // The batch holding `offset` began below the log start (DeleteRecords cut into
          // it), so nothing at or above the log start is left: the log restarts empty
          // there, never with its end below its start.
          await this.truncateFullyLocked(this.startOffset);
          return true;
        }
        this.endOffset = cut.newEnd;
        this.afterTruncation();
        await this.epochCache.flush();
        await this.host.persistCheckpoints(this);
        this.logger.info({ dir: this.dir, offset, logEndOffset: this.endOffset, segmentsRemoved: cut.segmentsRemoved }, 'truncated log');
        return true;
      }),
    );
  }

  /** Deletes every segment and restarts the log empty at `offset` (a follower too far behind). */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    assertSafeInteger(offset, 'new start offset');
    if (offset < 0) throw new InvalidArgumentError(`cannot start at ${offset}`);
    this.ensureAvailable();
    await this.writers.run(() => this.guard('truncate-fully', () => this.truncateFullyLocked(offset)));
  }

  private async truncateFullyLocked(offset: number): Promise<void> {
    await this.durability.settle();
    this.durability.beginTruncation();
    await this.local.truncateFully(offset);
    this.startOffset = offset;
    this.endOffset = offset;
    this.epochCache.clear();
    this.afterTruncation(offset);
    await this.epochCache.flush();
    await this.host.persistCheckpoints(this);
    this.logger.info({ dir: this.dir, offset }, 'truncated log fully');
  }

  /** The log end moved down; `recoveryPoint` given: the whole log below it is durable (an emptied log). */
  private afterTruncation(recoveryPoint?: number): void {
    this.durability.truncated(this.endOffset, recoveryPoint);
    this.hw = this.autoHighWatermark ? this.endOffset : Math.min(this.hw, this.endOffset);
    this.epochCache.truncateFromEnd(this.endOffset);
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (≤ high watermark) and
   * deletes the segments wholly below it. Returns the new log start offset.
   */
  async deleteRecordsBefore(offset: number): Promise<number> {
    assertSafeInteger(offset, 'offset');
    this.ensureAvailable();
    if (offset > this.hw || offset < 0) throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw);
    return this.writers.run(() =>
      this.guard('delete-records', async () => {
        if (offset <= this.startOffset) return this.startOffset;
        this.startOffset = offset;
        this.epochCache.truncateFromStart(offset);
        await this.local.removeSegments(this.local.segmentsWhollyBelow(offset), 'log-start-offset');
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
    this.ensureAvailable();
    return this.writers.run(() =>
      this.guard('delete-segments', async () => {
        const deleted = await this.local.deletePrefix(baseOffsets, this.endOffset, reason);
        if (deleted === 0) return 0;
        const first = this.local.segments.first;
        if (first !== undefined && first.baseOffset > this.startOffset) {
          this.startOffset = first.baseOffset;
          if (this.hw < this.startOffset) this.hw = this.startOffset;
          this.epochCache.truncateFromStart(this.startOffset);
        }
        await this.persistAllowingFullDisk('delete-segments');
        return deleted;
      }),
    );
  }

  // ---- compaction -------------------------------------------------------------------

  /**
   * The cleaner's swap (LocalLog.replaceSegments): `cleaned` (suffix `.cleaned`, fully
   * written) replaces `oldSegments`, crash-safely. Returns once the new segment serves
   * reads. A pass made stale by a truncation or retention meanwhile is abandoned whole
   * (SegmentsChangedError).
   */
  async replaceSegments(cleaned: LogSegment, oldSegments: readonly LogSegment[]): Promise<void> {
    this.ensureAvailable();
    assert(cleaned.suffix === CLEANED_FILE_SUFFIX, `replaceSegments wants a ${CLEANED_FILE_SUFFIX} segment, got '${cleaned.suffix}'`);
    // Under the writer lock the segment set cannot change (a stale pass is a LogError: no fault).
    await this.writers.run(() => this.guard('replace-segments', () => this.local.replaceSegments(cleaned, oldSegments)));
  }

  /** A new `.cleaned` segment for the cleaner to write (offsets kept, so base = first old segment's). */
  async createCleanedSegment(baseOffset: number): Promise<LogSegment> {
    this.ensureAvailable();
    return this.guard('create-cleaned-segment', () => this.local.createCleanedSegment(baseOffset));
  }

  // ---- flush and close --------------------------------------------------------------

  /** Syncs everything appended so far; the recovery point reaches the log end. */
  async flush(): Promise<void> {
    this.ensureAvailable();
    await this.durability.syncUpTo(this.endOffset);
  }

  /**
   * Flushes, trims the indices, closes every file and lets the host write its
   * clean-shutdown marker. Pending waiters resolve false. On an offline log it only
   * releases resources. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.durability.stop();
    this.watchers.closeAll();
    if (this.faults.isOffline) {
      await this.local.releaseQuietly();
      return;
    }
    try {
      await this.writers.run(async () => {
        await this.durability.settle();
        await this.durability.syncNow(this.endOffset);
        await this.local.close();
        await this.epochCache.flush();
        await this.host.persistCheckpoints(this);
        await this.host.onCleanClose(this);
      });
    } catch (e) {
      // A full disk at close (an index trim, a checkpoint): what was synced stays, the
      // handles are released and the host writes no clean-shutdown marker (it sees the
      // rejection), so the next open recovers from the recovery point. Not offline.
      const error = isNoSpace(e) ? new LogNoSpaceError(this.dir, 'close', { cause: e }) : this.storageFailure('close', e);
      await this.local.releaseQuietly();
      throw error;
    }
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

  /** Rejects every call but `close()` on a closed (LogClosedError) or offline (LogOfflineError) log. */
  private ensureAvailable(): void {
    this.faults.ensureAvailable(this.closed);
  }

  private guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.faults.guard(operation, fn);
  }

  private storageFailure(operation: string, e: unknown): unknown {
    return this.faults.classify(operation, e);
  }
}
