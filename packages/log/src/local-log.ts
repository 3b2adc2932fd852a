/**
 * LocalLog: the segments of one partition directory and every file operation on them
 * (Kafka's `LocalLog`): roll, truncation, deletion with delayed file removal, the
 * cleaner's segment swap, syncing a range of segments, and reads that walk the segments.
 * The `Log` (log.ts) above it owns the offsets (log start, log end, recovery point, high
 * watermark), the leader-epoch cache, validation, waiters and the fault policy.
 *
 * Invariants:
 * - the segment set is never empty once open; its last segment is the active one;
 * - a segment removed from the set is renamed to `.deleted` before the call resolves and
 *   its files are removed `fileDeleteDelayMs` later (reads in flight keep their handle);
 *   a crash in between leaves `.deleted` files, which the next open removes;
 * - every rename or creation a method makes is durable (syncDir) before it resolves,
 *   except `rollTo`, whose new segment's directory entry is synced by the next
 *   group-commit sync (`syncRange`) before the recovery point may pass it;
 * - a segment file exists only once every segment before it is synced: `rollTo` syncs
 *   the old active segment's `.log` before it creates the new one. Any syncDir of this
 *   directory (a checkpoint rewrite, say) may make the new segment's entry durable at
 *   once, and a crash must never leave a durable later segment after a lost tail, or the
 *   log would reopen with its end past offsets it no longer holds.
 *
 * Concurrency: every mutating method runs under the owning Log's writer lock (the Log
 * serialises them); `read`, `offsetForTimestamp` and `segmentInfos` run concurrently with
 * everything. Errors are the runtime's FileSystemError or the log's typed errors; the Log
 * turns file-system failures into LogStorageError and takes itself offline.
 */
import type { Clock, FileSystem, TimerHandle } from '@samsa/runtime';
import { LogAssertionError, LogNoSpaceError, SegmentsChangedError, assert, isNoSpace } from './errors.ts';
import { CLEANED_FILE_SUFFIX, DELETED_FILE_SUFFIX, SWAP_FILE_SUFFIX, segmentFilePath } from './file-names.ts';
import type { LogConfig } from './log-config.ts';
import { LogSegment, type SegmentContext, type TimestampAndOffset } from './log-segment.ts';
import { LIST_OFFSETS_MAX_TIMESTAMP, type SegmentInfo } from './log-types.ts';
import type { LogLogger } from './logger.ts';
import type { SegmentSet } from './segment-set.ts';

export interface LocalLogParams {
  readonly dir: string;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly logger: LogLogger;
  readonly ctx: SegmentContext;
  readonly segments: SegmentSet;
}

/** What `truncateTo` did: the new log end, or that the cut fell below the log start. */
export type LocalTruncation = { readonly belowStart: true } | { readonly belowStart: false; readonly newEnd: number; readonly segmentsRemoved: number };

export interface SegmentReadRequest {
  readonly fromOffset: number;
  readonly maxBytes: number;
  /** Exclusive bound on the offsets returned. */
  readonly maxOffset: number;
  readonly minOneMessage: boolean;
  readonly scratch: Uint8Array | undefined;
}

export class LocalLog {
  readonly dir: string;
  readonly segments: SegmentSet;
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly logger: LogLogger;
  private readonly ctx: SegmentContext;
  private readonly pendingDeletes = new Map<LogSegment, TimerHandle>();

  constructor(params: LocalLogParams) {
    this.dir = params.dir;
    this.fs = params.fs;
    this.clock = params.clock;
    this.logger = params.logger;
    this.ctx = params.ctx;
    this.segments = params.segments;
  }

  private get config(): LogConfig {
    return this.ctx.config;
  }

  get active(): LogSegment {
    return this.segments.active;
  }

  // ---- sizes and summaries ------------------------------------------------------------

  /** Reads the size of every segment not known yet (one stat each). */
  async loadSegmentSizes(): Promise<void> {
    for (const s of this.segments.all()) if (!s.sizeLoaded) await s.loadSize();
  }

  /** Summaries for retention planning (loads each segment's size and time index). */
  async segmentInfos(): Promise<SegmentInfo[]> {
    const out: SegmentInfo[] = [];
    for (const s of this.segments.all()) {
      const sizeBytes = await s.loadSize();
      out.push({ baseOffset: s.baseOffset, sizeBytes, largestTimestampMs: await s.largestTimestamp(), lastModifiedMs: s.lastModifiedMs });
    }
    return out;
  }

  // ---- roll ---------------------------------------------------------------------------

  /**
   * Kafka's roll rules for an append of `messagesBytes` holding [firstOffset, lastOffset];
   * returns the segment to append to. `endOffset` is the log end offset.
   */
  async maybeRoll(messagesBytes: number, firstOffset: number, lastOffset: number, endOffset: number): Promise<LogSegment> {
    const active = this.segments.active;
    if (await active.shouldRoll(messagesBytes, lastOffset, this.clock.wallMs())) {
      if (active.sizeBytes === 0 && active.canConvertToRelativeOffset(lastOffset) && active.baseOffset <= firstOffset) return active;
      return this.rollTo(Math.max(firstOffset, endOffset));
    }
    return active;
  }

  /**
   * Starts a new active segment at `newBase` (an empty active segment already there is
   * kept). A full disk undoes the half-made segment and rejects with LogNoSpaceError.
   */
  async rollTo(newBase: number): Promise<LogSegment> {
    const active = this.segments.active;
    if (active.baseOffset === newBase) {
      if (active.sizeBytes === 0) return active;
      throw new LogAssertionError(`roll to ${newBase}: a segment with that base offset exists`);
    }
    let segment: LogSegment;
    // Before the new segment exists (see the invariant above). One sync per segment.
    await active.flushLog();
    try {
      await active.onBecomeInactive();
      segment = await LogSegment.create(this.ctx, newBase, { active: true });
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      // Undo: the old segment stays the active one, the new one's files go (a failed undo
      // is a storage error: the Log's guard takes the log offline).
      await LogSegment.removeFailedCreate(this.ctx, newBase);
      await active.markActive();
      throw new LogNoSpaceError(this.dir, 'roll', { cause: e });
    }
    this.segments.add(segment);
    this.logger.info({ dir: this.dir, baseOffset: newBase }, 'rolled segment');
    return segment;
  }

  // ---- sync ---------------------------------------------------------------------------

  /**
   * Syncs every segment that may hold offsets in [from, to): each `.log`, the indices of
   * the non-active ones, and the directory when a segment file is new.
   */
  async syncRange(from: number, to: number): Promise<void> {
    const segments = this.segments.range(from, to);
    for (const s of segments) {
      await s.flushLog();
      if (!s.isActive) await s.flushIndexes();
    }
    if (segments.some((s) => !s.dirEntryDurable)) {
      await this.fs.syncDir(this.dir);
      for (const s of segments) s.dirEntryDurable = true;
    }
  }

  // ---- truncation ---------------------------------------------------------------------

  /**
   * Removes every batch at or beyond `offset` (whole batches). The later segments go
   * first, durably, as Kafka's truncateTo does: a crash between the steps leaves a longer
   * prefix of the log, never a cut segment followed by segments past the cut. When the
   * batch holding `offset` began below `logStartOffset`, reports `belowStart` (the caller
   * empties the log) before touching the active segment's state; otherwise the cut is
   * synced and the new log end returned.
   */
  async truncateTo(offset: number, logStartOffset: number): Promise<LocalTruncation> {
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
    if (newEnd < logStartOffset) return { belowStart: true };
    await active.markActive();
    await active.flushLog();
    return { belowStart: false, newEnd: Math.max(newEnd, active.baseOffset), segmentsRemoved: removed.length };
  }

  /** Schedules every segment for deletion and starts one empty active segment at `offset`, durably. */
  async truncateFully(offset: number): Promise<void> {
    const old = this.segments.clear();
    // Rename the old files first: the new segment may reuse a base offset (and file name).
    for (const s of old) await this.scheduleDeletion(s);
    const segment = await LogSegment.create(this.ctx, offset, { active: true });
    this.segments.add(segment);
    await this.fs.syncDir(this.dir);
    segment.dirEntryDurable = true;
  }

  // ---- deletion -----------------------------------------------------------------------

  /** The segments wholly below `offset` (the next segment starts at or below it). */
  segmentsWhollyBelow(offset: number): LogSegment[] {
    const doomed: LogSegment[] = [];
    for (const s of this.segments.all()) {
      const next = this.segments.higherSegment(s.baseOffset);
      if (next === undefined || next.baseOffset > offset) break;
      doomed.push(s);
    }
    return doomed;
  }

  /**
   * Retention's prefix: the leading segments whose base offsets are in `baseOffsets`,
   * rolling first when that is all of them (`endOffset` is the log end). An empty active
   * segment at the log end is kept rather than rolled onto itself. Resolves how many
   * segments went.
   */
  async deletePrefix(baseOffsets: readonly number[], endOffset: number, reason: string): Promise<number> {
    const wanted = new Set(baseOffsets);
    const all = this.segments.all();
    const doomed: LogSegment[] = [];
    for (const s of all) {
      if (!wanted.has(s.baseOffset)) break;
      doomed.push(s);
    }
    if (doomed.length === 0) return 0;
    if (doomed.length === all.length) await this.rollTo(endOffset);
    const active = this.segments.active;
    const removable = doomed.filter((s) => s !== active);
    await this.removeSegments(removable, reason);
    return removable.length;
  }

  /** Removes inactive segments from the set and schedules their files for deletion, durably. */
  async removeSegments(doomed: readonly LogSegment[], reason: string): Promise<void> {
    if (doomed.length === 0) return;
    for (const s of doomed) {
      assert(s !== this.segments.active, 'cannot delete the active segment');
      this.segments.remove(s.baseOffset);
    }
    for (const s of doomed) await this.scheduleDeletion(s);
    await this.fs.syncDir(this.dir);
    this.logger.info({ dir: this.dir, reason, baseOffsets: doomed.map((s) => s.baseOffset) }, 'deleted segments');
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

  // ---- compaction ---------------------------------------------------------------------

  /**
   * The cleaner's swap: `cleaned` (suffix `.cleaned`, fully written) replaces `oldSegments`.
   * Crash-safe order (Kafka's): sync cleaned → rename to `.swap` (the commit point; recovery
   * completes the swap from here) → schedule the old segments for deletion → rename `.swap`
   * to the live name. A segment set changed since the cleaner read it (a truncation or
   * retention ran meanwhile) makes the pass stale: SegmentsChangedError, nothing touched.
   */
  async replaceSegments(cleaned: LogSegment, oldSegments: readonly LogSegment[]): Promise<void> {
    for (const s of oldSegments) {
      if (this.segments.get(s.baseOffset) !== s) throw new SegmentsChangedError(s.baseOffset);
    }
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
  }

  /** A new `.cleaned` segment at `baseOffset`; a full disk removes what it made and rejects with LogNoSpaceError. */
  async createCleanedSegment(baseOffset: number): Promise<LogSegment> {
    await this.fs.remove(segmentFilePath(this.dir, baseOffset, 'log', CLEANED_FILE_SUFFIX));
    try {
      return await LogSegment.create(this.ctx, baseOffset, { suffix: CLEANED_FILE_SUFFIX, active: false });
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      await LogSegment.removeFailedCreate(this.ctx, baseOffset, CLEANED_FILE_SUFFIX);
      throw new LogNoSpaceError(this.dir, 'create-cleaned-segment', { cause: e });
    }
  }

  // ---- reads --------------------------------------------------------------------------

  /** Whole batches from the segment holding `fromOffset` onwards (empty when none qualifies). */
  async read(request: SegmentReadRequest): Promise<Uint8Array> {
    const { maxBytes, maxOffset, minOneMessage, scratch } = request;
    let segment = this.segments.floorSegment(request.fromOffset);
    // Bounded by the segment count: each step moves to the next segment.
    for (let from = request.fromOffset; segment !== undefined && segment.baseOffset < maxOffset; ) {
      const next = this.segments.higherSegment(segment.baseOffset);
      // Batches at or beyond maxOffset are cut while framing the bytes read (no extra scan).
      const sizeBytes = segment.sizeLoaded ? segment.sizeBytes : await segment.loadSize();
      const read = await segment.read(from, maxBytes, sizeBytes, minOneMessage, scratch, maxOffset);
      if (read !== null) return read.records;
      segment = next;
      if (segment !== undefined) from = Math.max(from, segment.baseOffset);
    }
    return new Uint8Array(0);
  }

  /**
   * The first record with timestamp ≥ `timestamp` at or above `startOffset`, or for
   * MAX_TIMESTAMP (-3) the record with the largest timestamp; null when there is none.
   */
  async offsetForTimestamp(timestamp: number, startOffset: number): Promise<TimestampAndOffset | null> {
    const live = this.segments.all().filter((s, i, all) => (all[i + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER) > startOffset);
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
      return best === null ? null : best.findOffsetByTimestamp(bestTs, startOffset);
    }
    for (const s of live) {
      if ((await s.largestTimestamp()) < timestamp) continue;
      const found = await s.findOffsetByTimestamp(timestamp, startOffset);
      if (found !== null) return found;
    }
    return null;
  }

  // ---- close --------------------------------------------------------------------------

  /** Clean close: removes the files of scheduled deletions now, then closes every segment. */
  async close(): Promise<void> {
    for (const [segment, timer] of this.pendingDeletes) {
      timer.cancel();
      await segment.deleteFiles();
    }
    this.pendingDeletes.clear();
    for (const s of this.segments.all()) await s.close();
  }

  /** Releases every handle without writing (offline log, failed close). Never rejects. */
  async releaseQuietly(): Promise<void> {
    for (const timer of this.pendingDeletes.values()) timer.cancel();
    const handles = [...this.pendingDeletes.keys(), ...this.segments.all()];
    this.pendingDeletes.clear();
    for (const s of handles) await s.closeHandle().catch(() => undefined);
  }
}
