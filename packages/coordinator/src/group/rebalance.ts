/**
 * Rebalance: the join phase, the sync phase and member removal of Kafka's classic group
 * protocol, as functions over CoordinatorState (the GroupCoordinator facade and the
 * request parts call them).
 *
 * Group states and transitions (as in Kafka's GroupMetadata):
 *   Empty ──join──▶ PreparingRebalance ──all joined / deadline──▶ CompletingRebalance
 *   CompletingRebalance ──leader's SyncGroup persisted──▶ Stable      (member-requests.ts)
 *   Stable/CompletingRebalance ──join of new/changed member, leave, session expiry──▶ PreparingRebalance
 *   PreparingRebalance ──join phase ends with no members──▶ Empty
 *   Empty ──DeleteGroups, or offsets all expired──▶ Dead (removed from memory; group-admin.ts, offsets.ts)
 *
 * Timers (`fireGroupTimers`, run for every group whenever the cached earliest deadline is
 * due): member session expiry (members waiting in a JoinGroup/SyncGroup are kept alive,
 * as Kafka's shouldKeepAlive), the join deadline (rebalance.timeout.ms, or
 * group.initial.rebalance.delay.ms extended while new members keep arriving, capped by the
 * rebalance timeout; at most 64 re-arms per tick), MEMBER_ID_REQUIRED pending members, and
 * the pending-sync deadline.
 *
 * Pending sync (KAFKA-13128, Kafka ≥ 3.1): when a join phase ends, every member owes a
 * SyncGroup for the new generation. A SyncGroup in CompletingRebalance or Stable pays it
 * (a Heartbeat, JoinGroup or OffsetCommit does not). Members that still owe one when the
 * group's rebalance timeout has passed since the join ended are removed and the group
 * rebalances, so a member that joins and then goes silent on SyncGroup (while still
 * heartbeating) cannot keep an assignment, or the whole group in CompletingRebalance, forever.
 *
 * Invariant: every deadline armed here is reported to `s.armed`, so the cached earliest
 * deadline stays a lower bound. Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import type { JoinGroupResponse, JoinGroupResponseJoinGroupResponseMember } from '@samsa/codec';
import { subscribedTopicsOf } from './consumer-protocol.ts';
import { joinResponse } from './coordinator-state.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { EMPTY_BYTES, hasAllMembersJoined, metadataFor, rebalanceTimeoutOf, selectProtocol } from './group-metadata.ts';
import type { GroupMetadata, MemberMetadata } from './group-metadata.ts';

export function maybePrepareRebalance(s: CoordinatorState, g: GroupMetadata, now: number): void {
  if (g.state === 'Stable' || g.state === 'CompletingRebalance' || g.state === 'Empty') prepareRebalance(s, g, now);
}

export function prepareRebalance(s: CoordinatorState, g: GroupMetadata, now: number): void {
  if (g.state === 'CompletingRebalance') failSyncWaiters(s, g, E.REBALANCE_IN_PROGRESS, now);
  clearPendingSync(g);
  const delay = s.config.groupInitialRebalanceDelayMs;
  if (g.state === 'Empty' && delay > 0) {
    g.initialDelay = { remainingMs: Math.max(rebalanceTimeoutOf(g) - delay, 0), newMemberAdded: false };
    g.joinDeadlineMs = now + delay;
  } else {
    g.initialDelay = null;
    g.joinDeadlineMs = now + rebalanceTimeoutOf(g);
  }
  s.armed(g.joinDeadlineMs);
  s.transition(g, 'PreparingRebalance', now);
  // Kafka's tryCompleteElseWatch: with every remaining member already waiting (or none left) the phase ends now.
  maybeCompleteJoin(s, g, now);
}

/**
 * Answers every parked SyncGroup with `errorCode`. As Kafka's propagateAssignment, each
 * answered member gets a fresh session: it was kept alive while parked, and its old deadline
 * may have passed while it waited on the leader.
 */
export function failSyncWaiters(s: CoordinatorState, g: GroupMetadata, errorCode: number, now: number): void {
  for (const m of g.members.values()) {
    m.assignment = EMPTY_BYTES;
    if (m.syncRequestId !== null) {
      s.respondSync(m.syncRequestId, g, errorCode, EMPTY_BYTES);
      m.syncRequestId = null;
      s.resetHeartbeat(m, now);
    }
  }
}

export function maybeCompleteJoin(s: CoordinatorState, g: GroupMetadata, now: number): void {
  if (g.state !== 'PreparingRebalance' || g.initialDelay !== null) return;
  if (hasAllMembersJoined(g)) completeJoin(s, g, now);
}

function onJoinDeadline(s: CoordinatorState, g: GroupMetadata, now: number): void {
  const d = g.initialDelay;
  if (d !== null && d.newMemberAdded && d.remainingMs > 0) {
    const delay = Math.min(s.config.groupInitialRebalanceDelayMs, d.remainingMs);
    g.initialDelay = { remainingMs: d.remainingMs - delay, newMemberAdded: false };
    g.joinDeadlineMs = now + delay;
    s.armed(g.joinDeadlineMs);
    return;
  }
  g.initialDelay = null;
  completeJoin(s, g, now);
}

/** Ends the join phase: drops dynamic members that did not rejoin, bumps the generation, answers every JoinGroup. */
function completeJoin(s: CoordinatorState, g: GroupMetadata, now: number): void {
  g.joinDeadlineMs = null;
  g.initialDelay = null;
  for (const m of [...g.members.values()]) if (m.joinRequestId === null && m.groupInstanceId === null) removeMember(s, g, m);
  if (g.members.size > 0 && ![...g.members.values()].some((m) => m.joinRequestId !== null)) {
    // Only static members that have not rejoined are left: wait for them (or their session expiry).
    g.joinDeadlineMs = now + rebalanceTimeoutOf(g);
    s.armed(g.joinDeadlineMs);
    return;
  }
  g.generation++;
  s.counters.rebalancesTotal++;
  if (g.members.size === 0) {
    g.protocol = null;
    g.leaderId = null;
    g.subscribedTopics = null;
    s.transition(g, 'Empty', now);
    s.persistGroup(g, now, () => {});
    return;
  }
  g.protocol = selectProtocol(g);
  const leader = g.leaderId === null ? undefined : g.members.get(g.leaderId);
  if (leader === undefined || leader.joinRequestId === null) g.leaderId = [...g.members.values()].find((m) => m.joinRequestId !== null)!.memberId;
  updateSubscribedTopics(g);
  s.transition(g, 'CompletingRebalance', now);
  for (const m of g.members.values()) {
    s.resetHeartbeat(m, now);
    g.pendingSyncMembers.add(m.memberId);
    if (m.joinRequestId === null) continue;
    const requestId = m.joinRequestId;
    m.joinRequestId = null;
    respondCurrentGeneration(s, g, m, requestId, true);
  }
  // Kafka's schedulePendingSync: a DelayedSync of the group's rebalance timeout.
  g.syncDeadlineMs = now + rebalanceTimeoutOf(g);
  s.armed(g.syncDeadlineMs);
}

/** `memberId` sent its SyncGroup (or left): it no longer owes one; the deadline goes with the last. */
export function removePendingSync(g: GroupMetadata, memberId: string): void {
  g.pendingSyncMembers.delete(memberId);
  if (g.pendingSyncMembers.size === 0) g.syncDeadlineMs = null;
}

/** Kafka's removeSyncExpiration: nobody owes a sync (a new rebalance starts or the group empties). */
function clearPendingSync(g: GroupMetadata): void {
  g.pendingSyncMembers.clear();
  g.syncDeadlineMs = null;
}

/**
 * Kafka's onExpirePendingSync: the rebalance timeout passed since the join ended; members
 * that still owe a SyncGroup are removed (static ones too) and the group rebalances. Ids
 * no longer in the group (a static member replaced in Stable) remove nobody but still
 * trigger the rebalance, as in Kafka.
 */
function expirePendingSync(s: CoordinatorState, g: GroupMetadata, now: number): void {
  const ids = [...g.pendingSyncMembers];
  clearPendingSync(g);
  if (ids.length === 0 || (g.state !== 'CompletingRebalance' && g.state !== 'Stable')) return;
  for (const id of ids) {
    const m = g.members.get(id);
    if (m === undefined) continue;
    s.counters.pendingSyncMembersRemovedTotal++;
    removeMember(s, g, m);
  }
  prepareRebalance(s, g, now);
}

export function updateSubscribedTopics(g: GroupMetadata): void {
  if (g.protocolType !== 'consumer' || g.protocol === null) {
    g.subscribedTopics = null;
    return;
  }
  const topics = new Set<string>();
  for (const m of g.members.values()) {
    const t = subscribedTopicsOf(metadataFor(m, g.protocol));
    if (t === null) {
      g.subscribedTopics = null;
      return;
    }
    for (const x of t) topics.add(x);
  }
  g.subscribedTopics = topics;
}

/** Forgets a member (answering its pending requests with UNKNOWN_MEMBER_ID) without changing the state. */
function removeMember(s: CoordinatorState, g: GroupMetadata, m: MemberMetadata): void {
  if (m.joinRequestId !== null) s.respondJoinError(m.joinRequestId, m.memberId, E.UNKNOWN_MEMBER_ID);
  if (m.syncRequestId !== null) s.respondSync(m.syncRequestId, g, E.UNKNOWN_MEMBER_ID, EMPTY_BYTES);
  g.members.delete(m.memberId);
  removePendingSync(g, m.memberId);
  if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
  if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
}

export function removeMemberAndUpdateGroup(s: CoordinatorState, g: GroupMetadata, m: MemberMetadata, now: number): void {
  removeMember(s, g, m);
  if (g.state === 'Stable' || g.state === 'CompletingRebalance') prepareRebalance(s, g, now);
  else if (g.state === 'PreparingRebalance') maybeCompleteJoin(s, g, now);
}

export function respondCurrentGeneration(s: CoordinatorState, g: GroupMetadata, member: MemberMetadata, requestId: number, leaderGetsMembers: boolean): void {
  const isLeader = g.leaderId === member.memberId;
  const body: JoinGroupResponse = {
    ...joinResponse(E.NONE, member.memberId),
    generationId: g.generation,
    protocolType: g.protocolType,
    protocolName: g.protocol,
    leader: g.leaderId ?? '',
    members: isLeader && leaderGetsMembers ? memberList(g) : [],
  };
  s.respond(requestId, { api: 'JoinGroup', body });
}

export function memberList(g: GroupMetadata): JoinGroupResponseJoinGroupResponseMember[] {
  return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: metadataFor(m, g.protocol) }));
}

/** Fires `g`'s deadlines due at `now`: pending member ids, sessions, the pending-sync deadline, then the join deadline. */
export function fireGroupTimers(s: CoordinatorState, g: GroupMetadata, now: number): void {
  for (const [id, deadline] of [...g.pendingMembers]) {
    if (deadline <= now) {
      g.pendingMembers.delete(id);
      if (g.state === 'PreparingRebalance') maybeCompleteJoin(s, g, now);
    }
  }
  for (const m of [...g.members.values()]) {
    if (m.joinRequestId !== null || m.syncRequestId !== null) continue; // kept alive while waiting on us
    if (m.heartbeatDeadlineMs <= now && g.members.get(m.memberId) === m) {
      s.counters.membersExpiredTotal++;
      removeMemberAndUpdateGroup(s, g, m, now);
    }
  }
  if (g.syncDeadlineMs !== null && g.syncDeadlineMs <= now) expirePendingSync(s, g, now);
  // The join deadline may be re-armed (initial delay extension, no joined member yet); bound the loop.
  for (let i = 0; i < 64 && g.joinDeadlineMs !== null && g.joinDeadlineMs <= now; i++) onJoinDeadline(s, g, now);
}
