/**
 * Classic-protocol members inside a KIP-848 consumer group (Kafka 4's mixed groups:
 * GroupMetadataManager.classicGroup{Join,Sync,Heartbeat,Leave}ToConsumerGroup), as
 * functions over CoordinatorState. A consumer that still speaks JoinGroup / SyncGroup /
 * Heartbeat / LeaveGroup joins a consumer group that has members; the server assignor
 * computes its target like any member's, and its JoinGroup is its reconciliation point:
 *
 *   JoinGroup  protocol type "consumer" and a protocol every classic member supports
 *              (INCONSISTENT_GROUP_PROTOCOL), group size (GROUP_MAX_SIZE_REACHED), v4+
 *              MEMBER_ID_REQUIRED (no id is reserved); subscription, rack and owned
 *              partitions from the first protocol's ConsumerProtocolSubscription; a new
 *              member or a changed subscription bumps the group epoch, the target is
 *              recomputed, the member reconciles with what it says it owns. Answered at
 *              once: generation = its member epoch, protocol "consumer" + its first
 *              protocol's name, leader "" and no members (it is a follower; it never assigns).
 *   SyncGroup  generation = member epoch (ILLEGAL_GENERATION), protocol check, and
 *              REBALANCE_IN_PROGRESS when the group epoch moved past it (unless it is still
 *              revoking); else its current assignment as a ConsumerProtocolAssignment at its
 *              subscription's version. The current assignment, never the target: a partition
 *              another member still owns is not in it.
 *   Heartbeat  generation check; REBALANCE_IN_PROGRESS when it must rejoin: the group epoch
 *              is past its epoch, it must revoke, or a partition it waits for was released.
 *   LeaveGroup by member id or instance id; the member's partitions are freed and the
 *              group epoch bumped.
 *
 * Timers (fireConsumerGroupTimers): the session is the member's own session.timeout.ms,
 * renewed by join, sync and heartbeat; after a join it must sync within its rebalance
 * timeout, and after a REBALANCE_IN_PROGRESS it must rejoin within it, or it is fenced.
 *
 * Why no partition has two owners: the member owns (in the group's `owners` index) what
 * its JoinGroup reconciled to, from that moment until a later join says it no longer
 * holds it — and SyncGroup hands out only that. Eager clients revoke everything before
 * rejoining and list nothing as owned; cooperative ones list what they kept.
 *
 * Differences from Kafka: a subscription that does not parse is refused with
 * INCONSISTENT_GROUP_PROTOCOL (Kafka fails the request); a ConsumerGroupHeartbeat naming a
 * classic member is refused with UNKNOWN_MEMBER_ID. In memory only. Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import type { LeaveGroupResponseMemberResponse } from '@samsa/codec';
import { MemberState, releaseAll, setOwnedPartitions, waitingOnUnreleasedPartition } from './consumer-group.ts';
import type { ClassicMemberMetadata, ConsumerGroup, ConsumerGroupMember } from './consumer-group.ts';
import { fenceMember, generateConsumerMemberId, maybeReconcile, staticMemberOf, subscribedTopicsChanged, updateTarget } from './consumer-group-heartbeat.ts';
import type { Owned } from './consumer-group-heartbeat.ts';
import { serializedAssignment } from './consumer-group-migration.ts';
import { decodeMemberSubscription } from './consumer-protocol.ts';
import { joinResponse } from './coordinator-state.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import type { HeartbeatInput, JoinGroupInput, LeaveGroupInput, SyncGroupInput } from './types.ts';

// ─── JoinGroup ─────────────────────────────────────────────────────────────────

/** A JoinGroup to a consumer group with members: an error code, or null once answered. */
export function classicJoinToConsumerGroup(s: CoordinatorState, cg: ConsumerGroup, requestId: number, req: JoinGroupInput, now: number): number | null {
  const unknown = req.memberId === '';
  const memberId = unknown ? generateConsumerMemberId(s) : req.memberId;
  if (!cg.members.has(memberId) && cg.members.size >= s.config.consumerGroupMaxSize) return E.GROUP_MAX_SIZE_REACHED;
  if (!supportsClassicProtocols(cg, req)) return E.INCONSISTENT_GROUP_PROTOCOL;
  if (unknown && req.requireKnownMemberId && req.groupInstanceId === null) {
    s.respondJoinError(requestId, memberId, E.MEMBER_ID_REQUIRED);
    return null;
  }
  let subscription;
  try {
    subscription = decodeMemberSubscription(req.protocols[0]!.metadata);
  } catch {
    return E.INCONSISTENT_GROUP_PROTOCOL;
  }
  const found = req.groupInstanceId === null ? dynamicClassicMember(cg, memberId) : staticClassicMember(cg, memberId, req.groupInstanceId, unknown, now);
  if (typeof found === 'number') return found;
  const { member: m, isNew } = found;
  const subscriptionBefore = m.subscribedTopicNames;
  m.instanceId = req.groupInstanceId;
  if (subscription.rackId !== null) m.rackId = subscription.rackId;
  m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  m.subscribedTopicNames = [...new Set(subscription.topics)].sort();
  m.clientId = req.clientId;
  m.clientHost = req.clientHost;
  m.classic = { sessionTimeoutMs: req.sessionTimeoutMs, protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })), joinDeadlineMs: null, syncDeadlineMs: null };
  const bump = subscribedTopicsChanged(s, cg) || isNew || subscriptionBefore.join('\0') !== m.subscribedTopicNames.join('\0');
  if (bump) cg.groupEpoch++;
  if (cg.groupEpoch > cg.assignmentEpoch) updateTarget(s, cg);
  maybeReconcile(s, cg, m, ownedTopicIds(s, subscription.ownedPartitions), now);
  m.sessionDeadlineMs = now + req.sessionTimeoutMs;
  m.classic.syncDeadlineMs = now + m.rebalanceTimeoutMs;
  s.armed(Math.min(m.sessionDeadlineMs, m.classic.syncDeadlineMs));
  s.respond(requestId, {
    api: 'JoinGroup',
    body: { ...joinResponse(E.NONE, m.memberId), generationId: m.memberEpoch, protocolType: 'consumer', protocolName: m.classic.protocols[0]!.name },
  });
  return null;
}

/** Kafka's ConsumerGroup.supportsClassicProtocols: type "consumer", and a protocol name every classic member supports. */
function supportsClassicProtocols(cg: ConsumerGroup, req: JoinGroupInput): boolean {
  if (req.protocolType !== 'consumer' || req.protocols.length === 0) return false;
  const others = [...cg.members.values()].filter((m) => m.classic !== null && m.memberId !== req.memberId);
  return req.protocols.some((p) => others.every((m) => m.classic!.protocols.some((q) => q.name === p.name)));
}

type Found = { member: ConsumerGroupMember; isNew: boolean } | number;

function newClassicMember(memberId: string): ConsumerGroupMember {
  const classic: ClassicMemberMetadata = { sessionTimeoutMs: 0, protocols: [], joinDeadlineMs: null, syncDeadlineMs: null };
  return {
    memberId,
    classic,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    rebalanceTimeoutMs: 0,
    subscribedTopicNames: [],
    serverAssignor: null,
    state: MemberState.Stable,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    assigned: new Map(),
    pendingRevocation: new Map(),
    sessionDeadlineMs: 0,
    rebalanceDeadline: null,
  };
}

/** A dynamic member: found, or created (a fenced classic member may come back under its old id, as in Kafka). */
function dynamicClassicMember(cg: ConsumerGroup, memberId: string): Found {
  const m = cg.members.get(memberId);
  if (m !== undefined) return m.classic === null ? E.UNKNOWN_MEMBER_ID : { member: m, isNew: false };
  const created = newClassicMember(memberId);
  cg.members.set(memberId, created);
  return { member: created, isNew: true };
}

/** A static member: with an empty id it takes over its instance (whatever protocol the old incarnation spoke); else it must be that instance. */
function staticClassicMember(cg: ConsumerGroup, memberId: string, instanceId: string, unknown: boolean, now: number): Found {
  const existing = staticMemberOf(cg, instanceId);
  if (!unknown) {
    if (existing === undefined) return E.UNKNOWN_MEMBER_ID;
    if (existing.memberId !== memberId) return E.FENCED_INSTANCE_ID;
    return existing.classic === null ? E.UNKNOWN_MEMBER_ID : { member: existing, isNew: false };
  }
  const created = newClassicMember(memberId);
  if (existing === undefined) {
    cg.members.set(memberId, created);
    cg.staticMembers.set(instanceId, memberId);
    return { member: created, isNew: true };
  }
  // The new incarnation keeps the old one's partitions and target, at epoch 0; the old id is fenced.
  const replacement: ConsumerGroupMember = { ...existing, memberId, classic: created.classic, memberEpoch: 0, previousMemberEpoch: 0, rebalanceDeadline: null, sessionDeadlineMs: now };
  const target = cg.target.get(existing.memberId);
  releaseAll(cg, existing);
  cg.members.delete(existing.memberId);
  cg.target.delete(existing.memberId);
  cg.members.set(memberId, replacement);
  cg.staticMembers.set(instanceId, memberId);
  if (target !== undefined) cg.target.set(memberId, target);
  setOwnedPartitions(cg, replacement, existing.assigned, existing.pendingRevocation);
  return { member: replacement, isNew: false };
}

/** The subscription's owned partitions by topic id (topics that do not exist are dropped). */
function ownedTopicIds(s: CoordinatorState, owned: readonly { topic: string; partitions: number[] }[]): NonNullable<Owned> {
  const out: NonNullable<Owned> = [];
  for (const t of owned) {
    const topic = s.topicLookup(t.topic);
    if (topic !== undefined) out.push({ topicId: topic.topicId, partitions: [...t.partitions] });
  }
  return out;
}

// ─── SyncGroup, Heartbeat ──────────────────────────────────────────────────────

/** FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID, or the classic member named by the request. */
function classicMemberOf(cg: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerGroupMember | number {
  let m: ConsumerGroupMember | undefined;
  if (instanceId === null) m = cg.members.get(memberId);
  else {
    m = staticMemberOf(cg, instanceId);
    if (m !== undefined && m.memberId !== memberId) return E.FENCED_INSTANCE_ID;
  }
  // A consumer-protocol member is not known to the classic APIs (Kafka's throwIfMemberDoesNotUseClassicProtocol).
  if (m === undefined || m.classic === null) return E.UNKNOWN_MEMBER_ID;
  return m;
}

/** A SyncGroup to a consumer group: an error code, or null once answered. */
export function classicSyncToConsumerGroup(s: CoordinatorState, cg: ConsumerGroup, requestId: number, req: SyncGroupInput, now: number): number | null {
  const m = classicMemberOf(cg, req.memberId, req.groupInstanceId);
  if (typeof m === 'number') return m;
  const classic = m.classic!;
  if (req.generationId !== m.memberEpoch) return E.ILLEGAL_GENERATION;
  if ((req.protocolType !== null && req.protocolType !== 'consumer') || (req.protocolName !== null && req.protocolName !== classic.protocols[0]!.name)) return E.INCONSISTENT_GROUP_PROTOCOL;
  if (cg.groupEpoch > m.memberEpoch && m.state !== MemberState.UnrevokedPartitions) {
    askToRejoin(s, m, now);
    return E.REBALANCE_IN_PROGRESS;
  }
  classic.syncDeadlineMs = null;
  m.sessionDeadlineMs = now + classic.sessionTimeoutMs;
  s.armed(m.sessionDeadlineMs);
  s.respond(requestId, {
    api: 'SyncGroup',
    body: { throttleTimeMs: 0, errorCode: E.NONE, protocolType: req.protocolType, protocolName: req.protocolName, assignment: serializedAssignment(cg, m) },
  });
  return null;
}

/** Arms the rejoin deadline unless one is armed (Kafka's scheduleConsumerGroupJoinTimeoutIfAbsent). */
function askToRejoin(s: CoordinatorState, m: ConsumerGroupMember, now: number): void {
  const classic = m.classic!;
  if (classic.joinDeadlineMs !== null) return;
  classic.joinDeadlineMs = now + m.rebalanceTimeoutMs;
  s.armed(classic.joinDeadlineMs);
}

/** A Heartbeat to a consumer group: its error code. */
export function classicHeartbeatToConsumerGroup(s: CoordinatorState, cg: ConsumerGroup, req: HeartbeatInput, now: number): number {
  const m = classicMemberOf(cg, req.memberId, req.groupInstanceId);
  if (typeof m === 'number') return m;
  if (req.generationId !== m.memberEpoch) return E.ILLEGAL_GENERATION;
  m.sessionDeadlineMs = now + m.classic!.sessionTimeoutMs;
  s.armed(m.sessionDeadlineMs);
  const mustRejoin = m.memberEpoch < cg.groupEpoch || m.state === MemberState.UnrevokedPartitions || (m.state === MemberState.UnreleasedPartitions && !waitingOnUnreleasedPartition(cg, m));
  if (!mustRejoin) return E.NONE;
  askToRejoin(s, m, now);
  return E.REBALANCE_IN_PROGRESS;
}

// ─── LeaveGroup ────────────────────────────────────────────────────────────────

/** A LeaveGroup to a consumer group: one answer per member (top-level NONE). */
export function classicLeaveToConsumerGroup(s: CoordinatorState, cg: ConsumerGroup, requestId: number, req: LeaveGroupInput, now: number): void {
  const members: LeaveGroupResponseMemberResponse[] = req.members.map((r) => {
    let memberId = r.memberId;
    let m: ConsumerGroupMember | number;
    if (r.groupInstanceId === null) m = classicMemberOf(cg, memberId, null);
    else {
      // By instance id alone (an administrator's removal) or with the member id it must match.
      const byInstance = staticMemberOf(cg, r.groupInstanceId);
      m = byInstance === undefined ? E.UNKNOWN_MEMBER_ID : memberId !== '' && byInstance.memberId !== memberId ? E.FENCED_INSTANCE_ID : byInstance.classic === null ? E.UNKNOWN_MEMBER_ID : byInstance;
    }
    if (typeof m === 'number') return { memberId, groupInstanceId: r.groupInstanceId, errorCode: m };
    memberId = m.memberId;
    fenceMember(s, cg, m, now);
    return { memberId, groupInstanceId: r.groupInstanceId, errorCode: E.NONE };
  });
  s.respond(requestId, { api: 'LeaveGroup', body: { throttleTimeMs: 0, errorCode: E.NONE, members } });
}
