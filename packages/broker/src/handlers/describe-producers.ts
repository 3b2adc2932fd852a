/**
 * DescribeProducers (key 61), version 0 (flexible). What `kafka-transactions.sh
 * describe-producers` and Admin.describeProducers ask.
 *
 * For each requested partition this broker leads: the idempotent producers its producer
 * state tracks (producer-state.ts) — producerId, producerEpoch, the last sequence and
 * max timestamp of the producer's newest batch, coordinatorEpoch -1 and
 * currentTxnStartOffset -1 (Samsa has no transactions, so no producer has an open one).
 * Producers are listed by producer id. The table is bounded (`producersMax` per
 * partition, least recently written evicted), so the answer is too.
 *
 * Errors per partition, as Kafka's ReplicaManager.activeProducerState: the leadership
 * lookup of handlers/leadership.ts (single broker: UNKNOWN_TOPIC_OR_PARTITION for a
 * partition that does not exist; cluster: UNKNOWN_TOPIC_OR_PARTITION for one the view
 * lacks, NOT_LEADER_OR_FOLLOWER for one this node does not lead now), then
 * KAFKA_STORAGE_ERROR for a log a storage error took offline. No authorization here.
 * Partitions are answered in request order, a repeated one as often as it is asked.
 */
import { DescribeProducersRequestCodec, DescribeProducersResponseCodec, ErrorCode } from '@samsa/codec';
import type { DescribeProducersRequest, DescribeProducersResponse, DescribeProducersResponsePartitionResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import { leaderPartition } from './leadership.ts';

/** No transactions: no producer has a coordinator epoch or an open transaction. */
const NO_COORDINATOR_EPOCH = -1;
const NO_TXN_START_OFFSET = -1;

function failed(partitionIndex: number, errorCode: number, errorMessage: string): DescribeProducersResponsePartitionResponse {
  return { partitionIndex, errorCode, errorMessage, activeProducers: [] };
}

function describePartition(ctx: BrokerContext, topic: string, index: number): DescribeProducersResponsePartitionResponse {
  const found = leaderPartition(ctx, topic, index);
  if (found.partition === undefined) {
    const why = found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 'This server does not host this topic-partition' : 'This broker does not lead the partition now';
    return failed(index, found.errorCode, why);
  }
  const p = found.partition;
  if (p.log.isOffline === true) return failed(index, ErrorCode.KAFKA_STORAGE_ERROR, 'The partition log is offline after a storage error');
  return {
    partitionIndex: index,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    activeProducers: p.producers.activeProducers().map((s) => ({
      producerId: s.producerId,
      producerEpoch: s.producerEpoch,
      lastSequence: s.lastSequence,
      lastTimestamp: s.lastTimestampMs,
      coordinatorEpoch: NO_COORDINATOR_EPOCH,
      currentTxnStartOffset: NO_TXN_START_OFFSET,
    })),
  };
}

function handleDescribeProducers(ctx: BrokerContext, req: DescribeProducersRequest): DescribeProducersResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((index) => describePartition(ctx, t.name, index)) })),
  };
}

export const describeProducersHandler = defineHandler({
  apiKey: DescribeProducersRequestCodec.meta.apiKey,
  name: DescribeProducersRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeProducersRequestCodec,
  response: DescribeProducersResponseCodec,
  handle: handleDescribeProducers,
});
