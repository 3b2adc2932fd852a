/**
 * SyncGroup, Heartbeat and LeaveGroup: the requests of a member that has joined, as
 * functions over CoordinatorState.
 *
 * SyncGroup: followers park until the leader's assignment is persisted with the group
 * (one GroupMetadata record); then every parked SyncGroup is answered, each answered member
 * gets a fresh session (Kafka's propagateAssignment) and the group is Stable. A failed
 * append answers the waiters with the mapped error and starts a new rebalance. Heartbeat
 * keeps a session alive and tells a member to rejoin (REBALANCE_IN_PROGRESS). LeaveGroup
 * removes members (by member id or group.instance.id) and rebalances. For a KIP-848
 * consumer group all three go to consumer-group-classic-members.ts (Kafka 4's mixed groups).
 *
 * Invariant: each request is answered exactly once — now (an error code returned to the
 * facade, or a respond action) or later (a parked SyncGroup is answered by the assignment,
 * by an error, or by its replacement with REBALANCE_IN_PROGRESS). Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import { classicHeartbeatToConsumerGroup, classicLeaveToConsumerGroup, classicSyncToConsumerGroup } from './consumer-group-classic-members.ts';
import { groupAppendError } from './coordinator-state.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { EMPTY_BYTES } from './group-metadata.ts';
import type { GroupMetadata } from './group-metadata.ts';
import { failSyncWaiters, maybeCompleteJoin, prepareRebalance, removeMemberAndUpdateGroup, removePendingSync } from './rebalance.ts';
import type { HeartbeatInput, LeaveGroupInput, SyncGroupInput } from './types.ts';

export function syncGroup(s: CoordinatorState, g: GroupMetadata | undefined, requestId: number, req: SyncGroupInput, now: number): number | null {
  if (req.groupId === '') return E.INVALID_GROUP_ID;
  const unavailable = s.unavailable(req.groupId);
  if (unavailable !== null) return unavailable;
  const cg = s.consumerGroups.get(req.groupId);
  if (cg !== undefined) return classicSyncToConsumerGroup(s, cg, requestId, req, now);
  if (g === undefined) return E.UNKNOWN_MEMBER_ID;
  if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
  const fenced = s.staticMemberCheck(g, req.groupInstanceId, req.memberId);
  if (fenced !== null) return fenced;
  const member = g.members.get(req.memberId);
  if (member === undefined) return E.UNKNOWN_MEMBER_ID;
  if (req.generationId !== g.generation) return E.ILLEGAL_GENERATION;
  if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocol)) return E.INCONSISTENT_GROUP_PROTOCOL;
  switch (g.state) {
    case 'Empty':
      return E.UNKNOWN_MEMBER_ID;
    case 'PreparingRebalance':
      return E.REBALANCE_IN_PROGRESS;
    case 'Stable':
      removePendingSync(g, member.memberId);
      s.resetHeartbeat(member, now);
      s.respondSync(requestId, g, E.NONE, member.assignment);
      return null;
    case 'CompletingRebalance': {
      const leaderAssigns = member.memberId === g.leaderId && g.persistingAssignmentGeneration !== g.generation;
      // Refused before parking, so the request is answered once and the leader still owes its sync.
      if (leaderAssigns && s.appendsFull()) return E.COORDINATOR_NOT_AVAILABLE;
      if (member.syncRequestId !== null) s.respondSync(member.syncRequestId, g, E.REBALANCE_IN_PROGRESS, EMPTY_BYTES);
      member.syncRequestId = requestId;
      removePendingSync(g, member.memberId);
      s.resetHeartbeat(member, now);
      if (leaderAssigns) onLeaderSync(s, g, req, now);
      return null;
    }
  }
}

/** The leader's assignment: persist it with the group, then answer every waiting SyncGroup. The caller checked #appendsFull. */
function onLeaderSync(s: CoordinatorState, g: GroupMetadata, req: SyncGroupInput, now: number): void {
  const given = new Map<string, Uint8Array>();
  for (const a of req.assignments) given.set(a.memberId, a.assignment.slice());
  const assignments = new Map<string, Uint8Array>();
  for (const id of g.members.keys()) assignments.set(id, given.get(id) ?? EMPTY_BYTES);
  const generation = g.generation;
  g.persistingAssignmentGeneration = generation;
  g.pendingAppends++;
  s.persistGroup(g, now, (code) => {
    g.pendingAppends--;
    if (g.persistingAssignmentGeneration === generation) g.persistingAssignmentGeneration = -1;
    if (s.groups.get(g.groupId) !== g || g.generation !== generation || g.state !== 'CompletingRebalance') return;
    if (code !== 0) {
      failSyncWaiters(s, g, groupAppendError(code), s.nowMs);
      prepareRebalance(s, g, s.nowMs);
      return;
    }
    for (const m of g.members.values()) {
      m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
      if (m.syncRequestId !== null) {
        s.respondSync(m.syncRequestId, g, E.NONE, m.assignment);
        m.syncRequestId = null;
        s.resetHeartbeat(m, s.nowMs); // kept alive while parked; a fresh session from the answer (Kafka's propagateAssignment)
      }
    }
    s.transition(g, 'Stable', s.nowMs);
  }, assignments);
}

export function heartbeat(s: CoordinatorState, req: HeartbeatInput, now: number): number {
  if (req.groupId === '') return E.INVALID_GROUP_ID;
  const unavailable = s.unavailable(req.groupId);
  if (unavailable !== null) return unavailable;
  const cg = s.consumerGroups.get(req.groupId);
  if (cg !== undefined) return classicHeartbeatToConsumerGroup(s, cg, req, now);
  const g = s.groups.get(req.groupId);
  if (g === undefined) return E.UNKNOWN_MEMBER_ID;
  if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
  const fenced = s.staticMemberCheck(g, req.groupInstanceId, req.memberId);
  if (fenced !== null) return fenced;
  const member = g.members.get(req.memberId);
  if (member === undefined) return E.UNKNOWN_MEMBER_ID;
  switch (g.state) {
    case 'Empty':
      return E.UNKNOWN_MEMBER_ID;
    case 'PreparingRebalance':
      s.resetHeartbeat(member, now);
      return E.REBALANCE_IN_PROGRESS;
    default:
      if (req.generationId !== g.generation) return E.ILLEGAL_GENERATION;
      s.resetHeartbeat(member, now);
      return E.NONE;
  }
}

export function leaveGroup(s: CoordinatorState, requestId: number, req: LeaveGroupInput): void {
  const now = s.nowMs;
  let errorCode: number = E.NONE;
  const members = req.members.map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: E.UNKNOWN_MEMBER_ID as number }));
  const g = s.groups.get(req.groupId);
  const unavailable = s.unavailable(req.groupId);
  const cg = s.consumerGroups.get(req.groupId);
  if (req.groupId === '') errorCode = E.INVALID_GROUP_ID;
  else if (unavailable !== null) errorCode = unavailable;
  else if (cg !== undefined) return classicLeaveToConsumerGroup(s, cg, requestId, req, now);
  else if (g !== undefined && g.state === 'Dead') errorCode = E.COORDINATOR_NOT_AVAILABLE;
  else if (g !== undefined) for (const r of members) r.errorCode = leaveOne(s, g, r.memberId, r.groupInstanceId, now);
  s.respond(requestId, { api: 'LeaveGroup', body: { throttleTimeMs: 0, errorCode, members: errorCode === E.NONE ? members : [] } });
}

function leaveOne(s: CoordinatorState, g: GroupMetadata, memberId: string, groupInstanceId: string | null, now: number): number {
  if (groupInstanceId !== null) {
    const current = g.staticMembers.get(groupInstanceId);
    if (current === undefined) return E.UNKNOWN_MEMBER_ID;
    if (memberId !== '' && current !== memberId) return E.FENCED_INSTANCE_ID;
    memberId = current;
  }
  if (g.pendingMembers.delete(memberId)) {
    if (g.state === 'PreparingRebalance') maybeCompleteJoin(s, g, now);
    return E.NONE;
  }
  const m = g.members.get(memberId);
  if (m === undefined) return E.UNKNOWN_MEMBER_ID;
  removeMemberAndUpdateGroup(s, g, m, now);
  return E.NONE;
}
