/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * Per requested group: state, protocol type, the chosen protocol (when Stable) and the
 * members with client id/host and, when Stable, their metadata and assignment. An unknown
 * group is answered as state "Dead" with no error (Kafka up to v5). v3+ carry
 * authorizedOperations, answered as "not requested" (no ACLs here); v4+ members'
 * group.instance.id.
 */
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec } from '@samsa/codec';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';

function handleDescribeGroups(ctx: BrokerContext, req: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
  const fail = (errorCode: number): DescribeGroupsResponse => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })),
  });
  return callGroups(ctx, 'DescribeGroups', 'describeGroups', { groups: req.groups }, fail);
}

export const describeGroupsHandler = defineHandler({
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  request: DescribeGroupsRequestCodec,
  response: DescribeGroupsResponseCodec,
  handle: handleDescribeGroups,
});
