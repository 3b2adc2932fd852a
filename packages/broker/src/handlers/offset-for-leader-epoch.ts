/**
 * OffsetForLeaderEpoch (key 23), versions 0-4 (flexible from 4), KIP-101 / KIP-279 /
 * KIP-320.
 *
 * Per partition, the leader answers from its log's leader-epoch cache
 * (`PartitionLog.endOffsetForEpoch`, Kafka's semantics): for the requested epoch the
 * largest epoch ≤ it that the log holds (`leader_epoch`, v1+) and where that epoch ends
 * (`end_offset`): the start offset of the next epoch, or the log end offset for the latest
 * epoch; -1 / -1 (UNDEFINED_EPOCH_OFFSET) for an epoch newer than any the log holds.
 * Clients (librdkafka, the Java consumer) send `replica_id` -1 (v3+) and use the answer
 * to detect a log truncated under them after a leader change; followers send their id
 * and use it to find where their log diverges from the leader's. Both are answered the
 * same way, by the leader only, as Kafka does.
 *
 * Errors, through handlers/leadership.ts (the same checks as Fetch and ListOffsets): a
 * partition this broker does not know (single broker) or the view lacks →
 * UNKNOWN_TOPIC_OR_PARTITION; not the leader here (or a lease that may have expired) →
 * NOT_LEADER_OR_FOLLOWER; `current_leader_epoch` (v2+, -1 = none) older / newer than the
 * leader's → FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (cluster mode; a single broker's
 * one leader never changes epoch, so it does not check); an offline log →
 * KAFKA_STORAGE_ERROR. Error entries carry -1 / -1.
 */
import { ErrorCode, OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec } from '@samsa/codec';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, OffsetForLeaderEpochResponseEpochEndOffset } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { leaderPartition } from './leadership.ts';

function answer(partition: number, errorCode: number, leaderEpoch = -1, endOffset = -1): OffsetForLeaderEpochResponseEpochEndOffset {
  return { errorCode, partition, leaderEpoch, endOffset };
}

function endOffsetFor(ctx: BrokerContext, topic: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number): OffsetForLeaderEpochResponseEpochEndOffset {
  const found = leaderPartition(ctx, topic, partition, currentLeaderEpoch);
  if (!found.partition) return answer(partition, found.errorCode);
  const log = found.partition.log;
  if (log.isOffline) return answer(partition, ErrorCode.KAFKA_STORAGE_ERROR);
  const end = log.endOffsetForEpoch(leaderEpoch);
  return answer(partition, ErrorCode.NONE, end.leaderEpoch, end.endOffset);
}

function handleOffsetForLeaderEpoch(ctx: BrokerContext, req: OffsetForLeaderEpochRequest, info: RequestInfo): OffsetForLeaderEpochResponse {
  // current_leader_epoch exists from v2 on; the codec leaves its default (-1) below.
  const checksEpoch = info.apiVersion >= 2;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => endOffsetFor(ctx, t.topic, p.partition, checksEpoch ? p.currentLeaderEpoch : -1, p.leaderEpoch)),
    })),
  };
}

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: OffsetForLeaderEpochRequestCodec.meta.apiKey,
  name: OffsetForLeaderEpochRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 4,
  request: OffsetForLeaderEpochRequestCodec,
  response: OffsetForLeaderEpochResponseCodec,
  handle: handleOffsetForLeaderEpoch,
});
