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
 *
 * Error names travel as Kafka error codes (`ErrorCode`); a code the controller cannot
 * answer with (not a `ControllerErrorCode`) comes back as INVALID_REQUEST with the code's
 * name in the message, so nothing is silently turned into success. Pure: no I/O.
 */
import {
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
import type { AlterConfigsRequest, ControllerErrorCode, ControllerReply, CreatePartitionsRequest, CreateTopicRequest } from '@samsa/coordinator';

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
] satisfies ControllerErrorCode[]);

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
