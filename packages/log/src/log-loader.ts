/**
 * loadLog: turns a partition directory into a sorted segment set, recovering after an
 * unclean shutdown (Kafka's `LogLoader`). Called only by `openLog`, before anything else
 * touches the directory.
 *
 * Steps:
 * 1. Tidy: remove `.tmp` (unfinished checkpoints), `.deleted` (deletions that were
 *    scheduled), `.cleaned` (unfinished cleaner output) and index files without a `.log`.
 * 2. Complete interrupted swaps (the cleaner's protocol, see `Log.replaceSegments`): a
 *    `<base>.log.swap` is complete cleaner output; every live segment whose base offset
 *    lies in [base, swap's next offset) is deleted and the swap file renamed to
 *    `<base>.log`. Its index files are dropped and rebuilt.
 * 3. Open the live segments lazily: no size is read (each on first need), except the
 *    last one's when its end must be read now. After a clean shutdown the log end offset
 *    is the checkpointed recovery point, checked when the active segment is first used,
 *    so a clean restart stats, opens and reads no segment or index file at all.
 * 4. Unclean shutdown only: from the segment holding the recovery point onwards, validate
 *    every batch at or above the recovery point (length, CRC-32C, increasing offsets; the
 *    synced batches before it in that segment are only indexed, and when that segment is
 *    the last one the scan starts at its offset-index entry at the recovery point, not at
 *    its start), rebuild the indices, cut a torn or corrupt tail, and delete every segment
 *    after a cut (it follows corruption). The leader-epoch cache is re-assigned from the
 *    batches re-read. A corrupt `leader-epoch-checkpoint` (after a clean shutdown too)
 *    re-derives the whole history from every batch header instead; a missing one is an
 *    empty history (as Kafka reads it), re-derived only where recovery scans.
 * 5. Segments wholly below the log start offset are deleted; an empty directory gets one
 *    empty segment at the log start offset. A log whose end lies below its checkpointed
 *    start offset (the records were lost, the start offset was not) is emptied and starts
 *    at the start offset, so no offset is handed out twice.
 * Every file removal or rename is made durable with one syncDir at the end.
 */
import { type FileSystem } from '@samsa/runtime';
import { batchBaseOffset, batchLastOffset, batchPartitionLeaderEpoch } from '@samsa/codec/wire';
import { scanBatches } from './batch-scanner.ts';
import { joinDir, parseSegmentFileName, segmentFilePath, type ParsedSegmentFileName, CLEANED_FILE_SUFFIX, DELETED_FILE_SUFFIX, SWAP_FILE_SUFFIX, TEMP_FILE_SUFFIX } from './file-names.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import { LogSegment, type SegmentContext } from './log-segment.ts';
import type { LogLogger } from './logger.ts';
import { SegmentSet } from './segment-set.ts';

export interface LoadLogParams {
  readonly ctx: SegmentContext;
  readonly logger: LogLogger;
  readonly hadCleanShutdown: boolean;
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly epochCache: LeaderEpochCache;
  /** The leader-epoch checkpoint was read (not missing or corrupt): epochs below the recovery point are known. */
  readonly epochsOnDisk: boolean;
}

export interface LoadedLog {
  readonly segments: SegmentSet;
  readonly logEndOffset: number;
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
  /** Bytes cut from torn or corrupt tails (0 after a clean shutdown). */
  readonly truncatedBytes: number;
  /** True when a recovery scan ran (an unclean shutdown of a log that had segments). */
  readonly recovered: boolean;
}

export async function loadLog(params: LoadLogParams): Promise<LoadedLog> {
  const segments = new SegmentSet();
  try {
    return await loadLogInto(params, segments);
  } catch (e) {
    // A failed load (a storage error in recovery) leaves no handle open.
    for (const s of segments.all()) await s.closeHandle().catch(() => undefined);
    throw e;
  }
}

async function loadLogInto(params: LoadLogParams, segments: SegmentSet): Promise<LoadedLog> {
  const { ctx, logger } = params;
  const { fs, dir } = ctx;
  // Every name is parsed once (a directory can hold thousands of segment files).
  let names = parseNames(await fs.readDir(dir));
  let dirChanged = await removeStrayFiles(fs, dir, names, logger);
  if (dirChanged) names = parseNames(await fs.readDir(dir));
  if (await completeSwaps(ctx, names, logger)) {
    dirChanged = true;
    names = parseNames(await fs.readDir(dir));
  }
  await openLiveSegments(params, names, segments);

  let truncatedBytes = 0;
  const recovered = !params.hadCleanShutdown && segments.size > 0;
  if (recovered) {
    const result = await recoverSegments(params, segments);
    truncatedBytes = result.truncatedBytes;
    dirChanged ||= result.deletedSegments;
  }

  const logStartOffset = Math.max(params.logStartOffset, segments.first?.baseOffset ?? params.logStartOffset, 0);
  dirChanged = (await deleteSegmentsBelow(params, segments, logStartOffset)) || dirChanged;
  if (segments.size === 0) {
    segments.add(await LogSegment.create(ctx, logStartOffset, { active: true }));
    dirChanged = true;
  } else {
    await segments.active.markActive();
  }
  let logEndOffset = await logEndOf(params, segments.active);
  let recoveryPoint = params.recoveryPoint;
  if (logEndOffset < logStartOffset) {
    await restartEmptyAt(params, segments, logEndOffset, logStartOffset);
    dirChanged = true;
    logEndOffset = logStartOffset;
    recoveryPoint = logStartOffset; // the empty log is all durable (the dir is synced below)
  }
  recoveryPoint = params.hadCleanShutdown ? logEndOffset : Math.min(recoveryPoint, logEndOffset);

  // A corrupt checkpoint: recovery re-derived the epochs of what it scanned at most (nothing
  // after a clean shutdown), so every batch header below that is read once now.
  if (!params.epochsOnDisk && logEndOffset > logStartOffset) await rederiveAllEpochs(segments, params.epochCache);
  params.epochCache.truncateFromEnd(logEndOffset);
  params.epochCache.truncateFromStart(logStartOffset);
  if (dirChanged) {
    await fs.syncDir(dir);
    // Every file now in the dir has a durable entry: the first flush (or the close) of a
    // new log need not sync the dir again.
    for (const s of segments.all()) s.dirEntryDurable = true;
  }
  return { segments, logEndOffset, logStartOffset, recoveryPoint, truncatedBytes, recovered };
}

/**
 * The epoch history from scratch: each batch's (partitionLeaderEpoch, baseOffset) in log
 * order, as the appends assigned them (epoch -1 batches are skipped by `assign`). Reads
 * every segment once; only after a corrupt `leader-epoch-checkpoint`.
 */
async function rederiveAllEpochs(segments: SegmentSet, epochCache: LeaderEpochCache): Promise<void> {
  epochCache.clear();
  for (const segment of segments.all()) {
    await segment.forEachBatch((batch) => {
      epochCache.assign(batchPartitionLeaderEpoch(batch, 0), batchBaseOffset(batch, 0));
      return true;
    });
  }
}

/**
 * Adds every live segment, lazily. No segment is stat-ed at open: each learns its size on
 * first need (LogSegment.loadSize). The active one is stat-ed here only when its end must
 * be read now (`logEndOf`); after a clean shutdown its first use loads size, indices and
 * tail in one go, so a clean restart costs one directory listing and one epoch-checkpoint
 * read per log.
 */
async function openLiveSegments(params: LoadLogParams, names: readonly NamedFile[], segments: SegmentSet): Promise<void> {
  const { ctx } = params;
  let lastBase = -1;
  for (const { parsed } of names) {
    if (parsed === null || parsed.kind !== 'log' || parsed.transitSuffix !== '') continue;
    lastBase = Math.max(lastBase, parsed.baseOffset);
  }
  const endTrusted = params.hadCleanShutdown && params.recoveryPoint > lastBase && lastBase >= 0;
  for (const { name, parsed } of names) {
    if (parsed === null || parsed.kind !== 'log' || parsed.transitSuffix !== '') continue;
    if (parsed.baseOffset !== lastBase || endTrusted) {
      segments.add(LogSegment.open(ctx, parsed.baseOffset, null, null));
      continue;
    }
    const stat = await ctx.fs.stat(joinDir(ctx.dir, name));
    if (stat !== null) segments.add(LogSegment.open(ctx, parsed.baseOffset, stat.sizeBytes, stat.mtimeMs));
  }
}

/** Deletes the segments wholly below the log start offset (a deletion that did not reach the disk); true when any went. */
async function deleteSegmentsBelow(params: LoadLogParams, segments: SegmentSet, logStartOffset: number): Promise<boolean> {
  let deleted = false;
  for (const s of segments.all()) {
    const next = segments.higherSegment(s.baseOffset);
    if (next === undefined || next.baseOffset > logStartOffset) break;
    segments.remove(s.baseOffset);
    await s.deleteFiles();
    deleted = true;
    params.logger.info({ dir: params.ctx.dir, baseOffset: s.baseOffset, logStartOffset }, 'deleted segment below the log start offset');
  }
  return deleted;
}

/**
 * The log end offset. After a clean shutdown the recovery point is the log end offset
 * (close syncs everything, then checkpoints it): trust it and leave the active segment
 * unread; its first index load verifies it (LogSegment.expectNextOffset). A point that
 * cannot be the end (0 or missing from the checkpoint, or not past the active segment's
 * base) is read from the segment instead.
 */
async function logEndOf(params: LoadLogParams, active: LogSegment): Promise<number> {
  if (params.hadCleanShutdown && params.recoveryPoint > active.baseOffset) {
    // (An empty active segment with a checkpoint past its base contradicts the checkpoint:
    // its first use says so, as for any other mismatch.)
    active.expectNextOffset(params.recoveryPoint);
    return params.recoveryPoint;
  }
  if (params.hadCleanShutdown && active.sizeBytes === 0) return active.baseOffset;
  return active.readNextOffset();
}

/**
 * The log start offset reached the disk but the records below it did not (an unsynced
 * tail lost in a crash, or segment files removed by hand). As Kafka's LogLoader does,
 * drop every segment and start empty at the log start offset: offsets below it were
 * handed out once and are never reused.
 */
async function restartEmptyAt(params: LoadLogParams, segments: SegmentSet, logEndOffset: number, logStartOffset: number): Promise<void> {
  params.logger.warn({ dir: params.ctx.dir, logEndOffset, logStartOffset }, 'log end offset below the log start offset: deleting all segments');
  for (const s of segments.all()) {
    segments.remove(s.baseOffset);
    await s.deleteFiles();
  }
  segments.add(await LogSegment.create(params.ctx, logStartOffset, { active: true }));
  params.epochCache.clear();
}

interface NamedFile {
  readonly name: string;
  readonly parsed: ParsedSegmentFileName | null;
}

function parseNames(names: readonly string[]): NamedFile[] {
  return names.map((name) => ({ name, parsed: parseSegmentFileName(name) }));
}

async function removeStrayFiles(fs: FileSystem, dir: string, names: readonly NamedFile[], logger: LogLogger): Promise<boolean> {
  const liveLogs = new Set<number>();
  const swapLogs = new Set<number>();
  for (const { parsed: p } of names) {
    if (p !== null && p.kind === 'log' && p.transitSuffix === '') liveLogs.add(p.baseOffset);
    if (p !== null && p.kind === 'log' && p.transitSuffix === SWAP_FILE_SUFFIX) swapLogs.add(p.baseOffset);
  }
  let changed = false;
  for (const { name, parsed: p } of names) {
    const stray =
      name.endsWith(TEMP_FILE_SUFFIX) ||
      (p !== null && (p.transitSuffix === DELETED_FILE_SUFFIX || p.transitSuffix === CLEANED_FILE_SUFFIX)) ||
      (p !== null && p.kind !== 'log' && p.transitSuffix === '' && !liveLogs.has(p.baseOffset) && !swapLogs.has(p.baseOffset)) ||
      (p !== null && p.kind !== 'log' && p.transitSuffix === SWAP_FILE_SUFFIX);
    if (!stray) continue;
    await fs.remove(joinDir(dir, name));
    changed = true;
    logger.info({ dir, file: name }, 'removed stray file');
  }
  return changed;
}

/** Finishes every interrupted segment swap; true when something changed. */
async function completeSwaps(ctx: SegmentContext, names: readonly NamedFile[], logger: LogLogger): Promise<boolean> {
  const { fs, dir } = ctx;
  let changed = false;
  const live: number[] = [];
  for (const { parsed: p } of names) {
    if (p !== null && p.kind === 'log' && p.transitSuffix === '') live.push(p.baseOffset);
  }
  for (const { name, parsed: p } of names) {
    if (p === null || p.kind !== 'log' || p.transitSuffix !== SWAP_FILE_SUFFIX) continue;
    const swapPath = joinDir(dir, name);
    const stat = await fs.stat(swapPath);
    if (stat === null) continue;
    // The swap file's offset range: scan its batch headers for the last offset.
    const handle = await fs.open(swapPath, 'read');
    let nextOffset = p.baseOffset;
    try {
      await scanBatches(handle, 0, stat.sizeBytes, false, (chunk, at) => {
        nextOffset = batchLastOffset(chunk, at) + 1;
        return true;
      });
    } finally {
      await handle.close();
    }
    for (const base of live) {
      if (base < p.baseOffset || base >= Math.max(nextOffset, p.baseOffset + 1)) continue;
      for (const kind of ['log', 'index', 'timeindex'] as const) await fs.remove(segmentFilePath(dir, base, kind));
    }
    for (const kind of ['index', 'timeindex'] as const) await fs.remove(segmentFilePath(dir, p.baseOffset, kind));
    await fs.rename(swapPath, segmentFilePath(dir, p.baseOffset, 'log'));
    changed = true;
    logger.info({ dir, baseOffset: p.baseOffset, nextOffset }, 'completed interrupted segment swap');
  }
  return changed;
}

async function recoverSegments(params: LoadLogParams, segments: SegmentSet): Promise<{ truncatedBytes: number; deletedSegments: boolean }> {
  const { ctx, logger, epochCache } = params;
  let truncatedBytes = 0;
  let deletedSegments = false;
  const toRecover = segments.range(params.recoveryPoint, Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < toRecover.length; i++) {
    const segment = toRecover[i]!;
    const result = await segment.recover({
      syncedBelowOffset: params.recoveryPoint,
      // Only the last segment's index files are written in synced pairs (a rolled one's
      // are trimmed unsynced), and the epochs below the recovery point must be on disk.
      fromIndexEntry: toRecover.length === 1 && params.epochsOnDisk,
      // The epoch history from where the scan starts is re-derived from the batches.
      onScanStart: (offset) => epochCache.truncateFromEnd(offset),
      onBatch: (epoch, baseOffset) => epochCache.assign(epoch, baseOffset),
    });
    if (result.truncatedBytes === 0) continue;
    truncatedBytes += result.truncatedBytes;
    logger.warn(
      { dir: ctx.dir, baseOffset: segment.baseOffset, truncatedBytes: result.truncatedBytes, reason: result.reason, nextOffset: result.nextOffset },
      'recovery truncated a torn or corrupt segment tail',
    );
    for (const later of toRecover.slice(i + 1)) {
      segments.remove(later.baseOffset);
      await later.deleteFiles();
      deletedSegments = true;
      logger.warn({ dir: ctx.dir, baseOffset: later.baseOffset, sizeBytes: later.sizeLoaded ? later.sizeBytes : null }, 'recovery deleted a segment after a corrupt one');
    }
    break;
  }
  return { truncatedBytes, deletedSegments };
}
