/**
 * Topic administration: createTopics, deleteTopics, listTopics, describeTopics,
 * createPartitions.
 *
 * Routing (routing.ts): mutations to the controller (NOT_CONTROLLER refreshes and retries
 * the topics it names); reads to any broker. Each topic is settled on its own: a topic
 * whose answer was retriable goes again, one that was created is not sent twice.
 * describeTopics uses DescribeTopicPartitions (KIP-966, paged by its cursor) when the
 * broker serves it, else Metadata; either way a topic the broker does not know fails the
 * call with UNKNOWN_TOPIC_OR_PARTITION at once (not retried: an admin asking about a topic
 * that is not there wants to hear so, not to wait).
 */
import {
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  DescribeTopicPartitionsRequestCodec,
  DescribeTopicPartitionsResponseCodec,
  ErrorCode,
  ZERO_UUID,
} from '@samsa/codec/wire';
import type { CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest, DescribeTopicPartitionsRequestCursor, DescribeTopicPartitionsResponse, MetadataResponse } from '@samsa/codec/wire';
import { KafkaError } from '../errors.ts';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { outcomeOf } from './admin-context.ts';
import { failed, ok } from './retry.ts';
import type { ItemOutcome } from './retry.ts';

const createTopicsApi = { request: CreateTopicsRequestCodec, response: CreateTopicsResponseCodec };
const deleteTopicsApi = { request: DeleteTopicsRequestCodec, response: DeleteTopicsResponseCodec };
const createPartitionsApi = { request: CreatePartitionsRequestCodec, response: CreatePartitionsResponseCodec };
const describeTopicPartitionsApi = { request: DescribeTopicPartitionsRequestCodec, response: DescribeTopicPartitionsResponseCodec };

/** Partitions asked for per DescribeTopicPartitions page by default (Kafka's default limit). */
export const DESCRIBE_PARTITIONS_PAGE_MAX = 2000;
/** Pages followed for one describeTopics call. */
export const DESCRIBE_PAGES_MAX = 10_000;

export interface NewTopic {
  readonly name: string;
  /** Default: the broker's `num.partitions` (needs CreateTopics v4+). Ignored with `replicaAssignments`. */
  readonly partitions?: number;
  /** Default: the broker's `default.replication.factor` (v4+). Ignored with `replicaAssignments`. */
  readonly replicationFactor?: number;
  /** Partition id → broker ids (the first is the preferred leader). */
  readonly replicaAssignments?: ReadonlyMap<number, readonly number[]>;
  /** Topic config overrides (`cleanup.policy`, `retention.ms` …). */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreateTopicsOptions extends AdminCallOptions {
  /** Check that the topics could be created as given, create nothing. */
  readonly validateOnly?: boolean;
}

export interface CreatedTopic {
  readonly name: string;
  /** The topic id (zero before CreateTopics v7). */
  readonly topicId: string;
  /** -1 when the broker's version does not say (before v5). */
  readonly partitions: number;
  readonly replicationFactor: number;
}

export interface PartitionDescription {
  readonly partition: number;
  /** -1 when the partition has no leader. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaIds: readonly number[];
  readonly isrIds: readonly number[];
  readonly offlineReplicaIds: readonly number[];
  /** NONE, or e.g. LEADER_NOT_AVAILABLE for a partition without a leader. */
  readonly errorCode: number;
}

export interface TopicDescription {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  /** Sorted by partition id. */
  readonly partitions: readonly PartitionDescription[];
}

export interface DescribeTopicsOptions extends AdminCallOptions {
  /** Partitions per DescribeTopicPartitions answer (Kafka's partitionSizeLimitPerResponse). Default 2000. */
  readonly partitionsPerResponseMax?: number;
}

export interface ListTopicsOptions extends AdminCallOptions {
  /** Include `__consumer_offsets` and other internal topics. Default false. */
  readonly includeInternal?: boolean;
}

export interface PartitionIncrease {
  readonly topic: string;
  /** The new total partition count. */
  readonly count: number;
  /** Broker ids of each new partition, in order (optional). */
  readonly assignments?: readonly (readonly number[])[];
}

/** Creates topics on the controller; resolves once each is created (or validated). */
export async function createTopics(ctx: AdminContext, topics: readonly NewTopic[], options: CreateTopicsOptions = {}): Promise<CreatedTopic[]> {
  const byName = new Map(topics.map((t) => [t.name, t]));
  if (byName.size !== topics.length) throw new RangeError('createTopics: a topic is named twice');
  const validateOnly = options.validateOnly ?? false;
  const done = await ctx.retrier.settleEach(
    [...byName.keys()],
    async (pending) => {
      const nodeId = await ctx.routing.controller(options.signal);
      const body = (version: number): CreateTopicsRequest => ({
        topics: pending.map((name) => creatableTopic(byName.get(name)!, version)),
        timeoutMs: ctx.routing.brokerTimeoutMs,
        validateOnly,
      });
      const response = await ctx.routing.send(nodeId, createTopicsApi, body, options);
      const out = new Map<string, ItemOutcome<CreatedTopic>>();
      for (const t of response.topics) {
        out.set(t.name, outcomeOf(t.errorCode, t.errorMessage, `topic ${t.name}`, () => ({ name: t.name, topicId: t.topicId, partitions: t.numPartitions, replicationFactor: t.replicationFactor })));
      }
      return out;
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
  return topics.map((t) => done.get(t.name)!);
}

function creatableTopic(t: NewTopic, version: number): CreateTopicsRequest['topics'][number] {
  const assignments = t.replicaAssignments === undefined ? [] : [...t.replicaAssignments].sort((a, b) => a[0] - b[0]).map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds: [...brokerIds] }));
  const manual = assignments.length > 0;
  const numPartitions = manual ? -1 : (t.partitions ?? -1);
  const replicationFactor = manual ? -1 : (t.replicationFactor ?? -1);
  if (version < 4 && !manual && (numPartitions < 0 || replicationFactor < 0)) {
    throw new RangeError(`topic ${t.name}: this broker (CreateTopics v${version}) needs explicit partitions and replicationFactor`);
  }
  return { name: t.name, numPartitions, replicationFactor, assignments, configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })) };
}

/** Deletes topics by name on the controller. */
export async function deleteTopics(ctx: AdminContext, names: readonly string[], options: AdminCallOptions = {}): Promise<void> {
  await ctx.retrier.settleEach(
    names,
    async (pending) => {
      const nodeId = await ctx.routing.controller(options.signal);
      const body = (version: number): DeleteTopicsRequest => ({
        topics: version >= 6 ? pending.map((name) => ({ name, topicId: ZERO_UUID })) : [],
        topicNames: version >= 6 ? [] : [...pending],
        timeoutMs: ctx.routing.brokerTimeoutMs,
      });
      const response = await ctx.routing.send(nodeId, deleteTopicsApi, body, options);
      const out = new Map<string, ItemOutcome<true>>();
      for (const r of response.responses) {
        if (r.name !== null) out.set(r.name, outcomeOf(r.errorCode, r.errorMessage, `topic ${r.name}`, () => true as const));
      }
      return out;
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
}

/** Names of the cluster's topics, sorted. */
export async function listTopics(ctx: AdminContext, options: ListTopicsOptions = {}): Promise<string[]> {
  const response = await ctx.retrier.retrying(() => ctx.routing.metadata(null, options.signal), options.signal, { onRetriable: () => ctx.routing.requestRefresh() });
  return response.topics
    .filter((t) => t.name !== null && t.errorCode === ErrorCode.NONE && (options.includeInternal === true || !t.isInternal))
    .map((t) => t.name!)
    .sort();
}

/** Partitions, leaders, replicas, ISR and offline replicas of each named topic, in the order asked. */
export async function describeTopics(ctx: AdminContext, names: readonly string[], options: DescribeTopicsOptions = {}): Promise<TopicDescription[]> {
  const pageMax = options.partitionsPerResponseMax ?? DESCRIBE_PARTITIONS_PAGE_MAX;
  if (!Number.isInteger(pageMax) || pageMax < 1) throw new RangeError(`partitionsPerResponseMax must be a positive integer, got ${pageMax}`);
  const done = await ctx.retrier.settleEach(
    names,
    async (pending) => {
      const nodeId = await ctx.routing.anyBroker(options.signal);
      const connection = await ctx.routing.connection(nodeId);
      const paged = connection.versionOf(DescribeTopicPartitionsRequestCodec.meta.apiKey) !== undefined;
      return paged ? describeByPages(ctx, nodeId, pending, pageMax, options) : describeByMetadata(ctx, pending, options);
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
  return names.map((name) => done.get(name)!);
}

/** A topic-level error: unknown topics are final (see the file comment), others as Kafka says. */
function topicFailure(errorCode: number, name: string): ItemOutcome<TopicDescription> {
  return failed(new KafkaError(errorCode, `topic ${name}`), errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
}

async function describeByPages(ctx: AdminContext, nodeId: number, names: readonly string[], pageMax: number, options: AdminCallOptions): Promise<Map<string, ItemOutcome<TopicDescription>>> {
  const topics = new Map<string, { topicId: string; isInternal: boolean; errorCode: number; partitions: PartitionDescription[] }>();
  let cursor: DescribeTopicPartitionsRequestCursor | null = null;
  for (let page = 0; page < DESCRIBE_PAGES_MAX; page++) {
    const response: DescribeTopicPartitionsResponse = await ctx.routing.send(nodeId, describeTopicPartitionsApi, { topics: names.map((name) => ({ name })), responsePartitionLimit: pageMax, cursor }, options);
    for (const t of response.topics) {
      if (t.name === null) continue;
      const entry = topics.get(t.name) ?? { topicId: t.topicId, isInternal: t.isInternal, errorCode: t.errorCode, partitions: [] };
      for (const p of t.partitions) entry.partitions.push({ partition: p.partitionIndex, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, replicaIds: p.replicaNodes, isrIds: p.isrNodes, offlineReplicaIds: p.offlineReplicas, errorCode: p.errorCode });
      topics.set(t.name, entry);
    }
    cursor = response.nextCursor;
    if (cursor === null) break;
  }
  if (cursor !== null) throw new RangeError(`describeTopics: more than ${DESCRIBE_PAGES_MAX} pages`);
  const out = new Map<string, ItemOutcome<TopicDescription>>();
  for (const name of names) {
    const t = topics.get(name);
    if (t === undefined) out.set(name, topicFailure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name));
    else if (t.errorCode !== ErrorCode.NONE) out.set(name, topicFailure(t.errorCode, name));
    else out.set(name, ok({ name, topicId: t.topicId, isInternal: t.isInternal, partitions: t.partitions.sort((a, b) => a.partition - b.partition) }));
  }
  return out;
}

async function describeByMetadata(ctx: AdminContext, names: readonly string[], options: AdminCallOptions): Promise<Map<string, ItemOutcome<TopicDescription>>> {
  const response = await ctx.routing.metadata(names, options.signal);
  const out = new Map<string, ItemOutcome<TopicDescription>>();
  for (const name of names) {
    const t = response.topics.find((x) => x.name === name);
    if (t === undefined) out.set(name, topicFailure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name));
    else if (t.errorCode !== ErrorCode.NONE) out.set(name, topicFailure(t.errorCode, name));
    else out.set(name, ok(describedFromMetadata(name, t)));
  }
  return out;
}

function describedFromMetadata(name: string, t: MetadataResponse['topics'][number]): TopicDescription {
  const partitions = t.partitions
    .map((p) => ({ partition: p.partitionIndex, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, replicaIds: p.replicaNodes, isrIds: p.isrNodes, offlineReplicaIds: p.offlineReplicas, errorCode: p.errorCode }))
    .sort((a, b) => a.partition - b.partition);
  return { name, topicId: t.topicId, isInternal: t.isInternal, partitions };
}

/** Raises topics' partition counts on the controller. */
export async function createPartitions(ctx: AdminContext, increases: readonly PartitionIncrease[], options: CreateTopicsOptions = {}): Promise<void> {
  const byTopic = new Map(increases.map((i) => [i.topic, i]));
  if (byTopic.size !== increases.length) throw new RangeError('createPartitions: a topic is named twice');
  await ctx.retrier.settleEach(
    [...byTopic.keys()],
    async (pending) => {
      const nodeId = await ctx.routing.controller(options.signal);
      const body: CreatePartitionsRequest = {
        topics: pending.map((name) => {
          const i = byTopic.get(name)!;
          return { name, count: i.count, assignments: i.assignments === undefined ? null : i.assignments.map((brokerIds) => ({ brokerIds: [...brokerIds] })) };
        }),
        timeoutMs: ctx.routing.brokerTimeoutMs,
        validateOnly: options.validateOnly ?? false,
      };
      const response = await ctx.routing.send(nodeId, createPartitionsApi, body, options);
      return new Map(response.results.map((r) => [r.name, outcomeOf(r.errorCode, r.errorMessage, `topic ${r.name}`, () => true as const)]));
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
}
