/**
 * Produce (key 0), versions 0-11.
 *
 * - v3+ carry one record batch v2 (magic 2) per partition. v0-v2 carry a message set of
 *   magic 0/1 (Kafka lets them carry magic 2 too, which takes the v3+ path): it is read and
 *   validated whole (CRC-32 of every message, framing, bounded decompression, each message
 *   within the topic's max.message.bytes) and up-converted to ONE record batch v2
 *   (codec legacy-messages: magic 0 → timestamp -1 create time, magic 1 keeps its
 *   timestamps; keys and values kept; the wrapper's codec kept; the log assigns offsets),
 *   which then takes the same append path and checks as a v3+ batch. Invalid input →
 *   CORRUPT_MESSAGE (framing, CRC, decompression), INVALID_RECORD (a bad compressed
 *   wrapper: nested compression, magic mismatch, empty), UNSUPPORTED_COMPRESSION_TYPE
 *   (zstd under magic < 2), MESSAGE_TOO_LARGE (a message over max.message.bytes, or more
 *   than 64 MiB decompressed — refused before allocating past it); nothing is appended.
 *   Conversions are counted (`metrics.messageFormatConversions`). v0/v1 answers have no
 *   log_append_time, v0-v4 no log_start_offset (the codec writes what each version has).
 * - acks 0, 1 and -1 behave alike on one node (the ISR is this node, so the high
 *   watermark moves with the append); acks=0 gets no response at all, and if any
 *   partition failed the connection is closed so the client notices (Kafka does this).
 *   Other acks values → INVALID_REQUIRED_ACKS for every partition.
 * - In a cluster (replication, issue 14): acks=-1 is refused with NOT_ENOUGH_REPLICAS
 *   (nothing appended) while the ISR is smaller than the topic's min.insync.replicas, and
 *   answered once the high watermark passed the batch — or NOT_ENOUGH_REPLICAS_AFTER_APPEND
 *   (the ISR shrank meanwhile), REQUEST_TIMED_OUT after the request's timeout_ms,
 *   NOT_LEADER_OR_FOLLOWER (leadership moved); in those cases the records may stay in the
 *   log (Kafka's semantics; an idempotent producer's retry is deduplicated). acks 0 and 1
 *   answer after the leader's append.
 * - Several topics and partitions per request; each partition answers on its own:
 *   UNKNOWN_TOPIC_OR_PARTITION, MESSAGE_TOO_LARGE (over the topic's max.message.bytes),
 *   CORRUPT_MESSAGE (bad CRC / framing; nothing appended), INVALID_RECORD (+ v8 record
 *   errors: bad record framing, or records without a key on a topic whose cleanup.policy
 *   has compact — one record error per keyless record; nothing appended),
 *   INVALID_PRODUCER_EPOCH / OUT_OF_ORDER_SEQUENCE_NUMBER (idempotence), a duplicate batch
 *   → NONE with the original base offset.
 * - CreateTime topics: a batch whose header maxTimestamp is not the max over its records
 *   is stored with the real max (the log's append rewrites the header and its CRC), so
 *   ListOffsets by timestamp and time-based retention see it.
 * - Transactional produce is not supported (no transaction coordinator yet):
 *   TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 * - Low disk (free space under log.dir.free.bytes.min) or a write that hits a full disk
 *   → KAFKA_STORAGE_ERROR, retriable; nothing is appended and the partition stays online.
 * - log_append_time is the broker time for LogAppendTime topics, else -1.
 * - In a cluster (handlers/leadership.ts): a partition this broker does not lead, or any
 *   while its lease may have expired → NOT_LEADER_OR_FOLLOWER; one the cluster view
 *   lacks → UNKNOWN_TOPIC_OR_PARTITION. The client refreshes its metadata and moves.
 *   v10+ (KIP-951): a NOT_LEADER_OR_FOLLOWER answer carries the view's leader and epoch
 *   in `current_leader` when the view knows one, and that leader's endpoint in
 *   `node_endpoints`, so the client moves without a Metadata round trip.
 * - Internal topics (`__consumer_offsets`, `__transaction_state`) are written by the
 *   broker's coordinators only: a client Produce to one → INVALID_TOPIC_EXCEPTION
 *   (Kafka's ReplicaManager: "Cannot append to internal topic").
 */
import { batchIsTransactional, DECOMPRESSED_BYTES_MAX_DEFAULT, ErrorCode, ProduceRequestCodec, ProduceResponseCodec, RECORD_BATCH_HEADER_BYTES, upConvertMessageSet } from '@samsa/codec';
import type { LegacyInvalidReason, ProduceRequest, ProduceResponse, ProduceResponseNodeEndpoint, ProduceResponsePartitionProduceResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { ProduceOutcome } from '../partitions/partition.ts';
import { INTERNAL_TOPICS } from '../topics/topic-name.ts';
import { CloseConnection, defineHandler } from './api-handler.ts';
import { leaderPartition } from './leadership.ts';
import type { Partition } from '../partitions/partition.ts';
import type { RequestInfo } from './api-handler.ts';

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };
/** Produce v0-v2 may carry message sets of magic 0/1; v3+ record batches v2 only. */
const LEGACY_PRODUCE_VERSION_MAX = 2;
/** Position of the magic byte, the same in a legacy message and a record batch v2. */
const MAGIC_AT = 16;
/** KIP-951: current_leader and node_endpoints. */
const LEADER_HINT_VERSION_MIN = 10;

/** Kafka's error for each way a legacy message set can be refused. */
function legacyErrorCode(reason: LegacyInvalidReason): number {
  switch (reason) {
    case 'too-large':
      return ErrorCode.MESSAGE_TOO_LARGE;
    case 'unsupported-compression':
      return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
    case 'bad-wrapper':
    case 'empty':
      return ErrorCode.INVALID_RECORD;
    default:
      return ErrorCode.CORRUPT_MESSAGE;
  }
}

type Converted = { readonly records: Uint8Array | null; readonly refused?: undefined } | { readonly refused: { errorCode: number; errorMessage: string } };

/**
 * Produce v0-v2: a magic 0/1 message set becomes one record batch v2 (see the header);
 * anything else (magic 2, null, too short to tell) goes on unchanged.
 */
function maybeUpConvert(ctx: BrokerContext, records: Uint8Array | null, v: number, maxMessageBytes: number): Converted {
  if (v > LEGACY_PRODUCE_VERSION_MAX || records === null || records.byteLength <= MAGIC_AT || records[MAGIC_AT]! > 1) return { records };
  const up = upConvertMessageSet(records, { entryBytesMax: maxMessageBytes, maxDecompressedBytes: DECOMPRESSED_BYTES_MAX_DEFAULT });
  if (up.invalid !== null) return { refused: { errorCode: legacyErrorCode(up.invalid.reason), errorMessage: `Invalid message set (${up.invalid.reason}): ${up.invalid.detail}` } };
  ctx.metrics.messageFormatConversions('Produce', up.recordCount);
  return { records: up.batch };
}

function partitionResponse(index: number, v: number, o: Partial<ProduceOutcome> & { errorCode: number }): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode: o.errorCode,
    baseOffset: o.baseOffset ?? -1,
    logAppendTimeMs: o.logAppendTimeMs ?? -1,
    logStartOffset: o.logStartOffset ?? -1,
    recordErrors: v >= 8 ? [...(o.recordErrors ?? [])] : [],
    errorMessage: o.errorMessage ?? null,
    currentLeader: NO_LEADER,
  };
}

function replicationMessage(code: number): string {
  switch (code) {
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return 'The records were appended, but the ISR shrank below min.insync.replicas before they were replicated';
    case ErrorCode.REQUEST_TIMED_OUT:
      return 'The records were appended but not replicated to the ISR within the request timeout';
    default:
      return 'This broker stopped leading the partition before the records were replicated';
  }
}

/**
 * A refusal before the append (not leading, low disk, too few in-sync replicas): noted on
 * the replica for an idempotent producer, so its pipelined later batches get the same
 * retriable answer rather than a sequence gap (Partition.noteRefused).
 */
function refusedBeforeAppend(partition: Partition | undefined, records: Uint8Array | null, index: number, v: number, errorCode: number, errorMessage: string | null = null) {
  partition?.noteRefused(records, errorCode);
  return partitionResponse(index, v, { errorCode, errorMessage });
}

async function producePartition(ctx: BrokerContext, topic: string, index: number, sent: Uint8Array | null, v: number, acks: number, timeoutMs: number, transactional: boolean) {
  if (acks !== 0 && acks !== 1 && acks !== -1) return partitionResponse(index, v, { errorCode: ErrorCode.INVALID_REQUIRED_ACKS });
  if (INTERNAL_TOPICS.has(topic)) return partitionResponse(index, v, { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Cannot append to internal topic ${topic}` });
  const found = leaderPartition(ctx, topic, index);
  if (!found.partition) {
    // Not leading (yet): noted on the local replica, for when it leads next.
    if (found.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) return partitionResponse(index, v, { errorCode: found.errorCode });
    return refusedBeforeAppend(ctx.registry.partition(topic, index), sent, index, v, found.errorCode);
  }
  const partition = found.partition;
  const converted = maybeUpConvert(ctx, sent, v, partition.config.maxMessageBytes);
  if (converted.refused) return partitionResponse(index, v, converted.refused);
  const records = converted.records;
  if (transactional || (records !== null && records.byteLength >= RECORD_BATCH_HEADER_BYTES && batchIsTransactional(records, 0))) {
    return partitionResponse(index, v, { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: 'Transactions are not supported by this broker' });
  }
  // Low disk: refused before anything is written (retriable; see free-space-guard.ts).
  if (!(await ctx.freeSpace.admitsWrites())) return refusedBeforeAppend(partition, records, index, v, ErrorCode.KAFKA_STORAGE_ERROR, ctx.freeSpace.refusalMessage());
  // Cluster mode: acks=all needs min.insync.replicas in the ISR before anything is appended.
  const refused = ctx.replication?.checkBeforeAppend(partition, acks) ?? ErrorCode.NONE;
  if (refused !== ErrorCode.NONE) return refusedBeforeAppend(partition, records, index, v, refused);
  const outcome = await partition.produce(records);
  if (outcome.errorCode === ErrorCode.NONE && ctx.replication !== null && acks === -1) {
    // The records are in the leader's log; acks=all answers once the ISR has them.
    const replicated = await ctx.replication.awaitAcks(partition, outcome.lastOffset, acks, timeoutMs);
    if (replicated !== ErrorCode.NONE) return partitionResponse(index, v, { errorCode: replicated, errorMessage: replicationMessage(replicated) });
  }
  if (outcome.recordCount > 0) {
    ctx.metrics.recordsIn(topic, outcome.recordCount);
    ctx.freeSpace.noteAppended(records!.byteLength);
  }
  if (outcome.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) ctx.freeSpace.noteWriteFailed();
  return partitionResponse(index, v, outcome);
}

async function handleProduce(ctx: BrokerContext, req: ProduceRequest, info: RequestInfo): Promise<ProduceResponse | null> {
  const v = info.apiVersion;
  const transactional = req.transactionalId !== null;
  // Start every partition's append now, in request order (each partition keeps its own
  // order), then await them together.
  const responses = req.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => producePartition(ctx, t.name, p.index, p.records, v, req.acks, req.timeoutMs, transactional)),
  }));
  const settled = await Promise.all(
    responses.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.partitionResponses) })),
  );
  if (req.acks === 0) {
    const failed = settled.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE));
    if (failed) throw new CloseConnection('acks=0 produce failed');
    return null;
  }
  if (v < LEADER_HINT_VERSION_MIN) return { responses: settled, throttleTimeMs: 0, nodeEndpoints: [] };
  return { responses: settled, throttleTimeMs: 0, nodeEndpoints: addLeaderHints(ctx, settled) };
}

/**
 * KIP-951 (v10+): each NOT_LEADER_OR_FOLLOWER answer gets the view's leader and epoch for
 * its partition (when the view has a leader), and the endpoints of those leaders are
 * returned for the response's node_endpoints. A single broker has no view: no hints.
 */
function addLeaderHints(ctx: BrokerContext, responses: ProduceResponse['responses']): ProduceResponseNodeEndpoint[] {
  const view = ctx.cluster?.view();
  if (view === undefined) return [];
  const leaders = new Set<number>();
  for (const t of responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) continue;
      const pv = view.topics.get(t.name)?.partitions[p.index];
      if (pv === undefined || pv.leader < 0) continue;
      p.currentLeader = { leaderId: pv.leader, leaderEpoch: pv.leaderEpoch };
      leaders.add(pv.leader);
    }
  }
  const endpoints: ProduceResponseNodeEndpoint[] = [];
  for (const id of [...leaders].sort((a, b) => a - b)) {
    const b = view.brokers.get(id);
    if (b !== undefined) endpoints.push({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
  }
  return endpoints;
}

export const produceHandler = defineHandler({
  apiKey: ProduceRequestCodec.meta.apiKey,
  name: ProduceRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 11,
  request: ProduceRequestCodec,
  response: ProduceResponseCodec,
  handle: handleProduce,
});
