/**
 * JoinGroup: admission (group size, session-timeout bounds, protocols), new and known
 * members, and static-member replacement, as functions over CoordinatorState. A join that
 * changes the group starts or joins a rebalance (rebalance.ts); its answer waits there.
 *
 * Fencing: member ids are `<clientId>-<uuid>` (`<groupInstanceId>-<uuid>` for static
 * members), from the seeded random. JoinGroup v4+ with an empty member id gets
 * MEMBER_ID_REQUIRED and the id (KIP-394), which expires after the session timeout if it
 * never returns. A static member (KIP-345) rejoining with an empty id takes over its
 * instance under a new id; the old id is fenced (FENCED_INSTANCE_ID).
 *
 * Invariant: `joinGroup` either returns an error code (the facade answers it) or has
 * answered or parked the request (a member's `joinRequestId`), never both. A group it
 * created and that holds nothing after a failed join is removed again. Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import type { JoinGroupResponse } from '@samsa/codec';
import { classicJoinToConsumerGroup } from './consumer-group-classic-members.ts';
import { groupAppendError, joinResponse } from './coordinator-state.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { EMPTY_BYTES, generateMemberId, newGroup, sameProtocols, supportsProtocols } from './group-metadata.ts';
import type { GroupMetadata, MemberMetadata } from './group-metadata.ts';
import { maybeCompleteJoin, maybePrepareRebalance, memberList, respondCurrentGeneration } from './rebalance.ts';
import type { JoinGroupInput } from './types.ts';

/** Returns an error code to answer with, or null when the response was emitted/deferred. */
export function joinGroup(s: CoordinatorState, requestId: number, req: JoinGroupInput, now: number): number | null {
  if (req.groupId === '') return E.INVALID_GROUP_ID;
  const unavailable = s.unavailable(req.groupId);
  if (unavailable !== null) return unavailable;
  if (req.sessionTimeoutMs < s.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > s.config.groupMaxSessionTimeoutMs) return E.INVALID_SESSION_TIMEOUT;
  const consumerGroup = s.consumerGroups.get(req.groupId);
  if (consumerGroup !== undefined) {
    // Kafka 4's mixed groups: a classic member joins a consumer group with members; an empty one becomes classic again (its offsets stay).
    if (consumerGroup.members.size > 0) return classicJoinToConsumerGroup(s, consumerGroup, requestId, req, now);
    s.consumerGroups.delete(req.groupId);
  }
  let g = s.groups.get(req.groupId);
  if (g === undefined) {
    if (req.memberId !== '') return E.UNKNOWN_MEMBER_ID;
    if (s.groups.size >= s.config.groupsMax) return E.COORDINATOR_NOT_AVAILABLE;
    g = newGroup(req.groupId, now);
    s.groups.set(req.groupId, g);
  }
  if (!acceptJoiningMember(s, g, req.memberId)) {
    maybeRemoveEmptyGroup(s, g);
    return E.GROUP_MAX_SIZE_REACHED;
  }
  const error = req.memberId === '' ? newMemberJoin(s, g, requestId, req, now) : currentMemberJoin(s, g, requestId, req, now);
  if (error !== null) maybeRemoveEmptyGroup(s, g);
  return error;
}

/** A group created by a failed join and holding nothing is dropped again. */
function maybeRemoveEmptyGroup(s: CoordinatorState, g: GroupMetadata): void {
  if (g.state === 'Empty' && g.members.size === 0 && g.pendingMembers.size === 0 && g.offsets.size === 0 && g.generation === 0 && g.pendingAppends === 0) s.groups.delete(g.groupId);
}

function acceptJoiningMember(s: CoordinatorState, g: GroupMetadata, memberId: string): boolean {
  const max = s.config.groupMaxSize;
  switch (g.state) {
    case 'Empty':
    case 'Dead':
      return true;
    case 'PreparingRebalance': {
      let awaiting = 0;
      for (const m of g.members.values()) if (m.joinRequestId !== null) awaiting++;
      return (g.members.has(memberId) && g.members.get(memberId)!.joinRequestId !== null) || awaiting < max;
    }
    default:
      return g.members.has(memberId) || g.members.size < max;
  }
}

function newMemberJoin(s: CoordinatorState, g: GroupMetadata, requestId: number, req: JoinGroupInput, now: number): number | null {
  if (!supportsProtocols(g, req.protocolType, req.protocols, null)) return E.INCONSISTENT_GROUP_PROTOCOL;
  if (req.groupInstanceId !== null) {
    const newMemberId = generateMemberId(req.groupInstanceId, s.random);
    const oldMemberId = g.staticMembers.get(req.groupInstanceId);
    if (oldMemberId !== undefined) return replaceStaticMember(s, g, requestId, req, oldMemberId, newMemberId, now);
    addMemberAndRebalance(s, g, requestId, req, newMemberId, now);
    return null;
  }
  const newMemberId = generateMemberId(req.clientId, s.random);
  if (req.requireKnownMemberId) {
    if (g.pendingMembers.size >= s.config.groupMaxSize) return E.GROUP_MAX_SIZE_REACHED;
    g.pendingMembers.set(newMemberId, now + req.sessionTimeoutMs);
    s.armed(now + req.sessionTimeoutMs);
    s.respondJoinError(requestId, newMemberId, E.MEMBER_ID_REQUIRED);
    return null;
  }
  addMemberAndRebalance(s, g, requestId, req, newMemberId, now);
  return null;
}

function currentMemberJoin(s: CoordinatorState, g: GroupMetadata, requestId: number, req: JoinGroupInput, now: number): number | null {
  if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
  if (!supportsProtocols(g, req.protocolType, req.protocols, req.memberId)) return E.INCONSISTENT_GROUP_PROTOCOL;
  if (g.pendingMembers.has(req.memberId)) {
    g.pendingMembers.delete(req.memberId);
    addMemberAndRebalance(s, g, requestId, req, req.memberId, now);
    return null;
  }
  const fenced = s.staticMemberCheck(g, req.groupInstanceId, req.memberId);
  if (fenced !== null) return fenced;
  const member = g.members.get(req.memberId);
  if (member === undefined) return E.UNKNOWN_MEMBER_ID;
  switch (g.state) {
    case 'PreparingRebalance':
      updateMemberAndRebalance(s, g, member, requestId, req, now);
      return null;
    case 'CompletingRebalance':
      if (sameProtocols(member.protocols, req.protocols)) {
        s.resetHeartbeat(member, now);
        respondCurrentGeneration(s, g, member, requestId, true);
      } else updateMemberAndRebalance(s, g, member, requestId, req, now);
      return null;
    case 'Stable':
      if (g.leaderId === member.memberId || !sameProtocols(member.protocols, req.protocols)) updateMemberAndRebalance(s, g, member, requestId, req, now);
      else {
        s.resetHeartbeat(member, now);
        respondCurrentGeneration(s, g, member, requestId, false);
      }
      return null;
    default:
      return E.UNKNOWN_MEMBER_ID;
  }
}

function newMember(s: CoordinatorState, req: JoinGroupInput, memberId: string, now: number): MemberMetadata {
  s.armed(now + req.sessionTimeoutMs);
  return {
    memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })),
    assignment: EMPTY_BYTES,
    joinRequestId: null,
    syncRequestId: null,
    heartbeatDeadlineMs: now + req.sessionTimeoutMs,
  };
}

function addMemberAndRebalance(s: CoordinatorState, g: GroupMetadata, requestId: number, req: JoinGroupInput, memberId: string, now: number): void {
  const member = newMember(s, req, memberId, now);
  member.joinRequestId = requestId;
  if (g.members.size === 0) g.protocolType = req.protocolType;
  g.members.set(memberId, member);
  if (member.groupInstanceId !== null) g.staticMembers.set(member.groupInstanceId, memberId);
  if (g.leaderId === null) g.leaderId = memberId;
  if (g.state === 'PreparingRebalance' && g.initialDelay !== null) g.initialDelay.newMemberAdded = true;
  maybePrepareRebalance(s, g, now);
  if (g.state === 'PreparingRebalance') maybeCompleteJoin(s, g, now);
}

function updateMemberAndRebalance(s: CoordinatorState, g: GroupMetadata, member: MemberMetadata, requestId: number, req: JoinGroupInput, now: number): void {
  if (member.joinRequestId !== null) s.respondJoinError(member.joinRequestId, member.memberId, E.REBALANCE_IN_PROGRESS);
  member.protocols = req.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() }));
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  member.clientId = req.clientId;
  member.clientHost = req.clientHost;
  member.joinRequestId = requestId;
  s.resetHeartbeat(member, now);
  maybePrepareRebalance(s, g, now);
  if (g.state === 'PreparingRebalance') maybeCompleteJoin(s, g, now);
}

/**
 * KIP-345: a known group.instance.id rejoins without a member id; the old id is fenced and
 * the member takes over its entry (position, assignment, leadership) under a new id.
 *
 * In Stable with unchanged protocols there is no rebalance, for the leader as for a
 * follower (Kafka's updateStaticMemberAndRebalance): the new id is persisted, then the
 * member gets the current generation. A leader that speaks JoinGroup v9+ (KIP-814) is
 * told it leads, with the members and skipAssignment, so it keeps the current assignment
 * instead of computing one; an older leader is answered with the previous leader id, so
 * it acts as a follower and its SyncGroup returns its assignment. If the append fails the
 * replacement is undone (the old id is back, the fenced requests stay answered) and the
 * member gets the error with no member id, as Kafka does.
 */
function replaceStaticMember(s: CoordinatorState, g: GroupMetadata, requestId: number, req: JoinGroupInput, oldMemberId: string, newMemberId: string, now: number): number | null {
  const old = g.members.get(oldMemberId)!;
  if (old.joinRequestId !== null) s.respondJoinError(old.joinRequestId, oldMemberId, E.FENCED_INSTANCE_ID);
  if (old.syncRequestId !== null) s.respondSync(old.syncRequestId, g, E.FENCED_INSTANCE_ID, EMPTY_BYTES);
  old.joinRequestId = null;
  old.syncRequestId = null;
  const wasLeader = g.leaderId === oldMemberId;
  const unchanged = sameProtocols(old.protocols, req.protocols);
  const member: MemberMetadata = { ...newMember(s, req, newMemberId, now), assignment: old.assignment };
  swapMember(g, req.groupInstanceId!, oldMemberId, newMemberId, member);
  if (wasLeader) g.leaderId = newMemberId;
  if (g.state === 'Stable' && unchanged) {
    // No rebalance: persist the new id, then hand the member the current generation.
    const generation = g.generation;
    s.persistGroup(g, now, (code) => {
      const current = s.groups.get(g.groupId) === g && g.members.get(newMemberId) === member;
      if (code !== 0) {
        if (current) {
          swapMember(g, req.groupInstanceId!, newMemberId, oldMemberId, old);
          if (wasLeader) g.leaderId = oldMemberId;
          s.resetHeartbeat(old, s.nowMs);
        }
        s.respondJoinError(requestId, '', groupAppendError(code));
      } else if (current && g.generation === generation) respondReplacedStaticMember(s, g, member, requestId, req.skipAssignmentSupported, wasLeader ? oldMemberId : null);
      else s.respondJoinError(requestId, newMemberId, E.REBALANCE_IN_PROGRESS);
    });
    return null;
  }
  member.joinRequestId = requestId;
  maybePrepareRebalance(s, g, now);
  if (g.state === 'PreparingRebalance') maybeCompleteJoin(s, g, now);
  return null;
}

/** Puts `member` under `toId` in place of `fromId`, keeping its position (join order decides the fallback leader). */
function swapMember(g: GroupMetadata, groupInstanceId: string, fromId: string, toId: string, member: MemberMetadata): void {
  const entries = [...g.members].map(([id, m]): [string, MemberMetadata] => (id === fromId ? [toId, member] : [id, m]));
  g.members.clear();
  for (const [id, m] of entries) g.members.set(id, m);
  g.staticMembers.set(groupInstanceId, toId);
}

/**
 * The JoinGroup answer to a static member replaced in Stable without a rebalance. A
 * follower gets the current generation. The leader (it was the leader under
 * `previousLeaderId`) gets, at v9+, the members and skipAssignment; before v9, the
 * previous leader id, so it does not compute an assignment a Stable group would ignore.
 */
function respondReplacedStaticMember(s: CoordinatorState, g: GroupMetadata, member: MemberMetadata, requestId: number, skipAssignmentSupported: boolean, previousLeaderId: string | null): void {
  if (previousLeaderId === null || g.leaderId !== member.memberId) {
    respondCurrentGeneration(s, g, member, requestId, false);
    return;
  }
  const body: JoinGroupResponse = {
    ...joinResponse(E.NONE, member.memberId),
    generationId: g.generation,
    protocolType: g.protocolType,
    protocolName: g.protocol,
    leader: skipAssignmentSupported ? member.memberId : previousLeaderId,
    skipAssignment: skipAssignmentSupported,
    members: skipAssignmentSupported ? memberList(g) : [],
  };
  s.respond(requestId, { api: 'JoinGroup', body });
}
