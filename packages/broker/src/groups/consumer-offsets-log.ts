/**
 * The `__consumer_offsets` topic as the group coordinator sees it: created on first use
 * (internal, cleanup.policy=compact, `offsets.topic.num.partitions` partitions), appended
 * one record batch per write (a write carries one or more coordinator `append` actions,
 * coalesced by ./consumer-offsets-appender.ts), and replayed from the log start.
 *
 * Appends go through `Partition.produce` (not the raw log) so they share the partition's
 * append chain (completion in arrival order, as the coordinator requires), its size check
 * and its flush policy, and wake Fetch long polls of anyone reading the topic.
 *
 * With replication (a cluster; `OffsetsReplication` given) a write is acknowledged only once
 * it is replicated, as Kafka's coordinator appends with acks=all: before the append
 * `checkBeforeAppend(partition, -1)` may refuse it (NOT_ENOUGH_REPLICAS, nothing written);
 * after it `awaitAcks(partition, lastOffset, -1, offsets.commit.timeout.ms)` decides the
 * outcome. That wait is bounded here too, by a Clock timer of the same length (REQUEST_TIMED_OUT
 * if it fires first), so a replication service that never answers cannot hold a partition's
 * writes. The raw codes go to the coordinator, which maps them as Kafka's group coordinator
 * does (NOT_ENOUGH_REPLICAS*, REQUEST_TIMED_OUT → COORDINATOR_NOT_AVAILABLE;
 * NOT_LEADER_OR_FOLLOWER → NOT_COORDINATOR). Without replication nothing changes: durable
 * in the local log = acknowledged.
 *
 * Replay reads whole batches from the log start offset to the end offset known when the
 * replay began, `REPLAY_READ_BYTES` at a time; it is bounded by `REPLAY_RECORDS_MAX`.
 */
import { buildRecordBatch, ErrorCode, iterateRecords, splitRecordBatches } from '@samsa/codec';
import type { RawRecord } from '@samsa/coordinator';
import type { Clock } from '@samsa/runtime';
import type { ServerConfig } from '../config/server-config.ts';
import type { Partition } from '../partitions/partition.ts';
import type { ReplicationService } from '../replication/replication-service.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
/**
 * Kafka's settings for the offsets topic: compacted (the log cleaner keeps only the
 * latest commit per group/topic/partition key and drops tombstones after
 * delete.retention.ms), segment.bytes from `offsets.topic.segment.bytes` (100 MiB).
 */
export function consumerOffsetsConfigs(segmentBytes: number): Readonly<Record<string, string>> {
  return { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(segmentBytes) };
}
/** The configs with Kafka's default offsets.topic.segment.bytes. */
export const CONSUMER_OFFSETS_CONFIGS: Readonly<Record<string, string>> = consumerOffsetsConfigs(100 * 1024 * 1024);
const REPLAY_READ_BYTES = 1024 * 1024;
/** Upper bound on replayed records (a compacted topic stays far below it). */
export const REPLAY_RECORDS_MAX = 100_000_000;

/** The topic's configs under `server` (its offsets.topic.segment.bytes). */
export function consumerOffsetsTopicConfigs(server: ServerConfig): Readonly<Record<string, string>> {
  const segmentBytes = server.values.get('offsets.topic.segment.bytes');
  return typeof segmentBytes === 'number' ? consumerOffsetsConfigs(segmentBytes) : CONSUMER_OFFSETS_CONFIGS;
}

/** Creates the topic unless it exists; resolves its partition count, or an error code. */
export async function ensureConsumerOffsetsTopic(registry: TopicRegistry, numPartitions: number): Promise<{ errorCode: number; partitions: number }> {
  const existing = registry.topic(CONSUMER_OFFSETS_TOPIC);
  if (existing) return { errorCode: ErrorCode.NONE, partitions: existing.partitions.length };
  const r = await registry.createInternalTopic(CONSUMER_OFFSETS_TOPIC, numPartitions, consumerOffsetsTopicConfigs(registry.server));
  const t = registry.topic(CONSUMER_OFFSETS_TOPIC);
  // A storage failure (a full disk) is the coordinator being unavailable for now: retriable.
  const unavailable = r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.KAFKA_STORAGE_ERROR;
  if (r.errorCode !== ErrorCode.NONE || !t) return { errorCode: unavailable ? ErrorCode.COORDINATOR_NOT_AVAILABLE : r.errorCode, partitions: 0 };
  return { errorCode: ErrorCode.NONE, partitions: t.partitions.length };
}

/** Kafka's default `offsets.commit.timeout.ms`. */
export const OFFSETS_COMMIT_TIMEOUT_MS_DEFAULT = 5000;
/** Kafka's default `offsets.topic.replication.factor` (a cluster uses min(it, live brokers)). */
export const OFFSETS_TOPIC_REPLICATION_FACTOR_DEFAULT = 3;

/** What a `__consumer_offsets` write waits for in a cluster with replication (see the file comment). */
export interface OffsetsReplication {
  readonly service: ReplicationService;
  readonly clock: Clock;
  /** `offsets.commit.timeout.ms`. */
  readonly timeoutMs: number;
}

/** `offsets.commit.timeout.ms` under `server` (Kafka's default when absent). */
export function offsetsCommitTimeoutMs(server: ServerConfig): number {
  const v = server.values.get('offsets.commit.timeout.ms');
  return typeof v === 'number' ? v : OFFSETS_COMMIT_TIMEOUT_MS_DEFAULT;
}

/**
 * Appends `records` as one uncompressed batch; resolves a Kafka error code (0 = durable, and
 * replicated when `replication` is given). `appended` is called once the batch is in the
 * log and only its replication is awaited (never without `replication`). Never rejects.
 */
export async function appendConsumerOffsetsRecords(
  partition: Partition | undefined,
  records: readonly RawRecord[],
  nowMs: number,
  replication: OffsetsReplication | null = null,
  appended?: () => void,
): Promise<number> {
  if (partition === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (records.length === 0) return ErrorCode.NONE;
  const batch = buildRecordBatch(records.map((r) => ({ key: r.key, value: r.value, timestampMs: nowMs })));
  let lastOffset: number;
  try {
    const refused = replication === null ? ErrorCode.NONE : replication.service.checkBeforeAppend(partition, -1);
    if (refused !== ErrorCode.NONE) return refused;
    const outcome = await partition.produce(batch);
    if (outcome.errorCode !== ErrorCode.NONE || replication === null) return outcome.errorCode;
    lastOffset = outcome.lastOffset;
  } catch {
    return ErrorCode.KAFKA_STORAGE_ERROR;
  }
  appended?.();
  return awaitReplicated(replication, partition, lastOffset);
}

/** `awaitAcks` for acks=all, or REQUEST_TIMED_OUT once `timeoutMs` passed on the Clock, whichever comes first. */
function awaitReplicated(replication: OffsetsReplication, partition: Partition, lastOffset: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let settled = false;
    const settle = (code: number): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      resolve(code);
    };
    const timer = replication.clock.setTimeout(() => settle(ErrorCode.REQUEST_TIMED_OUT), replication.timeoutMs);
    let acks: Promise<number>;
    try {
      acks = replication.service.awaitAcks(partition, lastOffset, -1, replication.timeoutMs);
    } catch (e) {
      acks = Promise.reject(e);
    }
    // The contract says it never rejects; if it does, the write is not known to be replicated.
    acks.then(settle, () => settle(ErrorCode.UNKNOWN_SERVER_ERROR));
  });
}

/**
 * Reads every record of `partition` from its log start to its end (as of the call), in
 * offset order, handing them to `onRecords` one read (≤ REPLAY_READ_BYTES of batches) at a
 * time so a large partition is never held in memory whole. Resolves the record count.
 */
export async function replayConsumerOffsetsPartition(partition: Partition, onRecords: (records: RawRecord[]) => void): Promise<number> {
  const end = partition.log.logEndOffset;
  let offset = partition.log.logStartOffset;
  let count = 0;
  for (let reads = 0; offset < end; reads++) {
    if (reads > REPLAY_RECORDS_MAX) throw new Error('__consumer_offsets replay did not advance');
    const bytes = (await partition.log.read(offset, REPLAY_READ_BYTES)).records;
    const { batches } = splitRecordBatches(bytes);
    if (batches.length === 0) break;
    const chunk: RawRecord[] = [];
    for (const b of batches) {
      for (const r of iterateRecords(b, 0)) {
        if (r.offset >= end) break;
        if (r.key === null) continue; // not a coordinator record
        chunk.push({ key: r.key, value: r.value });
      }
      // A batch whose records were all compacted away still moves the offset past it.
      offset = Math.max(offset, lastOffsetOf(b) + 1);
    }
    count += chunk.length;
    if (count > REPLAY_RECORDS_MAX) throw new Error(`__consumer_offsets partition ${partition.index} holds more than ${REPLAY_RECORDS_MAX} records`);
    onRecords(chunk);
  }
  return count;
}

function lastOffsetOf(batch: Uint8Array): number {
  const v = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  return Number(v.getBigInt64(0)) + v.getInt32(23);
}
