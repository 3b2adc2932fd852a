/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes Empty groups: tombstones for each committed offset and for the group metadata
 * go to `__consumer_offsets` (compaction then removes them). Per group: unknown →
 * GROUP_ID_NOT_FOUND, members present → NON_EMPTY_GROUP.
 */
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from '@samsa/codec';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';

function handleDeleteGroups(ctx: BrokerContext, req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  const fail = (errorCode: number): DeleteGroupsResponse => ({ throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) });
  return callGroups(ctx, 'DeleteGroups', 'deleteGroups', { groupsNames: req.groupsNames }, fail);
}

export const deleteGroupsHandler = defineHandler({
  apiKey: DeleteGroupsRequestCodec.meta.apiKey,
  name: DeleteGroupsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 2,
  request: DeleteGroupsRequestCodec,
  response: DeleteGroupsResponseCodec,
  handle: handleDeleteGroups,
});
