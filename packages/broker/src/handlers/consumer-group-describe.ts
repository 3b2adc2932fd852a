/**
 * ConsumerGroupDescribe (key 69), version 0: KIP-848 consumer groups — state (Empty,
 * Assigning, Reconciling, Stable), group epoch, assignment epoch, the assignor, and each
 * member's ids, rack, epoch, client, subscriptions, current and target assignment (topic
 * ids and names). A classic or unknown group id → GROUP_ID_NOT_FOUND, as Kafka.
 * includeAuthorizedOperations: no authorizer here, so a described group carries every
 * group operation (as describe-groups.ts), else Kafka's "not requested" INT32_MIN.
 */
import { ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec, ErrorCode } from '@samsa/codec';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, GROUP_AUTHORIZED_OPERATIONS } from './authorized-operations.ts';

async function handleConsumerGroupDescribe(ctx: BrokerContext, req: ConsumerGroupDescribeRequest): Promise<ConsumerGroupDescribeResponse> {
  const fail = (errorCode: number): ConsumerGroupDescribeResponse => ({
    throttleTimeMs: 0,
    groups: req.groupIds.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED })),
  });
  const res = await callGroups(ctx, 'ConsumerGroupDescribe', 'consumerGroupDescribe', { groupIds: req.groupIds }, fail);
  if (!req.includeAuthorizedOperations) return res;
  return { ...res, groups: res.groups.map((g) => (g.errorCode === ErrorCode.NONE ? { ...g, authorizedOperations: GROUP_AUTHORIZED_OPERATIONS } : g)) };
}

export const consumerGroupDescribeHandler = defineHandler({
  apiKey: ConsumerGroupDescribeRequestCodec.meta.apiKey,
  name: ConsumerGroupDescribeRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: ConsumerGroupDescribeRequestCodec,
  response: ConsumerGroupDescribeResponseCodec,
  handle: handleConsumerGroupDescribe,
});
