/**
 * Consumer options, their defaults (the Java consumer's, Kafka 3.x/4.x, unless noted) and
 * their checks. Names carry units last; every buffer and queue has an explicit bound.
 */
import type { ClientOptions } from '../cluster/client-options.ts';
import type { Assignor } from '../assignors/index.ts';
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from '../assignors/index.ts';

export type IsolationLevel = 'read_uncommitted' | 'read_committed';
/** What to do when a partition has no valid position: Kafka's `auto.offset.reset`. */
export type OffsetResetStrategy = 'earliest' | 'latest' | 'none';

export interface ConsumerOptions extends ClientOptions {
  /** Group mode needs it; assign-only mode may set it to commit offsets. */
  readonly groupId?: string;
  /** Static membership (KIP-345). */
  readonly groupInstanceId?: string;
  /** Default 45 000. */
  readonly sessionTimeoutMs?: number;
  /** Kafka's max.poll.interval.ms, sent as the rebalance timeout. Default 300 000. */
  readonly rebalanceTimeoutMs?: number;
  /** Default 3 000. */
  readonly heartbeatIntervalMs?: number;
  /** Assignors offered in JoinGroup, preferred first. Default [range, cooperative-sticky] (Java's). */
  readonly assignors?: readonly Assignor[];
  /** Default true. */
  readonly autoCommit?: boolean;
  /** Default 5 000. */
  readonly autoCommitIntervalMs?: number;
  /** Default 'latest'. */
  readonly autoOffsetReset?: OffsetResetStrategy;
  /** Default 'read_uncommitted'. */
  readonly isolationLevel?: IsolationLevel;
  /** Bytes one Fetch response may carry. Default 52 428 800. */
  readonly fetchMaxBytes?: number;
  /** Bytes one partition may contribute to a Fetch response. Default 1 048 576. */
  readonly maxPartitionFetchBytes?: number;
  /** Default 1. */
  readonly fetchMinBytes?: number;
  /** Default 500. */
  readonly fetchMaxWaitMs?: number;
  /** Fetched bytes held before the application takes them; fetching pauses beyond. Default 64 MiB. */
  readonly bufferedBytesMax?: number;
  /** Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Default 100. */
  readonly retryBackoffMs?: number;
}

export interface ResolvedConsumerOptions {
  readonly groupId: string | null;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly assignors: readonly Assignor[];
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly autoOffsetReset: OffsetResetStrategy;
  readonly isolationLevel: IsolationLevel;
  readonly fetchMaxBytes: number;
  readonly maxPartitionFetchBytes: number;
  readonly fetchMinBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly bufferedBytesMax: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
}

export const ASSIGNORS_DEFAULT: readonly Assignor[] = [rangeAssignor, cooperativeStickyAssignor];
export const ASSIGNORS_BY_NAME: ReadonlyMap<string, Assignor> = new Map([rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor].map((a) => [a.name, a]));

export function resolveConsumerOptions(o: ConsumerOptions): ResolvedConsumerOptions {
  const r: ResolvedConsumerOptions = {
    groupId: o.groupId ?? null,
    groupInstanceId: o.groupInstanceId ?? null,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 45_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 300_000,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 3_000,
    assignors: o.assignors ?? ASSIGNORS_DEFAULT,
    autoCommit: o.autoCommit ?? true,
    autoCommitIntervalMs: o.autoCommitIntervalMs ?? 5_000,
    autoOffsetReset: o.autoOffsetReset ?? 'latest',
    isolationLevel: o.isolationLevel ?? 'read_uncommitted',
    fetchMaxBytes: o.fetchMaxBytes ?? 52_428_800,
    maxPartitionFetchBytes: o.maxPartitionFetchBytes ?? 1_048_576,
    fetchMinBytes: o.fetchMinBytes ?? 1,
    fetchMaxWaitMs: o.fetchMaxWaitMs ?? 500,
    bufferedBytesMax: o.bufferedBytesMax ?? 64 * 1024 * 1024,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    retryBackoffMs: o.retryBackoffMs ?? 100,
  };
  for (const [name, value] of Object.entries(r)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  if (r.fetchMaxBytes < 1 || r.maxPartitionFetchBytes < 1 || r.bufferedBytesMax < 1) throw new RangeError('fetchMaxBytes, maxPartitionFetchBytes and bufferedBytesMax must be >= 1');
  if (r.heartbeatIntervalMs >= r.sessionTimeoutMs) throw new RangeError('heartbeatIntervalMs must be below sessionTimeoutMs');
  if (r.assignors.length === 0) throw new RangeError('assignors must name at least one assignor');
  if (r.groupInstanceId !== null && r.groupId === null) throw new RangeError('groupInstanceId needs a groupId');
  if (!['earliest', 'latest', 'none'].includes(r.autoOffsetReset)) throw new RangeError(`autoOffsetReset must be earliest, latest or none, got ${String(r.autoOffsetReset)}`);
  if (!['read_uncommitted', 'read_committed'].includes(r.isolationLevel)) throw new RangeError(`isolationLevel must be read_uncommitted or read_committed, got ${String(r.isolationLevel)}`);
  return r;
}

/**
 * The rebalance protocol the member follows: COOPERATIVE only when every offered assignor
 * supports it (Java's rule: the highest protocol all of them support), else EAGER.
 */
export function rebalanceProtocolOf(assignors: readonly Assignor[]): 'EAGER' | 'COOPERATIVE' {
  return assignors.every((a) => a.protocol === 'COOPERATIVE') ? 'COOPERATIVE' : 'EAGER';
}
