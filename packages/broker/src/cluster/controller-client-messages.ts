/**
 * The Kafka messages a ControllerClient forwards to the controller broker, and back: each
 * `ControllerClient` operation is one request of one API at one fixed version, and its
 * response maps back to a `ControllerReply`.
 *
 *   createTopic        → CreateTopics v7 (one topic; assignment and configs as given)
 *   createPartitions   → CreatePartitions v3 (one topic)
 *   deleteTopic        → DeleteTopics v6, by name
 *   alterConfigs       → AlterConfigs v2 (mode `replace`) or IncrementalAlterConfigs v1
 *                        (mode `incremental`: SET for a value, DELETE for null); resource
 *                        topic → TOPIC <name>, broker → BROKER <id>, broker-default → BROKER ""
 *   controlledShutdown → ControlledShutdown v3
 *   alterPartition     → AlterPartition v2 (by topic id; `brokerId` = the proposing leader),
 *                        v3 when the request carries broker epochs (KIP-903)
 *   electLeaders       → ElectLeaders v2 (type 0 preferred, 1 unclean; null = all)
 *   reassignPartitions → AlterPartitionReassignments v0
 *   listReassignments  → ListPartitionReassignments v0
 *
 * Error names travel as Kafka error codes (`ErrorCode`); a code the controller cannot
 * answer with (not a `ControllerErrorCode`) comes back as INVALID_REQUEST with the code's
 * name in the message, so nothing is silently turned into success. Pure: no I/O.
 */
import {
  AlterPartitionReassignmentsRequestCodec,
  AlterPartitionReassignmentsResponseCodec,
  AlterPartitionRequestCodec,
  AlterPartitionResponseCodec,
  ElectLeadersRequestCodec,
  ElectLeadersResponseCodec,
  ListPartitionReassignmentsRequestCodec,
  ListPartitionReassignmentsResponseCodec,
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  ControlledShutdownRequestCodec,
  ControlledShutdownResponseCodec,
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  ErrorCode,
  errorInfo,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import type { MessageCodec } from '@samsa/codec';
import type {
  AlterConfigsRequest,
  AlterPartitionRequest,
  ControllerErrorCode,
  ControllerReply,
  CreatePartitionsRequest,
  CreateTopicRequest,
  ElectLeadersRequest,
  ListReassignmentsRequest,
  OngoingReassignment,
  PartitionResult,
  ReassignPartitionsRequest,
  TopicPartitionRef,
} from '@samsa/coordinator';

/** Every error name a controller reply may carry (the `ControllerErrorCode` union, at run time). */
export const CONTROLLER_ERROR_CODES: ReadonlySet<string> = new Set([
  'NOT_CONTROLLER',
  'TOPIC_ALREADY_EXISTS',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_CONFIG',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'BROKER_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
  'INVALID_REQUEST',
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'INVALID_UPDATE_VERSION',
  'INELIGIBLE_REPLICA',
  'UNKNOWN_TOPIC_ID',
  'ELECTION_NOT_NEEDED',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'NO_REASSIGNMENT_IN_PROGRESS',
] satisfies ControllerErrorCode[]);

/** ElectLeaders `electionType`. */
export const ELECTION_PREFERRED = 0;
export const ELECTION_UNCLEAN = 1;

/** Kafka's resource types (DescribeConfigs / AlterConfigs). */
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;
const OP_SET = 0;
const OP_DELETE = 1;

/** One forwarded request: what to send, and how to read its answer. */
export interface ForwardMessage<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
  readonly body: Req;
  readonly replyOf: (response: Res) => ControllerReply;
}

function message<Req, Res>(m: ForwardMessage<Req, Res>): ForwardMessage {
  return m as unknown as ForwardMessage;
}

export function failure(code: ControllerErrorCode, message: string): ControllerReply {
  return { ok: false, code, message };
}

/** The Kafka error code of a reply's error name (NONE for ok). */
export function errorCodeOfReply(reply: ControllerReply): number {
  return reply.ok ? ErrorCode.NONE : ErrorCode[reply.code];
}

/** A reply from a Kafka error code and message (NONE: ok). */
export function replyOfErrorCode(errorCode: number, errorMessage: string | null, topicId?: string): ControllerReply {
  if (errorCode === ErrorCode.NONE) return topicId !== undefined && topicId !== ZERO_UUID ? { ok: true, topicId } : { ok: true };
  const name = errorInfo(errorCode).name;
  if (CONTROLLER_ERROR_CODES.has(name)) return failure(name as ControllerErrorCode, errorMessage ?? name);
  return failure('INVALID_REQUEST', `the controller answered ${name} (${errorCode})${errorMessage ? `: ${errorMessage}` : ''}`);
}

/** The one result of a response that must carry exactly one; else an INVALID_REQUEST reply. */
function only<T>(list: readonly T[], api: string, read: (item: T) => ControllerReply): ControllerReply {
  if (list.length !== 1) return failure('INVALID_REQUEST', `the controller's ${api} response has ${list.length} results, expected 1`);
  return read(list[0]!);
}

export function createTopicMessage(req: CreateTopicRequest, timeoutMs: number): ForwardMessage {
  return message({
    apiKey: CreateTopicsRequestCodec.meta.apiKey,
    apiVersion: 7,
    request: CreateTopicsRequestCodec,
    response: CreateTopicsResponseCodec,
    body: {
      topics: [
        {
          name: req.name,
          numPartitions: req.partitionCount ?? -1,
          replicationFactor: req.replicationFactor ?? -1,
          assignments: (req.assignment ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds: [...brokerIds] })),
          configs: Object.entries(req.configs ?? {}).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs,
      validateOnly: false,
    },
    replyOf: (res) => only(res.topics, 'CreateTopics', (t) => replyOfErrorCode(t.errorCode, t.errorMessage, t.topicId)),
  });
}

export function createPartitionsMessage(req: CreatePartitionsRequest, timeoutMs: number): ForwardMessage {
  return message({
    apiKey: CreatePartitionsRequestCodec.meta.apiKey,
    apiVersion: 3,
    request: CreatePartitionsRequestCodec,
    response: CreatePartitionsResponseCodec,
    body: {
      topics: [{ name: req.topic, count: req.totalCount, assignments: req.assignment ? req.assignment.map((brokerIds) => ({ brokerIds: [...brokerIds] })) : null }],
      timeoutMs,
      validateOnly: false,
    },
    replyOf: (res) => only(res.results, 'CreatePartitions', (r) => replyOfErrorCode(r.errorCode, r.errorMessage)),
  });
}

export function deleteTopicMessage(name: string, timeoutMs: number): ForwardMessage {
  return message({
    apiKey: DeleteTopicsRequestCodec.meta.apiKey,
    apiVersion: 6,
    request: DeleteTopicsRequestCodec,
    response: DeleteTopicsResponseCodec,
    body: { topics: [{ name, topicId: ZERO_UUID }], topicNames: [], timeoutMs },
    replyOf: (res) => only(res.responses, 'DeleteTopics', (r) => replyOfErrorCode(r.errorCode, r.errorMessage)),
  });
}

export function alterConfigsMessage(req: AlterConfigsRequest): ForwardMessage {
  const resourceType = req.resource.type === 'topic' ? TOPIC_RESOURCE : BROKER_RESOURCE;
  // The cluster-wide default broker configs are Kafka's broker resource named "".
  const resourceName = req.resource.type === 'topic' ? req.resource.name : req.resource.type === 'broker' ? String(req.resource.brokerId) : '';
  const entries = Object.entries(req.configs);
  if (req.mode === 'replace') {
    return message({
      apiKey: AlterConfigsRequestCodec.meta.apiKey,
      apiVersion: 2,
      request: AlterConfigsRequestCodec,
      response: AlterConfigsResponseCodec,
      body: { resources: [{ resourceType, resourceName, configs: entries.map(([name, value]) => ({ name, value })) }], validateOnly: false },
      replyOf: (res) => only(res.responses, 'AlterConfigs', (r) => replyOfErrorCode(r.errorCode, r.errorMessage)),
    });
  }
  return message({
    apiKey: IncrementalAlterConfigsRequestCodec.meta.apiKey,
    apiVersion: 1,
    request: IncrementalAlterConfigsRequestCodec,
    response: IncrementalAlterConfigsResponseCodec,
    body: {
      resources: [{ resourceType, resourceName, configs: entries.map(([name, value]) => ({ name, configOperation: value === null ? OP_DELETE : OP_SET, value })) }],
      validateOnly: false,
    },
    replyOf: (res) => only(res.responses, 'IncrementalAlterConfigs', (r) => replyOfErrorCode(r.errorCode, r.errorMessage)),
  });
}

export function controlledShutdownMessage(brokerId: number): ForwardMessage {
  return message({
    apiKey: ControlledShutdownRequestCodec.meta.apiKey,
    apiVersion: 3,
    request: ControlledShutdownRequestCodec,
    response: ControlledShutdownResponseCodec,
    body: { brokerId, brokerEpoch: -1 },
    replyOf: (res) => replyOfErrorCode(res.errorCode, res.errorCode === ErrorCode.NONE ? null : `the controller refused the controlled shutdown of broker ${brokerId}`),
  });
}

/** A per-partition result from a Kafka error code (NONE: done). */
export function partitionResultOf(ref: TopicPartitionRef, errorCode: number, errorMessage: string | null): PartitionResult {
  const reply = replyOfErrorCode(errorCode, errorMessage);
  return reply.ok ? { ...ref, error: null, message: null } : { ...ref, error: reply.code, message: errorMessage };
}

/** Topic-grouped partitions (Kafka's request layout), in first-seen order. */
export function groupByTopic<T extends TopicPartitionRef>(refs: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of refs) {
    const list = out.get(r.topic) ?? [];
    list.push(r);
    out.set(r.topic, list);
  }
  return out;
}

export function alterPartitionMessage(req: AlterPartitionRequest): ForwardMessage {
  const epochs = req.newIsrBrokerEpochs;
  const withEpochs = epochs === undefined ? null : req.newIsr.map((brokerId, i) => ({ brokerId, brokerEpoch: epochs[i] ?? -1 }));
  return message({
    apiKey: AlterPartitionRequestCodec.meta.apiKey,
    apiVersion: withEpochs ? 3 : 2,
    request: AlterPartitionRequestCodec,
    response: AlterPartitionResponseCodec,
    body: {
      brokerId: req.leaderId,
      brokerEpoch: -1,
      topics: [{ topicName: '', topicId: req.topicId, partitions: [{ partitionIndex: req.partition, leaderEpoch: req.leaderEpoch, newIsr: withEpochs ? [] : [...req.newIsr], newIsrWithEpochs: withEpochs ?? [], leaderRecoveryState: 0, partitionEpoch: req.partitionEpoch }] }],
    },
    replyOf: (res) => {
      if (res.errorCode !== ErrorCode.NONE) return replyOfErrorCode(res.errorCode, null);
      return only(res.topics, 'AlterPartition', (t) =>
        only(t.partitions, 'AlterPartition', (p): ControllerReply => {
          if (p.errorCode !== ErrorCode.NONE) return replyOfErrorCode(p.errorCode, `${req.topic}-${req.partition}: the controller refused the ISR change`);
          return { ok: true, partition: { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isr, partitionEpoch: p.partitionEpoch } };
        }),
      );
    },
  });
}

export function electLeadersMessage(req: ElectLeadersRequest, timeoutMs: number): ForwardMessage {
  return message({
    apiKey: ElectLeadersRequestCodec.meta.apiKey,
    apiVersion: 2,
    request: ElectLeadersRequestCodec,
    response: ElectLeadersResponseCodec,
    body: {
      electionType: req.type === 'preferred' ? ELECTION_PREFERRED : ELECTION_UNCLEAN,
      topicPartitions: req.partitions === null ? null : [...groupByTopic(req.partitions)].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => p.partition) })),
      timeoutMs,
    },
    replyOf: (res): ControllerReply => {
      if (res.errorCode !== ErrorCode.NONE) return replyOfErrorCode(res.errorCode, null);
      const partitions = res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => partitionResultOf({ topic: t.topic, partition: p.partitionId }, p.errorCode, p.errorMessage)));
      return { ok: true, partitions };
    },
  });
}

export function reassignPartitionsMessage(req: ReassignPartitionsRequest, timeoutMs: number): ForwardMessage {
  return message({
    apiKey: AlterPartitionReassignmentsRequestCodec.meta.apiKey,
    apiVersion: 0,
    request: AlterPartitionReassignmentsRequestCodec,
    response: AlterPartitionReassignmentsResponseCodec,
    body: { timeoutMs, topics: [...groupByTopic(req.partitions)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas === null ? null : [...p.replicas] })) })) },
    replyOf: (res): ControllerReply => {
      if (res.errorCode !== ErrorCode.NONE) return replyOfErrorCode(res.errorCode, res.errorMessage);
      const partitions = res.responses.flatMap((t) => t.partitions.map((p) => partitionResultOf({ topic: t.name, partition: p.partitionIndex }, p.errorCode, p.errorMessage)));
      return { ok: true, partitions };
    },
  });
}

export function listReassignmentsMessage(req: ListReassignmentsRequest, timeoutMs: number): ForwardMessage {
  return message({
    apiKey: ListPartitionReassignmentsRequestCodec.meta.apiKey,
    apiVersion: 0,
    request: ListPartitionReassignmentsRequestCodec,
    response: ListPartitionReassignmentsResponseCodec,
    body: { timeoutMs, topics: req.partitions === null ? null : [...groupByTopic(req.partitions)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) })) },
    replyOf: (res): ControllerReply => {
      if (res.errorCode !== ErrorCode.NONE) return replyOfErrorCode(res.errorCode, res.errorMessage);
      const reassignments: OngoingReassignment[] = res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })));
      return { ok: true, reassignments };
    },
  });
}
