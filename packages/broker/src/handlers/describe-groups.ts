/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * Per requested group: state, protocol type, the chosen protocol (when Stable) and the
 * members with client id/host and, when Stable, their metadata and assignment. An unknown
 * group is answered as state "Dead" with no error (Kafka up to v5). v3+ carry
 * authorizedOperations (KIP-430): no authorizer here, so when asked every group answered
 * without an error carries every group operation, as Kafka does (see
 * authorized-operations.ts); not asked, Kafka's "not requested" INT32_MIN. v4+ members'
 * group.instance.id.
 */
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec, ErrorCode } from '@samsa/codec';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, GROUP_AUTHORIZED_OPERATIONS } from './authorized-operations.ts';

async function handleDescribeGroups(ctx: BrokerContext, req: DescribeGroupsRequest, info: RequestInfo): Promise<DescribeGroupsResponse> {
  const fail = (errorCode: number): DescribeGroupsResponse => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED })),
  });
  const res = await callGroups(ctx, 'DescribeGroups', 'describeGroups', { groups: req.groups }, fail);
  if (info.apiVersion < 3 || !req.includeAuthorizedOperations) return res;
  return { ...res, groups: res.groups.map((g) => (g.errorCode === ErrorCode.NONE ? { ...g, authorizedOperations: GROUP_AUTHORIZED_OPERATIONS } : g)) };
}

export const describeGroupsHandler = defineHandler({
  apiKey: DescribeGroupsRequestCodec.meta.apiKey,
  name: DescribeGroupsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 5,
  request: DescribeGroupsRequestCodec,
  response: DescribeGroupsResponseCodec,
  handle: handleDescribeGroups,
});
