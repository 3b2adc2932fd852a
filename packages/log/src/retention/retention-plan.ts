/**
 * Retention planning: which leading segments of a log may be deleted, and the new log start
 * offset. Pure: the log gathers a {@link SegmentSummary} per segment, calls
 * {@link planRetention}, then (if the plan says so) rolls and deletes the prefix.
 *
 * Rules (Kafka's `UnifiedLog.deleteOldSegments`, applied in the same order, each to what the
 * previous one left):
 * 1. `retention.ms` (only when `cleanup.policy` contains `delete`): delete the leading
 *    segments whose largest timestamp (or last-modified time when no record carries one)
 *    is more than `retention.ms` before `now`. The active segment qualifies too, if it is
 *    not empty: the log must then roll first (`rollActiveFirst`) so a fresh, empty active
 *    segment at the log end offset remains. That is what "by time only after it is rolled"
 *    means in Kafka: a log never has zero segments.
 * 2. `retention.bytes` (only with `delete`): while the log is larger than `retention.bytes`,
 *    delete leading segments whose removal keeps the log at or above `retention.bytes`.
 *    The active segment is never deleted by size (Kafka could only do so with
 *    `retention.bytes=0`; we keep the active segment, which is simpler and never loses
 *    the newest data to a size rule).
 * 3. Log start offset (always, also for compacted logs): delete leading segments whose
 *    successor starts at or below the log start offset (`deleteRecordsBefore` moved it).
 *
 * Every rule stops at the first segment whose end (the next segment's base offset, or the
 * log end offset for the active one) lies beyond `highWatermark`, so the log start offset
 * never passes the high watermark. Deletion always takes a prefix: a log never has holes.
 */

export interface SegmentSummary {
  readonly baseOffset: number;
  /** Size of the `.log` file in bytes. */
  readonly sizeBytes: number;
  /** Largest record timestamp in the segment; negative when unknown (then `lastModifiedMs` counts). */
  readonly largestTimestampMs: number;
  /** The `.log` file's last-modified time (wall clock). */
  readonly lastModifiedMs: number;
}

export interface RetentionConfig {
  /** `retention.ms`; negative means unlimited. */
  readonly retentionMs: number;
  /** `retention.bytes`; negative means unlimited. */
  readonly retentionBytes: number;
  /** True when `cleanup.policy` contains `delete` (`delete` or `compact,delete`). */
  readonly deleteEnabled: boolean;
}

export interface RetentionInput {
  /** All segments, ascending by base offset; the last one is the active segment. Never empty. */
  readonly segments: readonly SegmentSummary[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Segments ending beyond it are kept. Defaults to `logEndOffset` (a log without replication). */
  readonly highWatermark?: number;
  readonly nowMs: number;
  readonly config: RetentionConfig;
}

export type RetentionReason = 'retention-ms' | 'retention-bytes' | 'log-start-offset';

export interface RetentionPlan {
  /** Base offsets of the segments to delete: always a prefix of the input, ascending. */
  readonly deleteBaseOffsets: readonly number[];
  /** Why each of them goes (same order). */
  readonly reasons: readonly RetentionReason[];
  /** The active segment is among the deleted: roll a new, empty one at the log end first. */
  readonly rollActiveFirst: boolean;
  /** max(old log start offset, base offset of the first segment left). */
  readonly logStartOffset: number;
}

/** Effective timestamp of a segment for `retention.ms`, as Kafka's `LogSegment.largestTimestamp`. */
export function segmentRetentionTimestampMs(segment: SegmentSummary): number {
  return segment.largestTimestampMs >= 0 ? segment.largestTimestampMs : segment.lastModifiedMs;
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { segments, config } = input;
  if (segments.length === 0) throw new Error('planRetention: a log always has at least one segment');
  assertSafe(input.logStartOffset, 'logStartOffset');
  assertSafe(input.logEndOffset, 'logEndOffset');
  const highWatermark = Math.min(input.highWatermark ?? input.logEndOffset, input.logEndOffset);
  const lastIndex = segments.length - 1;
  const endOf = (i: number): number => (i < lastIndex ? segments[i + 1]!.baseOffset : input.logEndOffset);

  const reasons: RetentionReason[] = [];
  let next = 0; // index of the first segment not (yet) deleted
  // Extends the deleted prefix while `predicate` holds; bounded by the segment count.
  const take = (reason: RetentionReason, predicate: (i: number) => boolean): void => {
    while (next <= lastIndex && endOf(next) <= highWatermark && predicate(next)) {
      reasons.push(reason);
      next++;
    }
  };

  if (config.deleteEnabled && config.retentionMs >= 0) {
    take('retention-ms', (i) => {
      const s = segments[i]!;
      if (i === lastIndex && s.sizeBytes === 0) return false; // an empty active segment stays
      return input.nowMs - segmentRetentionTimestampMs(s) > config.retentionMs;
    });
  }
  if (config.deleteEnabled && config.retentionBytes >= 0) {
    let remainingBytes = 0;
    for (let i = next; i <= lastIndex; i++) remainingBytes += segments[i]!.sizeBytes;
    if (remainingBytes >= config.retentionBytes) {
      let excessBytes = remainingBytes - config.retentionBytes;
      take('retention-bytes', (i) => {
        const s = segments[i]!;
        if (i === lastIndex || excessBytes - s.sizeBytes < 0) return false;
        excessBytes -= s.sizeBytes;
        return true;
      });
    }
  }
  take('log-start-offset', (i) => i < lastIndex && segments[i + 1]!.baseOffset <= input.logStartOffset);

  const rollActiveFirst = next > lastIndex;
  const firstLeftBaseOffset = rollActiveFirst ? input.logEndOffset : segments[next]!.baseOffset;
  return {
    deleteBaseOffsets: segments.slice(0, next).map((s) => s.baseOffset),
    reasons,
    rollActiveFirst,
    logStartOffset: Math.max(input.logStartOffset, firstLeftBaseOffset),
  };
}

function assertSafe(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`planRetention: ${name} must be a non-negative safe integer, got ${value}`);
}
