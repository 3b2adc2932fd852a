/**
 * ConsumerGroupHeartbeat (key 68), versions 0-1: KIP-848's consumer group protocol (Kafka
 * 4.0 GA). One request joins (memberEpoch 0), heartbeats and reconciles, or leaves (-1;
 * -2 for a static member coming back); the coordinator answers at once with the member id,
 * its epoch, the heartbeat interval and, when it changed or on a full request, the
 * partitions the member may use (by topic id). Errors as Kafka: INVALID_REQUEST,
 * UNSUPPORTED_ASSIGNOR (assignors: "uniform", the default, and "range"), UNKNOWN_MEMBER_ID,
 * FENCED_MEMBER_EPOCH, FENCED_INSTANCE_ID, UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED,
 * GROUP_ID_NOT_FOUND (a classic group with members), COORDINATOR_LOAD_IN_PROGRESS /
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE.
 * v0: the coordinator generates the member id; v1 (KIP-1082): the client does, and an
 * empty one is INVALID_REQUEST; v1's SubscribedTopicRegex is not supported
 * (INVALID_REQUEST). The version rules are @samsa/coordinator's consumerGroupHeartbeatInput.
 * Consumer-group state is in memory (see @samsa/coordinator's consumer-group.ts).
 */
import { ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec } from '@samsa/codec';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '@samsa/codec';
import { consumerGroupHeartbeatInput } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { callGroups, clientHostOf } from '../groups/group-call.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleConsumerGroupHeartbeat(ctx: BrokerContext, req: ConsumerGroupHeartbeatRequest, info: RequestInfo): Promise<ConsumerGroupHeartbeatResponse> {
  const fail = (errorCode: number): ConsumerGroupHeartbeatResponse => ({ throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
  const input = consumerGroupHeartbeatInput(req, info.apiVersion, info.clientId ?? '', clientHostOf(info.peer));
  return callGroups(ctx, 'ConsumerGroupHeartbeat', 'consumerGroupHeartbeat', input, fail);
}

export const consumerGroupHeartbeatHandler = defineHandler({
  apiKey: ConsumerGroupHeartbeatRequestCodec.meta.apiKey,
  name: ConsumerGroupHeartbeatRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 1,
  request: ConsumerGroupHeartbeatRequestCodec,
  response: ConsumerGroupHeartbeatResponseCodec,
  handle: handleConsumerGroupHeartbeat,
});
