/**
 * enforceRetention: one retention pass over one log — gather the segment summaries, plan
 * (retention-plan.ts), and ask the log to delete the planned prefix.
 *
 * The log is reached through {@link RetentionTarget}, the part of the core `Log` this
 * module needs (a `Log` satisfies it as is). The log's `deleteSegments` does the file work
 * the Kafka way: it rolls first when the active segment goes too, removes the segments
 * from its set, renames their files to `.deleted` (durably, one syncDir), raises the log
 * start offset to the first remaining segment, persists its checkpoints, and removes the
 * `.deleted` files after `file.delete.delay.ms`; recovery removes any left after a crash.
 *
 * Callers serialize passes per log (the LogManager runs one maintenance task per log at a
 * time); the log's writer mutex serializes the deletion against appends.
 */
import type { RetentionConfig, RetentionPlan, SegmentSummary } from './retention-plan.ts';
import { planRetention } from './retention-plan.ts';

/** What retention needs from a log (structurally a subset of the core `Log`). */
export interface RetentionTarget {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** All segments ascending, the last is the active one. */
  segmentInfos(): Promise<readonly SegmentSummary[]>;
  /** Deletes a prefix of the segments (rolling first if it includes the active one); resolves how many. */
  deleteSegments(baseOffsets: readonly number[], reason: string): Promise<number>;
}

export interface RetentionPassResult {
  readonly plan: RetentionPlan;
  readonly deletedSegments: number;
}

export async function enforceRetention(target: RetentionTarget, config: RetentionConfig, nowMs: number): Promise<RetentionPassResult> {
  const plan = planRetention({
    segments: await target.segmentInfos(),
    logStartOffset: target.logStartOffset,
    logEndOffset: target.logEndOffset,
    highWatermark: target.highWatermark,
    nowMs,
    config,
  });
  if (plan.deleteBaseOffsets.length === 0) return { plan, deletedSegments: 0 };
  const reason = [...new Set(plan.reasons)].join(',');
  const deletedSegments = await target.deleteSegments(plan.deleteBaseOffsets, reason);
  return { plan, deletedSegments };
}

/** The retention settings of a log config (`cleanup.policy` decides whether time/size rules apply). */
export function retentionConfigOf(config: { readonly retentionMs: number; readonly retentionBytes: number; readonly cleanupPolicy: string }): RetentionConfig {
  return { retentionMs: config.retentionMs, retentionBytes: config.retentionBytes, deleteEnabled: config.cleanupPolicy.split(',').includes('delete') };
}
