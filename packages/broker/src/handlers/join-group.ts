/**
 * JoinGroup (key 11), versions 0-9.
 *
 * Runs through the group coordinator; the response waits for the rebalance (as Kafka's
 * delayed join). The version rules live in @samsa/coordinator's kafka-version-mapping
 * (`joinGroupInput`, `joinGroupResponseFor`): v0 has no rebalance timeout (the session
 * timeout is used), v4+ gets MEMBER_ID_REQUIRED on a first join (KIP-394), v5+ carries
 * group.instance.id (static membership; a static leader that restarts in a Stable group is
 * told, at v9+, to skip the assignment, KIP-814), v7+ answers protocolType and a nullable
 * protocolName (older versions get ""), v8+ a reason (logged by nobody, kept for parity).
 * An empty group id → INVALID_GROUP_ID; more than JOIN_PROTOCOLS_MAX protocols or more than
 * MEMBER_METADATA_BYTES_MAX bytes of protocol metadata → INVALID_REQUEST (nothing changes
 * in the group).
 */
import { ErrorCode, JoinGroupRequestCodec, JoinGroupResponseCodec } from '@samsa/codec';
import type { JoinGroupRequest, JoinGroupResponse } from '@samsa/codec';
import { joinGroupInput, joinGroupResponseFor } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups, clientHostOf, protocolsWithinBounds } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleJoinGroup(ctx: BrokerContext, req: JoinGroupRequest, info: RequestInfo): Promise<JoinGroupResponse> {
  const v = info.apiVersion;
  const fail = (errorCode: number): JoinGroupResponse => ({
    throttleTimeMs: 0,
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId: req.memberId,
    members: [],
  });
  if (req.groupId === '') return joinGroupResponseFor(fail(ErrorCode.INVALID_GROUP_ID), v);
  if (!protocolsWithinBounds(req.protocols)) return joinGroupResponseFor(fail(ErrorCode.INVALID_REQUEST), v);
  const input = joinGroupInput(req, v, info.clientId ?? '', clientHostOf(info.peer));
  return joinGroupResponseFor(await callGroups(ctx, 'JoinGroup', 'joinGroup', input, fail), v);
}

export const joinGroupHandler = defineHandler({
  apiKey: JoinGroupRequestCodec.meta.apiKey,
  name: JoinGroupRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 9,
  request: JoinGroupRequestCodec,
  response: JoinGroupResponseCodec,
  handle: handleJoinGroup,
});
