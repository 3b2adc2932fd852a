/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Moves each partition's log start offset to the requested offset (-1 = the high
 * watermark); whole segments below it are deleted by the log. Returns the new low
 * watermark. An offset above the high watermark (or below -1) → OFFSET_OUT_OF_RANGE;
 * unknown partition → UNKNOWN_TOPIC_OR_PARTITION. Producer state for producers whose
 * batches all lie below the new start is dropped (as Kafka does). In a cluster, only the
 * leader deletes: NOT_LEADER_OR_FOLLOWER elsewhere (handlers/leadership.ts).
 */
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec, ErrorCode } from '@samsa/codec';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import { leaderPartition } from './leadership.ts';

async function deletePartition(ctx: BrokerContext, topic: string, index: number, offset: number) {
  const found = leaderPartition(ctx, topic, index);
  if (!found.partition) return { partitionIndex: index, lowWatermark: -1, errorCode: found.errorCode };
  const partition = found.partition;
  const hw = partition.highWatermark;
  const target = offset === -1 ? hw : offset;
  if (target < 0 || target > hw) return { partitionIndex: index, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  try {
    const lowWatermark = await partition.deleteRecordsBefore(target);
    return { partitionIndex: index, lowWatermark, errorCode: ErrorCode.NONE };
  } catch (e) {
    ctx.logger.error({ err: e, topic, partition: index }, 'DeleteRecords failed');
    return { partitionIndex: index, lowWatermark: -1, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
  }
}

async function handleDeleteRecords(ctx: BrokerContext, req: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => deletePartition(ctx, t.name, p.partitionIndex, p.offset))),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const deleteRecordsHandler = defineHandler({
  apiKey: DeleteRecordsRequestCodec.meta.apiKey,
  name: DeleteRecordsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 2,
  request: DeleteRecordsRequestCodec,
  response: DeleteRecordsResponseCodec,
  handle: handleDeleteRecords,
});
