/**
 * Metadata (key 3), versions 0-12.
 *
 * - Brokers: this node at its advertised endpoint (rack from broker.rack). Controller id:
 *   this node (v1+). Cluster id (v2+).
 * - Topics: v0 sends an empty list for "all topics"; v1+ sends null for all and [] for
 *   none. v10+ topics may be named by topic id (v12: name null) → UNKNOWN_TOPIC_ID when
 *   no topic has that id.
 * - Every partition: leader = this node, leader epoch 0, replicas = ISR = [this node], no
 *   offline replicas; except a partition whose log went offline after a storage error
 *   (not a full disk: that fails the write alone): LEADER_NOT_AVAILABLE, leader -1, ISR
 *   empty, this node an offline replica — what Kafka answers once a log dir failed.
 * - Auto-create: an unknown, validly named topic is created with num.partitions when
 *   auto.create.topics.enable is set and the request allows it (always before v4). It is
 *   answered with its partitions at once (creation is synchronous here). While the log
 *   dir is low on space (free-space-guard.ts) or the creation fails on storage, the topic
 *   answers KAFKA_STORAGE_ERROR (retriable: clients refresh and retry).
 * - Cluster mode (`ctx.cluster`): answered from the current cluster view — every
 *   registered broker (by node id), the active controller (-1 when none), the view's
 *   cluster id; each partition's leader, leader epoch, replicas, ISR and offline replicas
 *   (replicas whose broker is not registered); a partition without a leader (-1) →
 *   LEADER_NOT_AVAILABLE. Auto-creation asks the controller (`createTopic` with
 *   num.partitions and default.replication.factor) and answers LEADER_NOT_AVAILABLE until
 *   the view shows the topic (as Kafka: clients retry); a controller refusal that names a
 *   Kafka error (invalid name, replication factor over the live brokers) is answered as is.
 * - Authorized operations (KIP-430, v8+): no authorizer here, so when asked, every topic
 *   answered (error topics included, as Kafka does; not those named by an unknown topic
 *   id) carries every topic operation, and v8-v10's cluster field every cluster
 *   operation (see authorized-operations.ts). Not asked: Kafka's "not requested" INT32_MIN.
 */
import { ErrorCode, MetadataRequestCodec, MetadataResponseCodec, ZERO_UUID } from '@samsa/codec';
import type { MetadataRequest, MetadataResponse, MetadataResponseMetadataResponseTopic } from '@samsa/codec';
import type { ControllerErrorCode, ControllerReply } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import type { ClusterView, PartitionView, TopicView } from '../cluster/cluster-view.ts';
import type { Partition } from '../partitions/partition.ts';
import type { Topic } from '../topics/topic-registry.ts';
import { INTERNAL_TOPICS, topicNameProblem } from '../topics/topic-name.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED as AUTHORIZED_OPS_NOT_REQUESTED, CLUSTER_AUTHORIZED_OPERATIONS, TOPIC_AUTHORIZED_OPERATIONS } from './authorized-operations.ts';

type PartitionMetadata = MetadataResponseMetadataResponseTopic['partitions'][number];

/** A single broker's partition as Metadata reports it (also DescribeTopicPartitions). */
export function localPartitionMetadata(ctx: BrokerContext, p: Partition): PartitionMetadata {
  const node = ctx.nodeId;
  const offline = p.log.isOffline === true;
  return {
    errorCode: offline ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    partitionIndex: p.index,
    leaderId: offline ? -1 : node,
    leaderEpoch: 0,
    replicaNodes: [node],
    isrNodes: offline ? [] : [node],
    offlineReplicas: offline ? [node] : [],
  };
}

export function topicMetadata(ctx: BrokerContext, topic: Topic): MetadataResponseMetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.record.name,
    topicId: topic.record.topicId,
    isInternal: INTERNAL_TOPICS.has(topic.record.name),
    partitions: topic.partitions.map((p) => localPartitionMetadata(ctx, p)),
    topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
  };
}

/** A view partition as Metadata reports it (cluster mode; also DescribeTopicPartitions). */
export function clusterPartitionMetadata(view: ClusterView, p: PartitionView): PartitionMetadata {
  return {
    errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    partitionIndex: p.partition,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: [...p.replicas],
    isrNodes: [...p.isr],
    offlineReplicas: p.replicas.filter((id) => !view.brokers.has(id)),
  };
}

function clusterTopicMetadata(view: ClusterView, topic: TopicView): MetadataResponseMetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: INTERNAL_TOPICS.has(topic.name),
    partitions: topic.partitions.map((p) => clusterPartitionMetadata(view, p)),
    topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED,
  };
}

/** Cluster mode: a topic the view lacks is created by the controller; answered LEADER_NOT_AVAILABLE until the view has it. */
async function autoCreateInCluster(ctx: BrokerContext, cluster: ClusterLink, name: string): Promise<MetadataResponseMetadataResponseTopic> {
  if (INTERNAL_TOPICS.has(name) || name.startsWith('__samsa')) return errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
  let reply: ControllerReply;
  try {
    reply = await cluster.controller.createTopic({ name, partitionCount: ctx.server.numPartitions, replicationFactor: ctx.server.defaultReplicationFactor });
  } catch (e) {
    ctx.logger.warn({ topic: name, err: e }, 'auto-creating a topic through the controller failed');
    return errorTopic(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE);
  }
  const view = cluster.view();
  const topic = view.topics.get(name);
  if (topic) return clusterTopicMetadata(view, topic);
  return errorTopic(name, ZERO_UUID, reply.ok ? ErrorCode.LEADER_NOT_AVAILABLE : autoCreateErrorCode(reply.code));
}

/** Refusals that say something about the request are answered as is; the rest are retriable. */
function autoCreateErrorCode(code: ControllerErrorCode): number {
  switch (code) {
    case 'INVALID_TOPIC_EXCEPTION':
    case 'INVALID_REPLICATION_FACTOR':
    case 'INVALID_PARTITIONS':
    case 'INVALID_CONFIG':
      return ErrorCode[code];
    default:
      // TOPIC_ALREADY_EXISTS (a racing creation), NOT_CONTROLLER, timeouts: retry.
      return ErrorCode.LEADER_NOT_AVAILABLE;
  }
}

function errorTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseMetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPS_NOT_REQUESTED };
}

async function resolveByName(ctx: BrokerContext, name: string, autoCreate: boolean): Promise<MetadataResponseMetadataResponseTopic> {
  if (ctx.cluster !== null) {
    const view = ctx.cluster.view();
    const known = view.topics.get(name);
    if (known) return clusterTopicMetadata(view, known);
    if (topicNameProblem(name) !== null) return errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
    if (!autoCreate || !ctx.server.autoCreateTopicsEnable || ctx.shuttingDown) return errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    return autoCreateInCluster(ctx, ctx.cluster, name);
  }
  const existing = ctx.registry.topic(name);
  if (existing) return topicMetadata(ctx, existing);
  if (topicNameProblem(name) !== null) return errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!autoCreate || !ctx.server.autoCreateTopicsEnable || ctx.shuttingDown) return errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!(await ctx.freeSpace.admitsWrites())) return errorTopic(name, ZERO_UUID, ErrorCode.KAFKA_STORAGE_ERROR);
  const created = await ctx.registry.createTopic(name, ctx.server.numPartitions, {});
  const topic = ctx.registry.topic(name);
  if (topic) return topicMetadata(ctx, topic);
  // Creation failed (reserved name, collision, storage error): the client sees why.
  return errorTopic(name, ZERO_UUID, created.errorCode === ErrorCode.NONE ? ErrorCode.LEADER_NOT_AVAILABLE : created.errorCode === ErrorCode.INVALID_REQUEST ? ErrorCode.INVALID_TOPIC_EXCEPTION : created.errorCode);
}

function byTopicId(ctx: BrokerContext, view: ClusterView | null, topicId: string): MetadataResponseMetadataResponseTopic {
  if (view) {
    const t = view.topicsById.get(topicId);
    return t ? clusterTopicMetadata(view, t) : errorTopic(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID);
  }
  const byId = ctx.registry.topicById(topicId);
  return byId ? topicMetadata(ctx, byId) : errorTopic(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID);
}

/** Every registered broker of the view, by node id. */
export function clusterBrokers(view: ClusterView): MetadataResponse['brokers'] {
  return [...view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
}

async function handleMetadata(ctx: BrokerContext, req: MetadataRequest, info: RequestInfo): Promise<MetadataResponse> {
  const v = info.apiVersion;
  const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);
  const autoCreate = v < 4 || req.allowAutoTopicCreation;
  const topics: MetadataResponseMetadataResponseTopic[] = [];
  const view = ctx.cluster?.view() ?? null;
  if (allTopics) {
    if (view) for (const t of view.topics.values()) topics.push(clusterTopicMetadata(view, t));
    else for (const t of ctx.registry.topics()) topics.push(topicMetadata(ctx, t));
  } else {
    for (const wanted of req.topics ?? []) {
      if (wanted.name === null || (v >= 10 && wanted.topicId !== ZERO_UUID && wanted.name === '')) {
        topics.push(byTopicId(ctx, view, wanted.topicId));
        continue;
      }
      topics.push(await resolveByName(ctx, wanted.name, autoCreate));
    }
  }
  if (v >= 8 && req.includeTopicAuthorizedOperations) {
    for (const t of topics) if (t.errorCode !== ErrorCode.UNKNOWN_TOPIC_ID) t.topicAuthorizedOperations = TOPIC_AUTHORIZED_OPERATIONS;
  }
  if (v < 12) {
    // Topics named only by id cannot be answered by name before v12 (name is not nullable).
    for (const t of topics) if (t.name === null) t.name = '';
  }
  const endpoint = ctx.advertised();
  return {
    throttleTimeMs: 0,
    brokers: view ? clusterBrokers(view) : [{ nodeId: ctx.nodeId, host: endpoint.host, port: endpoint.port, rack: ctx.server.rack }],
    clusterId: view ? view.clusterId : ctx.registry.clusterId,
    controllerId: view ? view.controllerId : ctx.nodeId,
    topics,
    clusterAuthorizedOperations: v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPS_NOT_REQUESTED,
  };
}

export const metadataHandler = defineHandler({
  apiKey: MetadataRequestCodec.meta.apiKey,
  name: MetadataRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 12,
  request: MetadataRequestCodec,
  response: MetadataResponseCodec,
  handle: handleMetadata,
});
