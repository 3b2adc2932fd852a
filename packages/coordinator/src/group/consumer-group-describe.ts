/**
 * What the other group APIs see of KIP-848 consumer groups, as functions over
 * CoordinatorState:
 *
 *   ConsumerGroupDescribe  state, group and assignment epochs, assignor, members with their
 *                          current and target assignments; a classic or unknown group id →
 *                          GROUP_ID_NOT_FOUND (as Kafka's consumerGroupDescribe)
 *   OffsetCommit           Kafka's ConsumerGroup.validateOffsetCommit: epoch < 0 on an empty
 *                          group is a simple commit; otherwise a known member (UNKNOWN_MEMBER_ID)
 *                          committing with v9+ (UNSUPPORTED_VERSION) at its exact member epoch
 *                          (STALE_MEMBER_EPOCH); a classic member (mixed group) commits with
 *                          any version, its generation id = its member epoch (ILLEGAL_GENERATION)
 *   OffsetFetch v9+        ConsumerGroup.validateOffsetFetch: no member id and epoch < 0 is
 *                          not checked; otherwise the same member and epoch checks
 *
 * Single-threaded; reads only.
 */
import { ErrorCode as E } from '@samsa/codec';
import type { ConsumerGroupDescribeResponseAssignment, ConsumerGroupDescribeResponseDescribedGroup } from '@samsa/codec';
import { assignmentList, consumerGroupState, preferredAssignor } from './consumer-group.ts';
import type { ConsumerGroup, ConsumerGroupMember, TopicAssignment } from './consumer-group.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import type { ConsumerGroupDescribeInput, OffsetCommitInput, OffsetFetchInput } from './types.ts';

const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;

export function consumerGroupDescribe(s: CoordinatorState, requestId: number, req: ConsumerGroupDescribeInput): void {
  const groups = req.groupIds.map((groupId) => describeOne(s, groupId));
  s.respond(requestId, { api: 'ConsumerGroupDescribe', body: { throttleTimeMs: 0, groups } });
}

function describeOne(s: CoordinatorState, groupId: string): ConsumerGroupDescribeResponseDescribedGroup {
  const base = { errorCode: E.NONE as number, errorMessage: null as string | null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
  const unavailable = s.unavailable(groupId);
  if (unavailable !== null) return { ...base, errorCode: unavailable };
  const cg = s.consumerGroups.get(groupId);
  if (cg === undefined) {
    const message = s.groups.has(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
    return { ...base, errorCode: E.GROUP_ID_NOT_FOUND, errorMessage: message };
  }
  return {
    ...base,
    groupState: consumerGroupState(cg),
    groupEpoch: cg.groupEpoch,
    assignmentEpoch: cg.assignmentEpoch,
    assignorName: preferredAssignor(cg, s.config.consumerGroupDefaultAssignor),
    members: [...cg.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: null,
      assignment: describedAssignment(cg, m.assigned),
      targetAssignment: describedAssignment(cg, cg.target.get(m.memberId) ?? new Map()),
    })),
  };
}

function describedAssignment(cg: ConsumerGroup, a: TopicAssignment): ConsumerGroupDescribeResponseAssignment {
  return { topicPartitions: assignmentList(a).map((t) => ({ topicId: t.topicId, topicName: cg.topicNames.get(t.topicId) ?? '', partitions: t.partitions })) };
}

/** The commit error for a consumer group (null = commit). */
export function consumerGroupCommitError(cg: ConsumerGroup, req: OffsetCommitInput): number | null {
  if (req.generationIdOrMemberEpoch < 0 && cg.members.size === 0) return null;
  const m = cg.members.get(req.memberId);
  if (m === undefined) return E.UNKNOWN_MEMBER_ID;
  if (m.classic === null && (req.apiVersion ?? 9) < 9) return E.UNSUPPORTED_VERSION;
  return epochMismatch(m, req.generationIdOrMemberEpoch);
}

/** The fetch error for a consumer group (null = answer). */
export function consumerGroupFetchError(cg: ConsumerGroup, req: OffsetFetchInput): number | null {
  const memberId = req.memberId ?? null;
  const memberEpoch = req.memberEpoch ?? -1;
  if (memberId === null && memberEpoch < 0) return null;
  const m = memberId === null ? undefined : cg.members.get(memberId);
  if (m === undefined) return E.UNKNOWN_MEMBER_ID;
  return epochMismatch(m, memberEpoch);
}

/** Kafka's validateMemberEpoch: a classic member's generation id is its member epoch (ILLEGAL_GENERATION), a consumer member's epoch STALE_MEMBER_EPOCH. */
function epochMismatch(m: ConsumerGroupMember, received: number): number | null {
  if (received === m.memberEpoch) return null;
  return m.classic === null ? E.STALE_MEMBER_EPOCH : E.ILLEGAL_GENERATION;
}
