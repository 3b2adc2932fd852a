/**
 * Heartbeat (key 12), versions 0-4.
 *
 * Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin,
 * ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID that it was fenced. v3+ carries
 * group.instance.id (FENCED_INSTANCE_ID). Empty group id → INVALID_GROUP_ID.
 */
import { ErrorCode, HeartbeatRequestCodec, HeartbeatResponseCodec } from '@samsa/codec';
import type { HeartbeatRequest, HeartbeatResponse } from '@samsa/codec';
import { heartbeatInput } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleHeartbeat(ctx: BrokerContext, req: HeartbeatRequest, info: RequestInfo): Promise<HeartbeatResponse> {
  const fail = (errorCode: number): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode });
  if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  return callGroups(ctx, 'Heartbeat', 'heartbeat', heartbeatInput(req, info.apiVersion), fail);
}

export const heartbeatHandler = defineHandler({
  apiKey: HeartbeatRequestCodec.meta.apiKey,
  name: HeartbeatRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 4,
  request: HeartbeatRequestCodec,
  response: HeartbeatResponseCodec,
  handle: handleHeartbeat,
});
