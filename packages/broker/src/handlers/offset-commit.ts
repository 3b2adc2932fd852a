/**
 * OffsetCommit (key 8), versions 0-9.
 *
 * Commits are appended to the group's `__consumer_offsets` partition and acknowledged
 * only after that append is durable under the partition's flush policy (coordinator +
 * GroupService). Per partition: a topic or partition this broker does not host →
 * UNKNOWN_TOPIC_OR_PARTITION, metadata over offset.metadata.max.bytes →
 * OFFSET_METADATA_TOO_LARGE; group-level errors (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * REBALANCE_IN_PROGRESS, COORDINATOR_LOAD_IN_PROGRESS...) go on every partition.
 * Versions: v0 has no generation/member (a "simple" commit, generation -1), v1 a commit
 * timestamp per partition, v2-v4 a retention time, v6+ a leader epoch, v7+
 * group.instance.id, v8 is flexible, v9 (KIP-848) is v8 whose generation field is a member
 * epoch for new-protocol groups; for the classic groups here it is the generation, as in
 * Kafka. Empty group id → INVALID_GROUP_ID on every partition.
 */
import { ErrorCode, OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '@samsa/codec';
import type { OffsetCommitRequest, OffsetCommitResponse } from '@samsa/codec';
import { offsetCommitInput } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleOffsetCommit(ctx: BrokerContext, req: OffsetCommitRequest, info: RequestInfo): Promise<OffsetCommitResponse> {
  const fail = (errorCode: number): OffsetCommitResponse => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  });
  if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  return callGroups(ctx, 'OffsetCommit', 'offsetCommit', offsetCommitInput(req, info.apiVersion), fail);
}

export const offsetCommitHandler = defineHandler({
  apiKey: OffsetCommitRequestCodec.meta.apiKey,
  name: OffsetCommitRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 9,
  request: OffsetCommitRequestCodec,
  response: OffsetCommitResponseCodec,
  handle: handleOffsetCommit,
});
