/**
 * ListOffsets v0's answer: up to `max_num_offsets` offsets "before" a time, newest first —
 * Kafka's legacy `fetchOffsetsBefore`, which predates the time index and works on segments.
 *
 * The candidates are every segment's base offset (raised to the log start offset) paired
 * with the segment's last-modified time, plus the log end offset paired with "now" when the
 * active segment holds data. The answer starts at:
 *   -1 (latest)   → the last candidate,
 *   -2 (earliest) → the first,
 *   t             → the last candidate modified at or before t (none: an empty answer),
 * and walks back towards older candidates, at most `maxNumOffsets` of them, in descending
 * order. A consumer's answer (replica id -1) never passes the high watermark: offsets above
 * it are dropped and the high watermark leads the list instead, as Kafka's KafkaApis does.
 * Pure: the caller passes the segments, the offsets and the wall clock.
 */
export interface LegacySegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  readonly lastModifiedMs: number;
}

export interface LegacyOffsetsInput {
  readonly segments: readonly LegacySegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly nowMs: number;
  readonly timestamp: number;
  readonly maxNumOffsets: number;
  /** True for a consumer (replica id -1): cap at the high watermark. */
  readonly fromConsumer: boolean;
}

/** Bound on the answer whatever max_num_offsets asks for (a hostile request cannot make us allocate more). */
export const LEGACY_OFFSETS_MAX = 1024;

const LATEST = -1;
const EARLIEST = -2;

export function legacyOffsetsBefore(o: LegacyOffsetsInput): number[] {
  const candidates = o.segments.map((s) => ({ offset: Math.max(s.baseOffset, o.logStartOffset), timeMs: s.lastModifiedMs }));
  const last = o.segments[o.segments.length - 1];
  if (last !== undefined && last.sizeBytes > 0) candidates.push({ offset: o.logEndOffset, timeMs: o.nowMs });
  let start: number;
  if (o.timestamp === LATEST) start = candidates.length - 1;
  else if (o.timestamp === EARLIEST) start = candidates.length > 0 ? 0 : -1;
  else {
    start = candidates.length - 1;
    while (start >= 0 && candidates[start]!.timeMs > o.timestamp) start--;
  }
  const count = Math.max(0, Math.min(o.maxNumOffsets, start + 1, LEGACY_OFFSETS_MAX));
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(candidates[start - i]!.offset);
  offsets.sort((a, b) => b - a);
  if (!o.fromConsumer || !offsets.some((x) => x > o.highWatermark)) return offsets;
  return [o.highWatermark, ...offsets.filter((x) => x <= o.highWatermark)];
}
