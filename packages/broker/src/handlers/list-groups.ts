/**
 * ListGroups (key 16), versions 0-5.
 *
 * Every group this coordinator knows, with its protocol type; v4+ filters by state
 * (case-insensitive, e.g. "Stable", "Empty") and answers each group's state; v5+ filters
 * by group type (KIP-848; case-insensitive) and answers each group's type — "classic" for
 * JoinGroup groups, "consumer" for ConsumerGroupHeartbeat groups. While the
 * coordinator replays `__consumer_offsets` the answer is COORDINATOR_LOAD_IN_PROGRESS.
 */
import { ListGroupsRequestCodec, ListGroupsResponseCodec } from '@samsa/codec';
import type { ListGroupsRequest, ListGroupsResponse } from '@samsa/codec';
import { listGroupsInput } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

function handleListGroups(ctx: BrokerContext, req: ListGroupsRequest, info: RequestInfo): Promise<ListGroupsResponse> {
  const fail = (errorCode: number): ListGroupsResponse => ({ throttleTimeMs: 0, errorCode, groups: [] });
  return callGroups(ctx, 'ListGroups', 'listGroups', listGroupsInput(req, info.apiVersion), fail);
}

export const listGroupsHandler = defineHandler({
  apiKey: ListGroupsRequestCodec.meta.apiKey,
  name: ListGroupsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 5,
  request: ListGroupsRequestCodec,
  response: ListGroupsResponseCodec,
  handle: handleListGroups,
});
