/**
 * LeaveGroup (key 13), versions 0-5.
 *
 * v0-v2 name one member (`memberId`); its error is the top-level error code. v3+ leave a
 * batch of member identities (memberId and/or group.instance.id, KIP-345) with an error
 * per member; v5+ a reason per member. Empty group id → INVALID_GROUP_ID.
 */
import { ErrorCode, LeaveGroupRequestCodec, LeaveGroupResponseCodec } from '@samsa/codec';
import type { LeaveGroupRequest, LeaveGroupResponse } from '@samsa/codec';
import { leaveGroupInput, leaveGroupResponseFor } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleLeaveGroup(ctx: BrokerContext, req: LeaveGroupRequest, info: RequestInfo): Promise<LeaveGroupResponse> {
  const v = info.apiVersion;
  const fail = (errorCode: number): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members: [] });
  if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  return leaveGroupResponseFor(await callGroups(ctx, 'LeaveGroup', 'leaveGroup', leaveGroupInput(req, v), fail), v);
}

export const leaveGroupHandler = defineHandler({
  apiKey: LeaveGroupRequestCodec.meta.apiKey,
  name: LeaveGroupRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 5,
  request: LeaveGroupRequestCodec,
  response: LeaveGroupResponseCodec,
  handle: handleLeaveGroup,
});
