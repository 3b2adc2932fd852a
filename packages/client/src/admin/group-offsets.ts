/**
 * Consumer group offsets: listConsumerGroupOffsets (OffsetFetch), alterConsumerGroupOffsets
 * (OffsetCommit as a simple commit: generation -1, no member — accepted by the coordinator
 * only while the group has no members), resetConsumerGroupOffsets (what
 * `kafka-consumer-groups --reset-offsets` does: refuse a group with members, look the
 * target offsets up with ListOffsets, then commit them) and deleteConsumerGroupOffsets
 * (OffsetDelete).
 *
 * Routing: the group's coordinator. OffsetFetch v8+ carries several groups, so groups that
 * share a coordinator share one request; older brokers get one request per group.
 * Retriable answers (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, UNSTABLE_OFFSET_COMMIT …)
 * retry the group after forgetting its coordinator; commits are idempotent, so a retried
 * commit is safe.
 */
import {
  ErrorCode,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  OffsetDeleteRequestCodec,
  OffsetDeleteResponseCodec,
  OffsetFetchRequestCodec,
  OffsetFetchResponseCodec,
} from '@samsa/codec/wire';
import type { OffsetCommitRequest, OffsetFetchRequest, OffsetFetchResponse } from '@samsa/codec/wire';
import { KafkaError } from '../errors.ts';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { groupBy, outcomeOf, throwIfError } from './admin-context.ts';
import { atCoordinator, perCoordinator } from './coordinators.ts';
import { describeConsumerGroups, describeGroups, servesConsumerGroupDescribe } from './groups.ts';
import { partitionKey } from './partition-leaders.ts';
import type { TopicPartition } from './partition-leaders.ts';
import { listOffsets } from './records.ts';
import type { OffsetSpec } from './records.ts';
import { describeTopics } from './topics.ts';
import { failed, ok } from './retry.ts';
import type { ItemOutcome } from './retry.ts';

const offsetFetchApi = { request: OffsetFetchRequestCodec, response: OffsetFetchResponseCodec };
const offsetCommitApi = { request: OffsetCommitRequestCodec, response: OffsetCommitResponseCodec };
const offsetDeleteApi = { request: OffsetDeleteRequestCodec, response: OffsetDeleteResponseCodec };

/** OffsetFetch v8 is the first to carry several groups. */
const MULTI_GROUP_FETCH_VERSION_MIN = 8;
/** OffsetFetch v2 is the first with a top-level error code. */
const TOP_LEVEL_ERROR_FETCH_VERSION_MIN = 2;
/** Kafka's "use the broker's offsets.retention.minutes" (OffsetCommit v2-v4). */
const RETENTION_BROKER_DEFAULT_MS = -1;

export interface CommittedOffset extends TopicPartition {
  /** -1 when the group has no committed offset for the partition. */
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface GroupOffsets {
  readonly groupId: string;
  /** Sorted by topic, then partition. */
  readonly offsets: readonly CommittedOffset[];
}

export interface ListConsumerGroupOffsetsOptions extends AdminCallOptions {
  /** Only these partitions (each reported, -1 when nothing is committed); default every committed one. */
  readonly partitions?: readonly TopicPartition[];
  /** Wait for pending transactional commits (UNSTABLE_OFFSET_COMMIT is retried). Default false. */
  readonly requireStable?: boolean;
}

export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
  readonly leaderEpoch?: number;
  readonly metadata?: string | null;
}

/** Where a reset moves each partition: an OffsetSpec-like target or an explicit offset (clamped into the log, as Kafka's tool does). */
export type ResetTarget = 'earliest' | 'latest' | { readonly timestampMs: number } | { readonly offset: number };

export interface ResetConsumerGroupOffsetsOptions extends AdminCallOptions {
  /** The partitions to reset, or whole topics (every partition). */
  readonly topics?: readonly string[];
  readonly partitions?: readonly TopicPartition[];
  readonly to: ResetTarget;
  /** Compute and return the new offsets without committing them. */
  readonly dryRun?: boolean;
}

const byPartition = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

/** Committed offsets of each group, in the order asked. */
export async function listConsumerGroupOffsets(ctx: AdminContext, groupIds: readonly string[], options: ListConsumerGroupOffsetsOptions = {}): Promise<GroupOffsets[]> {
  const topics = options.partitions === undefined ? null : [...groupBy(options.partitions, (p) => p.topic)].map(([name, list]) => ({ name, partitionIndexes: list.map((p) => p.partition) }));
  const requireStable = options.requireStable ?? false;
  const done = await ctx.retrier.settleEach(
    groupIds,
    (pending) =>
      perCoordinator(ctx, pending, options.signal, async (nodeId, ids) => {
        const version = (await ctx.routing.connection(nodeId)).versionOf(OffsetFetchRequestCodec.meta.apiKey) ?? 0;
        if (version >= MULTI_GROUP_FETCH_VERSION_MIN) {
          const body: OffsetFetchRequest = { groupId: '', topics: [], groups: ids.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics })), requireStable };
          const response = await ctx.routing.send(nodeId, offsetFetchApi, body, options);
          return new Map(response.groups.map((g) => [g.groupId, fetchedGroup(g.groupId, g.errorCode, g.topics)]));
        }
        const out = new Map<string, ItemOutcome<GroupOffsets>>();
        for (const groupId of ids) {
          const body = (v: number): OffsetFetchRequest => ({ groupId, topics, groups: [], requireStable: v >= 7 ? requireStable : false });
          const response: OffsetFetchResponse = await ctx.routing.send(nodeId, offsetFetchApi, body, options);
          const errorCode = version >= TOP_LEVEL_ERROR_FETCH_VERSION_MIN ? response.errorCode : ErrorCode.NONE;
          out.set(groupId, fetchedGroup(groupId, errorCode, response.topics));
        }
        return out;
      }),
    options.signal,
  );
  return groupIds.map((id) => done.get(id)!);
}

type FetchedTopics = OffsetFetchResponse['groups'][number]['topics'];

function fetchedGroup(groupId: string, errorCode: number, topics: FetchedTopics): ItemOutcome<GroupOffsets> {
  if (errorCode !== ErrorCode.NONE) return outcomeOf(errorCode, null, `group ${groupId}`, () => ({ groupId, offsets: [] }));
  const offsets: CommittedOffset[] = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) return failed(new KafkaError(p.errorCode, `group ${groupId}, partition ${t.name}:${p.partitionIndex}`), p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
    }
  }
  return ok({ groupId, offsets: offsets.sort(byPartition) });
}

/** Commits `offsets` for `groupId` as an administrator (simple commit: the group must have no members). */
export async function alterConsumerGroupOffsets(ctx: AdminContext, groupId: string, offsets: readonly OffsetToCommit[], options: AdminCallOptions = {}): Promise<void> {
  if (new Set(offsets.map(partitionKey)).size !== offsets.length) throw new RangeError('alterConsumerGroupOffsets: a partition is named twice');
  for (const o of offsets) if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw new RangeError(`offset of ${partitionKey(o)} must be a non-negative integer, got ${o.offset}`);
  await atCoordinator(ctx, groupId, options.signal, async (nodeId) => {
    const body: OffsetCommitRequest = {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: RETENTION_BROKER_DEFAULT_MS,
      topics: [...groupBy(offsets, (o) => o.topic)].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, commitTimestamp: -1, committedMetadata: o.metadata ?? null })),
      })),
    };
    const response = await ctx.routing.send(nodeId, offsetCommitApi, body, options);
    for (const t of response.topics) for (const p of t.partitions) throwIfError(p.errorCode, null, `group ${groupId}, partition ${t.name}:${p.partitionIndex}`);
  });
}

/**
 * Moves the group's offsets for the chosen partitions to `to` and returns them (committed
 * unless `dryRun`). Refuses with NON_EMPTY_GROUP while the group has members, classic or
 * KIP-848, as `kafka-consumer-groups --reset-offsets` does: a live consumer would overwrite them.
 */
export async function resetConsumerGroupOffsets(ctx: AdminContext, groupId: string, options: ResetConsumerGroupOffsetsOptions): Promise<CommittedOffset[]> {
  await refuseActiveGroup(ctx, groupId, options.signal);
  const partitions = await partitionsToReset(ctx, options);
  const targets = await resetTargets(ctx, partitions, options.to, options.signal);
  if (options.dryRun !== true) await alterConsumerGroupOffsets(ctx, groupId, targets, options);
  return targets.map((t) => ({ ...t, leaderEpoch: -1, metadata: null }));
}

async function refuseActiveGroup(ctx: AdminContext, groupId: string, signal: AbortSignal | undefined): Promise<void> {
  const [classic] = await describeGroups(ctx, [groupId], { signal });
  if (classic !== undefined && classic.members.length > 0) {
    throw new KafkaError(ErrorCode.NON_EMPTY_GROUP, `group ${groupId} has ${classic.members.length} member(s) (state ${classic.state}): offsets can be reset only while it is inactive`);
  }
  if (!(await servesConsumerGroupDescribe(ctx, groupId, signal))) return;
  const described = await describeConsumerGroups(ctx, [groupId], { signal }).catch((error: unknown) => {
    if (error instanceof KafkaError && error.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return [];
    throw error;
  });
  const members = described[0]?.members.length ?? 0;
  if (members > 0) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP, `group ${groupId} has ${members} member(s) (state ${described[0]!.state}): offsets can be reset only while it is inactive`);
}

async function partitionsToReset(ctx: AdminContext, options: ResetConsumerGroupOffsetsOptions): Promise<TopicPartition[]> {
  const out = new Map<string, TopicPartition>();
  for (const p of options.partitions ?? []) out.set(partitionKey(p), { topic: p.topic, partition: p.partition });
  if (options.topics !== undefined && options.topics.length > 0) {
    for (const t of await describeTopics(ctx, options.topics, { signal: options.signal })) {
      for (const p of t.partitions) out.set(partitionKey({ topic: t.name, partition: p.partition }), { topic: t.name, partition: p.partition });
    }
  }
  if (out.size === 0) throw new RangeError('resetConsumerGroupOffsets: name topics or partitions to reset');
  return [...out.values()].sort(byPartition);
}

/** The offset each partition moves to; a timestamp past the last record means the log end (Kafka's tool does the same). */
async function resetTargets(ctx: AdminContext, partitions: readonly TopicPartition[], to: ResetTarget, signal: AbortSignal | undefined): Promise<{ topic: string; partition: number; offset: number }[]> {
  const lookUp = async (spec: OffsetSpec): Promise<number[]> => (await listOffsets(ctx, partitions.map((p) => ({ ...p, spec })), { signal })).map((l) => l.offset);
  const at = (offsets: readonly number[]) => partitions.map((p, i) => ({ topic: p.topic, partition: p.partition, offset: offsets[i]! }));
  if (to === 'earliest' || to === 'latest') return at(await lookUp(to));
  const latest = await lookUp('latest');
  if ('offset' in to) {
    const earliest = await lookUp('earliest');
    return at(partitions.map((_, i) => Math.min(Math.max(to.offset, earliest[i]!), latest[i]!)));
  }
  const atTime = await lookUp({ timestampMs: to.timestampMs });
  return at(atTime.map((offset, i) => (offset >= 0 ? offset : latest[i]!)));
}

/** Removes the group's committed offsets of `partitions` (OffsetDelete). GROUP_SUBSCRIBED_TO_TOPIC while a member consumes the topic. */
export async function deleteConsumerGroupOffsets(ctx: AdminContext, groupId: string, partitions: readonly TopicPartition[], options: AdminCallOptions = {}): Promise<void> {
  await atCoordinator(ctx, groupId, options.signal, async (nodeId) => {
    const response = await ctx.routing.send(nodeId, offsetDeleteApi, {
      groupId,
      topics: [...groupBy(partitions, (p) => p.topic)].map(([name, list]) => ({ name, partitions: list.map((p) => ({ partitionIndex: p.partition })) })),
    }, options);
    throwIfError(response.errorCode, null, `group ${groupId}`);
    for (const t of response.topics) for (const p of t.partitions) throwIfError(p.errorCode, null, `group ${groupId}, partition ${t.name}:${p.partitionIndex}`);
  });
}
