/**
 * ListOffsets (key 2), versions 1-7.
 *
 * Per partition, by the requested timestamp:
 *   -2 (earliest)       → the log start offset
 *   -1 (latest)         → the high watermark (= last stable offset: no transactions)
 *   -3 (max timestamp, v7+) → the offset and timestamp of the record with the largest
 *                         timestamp
 *   t ≥ 0               → the first offset whose timestamp is ≥ t, with that timestamp;
 *                         offset -1 / timestamp -1 when no record is that late
 * Found offsets carry leader epoch 0 (v4+; this broker never changes leader).
 * Unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION; a storage failure →
 * KAFKA_STORAGE_ERROR; any other negative timestamp is answered as "not found".
 */
import { ErrorCode, ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '@samsa/codec';
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { Partition } from '../partitions/partition.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const MAX_TIMESTAMP = -3;

function answer(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1, found = false): ListOffsetsResponseListOffsetsPartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp, offset, leaderEpoch: found ? 0 : -1 };
}

async function lookup(partition: Partition, index: number, timestamp: number): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  if (timestamp === EARLIEST_TIMESTAMP) return answer(index, ErrorCode.NONE, partition.log.logStartOffset, -1, true);
  if (timestamp === LATEST_TIMESTAMP) return answer(index, ErrorCode.NONE, partition.highWatermark, -1, true);
  if (timestamp < 0 && timestamp !== MAX_TIMESTAMP) return answer(index, ErrorCode.NONE);
  try {
    const found = await partition.log.offsetForTimestamp(timestamp);
    return found ? answer(index, ErrorCode.NONE, found.offset, found.timestamp, true) : answer(index, ErrorCode.NONE);
  } catch {
    return answer(index, ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

async function handleListOffsets(ctx: BrokerContext, req: ListOffsetsRequest, info: RequestInfo): Promise<ListOffsetsResponse> {
  // Leader epochs exist in the response from v4 on.
  const withEpoch = (p: ListOffsetsResponseListOffsetsPartitionResponse) => (info.apiVersion >= 4 ? p : { ...p, leaderEpoch: -1 });
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map((p) => {
          const partition = ctx.registry.partition(t.name, p.partitionIndex);
          return partition ? lookup(partition, p.partitionIndex, p.timestamp).then(withEpoch) : answer(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const listOffsetsHandler = defineHandler({
  apiKey: ListOffsetsRequestCodec.meta.apiKey,
  name: ListOffsetsRequestCodec.meta.apiName,
  minVersion: 1,
  maxVersion: 7,
  request: ListOffsetsRequestCodec,
  response: ListOffsetsResponseCodec,
  handle: handleListOffsets,
});
