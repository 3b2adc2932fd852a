/**
 * Glue between @samsa/codec's decoded requests (any version) and the coordinator's
 * version-independent inputs/outputs, for the broker's handlers:
 *
 *   JoinGroup    v0: rebalanceTimeoutMs = sessionTimeoutMs; v4+: requireKnownMemberId (KIP-394);
 *                v5+: groupInstanceId; v8+: reason (KIP-800); v9+: skipAssignmentSupported
 *                (KIP-814); v0–v6 responses carry a non-null protocolName ("" on errors, as Kafka)
 *   SyncGroup    v3+: groupInstanceId; v5+: protocolType/protocolName (checked, echoed)
 *   Heartbeat    v3+: groupInstanceId
 *   LeaveGroup   v0–v2: one memberId → members[0]; the response's error is that member's;
 *                v3+: a batch of members; v5+: a reason per member (KIP-800)
 *   OffsetCommit v0: a simple commit (generation -1, no member); v1: commitTimestamp;
 *                v2–v4: retentionTimeMs; v6+: committedLeaderEpoch; v7+: groupInstanceId
 *   OffsetFetch  v0–v7: one group (v0/v1: errors per partition, v2+: top-level error code);
 *                v8+: `groups[]`, one coordinator call per group
 *   ListGroups   v4+: statesFilter
 *   OffsetCommit v9+ / OffsetFetch v9+: the version and the member id / epoch, checked by
 *                KIP-848 consumer groups only
 *   ConsumerGroupHeartbeat v1+ (KIP-1082): the client generates its member id (never empty);
 *                v1's SubscribedTopicRegex
 *
 * Each field is taken only from the versions whose spec (packages/codec/spec/*.json)
 * carries it; an older request gets the coordinator's default for it, whatever the decoded
 * object holds. This is the only copy of the version rules: the broker's group handlers
 * call these functions and add nothing version-specific of their own.
 *
 * Pure functions; no state.
 */
import { ErrorCode } from '@samsa/codec';
import type {
  ConsumerGroupHeartbeatRequest,
  HeartbeatRequest,
  JoinGroupRequest,
  ListGroupsRequest,
  OffsetCommitRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  OffsetFetchResponseOffsetFetchResponseGroup,
  SyncGroupRequest,
} from '@samsa/codec';
import type { ConsumerGroupHeartbeatInput, HeartbeatInput, JoinGroupInput, LeaveGroupInput, ListGroupsInput, OffsetCommitInput, OffsetFetchInput, SyncGroupInput } from './types.ts';

export function joinGroupInput(req: JoinGroupRequest, version: number, clientId: string, clientHost: string): JoinGroupInput {
  return {
    groupId: req.groupId,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    memberId: req.memberId,
    groupInstanceId: version >= 5 ? req.groupInstanceId : null,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    reason: version >= 8 ? req.reason : null,
    clientId,
    clientHost,
    requireKnownMemberId: version >= 4,
    skipAssignmentSupported: version >= 9,
  };
}

/**
 * Before v7 protocolName is not nullable: Kafka sends "" (GroupCoordinator.NoProtocol).
 * Before v9 there is no skipAssignment (the coordinator sets it only for v9+ joins).
 */
export function joinGroupResponseFor(body: JoinGroupResponse, version: number): JoinGroupResponse {
  let out = body;
  if (version < 7 && out.protocolName === null) out = { ...out, protocolName: '' };
  if (version < 9 && out.skipAssignment) out = { ...out, skipAssignment: false };
  return out;
}

export function syncGroupInput(req: SyncGroupRequest, version: number): SyncGroupInput {
  return {
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: version >= 3 ? req.groupInstanceId : null,
    protocolType: version >= 5 ? req.protocolType : null,
    protocolName: version >= 5 ? req.protocolName : null,
    assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
  };
}

export function heartbeatInput(req: HeartbeatRequest, version: number): HeartbeatInput {
  return { groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, groupInstanceId: version >= 3 ? req.groupInstanceId : null };
}

export function offsetCommitInput(req: OffsetCommitRequest, version: number): OffsetCommitInput {
  return {
    groupId: req.groupId,
    generationIdOrMemberEpoch: version >= 1 ? req.generationIdOrMemberEpoch : -1,
    memberId: version >= 1 ? req.memberId : '',
    groupInstanceId: version >= 7 ? req.groupInstanceId : null,
    retentionTimeMs: version >= 2 && version <= 4 ? req.retentionTimeMs : -1,
    apiVersion: version,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
        commitTimestamp: version === 1 ? p.commitTimestamp : -1,
        committedMetadata: p.committedMetadata,
      })),
    })),
  };
}

/** statesFilter from v4, typesFilter from v5 (every group here is "classic"; a filter without it lists none). */
export function listGroupsInput(req: ListGroupsRequest, version: number): ListGroupsInput {
  return { statesFilter: version >= 4 ? req.statesFilter : [], typesFilter: version >= 5 ? req.typesFilter : [] };
}

export function leaveGroupInput(req: LeaveGroupRequest, version: number): LeaveGroupInput {
  if (version < 3) return { groupId: req.groupId, members: [{ memberId: req.memberId, groupInstanceId: null, reason: null }] };
  return { groupId: req.groupId, members: req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: version >= 5 ? m.reason : null })) };
}

/** v0–v2 have no per-member results: the single member's error becomes the top-level one. */
export function leaveGroupResponseFor(body: LeaveGroupResponse, version: number): LeaveGroupResponse {
  if (version >= 3) return body;
  const errorCode = body.errorCode !== ErrorCode.NONE ? body.errorCode : (body.members[0]?.errorCode ?? ErrorCode.NONE);
  return { throttleTimeMs: body.throttleTimeMs, errorCode, members: [] };
}

export function offsetFetchInputs(req: OffsetFetchRequest, version: number): OffsetFetchInput[] {
  if (version >= 8) {
    return req.groups.map((g) => ({
      groupId: g.groupId,
      topics: g.topics === null ? null : g.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes })),
      requireStable: req.requireStable,
      ...(version >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : {}),
    }));
  }
  const topics = req.topics === null ? null : req.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
  return [{ groupId: req.groupId, topics: version >= 2 ? topics : (topics ?? []), requireStable: version >= 7 ? req.requireStable : false }];
}

/**
 * Assembles the coordinator's per-group answers (in request order) into the response for
 * `version`. v0/v1 have no top-level error: a group error is reported on every requested partition.
 */
export function offsetFetchResponseFor(groups: OffsetFetchResponseOffsetFetchResponseGroup[], inputs: OffsetFetchInput[], version: number): OffsetFetchResponse {
  if (version >= 8) return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
  const g = groups[0];
  if (g === undefined) throw new Error('offsetFetchResponseFor: no group answer');
  if (g.errorCode === ErrorCode.NONE) return { throttleTimeMs: 0, topics: g.topics, errorCode: ErrorCode.NONE, groups: [] };
  if (version >= 2) return { throttleTimeMs: 0, topics: [], errorCode: g.errorCode, groups: [] };
  const topics = (inputs[0]?.topics ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: g.errorCode })),
  }));
  return { throttleTimeMs: 0, topics, errorCode: ErrorCode.NONE, groups: [] };
}

export function consumerGroupHeartbeatInput(req: ConsumerGroupHeartbeatRequest, version: number, clientId: string, clientHost: string): ConsumerGroupHeartbeatInput {
  return {
    groupId: req.groupId,
    memberId: req.memberId,
    memberEpoch: req.memberEpoch,
    instanceId: req.instanceId,
    rackId: req.rackId,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    subscribedTopicNames: req.subscribedTopicNames,
    subscribedTopicRegex: version >= 1 ? req.subscribedTopicRegex : null,
    serverAssignor: req.serverAssignor,
    topicPartitions: req.topicPartitions === null ? null : req.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: t.partitions })),
    memberIdRequired: version >= 1,
    clientId,
    clientHost,
  };
}
