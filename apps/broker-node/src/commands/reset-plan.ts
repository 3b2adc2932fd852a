/**
 * The planning half of `samsa groups reset-offsets`, with no I/O: which topics and
 * partitions a call names, which target it asks for, and the new offset of one partition.
 * The options and their meaning are kafka-consumer-groups.sh's:
 *
 * - scope: `--topic <name>` or `--topic <name>:<p>,<p>,…` (repeatable), or `--all-topics`
 *   (every topic the group has committed offsets on);
 * - target, exactly one of: `--to-earliest`, `--to-latest`, `--to-current`,
 *   `--to-offset <n>`, `--shift-by <±n>`, `--to-datetime <iso>`, `--by-duration <PnDTnHnMnS>`.
 *
 * New offsets are clamped to [log start, log end], as Kafka does. `--to-current` on a
 * partition without a committed offset takes the log end (Kafka's fallback); `--shift-by`
 * there is an error, as in Kafka. A time that no record reaches gives the log end.
 */
import { CliError, ExitCode } from '@samsa/host/cli';

export type ResetTarget =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'current' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'shift'; readonly by: number }
  /** --to-datetime and --by-duration: the first offset whose timestamp is ≥ timestampMs. */
  | { readonly kind: 'timestamp'; readonly timestampMs: number };

export interface ResetTargetFlags {
  readonly toEarliest?: boolean;
  readonly toLatest?: boolean;
  readonly toCurrent?: boolean;
  readonly toOffset?: string;
  readonly shiftBy?: string;
  readonly toDatetime?: string;
  readonly byDuration?: string;
}

export const TARGET_FLAGS = '--to-earliest, --to-latest, --to-current, --to-offset <n>, --shift-by <n>, --to-datetime <iso>, --by-duration <PnDTnHnMnS>';

/** The one target the flags ask for; `nowMs` anchors --by-duration. Usage errors exit 2. */
export function parseResetTarget(o: ResetTargetFlags, nowMs: number): ResetTarget {
  const chosen: ResetTarget[] = [];
  if (o.toEarliest) chosen.push({ kind: 'earliest' });
  if (o.toLatest) chosen.push({ kind: 'latest' });
  if (o.toCurrent) chosen.push({ kind: 'current' });
  if (o.toOffset !== undefined) {
    if (!/^\d+$/.test(o.toOffset.trim())) throw new CliError(`--to-offset must be a non-negative integer (got "${o.toOffset}")`, ExitCode.usage);
    chosen.push({ kind: 'offset', offset: Number(o.toOffset) });
  }
  if (o.shiftBy !== undefined) {
    if (!/^[+-]?\d+$/.test(o.shiftBy.trim()) || !Number.isSafeInteger(Number(o.shiftBy))) throw new CliError(`--shift-by must be an integer, negative to move back (got "${o.shiftBy}")`, ExitCode.usage);
    chosen.push({ kind: 'shift', by: Number(o.shiftBy) });
  }
  if (o.toDatetime !== undefined) {
    const ms = Date.parse(o.toDatetime);
    if (Number.isNaN(ms)) throw new CliError(`--to-datetime must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z (got "${o.toDatetime}")`, ExitCode.usage);
    chosen.push({ kind: 'timestamp', timestampMs: ms });
  }
  if (o.byDuration !== undefined) chosen.push({ kind: 'timestamp', timestampMs: nowMs - parseIsoDurationMs(o.byDuration) });
  if (chosen.length !== 1) throw new CliError(`pass exactly one of ${TARGET_FLAGS}`, ExitCode.usage);
  return chosen[0]!;
}

/**
 * An ISO 8601 duration of days, hours, minutes and seconds (Java's Duration.parse form,
 * which Kafka's --by-duration takes): P1D, PT30M, P2DT3H4M5.5S. In milliseconds.
 */
export function parseIsoDurationMs(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (m === null || m.slice(1).every((g) => g === undefined) || /T$/i.test(text.trim())) {
    throw new CliError(`--by-duration must be an ISO 8601 duration such as P1D, PT30M or P2DT3H4M5S (got "${text}")`, ExitCode.usage);
  }
  const [days, hours, minutes, seconds] = m.slice(1).map((g) => (g === undefined ? 0 : Number(g))) as [number, number, number, number];
  return Math.round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000);
}

export interface TopicSpec {
  readonly topic: string;
  /** null: every partition of the topic. */
  readonly partitions: readonly number[] | null;
}

/** `name` or `name:0,2,5`. */
export function parseTopicSpec(spec: string): TopicSpec {
  const colon = spec.lastIndexOf(':');
  if (colon < 0) {
    if (spec.trim() === '') throw new CliError('--topic needs a topic name', ExitCode.usage);
    return { topic: spec.trim(), partitions: null };
  }
  const topic = spec.slice(0, colon).trim();
  const list = spec.slice(colon + 1).split(',').map((p) => p.trim());
  if (topic === '' || list.some((p) => !/^\d+$/.test(p))) {
    throw new CliError(`--topic takes <name> or <name>:<partition>,<partition>,… (got "${spec}")`, ExitCode.usage);
  }
  return { topic, partitions: [...new Set(list.map(Number))].sort((a, b) => a - b) };
}

export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset. */
  readonly low: number;
  /** Log end offset. */
  readonly high: number;
  /** The group's committed offset, or null. */
  readonly committed: number | null;
  /** For a timestamp target: the first offset at or after the time, or −1 when none is. */
  readonly atTimestamp?: number;
}

/** The new committed offset of one partition under `target`, within [low, high]. */
export function resetOffsetFor(target: ResetTarget, p: PartitionOffsets, topic: string): number {
  const clamp = (offset: number): number => Math.min(Math.max(offset, p.low), p.high);
  switch (target.kind) {
    case 'earliest':
      return p.low;
    case 'latest':
      return p.high;
    case 'current':
      return p.committed === null ? p.high : clamp(p.committed);
    case 'offset':
      return clamp(target.offset);
    case 'shift':
      if (p.committed === null) throw new CliError(`cannot shift the offset of ${topic}-${p.partition}: the group has no committed offset there`, ExitCode.failure);
      return clamp(p.committed + target.by);
    case 'timestamp':
      return p.atTimestamp === undefined || p.atTimestamp < 0 ? p.high : clamp(p.atTimestamp);
  }
}
