/**
 * SyncGroup (key 14), versions 0-5.
 *
 * The leader sends every member's assignment; each member's response waits until the
 * leader's assignment is persisted in `__consumer_offsets` (coordinator). v3+ carries
 * group.instance.id; v5+ carries protocolType/protocolName, which the coordinator checks
 * against the group (INCONSISTENT_GROUP_PROTOCOL) and echoes. Empty group id →
 * INVALID_GROUP_ID.
 */
import { ErrorCode, SyncGroupRequestCodec, SyncGroupResponseCodec } from '@samsa/codec';
import type { SyncGroupRequest, SyncGroupResponse } from '@samsa/codec';
import { syncGroupInput } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

const EMPTY = new Uint8Array(0);

async function handleSyncGroup(ctx: BrokerContext, req: SyncGroupRequest, info: RequestInfo): Promise<SyncGroupResponse> {
  const fail = (errorCode: number): SyncGroupResponse => ({ throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY });
  if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  return callGroups(ctx, 'SyncGroup', 'syncGroup', syncGroupInput(req, info.apiVersion), fail);
}

export const syncGroupHandler = defineHandler({
  apiKey: SyncGroupRequestCodec.meta.apiKey,
  name: SyncGroupRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 5,
  request: SyncGroupRequestCodec,
  response: SyncGroupResponseCodec,
  handle: handleSyncGroup,
});
