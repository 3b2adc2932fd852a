/**
 * ListOffsets (key 2), versions 0-10.
 *
 * Per partition, by the requested timestamp (v1+):
 *   -2 (earliest)       → the log start offset
 *   -1 (latest)         → the high watermark (= last stable offset: no transactions)
 *   -3 (max timestamp, v7+) → the offset and timestamp of the record with the largest
 *                         timestamp
 *   -4 (earliest local, v8+, KIP-405) → the log start offset: every record is local
 *   -5 (latest tiered, v9+, KIP-1005) → offset -1, timestamp -1: nothing is tiered
 *   t ≥ 0               → the first offset whose timestamp is ≥ t, with that timestamp;
 *                         offset -1 / timestamp -1 when no record is that late
 * v10 (KIP-1075) adds a timeout for remote lookups; every lookup here is local.
 * v0 answers `old_style_offsets`, up to `max_num_offsets` segment base offsets before the
 * time, newest first (list-offsets-v0.ts, Kafka's legacy rule; the old Burrow / Sarama
 * way of asking for the log end or start).
 * The special timestamps are not tied to versions (Kafka's broker does not check either);
 * -5 and any other negative timestamp are answered "not found".
 * Found offsets carry the partition's leader epoch (v4+; 0 on a single broker, which
 * never changes leader). In a cluster (handlers/leadership.ts): a partition the view
 * lacks → UNKNOWN_TOPIC_OR_PARTITION, one this broker does not lead (or any while its
 * lease may have expired) → NOT_LEADER_OR_FOLLOWER, and a v4+ current leader epoch older
 * / newer than the replica's → FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
 * Unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION; a storage failure →
 * KAFKA_STORAGE_ERROR; any other negative timestamp is answered as "not found".
 */
import { ErrorCode, ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '@samsa/codec';
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../partitions/partition.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { leaderPartition } from './leadership.ts';
import { legacyOffsetsBefore } from './list-offsets-v0.ts';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;

/** `leaderEpoch`: the epoch a found offset carries (-1: not found). */
function answer(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): ListOffsetsResponseListOffsetsPartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp, offset, leaderEpoch };
}

/**
 * The epoch in each answer is Kafka's: for the latest offset the partition's current leader
 * epoch; for the earliest, the epoch of the log start offset; for a timestamp lookup, the
 * epoch of the batch found (-1 when the log knows none). A client compares it with its own
 * view of the log to detect truncation after a leader change.
 */
async function lookup(partition: Partition, index: number, timestamp: number): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  if (timestamp === LATEST_TIMESTAMP) return answer(index, ErrorCode.NONE, partition.highWatermark, -1, partition.leaderEpoch);
  // Not version-gated, as in Kafka: a client asks for a special timestamp only at a version that has it.
  if (timestamp < 0 && ![EARLIEST_TIMESTAMP, MAX_TIMESTAMP, EARLIEST_LOCAL_TIMESTAMP].includes(timestamp)) return answer(index, ErrorCode.NONE);
  try {
    const found = await partition.log.offsetForTimestamp(timestamp === EARLIEST_LOCAL_TIMESTAMP ? EARLIEST_TIMESTAMP : timestamp);
    if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP) return answer(index, ErrorCode.NONE, partition.log.logStartOffset, -1, found?.leaderEpoch ?? -1);
    return found ? answer(index, ErrorCode.NONE, found.offset, found.timestamp, found.leaderEpoch) : answer(index, ErrorCode.NONE);
  } catch {
    return answer(index, ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/** v0: the legacy list of offsets before a time (list-offsets-v0.ts). */
async function lookupV0(ctx: BrokerContext, partition: Partition, index: number, timestamp: number, maxNumOffsets: number, replicaId: number): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  try {
    const oldStyleOffsets = legacyOffsetsBefore({
      segments: await partition.log.segmentInfos(),
      logStartOffset: partition.log.logStartOffset,
      logEndOffset: partition.log.logEndOffset,
      highWatermark: partition.highWatermark,
      nowMs: ctx.clock.wallMs(),
      timestamp,
      maxNumOffsets,
      fromConsumer: replicaId < 0,
    });
    return { ...answer(index, ErrorCode.NONE), oldStyleOffsets };
  } catch {
    return answer(index, ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

async function handleListOffsets(ctx: BrokerContext, req: ListOffsetsRequest, info: RequestInfo): Promise<ListOffsetsResponse> {
  const v = info.apiVersion;
  // Leader epochs exist in the response from v4 on.
  const withEpoch = (p: ListOffsetsResponseListOffsetsPartitionResponse) => (v >= 4 ? p : { ...p, leaderEpoch: -1 });
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map((p) => {
          const found = leaderPartition(ctx, t.name, p.partitionIndex, v >= 4 ? p.currentLeaderEpoch : -1);
          if (!found.partition) return answer(p.partitionIndex, found.errorCode);
          if (v === 0) return lookupV0(ctx, found.partition, p.partitionIndex, p.timestamp, p.maxNumOffsets, req.replicaId);
          return lookup(found.partition, p.partitionIndex, p.timestamp).then(withEpoch);
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const listOffsetsHandler = defineHandler({
  apiKey: ListOffsetsRequestCodec.meta.apiKey,
  name: ListOffsetsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 10,
  request: ListOffsetsRequestCodec,
  response: ListOffsetsResponseCodec,
  handle: handleListOffsets,
});
