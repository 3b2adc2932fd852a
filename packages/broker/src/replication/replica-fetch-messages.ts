/**
 * The replica-fetch protocol between brokers (issue 14): a follower's fetcher asks a leader
 * for the record batches after its fetch offsets. Messages ride in @samsa/codec RPC frames
 * (msgpackr body + raw attachments), schema version REPLICA_FETCH_SCHEMA_VERSION.
 *
 * Frame layout (big-endian; the RPC frame of packages/codec/src/rpc/rpc-frame.ts):
 *
 *   0       4     frameLength       bytes after this field
 *   4       1     frameType         0 request, 1 response
 *   5       4     requestId         u32 chosen by the client, echoed by the response
 *   9       2     schemaVersion     1
 *   11      4     bodyBytes
 *   15      2     attachmentCount   n: 0 for requests and Hello, one per partition in a fetch response
 *   17      4×n   attachmentBytes   the records of partition i (0 when it has none)
 *   17+4n   ...   body              msgpackr map, first key `kind` ('hello' | 'fetch')
 *   ...     ...   attachments       record batches v2 exactly as the leader's log holds them
 *
 * Bodies (msgpackr maps, keys in this order; the common shapes are shared structures of
 * schema 1, so each costs a 1-byte reference on the wire):
 *
 *   Hello request   { kind:'hello', protocolVersion, clusterId, brokerId }
 *   Hello response  { kind:'hello', protocolVersion, clusterId, brokerId, errorCode, message }
 *   Fetch request   { kind:'fetch', replicaId, brokerEpoch, maxWaitMs, minBytes, maxBytes,
 *                     partitions: [{ topicId, topic, partition, fetchOffset, lastFetchedEpoch,
 *                                    currentLeaderEpoch, logStartOffset, partitionMaxBytes }] }
 *   Fetch response  { kind:'fetch', errorCode, partitions: [{ topic, partition, errorCode,
 *                     highWatermark, logStartOffset, divergingEpoch: [epoch, endOffset] | null }] }
 *
 * Invariants:
 * - Record batches are never inside the body: partition i's records are attachment i, so
 *   the encoder hands the caller's own arrays to the transport (a vectored write, no copy)
 *   and the decoder returns views of the received frame (no copy).
 * - Every decoded message is checked field by field (types, integer ranges, string and
 *   array bounds) before it is returned; anything else is DecodeError (api "ReplicaFetch"),
 *   the only error decoding throws. Encoding checks the same bounds (RangeError): a
 *   message this side would refuse is never sent.
 * - Offsets and epochs are safe integers (int64 as JavaScript numbers, as everywhere).
 */
import { DecodeError, RpcCodec, RpcFrameType, type RpcFrame } from '@samsa/codec';

/** The RPC schema version of these messages; a peer with another version is refused. */
export const REPLICA_FETCH_SCHEMA_VERSION = 1;
/** The handshake's protocol version (bumped with incompatible message changes). */
export const REPLICA_FETCH_PROTOCOL_VERSION = 1;
/** Most partitions in one fetch request or response (the attachment table holds 65,535). */
export const FETCH_PARTITIONS_MAX = 10_000;
/** Longest topic name, cluster id or handshake message accepted. */
export const NAME_CHARS_MAX = 1024;
/** Longest maxWaitMs a request may carry (the fetcher's socket timeout bounds it anyway). */
export const MAX_WAIT_MS_MAX = 300_000;
const API = 'ReplicaFetch';
const INT32_MAX = 0x7fffffff;

export interface ReplicaFetchPartitionRequest {
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  /** Epoch of the last batch the follower holds, -1 when its log is empty (KIP-320). */
  readonly lastFetchedEpoch: number;
  /** The leader epoch the follower believes current; the leader fences older and newer ones. */
  readonly currentLeaderEpoch: number;
  readonly logStartOffset: number;
  readonly partitionMaxBytes: number;
}

export interface ReplicaFetchRequest {
  readonly replicaId: number;
  /** The follower's broker epoch (its registration's revision): a restarted broker's old fetches are fenced. */
  readonly brokerEpoch: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitions: readonly ReplicaFetchPartitionRequest[];
}

export interface DivergingEpoch {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface ReplicaFetchPartitionResponse {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Set when the follower's log diverges from the leader's (KIP-320): truncate to it first. */
  readonly divergingEpoch: DivergingEpoch | null;
  /** Record batches v2, raw; empty when there is nothing. A view of the frame when decoded. */
  readonly records: Uint8Array;
}

export interface ReplicaFetchResponse {
  readonly errorCode: number;
  readonly partitions: readonly ReplicaFetchPartitionResponse[];
}

export interface HelloRequest {
  readonly protocolVersion: number;
  readonly clusterId: string;
  readonly brokerId: number;
}

export interface HelloResponse {
  readonly protocolVersion: number;
  readonly clusterId: string;
  readonly brokerId: number;
  /** NONE, or INCONSISTENT_CLUSTER_ID / UNSUPPORTED_VERSION (the server then closes). */
  readonly errorCode: number;
  readonly message: string;
}

/** A decoded request: what the server dispatches on. */
export type ReplicaRequestMessage = { readonly kind: 'hello'; readonly hello: HelloRequest } | { readonly kind: 'fetch'; readonly fetch: ReplicaFetchRequest };
/** A decoded response: what the client matches to its pending request. */
export type ReplicaResponseMessage = { readonly kind: 'hello'; readonly hello: HelloResponse } | { readonly kind: 'fetch'; readonly fetch: ReplicaFetchResponse };

const HELLO_REQUEST_KEYS = ['kind', 'protocolVersion', 'clusterId', 'brokerId'] as const;
const HELLO_RESPONSE_KEYS = ['kind', 'protocolVersion', 'clusterId', 'brokerId', 'errorCode', 'message'] as const;
const FETCH_REQUEST_KEYS = ['kind', 'replicaId', 'brokerEpoch', 'maxWaitMs', 'minBytes', 'maxBytes', 'partitions'] as const;
const FETCH_PARTITION_REQUEST_KEYS = ['topicId', 'topic', 'partition', 'fetchOffset', 'lastFetchedEpoch', 'currentLeaderEpoch', 'logStartOffset', 'partitionMaxBytes'] as const;
const FETCH_RESPONSE_KEYS = ['kind', 'errorCode', 'partitions'] as const;
const FETCH_PARTITION_RESPONSE_KEYS = ['topic', 'partition', 'errorCode', 'highWatermark', 'logStartOffset', 'divergingEpoch'] as const;

/**
 * The codec of this protocol: schema 1 only, its shared structures frozen. Never change
 * this list; append shapes under a new schema version instead.
 */
export const replicaFetchCodec = new RpcCodec({
  schemas: [
    {
      version: REPLICA_FETCH_SCHEMA_VERSION,
      structures: [HELLO_REQUEST_KEYS, HELLO_RESPONSE_KEYS, FETCH_REQUEST_KEYS, FETCH_PARTITION_REQUEST_KEYS, FETCH_RESPONSE_KEYS, FETCH_PARTITION_RESPONSE_KEYS],
    },
  ],
});

// ---- encoding (chunks for a vectored write) ----

export function encodeHelloRequest(requestId: number, m: HelloRequest): Uint8Array[] {
  checkHello(m);
  const body = { kind: 'hello', protocolVersion: m.protocolVersion, clusterId: m.clusterId, brokerId: m.brokerId };
  return frame(RpcFrameType.request, requestId, body, []);
}

export function encodeHelloResponse(requestId: number, m: HelloResponse): Uint8Array[] {
  checkHello(m);
  checkInt(m.errorCode, 'errorCode', -32768, 32767);
  checkString(m.message, 'message', true);
  const body = { kind: 'hello', protocolVersion: m.protocolVersion, clusterId: m.clusterId, brokerId: m.brokerId, errorCode: m.errorCode, message: m.message };
  return frame(RpcFrameType.response, requestId, body, []);
}

export function encodeFetchRequest(requestId: number, m: ReplicaFetchRequest): Uint8Array[] {
  checkFetchRequestTop(m);
  if (m.partitions.length > FETCH_PARTITIONS_MAX) throw new RangeError(`at most ${FETCH_PARTITIONS_MAX} partitions per fetch, got ${m.partitions.length}`);
  const partitions = m.partitions.map((p) => {
    checkFetchPartitionRequest(p);
    return {
      topicId: p.topicId,
      topic: p.topic,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      lastFetchedEpoch: p.lastFetchedEpoch,
      currentLeaderEpoch: p.currentLeaderEpoch,
      logStartOffset: p.logStartOffset,
      partitionMaxBytes: p.partitionMaxBytes,
    };
  });
  const body = { kind: 'fetch', replicaId: m.replicaId, brokerEpoch: m.brokerEpoch, maxWaitMs: m.maxWaitMs, minBytes: m.minBytes, maxBytes: m.maxBytes, partitions };
  return frame(RpcFrameType.request, requestId, body, []);
}

/** The partitions' `records` become the frame's attachments as they are (not copied). */
export function encodeFetchResponse(requestId: number, m: ReplicaFetchResponse): Uint8Array[] {
  checkInt(m.errorCode, 'errorCode', -32768, 32767);
  if (m.partitions.length > FETCH_PARTITIONS_MAX) throw new RangeError(`at most ${FETCH_PARTITIONS_MAX} partitions per fetch, got ${m.partitions.length}`);
  const attachments: Uint8Array[] = [];
  const partitions = m.partitions.map((p) => {
    checkFetchPartitionResponse(p);
    if (!(p.records instanceof Uint8Array)) throw new RangeError('records must be a Uint8Array');
    attachments.push(p.records);
    const divergingEpoch = p.divergingEpoch === null ? null : [p.divergingEpoch.epoch, p.divergingEpoch.endOffset];
    return { topic: p.topic, partition: p.partition, errorCode: p.errorCode, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, divergingEpoch };
  });
  return frame(RpcFrameType.response, requestId, { kind: 'fetch', errorCode: m.errorCode, partitions }, attachments);
}

function frame(type: RpcFrameType, requestId: number, body: object, attachments: Uint8Array[]): Uint8Array[] {
  return replicaFetchCodec.encode({ type, requestId, schemaVersion: REPLICA_FETCH_SCHEMA_VERSION, body, attachments });
}

// ---- decoding (from RPC frames the splitter produced) ----

/** Decodes a request frame's body; throws DecodeError on anything but a valid request. */
export function decodeRequestMessage(f: RpcFrame): ReplicaRequestMessage {
  if (f.type !== RpcFrameType.request) fail('frameType', `expected a request frame, got type ${f.type}`);
  if (f.attachments.length !== 0) fail('attachments', `a request carries no attachments, got ${f.attachments.length}`);
  const o = object(f.body, 'body');
  if (o.kind === 'hello') {
    keysExactly(o, HELLO_REQUEST_KEYS, 'body');
    return { kind: 'hello', hello: { protocolVersion: int(o, 'protocolVersion', 0, 0xffff), clusterId: string(o, 'clusterId', false), brokerId: int(o, 'brokerId', 0, INT32_MAX) } };
  }
  if (o.kind === 'fetch') {
    keysExactly(o, FETCH_REQUEST_KEYS, 'body');
    const list = array(o, 'partitions');
    const partitions: ReplicaFetchPartitionRequest[] = [];
    for (let i = 0; i < list.length; i++) partitions.push(decodeFetchPartitionRequest(list[i], `partitions[${i}]`));
    const fetch: ReplicaFetchRequest = {
      replicaId: int(o, 'replicaId', 0, INT32_MAX),
      brokerEpoch: int(o, 'brokerEpoch', -1, Number.MAX_SAFE_INTEGER),
      maxWaitMs: int(o, 'maxWaitMs', 0, MAX_WAIT_MS_MAX),
      minBytes: int(o, 'minBytes', 0, INT32_MAX),
      maxBytes: int(o, 'maxBytes', 0, INT32_MAX),
      partitions,
    };
    return { kind: 'fetch', fetch };
  }
  return fail('body.kind', `unknown message kind ${JSON.stringify(String(o.kind)).slice(0, 64)}`);
}

/** Decodes a response frame's body; throws DecodeError on anything but a valid response. */
export function decodeResponseMessage(f: RpcFrame): ReplicaResponseMessage {
  if (f.type !== RpcFrameType.response) fail('frameType', `expected a response frame, got type ${f.type}`);
  const o = object(f.body, 'body');
  if (o.kind === 'hello') {
    if (f.attachments.length !== 0) fail('attachments', `a Hello response carries no attachments, got ${f.attachments.length}`);
    keysExactly(o, HELLO_RESPONSE_KEYS, 'body');
    const hello: HelloResponse = {
      protocolVersion: int(o, 'protocolVersion', 0, 0xffff),
      clusterId: string(o, 'clusterId', false),
      brokerId: int(o, 'brokerId', 0, INT32_MAX),
      errorCode: int(o, 'errorCode', -32768, 32767),
      message: string(o, 'message', true),
    };
    return { kind: 'hello', hello };
  }
  if (o.kind === 'fetch') {
    keysExactly(o, FETCH_RESPONSE_KEYS, 'body');
    const list = array(o, 'partitions');
    if (list.length !== f.attachments.length) fail('attachments', `${list.length} partitions but ${f.attachments.length} attachments`);
    const partitions: ReplicaFetchPartitionResponse[] = [];
    for (let i = 0; i < list.length; i++) partitions.push(decodeFetchPartitionResponse(list[i], `partitions[${i}]`, f.attachments[i]!));
    return { kind: 'fetch', fetch: { errorCode: int(o, 'errorCode', -32768, 32767), partitions } };
  }
  return fail('body.kind', `unknown message kind ${JSON.stringify(String(o.kind)).slice(0, 64)}`);
}

function decodeFetchPartitionRequest(value: unknown, path: string): ReplicaFetchPartitionRequest {
  const o = object(value, path);
  keysExactly(o, FETCH_PARTITION_REQUEST_KEYS, path);
  return {
    topicId: string(o, 'topicId', false, path),
    topic: string(o, 'topic', false, path),
    partition: int(o, 'partition', 0, INT32_MAX, path),
    fetchOffset: int(o, 'fetchOffset', 0, Number.MAX_SAFE_INTEGER, path),
    lastFetchedEpoch: int(o, 'lastFetchedEpoch', -1, INT32_MAX, path),
    currentLeaderEpoch: int(o, 'currentLeaderEpoch', -1, INT32_MAX, path),
    logStartOffset: int(o, 'logStartOffset', -1, Number.MAX_SAFE_INTEGER, path),
    partitionMaxBytes: int(o, 'partitionMaxBytes', 0, INT32_MAX, path),
  };
}

function decodeFetchPartitionResponse(value: unknown, path: string, records: Uint8Array): ReplicaFetchPartitionResponse {
  const o = object(value, path);
  keysExactly(o, FETCH_PARTITION_RESPONSE_KEYS, path);
  let divergingEpoch: DivergingEpoch | null = null;
  if (o.divergingEpoch !== null) {
    const d = o.divergingEpoch;
    if (!Array.isArray(d) || d.length !== 2) fail(`${path}.divergingEpoch`, 'must be null or [epoch, endOffset]');
    divergingEpoch = { epoch: intValue(d[0], `${path}.divergingEpoch[0]`, 0, INT32_MAX), endOffset: intValue(d[1], `${path}.divergingEpoch[1]`, 0, Number.MAX_SAFE_INTEGER) };
  }
  return {
    topic: string(o, 'topic', false, path),
    partition: int(o, 'partition', 0, INT32_MAX, path),
    errorCode: int(o, 'errorCode', -32768, 32767, path),
    highWatermark: int(o, 'highWatermark', -1, Number.MAX_SAFE_INTEGER, path),
    logStartOffset: int(o, 'logStartOffset', -1, Number.MAX_SAFE_INTEGER, path),
    divergingEpoch,
    records,
  };
}

function fail(path: string, detail: string): never {
  throw new DecodeError('bad-value', API, REPLICA_FETCH_SCHEMA_VERSION, path, detail);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) fail(path, 'must be a map');
  return value as Record<string, unknown>;
}

/** No missing and no extra keys: an unknown field means a peer speaking another schema. */
function keysExactly(o: Record<string, unknown>, keys: readonly string[], path: string): void {
  const present = Object.keys(o);
  if (present.length !== keys.length) fail(path, `expected the fields ${keys.join(', ')}, got ${present.slice(0, 16).join(', ')}`);
  for (const k of keys) if (!Object.hasOwn(o, k)) fail(path, `missing field ${k}`);
}

function array(o: Record<string, unknown>, field: string): unknown[] {
  const x = o[field];
  if (!Array.isArray(x)) fail(field, 'must be an array');
  if (x.length > FETCH_PARTITIONS_MAX) fail(field, `${x.length} entries, at most ${FETCH_PARTITIONS_MAX}`);
  return x;
}

function int(o: Record<string, unknown>, field: string, min: number, max: number, path = ''): number {
  return intValue(o[field], path === '' ? field : `${path}.${field}`, min, max);
}

function intValue(x: unknown, path: string, min: number, max: number): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) fail(path, `must be an integer in [${min}, ${max}], got ${describe(x)}`);
  return x;
}

function string(o: Record<string, unknown>, field: string, emptyOk: boolean, path = ''): string {
  const x = o[field];
  const at = path === '' ? field : `${path}.${field}`;
  if (typeof x !== 'string' || x.length > NAME_CHARS_MAX || (!emptyOk && x.length === 0)) fail(at, `must be a ${emptyOk ? '' : 'non-empty '}string of at most ${NAME_CHARS_MAX} chars, got ${describe(x)}`);
  return x;
}

function describe(x: unknown): string {
  if (typeof x === 'string') return `a string of ${x.length} chars`;
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  return typeof x;
}

// ---- encoder-side checks (RangeError: a programming error of the caller) ----

function checkInt(x: number, what: string, min: number, max: number): void {
  if (!Number.isSafeInteger(x) || x < min || x > max) throw new RangeError(`${what} must be an integer in [${min}, ${max}], got ${x}`);
}

function checkString(x: string, what: string, emptyOk: boolean): void {
  if (typeof x !== 'string' || x.length > NAME_CHARS_MAX || (!emptyOk && x.length === 0)) throw new RangeError(`${what} must be a ${emptyOk ? '' : 'non-empty '}string of at most ${NAME_CHARS_MAX} chars`);
}

function checkHello(m: HelloRequest): void {
  checkInt(m.protocolVersion, 'protocolVersion', 0, 0xffff);
  checkString(m.clusterId, 'clusterId', false);
  checkInt(m.brokerId, 'brokerId', 0, INT32_MAX);
}

function checkFetchRequestTop(m: ReplicaFetchRequest): void {
  checkInt(m.replicaId, 'replicaId', 0, INT32_MAX);
  checkInt(m.brokerEpoch, 'brokerEpoch', -1, Number.MAX_SAFE_INTEGER);
  checkInt(m.maxWaitMs, 'maxWaitMs', 0, MAX_WAIT_MS_MAX);
  checkInt(m.minBytes, 'minBytes', 0, INT32_MAX);
  checkInt(m.maxBytes, 'maxBytes', 0, INT32_MAX);
}

function checkFetchPartitionRequest(p: ReplicaFetchPartitionRequest): void {
  checkString(p.topicId, 'topicId', false);
  checkString(p.topic, 'topic', false);
  checkInt(p.partition, 'partition', 0, INT32_MAX);
  checkInt(p.fetchOffset, 'fetchOffset', 0, Number.MAX_SAFE_INTEGER);
  checkInt(p.lastFetchedEpoch, 'lastFetchedEpoch', -1, INT32_MAX);
  checkInt(p.currentLeaderEpoch, 'currentLeaderEpoch', -1, INT32_MAX);
  checkInt(p.logStartOffset, 'logStartOffset', -1, Number.MAX_SAFE_INTEGER);
  checkInt(p.partitionMaxBytes, 'partitionMaxBytes', 0, INT32_MAX);
}

function checkFetchPartitionResponse(p: ReplicaFetchPartitionResponse): void {
  checkString(p.topic, 'topic', false);
  checkInt(p.partition, 'partition', 0, INT32_MAX);
  checkInt(p.errorCode, 'errorCode', -32768, 32767);
  checkInt(p.highWatermark, 'highWatermark', -1, Number.MAX_SAFE_INTEGER);
  checkInt(p.logStartOffset, 'logStartOffset', -1, Number.MAX_SAFE_INTEGER);
  if (p.divergingEpoch !== null) {
    checkInt(p.divergingEpoch.epoch, 'divergingEpoch.epoch', 0, INT32_MAX);
    checkInt(p.divergingEpoch.endOffset, 'divergingEpoch.endOffset', 0, Number.MAX_SAFE_INTEGER);
  }
}
