/**
 * LogSegment: one `.log` file of record batches plus its offset index and time index
 * (Kafka's `LogSegment`). The log owns a sorted set of these; the last one is active.
 *
 * Files (names from file-names.ts; `suffix` is '' for a live segment or '.cleaned' /
 * '.swap' / '.deleted' while in transit):
 *   <base>.log<suffix>  <base>.index<suffix>  <base>.timeindex<suffix>
 *
 * Invariants:
 * - batches are stored back to back; every batch's offsets are ≥ baseOffset and
 *   lastOffset - baseOffset fits int32; base offsets strictly increase;
 * - `sizeBytes` is the length of valid data (the file is never longer except transiently
 *   after a failed write, which takes the log offline);
 * - an offset-index entry exists every `indexIntervalBytes`, keyed by a batch's last
 *   offset; the time index holds the running maximum timestamp.
 *
 * Laziness (so a LogManager can open thousands of logs in bounded memory): the `.log`
 * handle is opened on first use and the indices are loaded on first use, sanity-checked,
 * and rebuilt from the segment when missing or corrupt (segment-indexes.ts: loading,
 * rebuilding and crash recovery of the indices; segment-read.ts: the reads' header walks).
 *
 * API for the log, the cleaner and retention (all async methods may reject with the
 * runtime's FileSystemError; the Log turns that into LogStorageError and goes offline):
 * - `LogSegment.create(ctx, baseOffset, { suffix, active })`, `LogSegment.open(ctx, base, sizeBytes, mtimeMs, { suffix, active })`
 * - `append(bytes, stats)` bytes = whole batches with final offsets; `read(...)`,
 *   `translateOffset(...)`, `findOffsetByTimestamp(...)`, `forEachBatch(...)`
 * - `recover({ syncedBelowOffset, fromIndexEntry, onBatch })`, `truncateTo(offset)`, `readNextOffset()`
 * - `flushLog()`, `flushIndexes()`, `onBecomeInactive()`, `close()`, `closeHandle()`
 * - `changeSuffix(suffix)`, `deleteFiles()`
 *
 * Concurrency: one writer at a time (the log's append lock). Reads may run concurrently
 * with appends: they never look past the `sizeBytes` they captured.
 */
import type { FileHandle } from '@samsa/runtime';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, nextBatchEnd, RECORD_BATCH_HEADER_BYTES } from '@samsa/codec/wire';
import { scanBatches } from './batch-scanner.ts';
import { assert, CleanShutdownMismatchError } from './errors.ts';
import { readFully } from './file-io.ts';
import { segmentFilePath } from './file-names.ts';
import { OffsetIndex } from './offset-index.ts';
import { emptyIndexes, IndexCursor, loadCheckedIndexes, rebuildIndexes, recoverIndexes, scanLargestTimestamp, writeIndexes, type Indexes, type IndexFiles } from './segment-indexes.ts';
import { findFirstBatch, firstRecordAtOrAfter, wholeBatchesBelow } from './segment-read.ts';
import type { AppendStats, BatchPosition, RecoverOptions, RecoverResult, SegmentContext, SegmentOpenOptions, SegmentRead, TimestampAndOffset } from './segment-types.ts';
import { TimeIndex } from './time-index.ts';

export * from './segment-types.ts';

const INT32_MAX = 0x7fffffff;

export class LogSegment {
  readonly baseOffset: number;
  private readonly ctx: SegmentContext;
  private suffixValue: string;
  private handle: FileHandle | null = null;
  private opening: Promise<FileHandle> | null = null;
  private size: number;
  /** False for a segment opened without its size (see `open`); `size` is 0 until loaded. */
  private sizeKnown: boolean;
  private sizeLoading: Promise<void> | null = null;
  private indexes: Indexes | null = null;
  private loadingIndexes: Promise<Indexes> | null = null;
  /**
   * The next offset learnt by the index-load scan (which walks the tail from at or below
   * the offset index's last position), valid while `size` is unchanged: lets
   * `readNextOffset` at open skip its own tail read. Cleared by every size change.
   */
  private scannedNextOffset: { readonly size: number; readonly next: number } | null = null;
  /**
   * Where the last read ended: a batch boundary whose preceding batches all end below
   * `offset`. Valid until the segment's bytes before it change (truncation, recovery).
   */
  private readHint: { readonly offset: number; readonly position: number } | null = null;
  /** Bumped whenever bytes already written may change (truncation, recovery): a read that
   *  started before must not leave a hint about the old bytes. */
  private rewrites = 0;
  /** See `expectNextOffset`; checked once, at the first index load. */
  private expectedNextOffset: number | null = null;
  /** Running max timestamp and bytes since the last index entry (segment-indexes.ts). */
  private readonly cursor: IndexCursor;
  private rollingBasedTimestamp: number | null = null;
  private createdMs: number;
  private active: boolean;
  private closed = false;
  /** Wall-clock time of the last write (the file's mtime at open). */
  lastModifiedMs: number;
  /** False until the directory entry of a newly created file was synced (syncDir). */
  dirEntryDurable: boolean;

  private constructor(ctx: SegmentContext, baseOffset: number, sizeBytes: number | null, mtimeMs: number, suffix: string, active: boolean, durable: boolean) {
    this.ctx = ctx;
    this.baseOffset = baseOffset;
    this.size = sizeBytes ?? 0;
    this.sizeKnown = sizeBytes !== null;
    this.suffixValue = suffix;
    this.active = active;
    this.cursor = new IndexCursor(baseOffset);
    this.createdMs = ctx.clock.monotonicMs();
    this.lastModifiedMs = mtimeMs;
    this.dirEntryDurable = durable;
  }

  /** Creates the three files of a new, empty segment (indices preallocated when active). */
  static async create(ctx: SegmentContext, baseOffset: number, options: SegmentOpenOptions = {}): Promise<LogSegment> {
    const suffix = options.suffix ?? '';
    const active = options.active ?? true;
    const segment = new LogSegment(ctx, baseOffset, 0, ctx.clock.wallMs(), suffix, active, false);
    const handle = await ctx.fs.open(segment.path('log'), 'read-write', { truncate: true });
    segment.handle = handle;
    const offset = OffsetIndex.empty(segment.path('index'), baseOffset, ctx.config.segmentIndexBytes, active);
    const time = TimeIndex.empty(segment.path('timeindex'), baseOffset, ctx.config.segmentIndexBytes, active);
    try {
      await offset.create(ctx.fs);
      await time.create(ctx.fs);
    } catch (e) {
      // (A full disk fails the index preallocation on some file systems.) No handle leaks;
      // the caller removes the files it may have left (`deleteFiles`).
      await handle.close().catch(() => undefined);
      segment.handle = null;
      throw e;
    }
    segment.indexes = { offset, time };
    return segment;
  }

  /**
   * Removes the files a failed `create` at `baseOffset` may have left (a full disk), so
   * the base offset is free for the next roll. Missing files are not an error.
   */
  static async removeFailedCreate(ctx: SegmentContext, baseOffset: number, suffix = ''): Promise<void> {
    for (const kind of ['log', 'index', 'timeindex'] as const) await ctx.fs.remove(segmentFilePath(ctx.dir, baseOffset, kind, suffix));
  }

  /**
   * An existing segment; nothing is read until used. `sizeBytes` and `mtimeMs` null: not
   * known yet (a restart does not stat inactive segments); `loadSize()` reads them, and
   * every method that needs them does so first.
   */
  static open(ctx: SegmentContext, baseOffset: number, sizeBytes: number | null, mtimeMs: number | null, options: SegmentOpenOptions = {}): LogSegment {
    return new LogSegment(ctx, baseOffset, sizeBytes, mtimeMs ?? Number.NaN, options.suffix ?? '', options.active ?? false, true);
  }

  path(kind: 'log' | 'index' | 'timeindex', suffix = this.suffixValue): string {
    return segmentFilePath(this.ctx.dir, this.baseOffset, kind, suffix);
  }

  get suffix(): string {
    return this.suffixValue;
  }

  /** Bytes of valid data; only once known (`sizeLoaded`): see `open` and `loadSize`. */
  get sizeBytes(): number {
    assert(this.sizeKnown, `size of ${this.path('log')} not loaded yet; await loadSize() first`);
    return this.size;
  }

  get sizeLoaded(): boolean {
    return this.sizeKnown;
  }

  /** The size (and `lastModifiedMs`) of a lazily opened segment: one stat, on first need. */
  async loadSize(): Promise<number> {
    if (!this.sizeKnown) {
      this.sizeLoading ??= this.statSize().finally(() => (this.sizeLoading = null));
      await this.sizeLoading;
    }
    return this.size;
  }

  private async statSize(): Promise<void> {
    const path = this.path('log');
    const stat = await this.ctx.fs.stat(path);
    if (stat === null) throw new Error(`segment file ${path} is missing`);
    if (this.sizeKnown) return;
    this.size = stat.sizeBytes;
    this.lastModifiedMs = stat.mtimeMs;
    this.sizeKnown = true;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Loads the indices (if needed) and returns the largest timestamp in the segment. */
  async largestTimestamp(): Promise<number> {
    await this.loadIndexes();
    return this.cursor.maxTimestamp;
  }

  private async file(): Promise<FileHandle> {
    assert(!this.closed, `segment ${this.baseOffset} is closed`);
    if (this.handle !== null) return this.handle;
    if (this.opening === null) {
      const opening = this.ctx.fs.open(this.path('log'), 'read-write');
      this.opening = opening;
      opening.then(
        (h) => {
          this.handle = h;
          this.opening = null;
        },
        () => {
          this.opening = null;
        },
      );
    }
    return this.opening;
  }

  /** The loaded indices; loads (and if needed rebuilds) them on first use. */
  loadIndexes(): Promise<Indexes> {
    if (this.indexes !== null) return Promise.resolve(this.indexes);
    if (this.loadingIndexes === null) {
      const loading = this.readIndexes();
      this.loadingIndexes = loading;
      loading.then(
        (ix) => {
          this.indexes = ix;
          this.loadingIndexes = null;
        },
        () => {
          this.loadingIndexes = null;
        },
      );
    }
    return this.loadingIndexes;
  }

  private async readIndexes(): Promise<Indexes> {
    if (!this.sizeKnown) await this.loadSize();
    const files = this.indexFiles();
    const loaded = await loadCheckedIndexes(files, this.size);
    let ix: Indexes;
    if (loaded.ix === null) {
      ix = emptyIndexes(files);
      await rebuildIndexes(await this.file(), this.size, ix, this.cursor, this.ctx.config.indexIntervalBytes);
      // Synced, time index first: an index pair on disk never has a time index shorter
      // than its offset index (crash recovery relies on it, see segment-indexes.ts).
      await writeIndexes(this.ctx.fs, ix, this.active, this.cursor, true);
      this.ctx.onIndexRebuilt?.(this.baseOffset, loaded.problem);
    } else {
      ix = loaded.ix;
      if (this.active) {
        ix.offset.markActive();
        ix.time.markActive();
      }
      await this.loadLargestTimestamp(ix);
    }
    if (this.active) await this.loadRollingBasedTimestamp();
    if (this.expectedNextOffset !== null) {
      const expected = this.expectedNextOffset;
      const actual = await this.nextOffsetFrom(ix);
      if (actual !== expected) {
        throw new CleanShutdownMismatchError(this.path('log'), expected, actual);
      }
      this.expectedNextOffset = null;
    }
    return ix;
  }

  /** Kafka's loadLargestTimestamp: the time index's last entry, then the batches after it. */
  private async loadLargestTimestamp(ix: Indexes): Promise<void> {
    const size = this.size;
    const next = await scanLargestTimestamp(await this.file(), ix, size, this.cursor);
    this.scannedNextOffset = next !== null && size === this.size ? { size, next } : null;
  }

  /** Where this segment's index files are and how they are sized. */
  private indexFiles(): IndexFiles {
    const { fs, config } = this.ctx;
    return { fs, offsetPath: this.path('index'), timePath: this.path('timeindex'), baseOffset: this.baseOffset, segmentIndexBytes: config.segmentIndexBytes, active: this.active };
  }

  /**
   * Undoes an `append` whose write failed (a full disk): a file system may have written
   * part of the bytes before it failed, so the file is cut back to the valid size (a
   * shrinking truncate needs no space). The indices and `sizeBytes` were not touched.
   */
  async discardFailedAppend(): Promise<void> {
    assert(!this.closed, `discard on closed segment ${this.baseOffset}`);
    await (await this.file()).truncate(this.size);
  }

  /** True when the offset fits the index's relative int32. */
  canConvertToRelativeOffset(offset: number): boolean {
    const relative = offset - this.baseOffset;
    return relative >= 0 && relative <= INT32_MAX;
  }

  /**
   * Kafka's `shouldRoll`: the segment is too full for `messagesBytes` more, older than
   * segment.ms (by its first batch timestamp), an index is full, or `maxOffset` would
   * not fit a relative int32.
   */
  async shouldRoll(messagesBytes: number, maxOffsetInMessages: number, nowMs: number): Promise<boolean> {
    const ix = await this.loadIndexes();
    const { segmentBytes, segmentMs, segmentJitterMs } = this.ctx.config;
    const reachedRollMs = nowMs - (this.rollingBasedTimestamp ?? this.createdWallMs(nowMs)) > segmentMs - segmentJitterMs;
    return (
      this.size > segmentBytes - messagesBytes ||
      (this.size > 0 && reachedRollMs) ||
      ix.offset.isFull ||
      ix.time.isFull ||
      !this.canConvertToRelativeOffset(maxOffsetInMessages)
    );
  }

  /** Creation time on the wall clock, derived from the monotonic creation instant. */
  private createdWallMs(nowWallMs: number): number {
    return nowWallMs - (this.ctx.clock.monotonicMs() - this.createdMs);
  }

  /**
   * Appends whole batches that already carry their final offsets, at the end of the file.
   * Index entries follow the write; nothing is synced.
   */
  async append(bytes: Uint8Array, stats: AppendStats): Promise<void> {
    assert(!this.closed, `append to closed segment ${this.baseOffset}`);
    assert(this.canConvertToRelativeOffset(stats.lastOffset), `offset ${stats.lastOffset} does not fit segment ${this.baseOffset}`);
    const ix = await this.loadIndexes();
    const handle = await this.file();
    const position = this.size;
    await handle.write(bytes, position);
    this.size = position + bytes.byteLength;
    this.scannedNextOffset = null;
    this.lastModifiedMs = this.ctx.clock.wallMs();
    if (this.rollingBasedTimestamp === null && position === 0 && stats.maxTimestamp >= 0) {
      this.rollingBasedTimestamp = batchMaxTimestamp(bytes, 0);
    }
    let pos = 0;
    while (pos < bytes.byteLength) {
      const end = nextBatchEnd(bytes, pos);
      assert(end > pos, 'append of bytes that are not whole batches');
      this.cursor.indexBatch(ix, bytes, pos, end - pos, position + pos, this.ctx.config.indexIntervalBytes);
      pos = end;
    }
  }

  /** The first batch whose last offset is ≥ `offset`, scanning from the index floor. */
  async translateOffset(offset: number, startingPosition = 0): Promise<BatchPosition | null> {
    const ix = await this.loadIndexes();
    const end = this.size;
    const from = Math.max(ix.offset.lookupPosition(offset), startingPosition);
    let found: BatchPosition | null = null;
    await scanBatches(await this.file(), from, end, false, (chunk, at, sizeBytes, position) => {
      const lastOffset = batchLastOffset(chunk, at);
      if (lastOffset < offset) return true;
      found = { position, sizeBytes, baseOffset: batchBaseOffset(chunk, at), lastOffset };
      return false;
    });
    return found;
  }

  /**
   * Whole batches from the batch holding `startOffset`, at most `maxBytes` of them, not
   * past `maxPosition` and none whose last offset is ≥ `maxOffset`; with `minOneMessage`
   * the first batch is returned even when larger. Null when no batch in the segment
   * reaches `startOffset`. `scratch`, when large enough, receives the bytes (the result is
   * a view of it).
   *
   * I/O: one positional read from the offset index's floor position of up to
   * maxBytes + indexIntervalBytes (+ a header); the batch holding `startOffset` is found by
   * walking the headers in those bytes, and the result is a view of them. Only when the
   * floor is further away (or the first batch is larger than the read) does a header scan
   * and a second read follow.
   */
  async read(
    startOffset: number,
    maxBytes: number,
    maxPosition: number = Number.MAX_SAFE_INTEGER,
    minOneMessage = true,
    scratch?: Uint8Array,
    maxOffset: number = Number.MAX_SAFE_INTEGER,
  ): Promise<SegmentRead | null> {
    const ix = await this.loadIndexes();
    const handle = await this.file();
    const rewritesAtStart = this.rewrites;
    const size = this.size;
    const limit = Math.min(maxPosition, size);
    // A sequential reader asks next for the offset after its last batch: start right there
    // (the index floor lies a whole indexed batch earlier, which made every read fetch twice).
    const hint = this.readHint;
    const indexFloor = ix.offset.lookupPosition(startOffset);
    const floor = Math.min(hint !== null && hint.offset <= startOffset && hint.position > indexFloor ? hint.position : indexFloor, size);
    const slack = this.ctx.config.indexIntervalBytes + RECORD_BATCH_HEADER_BYTES;
    const firstFetch = Math.min(size - floor, Math.max(0, maxBytes) + slack);
    let buffer = this.readBuffer(firstFetch, scratch);
    let bufferStart = floor;
    let bufferLength = firstFetch === 0 ? 0 : await readFully(handle, buffer, floor);
    const walk = findFirstBatch(buffer, bufferStart, bufferLength, floor, size, startOffset);
    let first = walk.first;
    if (first === null) {
      if (walk.notABatch || walk.position >= size) return null;
      first = await this.translateOffset(startOffset, walk.position);
      if (first === null) return null;
    }
    const wanted = minOneMessage ? Math.max(maxBytes, first.sizeBytes) : maxBytes;
    const fetchBytes = Math.max(0, Math.min(limit - first.position, wanted));
    let from = first.position - bufferStart;
    if (fetchBytes > 0 && (from < 0 || from + fetchBytes > bufferLength)) {
      buffer = this.readBuffer(fetchBytes, scratch);
      bufferStart = first.position;
      bufferLength = await readFully(handle, buffer, first.position);
      from = 0;
    }
    const stop = from + Math.min(fetchBytes, Math.max(0, bufferLength - from));
    const { end: pos, nextOffset } = wholeBatchesBelow(buffer, from, stop, maxOffset);
    if (nextOffset >= 0 && this.rewrites === rewritesAtStart) this.readHint = { offset: nextOffset, position: bufferStart + pos };
    return { records: buffer.subarray(from, pos), position: first.position, firstBatchBaseOffset: first.baseOffset };
  }

  /** A buffer of `bytes`: a view of `scratch` when large enough (a fresh one is zero-filled by the engine: reuse is ~5x faster). */
  private readBuffer(bytes: number, scratch: Uint8Array | undefined): Uint8Array {
    return scratch !== undefined && scratch.byteLength >= bytes ? scratch.subarray(0, bytes) : new Uint8Array(bytes);
  }

  /**
   * The first record with timestamp ≥ `timestamp` and offset ≥ `startingOffset`
   * (ListOffsets), found through the time index, the offset index and a forward scan.
   */
  async findOffsetByTimestamp(timestamp: number, startingOffset: number): Promise<TimestampAndOffset | null> {
    const ix = await this.loadIndexes();
    const floor = ix.time.lookup(timestamp);
    const from = ix.offset.lookupPosition(Math.max(floor.offset, startingOffset));
    const finder = firstRecordAtOrAfter(timestamp, startingOffset);
    await scanBatches(await this.file(), from, this.size, true, finder.visit);
    return finder.found();
  }

  /** Visits every batch (whole) from `fromPosition`; the visitor must copy what it keeps. */
  async forEachBatch(visit: (batch: Uint8Array, position: number) => boolean, fromPosition = 0): Promise<void> {
    if (!this.sizeKnown) await this.loadSize();
    await scanBatches(await this.file(), fromPosition, this.size, true, (chunk, at, sizeBytes, position) => visit(chunk.subarray(at, at + sizeBytes), position));
  }

  /** Last offset + 1 of the last batch, or the base offset when empty. */
  async readNextOffset(): Promise<number> {
    return this.nextOffsetFrom(await this.loadIndexes());
  }

  private async nextOffsetFrom(ix: Indexes): Promise<number> {
    const scanned = this.scannedNextOffset;
    if (scanned !== null && scanned.size === this.size) return scanned.next;
    let next = this.baseOffset;
    await scanBatches(await this.file(), ix.offset.lastPosition, this.size, false, (chunk, at) => {
      next = batchLastOffset(chunk, at) + 1;
      return true;
    });
    return next;
  }

  /**
   * Crash recovery of this segment (segment-indexes.ts `recoverIndexes`): re-reads it from
   * the offset-index entry at `options.syncedBelowOffset` (the recovery point; from the start
   * when `fromIndexEntry` is false or no entry qualifies), walks the synced batches by their
   * headers, validates every batch from the recovery point on (length, CRC-32C, offsets
   * increasing and inside the segment), rebuilds the indices and cuts the file after the
   * last valid batch, durably. `onScanStart` hears the first offset re-read before
   * `onBatch` sees each valid batch's leader epoch and base offset from there (the epoch
   * cache rebuild). The rebuilt indices are written (synced when the file was cut).
   */
  async recover(options: RecoverOptions = {}): Promise<RecoverResult> {
    if (!this.sizeKnown) await this.loadSize();
    this.readHint = null;
    this.rewrites++;
    const handle = await this.file();
    const syncedBelowOffset = options.syncedBelowOffset ?? this.baseOffset;
    const scan = await recoverIndexes({
      files: this.indexFiles(),
      handle,
      sizeBytes: this.size,
      indexIntervalBytes: this.ctx.config.indexIntervalBytes,
      cursor: this.cursor,
      syncedBelowOffset,
      fromIndexEntry: options.fromIndexEntry === true,
      onScanStart: options.onScanStart,
      onBatch: options.onBatch,
    });
    const truncatedBytes = this.size - scan.validBytes;
    if (truncatedBytes > 0) {
      await handle.truncate(scan.validBytes);
      // Durable now: this segment may soon sit below a recovery point that a later sync
      // moves (after a roll), and a crash would bring the cut tail back unvalidated.
      await handle.sync();
      this.size = scan.validBytes;
      this.scannedNextOffset = null;
    }
    this.indexes = scan.ix;
    this.loadingIndexes = null;
    // Synced only after a cut: then the files must not keep entries of the cut batches
    // (see `truncateTo`); otherwise the rebuilt entries extend what the files held.
    await writeIndexes(this.ctx.fs, scan.ix, this.active, this.cursor, truncatedBytes > 0);
    return { truncatedBytes, reason: truncatedBytes > 0 ? scan.reason : null, nextOffset: scan.nextOffset, scanStartPosition: scan.scanStartPosition };
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (whole batches: a batch holding
   * `offset` goes entirely). Returns the bytes removed and the base offset of the first
   * removed batch (null when nothing was removed). The `.log` is not synced; the indices
   * are rewritten and synced (time index first), so no index file on disk keeps entries
   * for the removed batches once new ones are appended (crash recovery trusts the entries
   * of an index file below the recovery point, see segment-indexes.ts).
   */
  async truncateTo(offset: number): Promise<{ truncatedBytes: number; firstRemovedOffset: number | null }> {
    const ix = await this.loadIndexes();
    const mapping = await this.translateOffset(offset);
    if (mapping === null) return { truncatedBytes: 0, firstRemovedOffset: null };
    ix.offset.truncateTo(offset);
    ix.time.truncateTo(offset);
    const truncatedBytes = this.size - mapping.position;
    this.readHint = null;
    this.rewrites++;
    await (await this.file()).truncate(mapping.position);
    this.size = mapping.position;
    this.scannedNextOffset = null;
    this.cursor.bytesSinceLastIndexEntry = 0;
    if (this.size === 0) {
      this.createdMs = this.ctx.clock.monotonicMs();
      this.rollingBasedTimestamp = null;
    }
    if (this.cursor.maxTimestamp >= 0) await this.loadLargestTimestamp(ix);
    await this.flushIndexes();
    return { truncatedBytes, firstRemovedOffset: mapping.baseOffset };
  }

  /** Syncs the `.log` file. */
  async flushLog(): Promise<void> {
    if (this.closed) return;
    if (this.handle === null && this.opening === null) return; // never written through this process
    await (await this.file()).sync();
  }

  /** Writes out and syncs both indices (if loaded), the time index first (see `truncateTo`). */
  async flushIndexes(): Promise<void> {
    if (this.indexes === null || this.closed) return;
    await this.indexes.time.flush(this.ctx.fs);
    await this.indexes.offset.flush(this.ctx.fs);
  }

  /**
   * On roll: add the final time-index entry and trim both index files to their entries.
   * Not synced here (the roll is on the append path): the group-commit sync that covers
   * this segment syncs them (`flushIndexes`), as Kafka flushes a rolled segment later.
   */
  async onBecomeInactive(): Promise<void> {
    const ix = await this.loadIndexes();
    this.active = false;
    ix.time.maybeAppend(this.cursor.maxTimestamp, this.cursor.offsetOfMaxTimestamp, true);
    await ix.time.trimToValidSize(this.ctx.fs, false);
    await ix.offset.trimToValidSize(this.ctx.fs, false);
  }

  /**
   * Makes this (reopened) segment the active one: its index files get preallocated again.
   * Lazy when the indices are not loaded yet (a restart touches no index file): the first
   * `loadIndexes()` marks them active and reads the first batch's timestamp for
   * `segment.ms`.
   */
  async markActive(): Promise<void> {
    this.active = true;
    if (this.indexes === null && this.loadingIndexes === null) return;
    const ix = await this.loadIndexes();
    ix.offset.markActive();
    ix.time.markActive();
    await this.loadRollingBasedTimestamp();
  }

  /** segment.ms counts from the first batch's timestamp, as Kafka does after a restart. */
  private async loadRollingBasedTimestamp(): Promise<void> {
    if (this.rollingBasedTimestamp !== null || this.size < RECORD_BATCH_HEADER_BYTES) return;
    const header = new Uint8Array(RECORD_BATCH_HEADER_BYTES);
    if ((await readFully(await this.file(), header, 0)) === RECORD_BATCH_HEADER_BYTES) {
      const ts = batchMaxTimestamp(header, 0);
      if (ts >= 0) this.rollingBasedTimestamp = ts;
    }
  }

  /**
   * Tells a lazily opened active segment the next offset its owner assumed without reading
   * it (the recovery point of a clean shutdown). The first index load checks it against
   * the segment's real tail and fails (the log goes offline) on a mismatch, so a stale
   * checkpoint can never make the log hand out offsets twice.
   */
  expectNextOffset(nextOffset: number): void {
    this.expectedNextOffset = nextOffset;
  }

  /** Clean close: final time-index entry, trimmed indices, `.log` synced, handle closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.indexes !== null) {
      this.indexes.time.maybeAppend(this.cursor.maxTimestamp, this.cursor.offsetOfMaxTimestamp, true);
      // The time index first: on disk it never covers less than the offset index.
      await this.indexes.time.trimToValidSize(this.ctx.fs);
      await this.indexes.offset.trimToValidSize(this.ctx.fs);
    }
    await this.flushLog();
    await this.closeHandle();
  }

  /** Closes the file handle without writing anything (offline log, deleted segment). */
  async closeHandle(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    const handle = this.handle ?? (opening ? await opening.catch(() => null) : null);
    this.handle = null;
    if (handle !== null) await handle.close();
  }

  /** Renames the three files to carry `suffix` ('' for live). Missing index files are skipped. */
  async changeSuffix(suffix: string): Promise<void> {
    const { fs } = this.ctx;
    for (const kind of ['log', 'index', 'timeindex'] as const) {
      const from = this.path(kind);
      const to = this.path(kind, suffix);
      if (from === to) continue;
      if (kind === 'log' || (await fs.stat(from)) !== null) await fs.rename(from, to);
    }
    this.suffixValue = suffix;
    if (this.indexes !== null) {
      this.indexes.offset.setPath(this.path('index'));
      this.indexes.time.setPath(this.path('timeindex'));
    }
  }

  /** Closes the handle and removes the three files. */
  async deleteFiles(): Promise<void> {
    await this.closeHandle();
    const { fs } = this.ctx;
    for (const kind of ['log', 'index', 'timeindex'] as const) await fs.remove(this.path(kind));
  }

  /** The offset index, loaded (tests and tools check it against the segment). */
  async offsetIndex(): Promise<OffsetIndex> {
    return (await this.loadIndexes()).offset;
  }

  async timeIndex(): Promise<TimeIndex> {
    return (await this.loadIndexes()).time;
  }
}
