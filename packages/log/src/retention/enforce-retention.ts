/**
 * enforceRetention: one retention pass over one log — plan (retention-plan.ts), roll if the
 * plan deletes the active segment, raise the log start offset, detach the segments from
 * the log, rename their files to `.deleted` (durable), and hand them to the deferred
 * remover.
 *
 * The log is reached through {@link RetentionTarget}, the hooks this module needs from
 * the core Log; the LogManager adapts a Log to it. Order matters for crash safety:
 * 1. the log start offset is raised first (Kafka does the same), so readers are refused
 *    below it before any file disappears;
 * 2. `detachSegments` removes the segments from the log's segment set and closes their
 *    handles: no new reader can reach them;
 * 3. the files are renamed to `.deleted` and the directory synced: after a crash they are
 *    no longer segments, and recovery removes them.
 * A crash between 1 and 3 leaves the segments on disk below the (checkpointed) log start
 * offset; the next pass deletes them by the log-start-offset rule.
 *
 * Callers serialize passes per log (the LogManager runs one task per log at a time).
 */
import type { FileSystem } from '@samsa/runtime';
import { segmentFilePath } from '../file-names.ts';
import type { DeferredFileRemover } from './deleted-files.ts';
import { markFilesDeleted } from './deleted-files.ts';
import { planRetention, type RetentionConfig, type RetentionPlan, type SegmentSummary } from './retention-plan.ts';

/** What retention needs from a log. */
export interface RetentionTarget {
  /** The partition directory. */
  readonly dir: string;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Defaults to the log end offset (a log without replication). */
  readonly highWatermark?: number;
  /** All segments ascending, the last is the active one. */
  segmentSummaries(): Promise<readonly SegmentSummary[]>;
  /** Starts a new, empty active segment at the log end offset. */
  roll(): Promise<void>;
  /** Raises the log start offset (never lowers it). */
  maybeIncrementLogStartOffset(offset: number): Promise<void> | void;
  /** Removes these segments from the log and closes their handles; leaves their files in place. */
  detachSegments(baseOffsets: readonly number[]): Promise<void>;
}

export interface RetentionPassResult {
  readonly plan: RetentionPlan;
  /** The `.deleted` paths scheduled for removal. */
  readonly deletedPaths: readonly string[];
}

export async function enforceRetention(target: RetentionTarget, fs: FileSystem, config: RetentionConfig, nowMs: number, remover: DeferredFileRemover): Promise<RetentionPassResult> {
  const segments = await target.segmentSummaries();
  const plan = planRetention({
    segments,
    logStartOffset: target.logStartOffset,
    logEndOffset: target.logEndOffset,
    ...(target.highWatermark === undefined ? {} : { highWatermark: target.highWatermark }),
    nowMs,
    config,
  });
  if (plan.deleteBaseOffsets.length === 0) {
    if (plan.logStartOffset > target.logStartOffset) await target.maybeIncrementLogStartOffset(plan.logStartOffset);
    return { plan, deletedPaths: [] };
  }
  if (plan.rollActiveFirst) await target.roll();
  await target.maybeIncrementLogStartOffset(plan.logStartOffset);
  await target.detachSegments(plan.deleteBaseOffsets);
  const paths = plan.deleteBaseOffsets.flatMap((base) => (['log', 'index', 'timeindex'] as const).map((kind) => segmentFilePath(target.dir, base, kind)));
  const deletedPaths = await markFilesDeleted(fs, paths);
  remover.schedule(deletedPaths);
  return { plan, deletedPaths };
}
