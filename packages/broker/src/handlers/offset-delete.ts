/**
 * OffsetDelete (key 47), version 0.
 *
 * Deletes a group's committed offsets for some partitions (tombstones in
 * `__consumer_offsets`). Refused per partition with GROUP_SUBSCRIBED_TO_TOPIC while a
 * live consumer group subscribes to the topic; unknown group → GROUP_ID_NOT_FOUND; empty
 * group id → INVALID_GROUP_ID.
 */
import { OffsetDeleteRequestCodec, OffsetDeleteResponseCodec } from '@samsa/codec';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';

function handleOffsetDelete(ctx: BrokerContext, req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
  const fail = (errorCode: number): OffsetDeleteResponse => ({ errorCode, throttleTimeMs: 0, topics: [] });
  return callGroups(ctx, 'OffsetDelete', 'offsetDelete', { groupId: req.groupId, topics: req.topics }, fail);
}

export const offsetDeleteHandler = defineHandler({
  apiKey: OffsetDeleteRequestCodec.meta.apiKey,
  name: OffsetDeleteRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: OffsetDeleteRequestCodec,
  response: OffsetDeleteResponseCodec,
  handle: handleOffsetDelete,
});
