/**
 * ConsumerGroupHeartbeat (KIP-848), as functions over CoordinatorState — Kafka's
 * GroupMetadataManager.consumerGroupHeartbeat / consumerGroupLeave and its timers:
 *
 *   1. validate (INVALID_REQUEST, UNSUPPORTED_ASSIGNOR), then ownership (NOT_COORDINATOR...)
 *   2. epoch -1 / -2: leave (fence) / a static member's temporary leave (keeps its partitions)
 *   3. find or create the group: epoch 0 creates it, or converts an *empty* classic group
 *      (its offsets stay), or upgrades a classic group with members when
 *      group.consumer.migration.policy allows (consumer-group-migration.ts; its members
 *      go on as classic members of the consumer group, consumer-group-classic-members.ts);
 *      otherwise GROUP_ID_NOT_FOUND ("not a consumer group"), as Kafka 4
 *   4. find or create the member: epoch 0 joins (v0: the coordinator makes the id), a static
 *      member replaces its previous incarnation only after that one left with -2
 *      (UNRELEASED_INSTANCE_ID otherwise); else UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
 *      FENCED_MEMBER_EPOCH (a newer epoch, or an older one that is not the previous epoch
 *      with a subset of the current assignment)
 *   5. update the member; a new member, changed subscriptions or changed topic metadata bump
 *      the group epoch; a group epoch above the assignment epoch recomputes the target with
 *      the server assignor (server-assignors.ts)
 *   6. reconcile the member (current-assignment.ts); arm its rebalance timeout while it must
 *      revoke, and its session timeout always
 *   7. answer: member id, epoch, heartbeat interval, and the assignment on a full request
 *      (join or every field set) or when it changed.
 *
 * Timers (fireConsumerGroupTimers): a member silent for the session timeout is fenced; one
 * that has not revoked within its rebalance timeout of the epoch that asked is fenced.
 * Fencing removes the member and its target and bumps the group epoch; the others get the
 * partitions on their next heartbeats once nothing owns them.
 *
 * In memory only (see consumer-group.ts). Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import type { ConsumerGroupHeartbeatResponse } from '@samsa/codec';
import {
  assignmentList,
  isReconciledTo,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  newConsumerGroup,
  ownerOf,
  preferredAssignor,
  releaseAll,
  sameAssignment,
  sameSubscribedTopics,
  setOwnedPartitions,
  subscribedTopicNames,
} from './consumer-group.ts';
import type { ConsumerGroup, ConsumerGroupMember, SubscribedTopic, TopicAssignment } from './consumer-group.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { maybeDowngrade, maybeUpgradeClassicGroup } from './consumer-group-migration.ts';
import { nextMemberState } from './current-assignment.ts';
import { newGroup } from './group-metadata.ts';
import { SERVER_ASSIGNORS, uniformAssignor } from './server-assignors.ts';
import type { ConsumerGroupHeartbeatInput } from './types.ts';

/** Member ids, instance ids and rack ids longer than this are refused (INVALID_REQUEST). */
export const CONSUMER_MEMBER_ID_LENGTH_MAX = 1024;
/** Topics one member may subscribe to. */
export const SUBSCRIBED_TOPICS_MAX = 10_000;
/** Partitions one heartbeat may list as owned. */
export const OWNED_PARTITIONS_MAX = 1_000_000;

export type Owned = ConsumerGroupHeartbeatInput['topicPartitions'];

class HeartbeatError {
  readonly code: number;
  readonly message: string | null;
  constructor(code: number, message: string | null = null) {
    this.code = code;
    this.message = message;
  }
}

export function consumerGroupHeartbeat(s: CoordinatorState, requestId: number, req: ConsumerGroupHeartbeatInput): void {
  let body: ConsumerGroupHeartbeatResponse;
  const invalid = validate(req);
  const unavailable = invalid === null ? s.unavailable(req.groupId) : null;
  if (invalid !== null) body = errorBody(invalid);
  else if (unavailable !== null) body = errorBody(new HeartbeatError(unavailable));
  else {
    const r = req.memberEpoch < 0 ? leave(s, req, s.nowMs) : heartbeat(s, req, s.nowMs);
    body = r instanceof HeartbeatError ? errorBody(r) : r;
  }
  s.respond(requestId, { api: 'ConsumerGroupHeartbeat', body });
}

function errorBody(e: HeartbeatError): ConsumerGroupHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode: e.code, errorMessage: e.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

/** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid, plus our bounds. */
function validate(req: ConsumerGroupHeartbeatInput): HeartbeatError | null {
  const bad = (message: string): HeartbeatError => new HeartbeatError(E.INVALID_REQUEST, message);
  if (req.groupId === '') return bad("GroupId can't be empty.");
  if (req.instanceId === '') return bad("InstanceId can't be empty.");
  if (req.rackId === '') return bad("RackId can't be empty.");
  if (req.memberId.length > CONSUMER_MEMBER_ID_LENGTH_MAX || (req.instanceId?.length ?? 0) > CONSUMER_MEMBER_ID_LENGTH_MAX || (req.rackId?.length ?? 0) > CONSUMER_MEMBER_ID_LENGTH_MAX) return bad('An id is too long.');
  if (req.subscribedTopicRegex !== null) return bad('SubscribedTopicRegex is not supported.');
  if ((req.memberIdRequired || req.memberEpoch !== 0) && req.memberId === '') return bad("MemberId can't be empty.");
  if (req.memberEpoch === 0) {
    if (req.rebalanceTimeoutMs === -1) return bad('RebalanceTimeoutMs must be provided in first request.');
    if (req.topicPartitions === null || req.topicPartitions.length > 0) return bad('TopicPartitions must be empty when (re-)joining.');
    if (req.subscribedTopicNames === null) return bad('SubscribedTopicNames must be set in first request.');
  } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (req.instanceId === null) return bad("InstanceId can't be null.");
  } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) return bad('MemberEpoch is invalid.');
  if (req.rebalanceTimeoutMs < -1) return bad('RebalanceTimeoutMs is invalid.');
  if ((req.subscribedTopicNames?.length ?? 0) > SUBSCRIBED_TOPICS_MAX) return bad('Too many subscribed topics.');
  let owned = 0;
  for (const t of req.topicPartitions ?? []) owned += t.partitions.length;
  if (owned > OWNED_PARTITIONS_MAX) return bad('Too many owned partitions.');
  if (req.serverAssignor !== null && !SERVER_ASSIGNORS.has(req.serverAssignor)) {
    return new HeartbeatError(E.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${[...SERVER_ASSIGNORS.keys()].join(', ')}.`);
  }
  return null;
}

// ─── Leave ─────────────────────────────────────────────────────────────────────

function leave(s: CoordinatorState, req: ConsumerGroupHeartbeatInput, now: number): ConsumerGroupHeartbeatResponse | HeartbeatError {
  const cg = s.consumerGroups.get(req.groupId);
  if (cg === undefined) return notFound(s, req.groupId);
  let m: ConsumerGroupMember | undefined;
  if (req.instanceId === null) {
    m = cg.members.get(req.memberId);
    if (m === undefined) return new HeartbeatError(E.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
  } else {
    m = staticMemberOf(cg, req.instanceId);
    if (m === undefined) return new HeartbeatError(E.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
    if (m.memberId !== req.memberId) return new HeartbeatError(E.FENCED_INSTANCE_ID, `Instance id ${req.instanceId} is used by another member.`);
  }
  const body = { throttleTimeMs: 0, errorCode: E.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    // It keeps its partitions (no one else may take them) until it comes back or its session ends.
    setOwnedPartitions(cg, m, m.assigned, new Map());
    m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    m.rebalanceDeadline = null;
    return body;
  }
  fenceMember(s, cg, m, now);
  return { ...body, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH };
}

function notFound(s: CoordinatorState, groupId: string): HeartbeatError {
  return s.groups.has(groupId) ? new HeartbeatError(E.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`) : new HeartbeatError(E.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
}

export function staticMemberOf(cg: ConsumerGroup, instanceId: string): ConsumerGroupMember | undefined {
  const id = cg.staticMembers.get(instanceId);
  return id === undefined ? undefined : cg.members.get(id);
}

/**
 * Removes `m` (its partitions become free, its target goes) and bumps the group epoch; or,
 * when `m` is the last consumer-protocol member among classic ones and the policy allows
 * it, turns the group into a classic group (consumer-group-migration.ts): `cg` is then gone.
 */
export function fenceMember(s: CoordinatorState, cg: ConsumerGroup, m: ConsumerGroupMember, now: number): void {
  if (maybeDowngrade(s, cg, m, now)) return;
  releaseAll(cg, m);
  cg.members.delete(m.memberId);
  cg.target.delete(m.memberId);
  if (m.instanceId !== null && cg.staticMembers.get(m.instanceId) === m.memberId) cg.staticMembers.delete(m.instanceId);
  cg.groupEpoch++;
  cg.subscribedTopics = subscriptionMetadata(s, subscribedTopicNames(cg), cg);
  const shell = s.groups.get(cg.groupId);
  if (cg.members.size === 0 && shell !== undefined) s.transition(shell, 'Empty', now);
}

// ─── Join / heartbeat ──────────────────────────────────────────────────────────

function heartbeat(s: CoordinatorState, req: ConsumerGroupHeartbeatInput, now: number): ConsumerGroupHeartbeatResponse | HeartbeatError {
  const joining = req.memberEpoch === 0;
  const cg = consumerGroupFor(s, req.groupId, joining, now);
  if (cg instanceof HeartbeatError) return cg;
  if (cg.members.size >= s.config.consumerGroupMaxSize && (req.memberId === '' || !cg.members.has(req.memberId))) {
    return new HeartbeatError(E.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${s.config.consumerGroupMaxSize} members.`);
  }
  const memberId = req.memberId === '' ? generateConsumerMemberId(s) : req.memberId;
  const found = req.instanceId === null ? dynamicMember(cg, memberId, req) : staticMember(cg, memberId, req.instanceId, req, now);
  if (found instanceof HeartbeatError) return found;
  const { member: m, isNew } = found;
  const assignedBefore = m.assigned;
  const subscriptionBefore = m.subscribedTopicNames;
  if (req.instanceId !== null) m.instanceId = req.instanceId;
  if (req.rackId !== null) m.rackId = req.rackId;
  if (req.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  if (req.serverAssignor !== null) m.serverAssignor = req.serverAssignor;
  if (req.subscribedTopicNames !== null) m.subscribedTopicNames = [...new Set(req.subscribedTopicNames)].sort();
  m.clientId = req.clientId;
  m.clientHost = req.clientHost;
  const bump = subscribedTopicsChanged(s, cg) || isNew || !sameNames(subscriptionBefore, m.subscribedTopicNames);
  if (bump) cg.groupEpoch++;
  if (cg.groupEpoch > cg.assignmentEpoch) updateTarget(s, cg);
  maybeReconcile(s, cg, m, req.topicPartitions, now);
  m.sessionDeadlineMs = now + s.config.consumerGroupSessionTimeoutMs;
  s.armed(m.sessionDeadlineMs);
  const full = joining || (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.topicPartitions !== null);
  const changed = assignedBefore !== m.assigned && !sameAssignment(assignedBefore, m.assigned);
  return {
    throttleTimeMs: 0,
    errorCode: E.NONE,
    errorMessage: null,
    memberId: m.memberId,
    memberEpoch: m.memberEpoch,
    heartbeatIntervalMs: s.config.consumerGroupHeartbeatIntervalMs,
    assignment: full || changed ? { topicPartitions: assignmentList(m.assigned) } : null,
  };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** The consumer group, created (or converted from an empty classic group) when `create`. */
function consumerGroupFor(s: CoordinatorState, groupId: string, create: boolean, now: number): ConsumerGroup | HeartbeatError {
  const existing = s.consumerGroups.get(groupId);
  if (existing !== undefined) return existing;
  const classic = s.groups.get(groupId);
  if (!create) return notFound(s, groupId);
  if (classic !== undefined && classic.members.size > 0) {
    // Kafka 4's online upgrade (consumer-group-migration.ts), when the policy and the group allow it.
    const upgraded = maybeUpgradeClassicGroup(s, classic, now);
    if (typeof upgraded !== 'number') return upgraded;
    return new HeartbeatError(upgraded, upgraded === E.GROUP_ID_NOT_FOUND ? `Group ${groupId} is not a consumer group and cannot be upgraded to one.` : null);
  }
  if (classic !== undefined && classic.state !== 'Empty' && classic.state !== 'Dead') {
    return new HeartbeatError(E.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
  }
  if (classic === undefined && s.groups.size >= s.config.groupsMax) return new HeartbeatError(E.COORDINATOR_NOT_AVAILABLE);
  // The Empty "consumer" GroupMetadata beside it keeps the group's committed offsets (an empty classic group's stay).
  const shell = classic ?? newGroup(groupId, now);
  shell.state = 'Empty';
  shell.protocolType = 'consumer';
  shell.protocol = null;
  shell.leaderId = null;
  shell.subscribedTopics = null;
  s.groups.set(groupId, shell);
  const cg = newConsumerGroup(groupId);
  s.consumerGroups.set(groupId, cg);
  return cg;
}

function newMember(memberId: string, req: ConsumerGroupHeartbeatInput): ConsumerGroupMember {
  return {
    memberId,
    classic: null,
    instanceId: req.instanceId,
    rackId: req.rackId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
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

function dynamicMember(cg: ConsumerGroup, memberId: string, req: ConsumerGroupHeartbeatInput): { member: ConsumerGroupMember; isNew: boolean } | HeartbeatError {
  const m = cg.members.get(memberId);
  if (req.memberEpoch === 0) {
    if (m !== undefined) return m.classic === null ? { member: m, isNew: false } : usesClassicProtocol(m);
    const created = newMember(memberId, req);
    cg.members.set(memberId, created);
    return { member: created, isNew: true };
  }
  if (m === undefined) return new HeartbeatError(E.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${cg.groupId}.`);
  if (m.classic !== null) return usesClassicProtocol(m);
  return epochError(m, req.memberEpoch, req.topicPartitions) ?? { member: m, isNew: false };
}

function staticMember(cg: ConsumerGroup, memberId: string, instanceId: string, req: ConsumerGroupHeartbeatInput, now: number): { member: ConsumerGroupMember; isNew: boolean } | HeartbeatError {
  const existing = staticMemberOf(cg, instanceId);
  if (req.memberEpoch !== 0) {
    if (existing === undefined) return new HeartbeatError(E.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    if (existing.memberId !== memberId) return new HeartbeatError(E.FENCED_INSTANCE_ID, `Instance id ${instanceId} is used by another member.`);
    if (existing.classic !== null) return usesClassicProtocol(existing);
    return epochError(existing, req.memberEpoch, req.topicPartitions) ?? { member: existing, isNew: false };
  }
  if (existing === undefined) {
    const dynamic = cg.members.get(memberId);
    if (dynamic !== undefined) return new HeartbeatError(E.INVALID_REQUEST, `Member ${memberId} already joined without instance id ${instanceId}.`);
    const created = newMember(memberId, req);
    cg.members.set(memberId, created);
    cg.staticMembers.set(instanceId, memberId);
    return { member: created, isNew: true };
  }
  // A classic incarnation is replaced at once (Kafka: only two consumer-protocol incarnations need the -2 leave first).
  if (existing.classic === null && existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    return new HeartbeatError(E.UNRELEASED_INSTANCE_ID, `Static member ${existing.memberId} with instance id ${instanceId} is still in the group; it must leave first.`);
  }
  // The new incarnation takes over the old one's partitions and target, at epoch 0: it reconciles at once, no rebalance.
  const replacement: ConsumerGroupMember = { ...existing, memberId, classic: null, memberEpoch: 0, previousMemberEpoch: 0, rebalanceDeadline: null, sessionDeadlineMs: now };
  const assigned = existing.assigned;
  releaseAll(cg, existing);
  cg.members.delete(existing.memberId);
  cg.members.set(memberId, replacement);
  cg.staticMembers.set(instanceId, memberId);
  const target = cg.target.get(existing.memberId);
  cg.target.delete(existing.memberId);
  if (target !== undefined) cg.target.set(memberId, target);
  setOwnedPartitions(cg, replacement, assigned, new Map());
  return { member: replacement, isNew: false };
}

/** A ConsumerGroupHeartbeat naming a member that joined with JoinGroup: refused (it must keep using the classic protocol). */
function usesClassicProtocol(m: ConsumerGroupMember): HeartbeatError {
  return new HeartbeatError(E.UNKNOWN_MEMBER_ID, `Member ${m.memberId} uses the classic protocol.`);
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. */
function epochError(m: ConsumerGroupMember, received: number, owned: Owned): HeartbeatError | null {
  const fenced = new HeartbeatError(E.FENCED_MEMBER_EPOCH, `The member epoch ${received} does not match the coordinator's ${m.memberEpoch}; the member must abandon all its partitions and rejoin.`);
  if (received > m.memberEpoch) return fenced;
  // The previous epoch with a subset of the assignment: the answer that bumped the epoch was lost.
  if (received < m.memberEpoch && (received !== m.previousMemberEpoch || !isSubset(owned, m.assigned))) return fenced;
  return null;
}

function isSubset(owned: Owned, a: TopicAssignment): boolean {
  if (owned === null) return false;
  for (const t of owned) {
    const parts = a.get(t.topicId);
    for (const p of t.partitions) if (parts === undefined || !parts.has(p)) return false;
  }
  return true;
}

/** Refreshes `cg.subscribedTopics` from the members' subscriptions and the topics now; true when it changed (the group epoch must be bumped). */
export function subscribedTopicsChanged(s: CoordinatorState, cg: ConsumerGroup): boolean {
  const metadata = subscriptionMetadata(s, subscribedTopicNames(cg), cg);
  if (sameSubscribedTopics(metadata, cg.subscribedTopics)) return false;
  cg.subscribedTopics = metadata;
  return true;
}

/** The subscribed topics that exist, with their ids and partition counts (topic names by id are remembered for describe). */
export function subscriptionMetadata(s: CoordinatorState, names: ReadonlySet<string>, cg: ConsumerGroup): Map<string, SubscribedTopic> {
  const out = new Map<string, SubscribedTopic>();
  for (const name of [...names].sort()) {
    const t = s.topicLookup(name);
    if (t === undefined || t.numPartitions <= 0) continue;
    out.set(name, { topicId: t.topicId, numPartitions: t.numPartitions });
    cg.topicNames.set(t.topicId, name);
  }
  return out;
}

/** Recomputes the target of every member with the group's assignor; the assignment epoch becomes the group epoch. */
export function updateTarget(s: CoordinatorState, cg: ConsumerGroup): void {
  const assignor = SERVER_ASSIGNORS.get(preferredAssignor(cg, s.config.consumerGroupDefaultAssignor)) ?? uniformAssignor;
  const members = [...cg.members.values()].map((m) => ({ memberId: m.memberId, subscribedTopicNames: m.subscribedTopicNames, previous: cg.target.get(m.memberId) ?? new Map<string, Set<number>>() }));
  const target = assignor.assign(members, cg.subscribedTopics);
  cg.target.clear();
  for (const m of cg.members.values()) cg.target.set(m.memberId, target.get(m.memberId) ?? new Map());
  cg.assignmentEpoch = cg.groupEpoch;
}

/** Moves `m` towards its target; arms its rebalance timeout while it must revoke. */
export function maybeReconcile(s: CoordinatorState, cg: ConsumerGroup, m: ConsumerGroupMember, owned: Owned, now: number): void {
  if (isReconciledTo(m, cg.assignmentEpoch)) return;
  const target = cg.target.get(m.memberId) ?? new Map<string, Set<number>>();
  const ownedByOther = (topicId: string, p: number): boolean => {
    const owner = ownerOf(cg, topicId, p);
    return owner !== undefined && owner !== m.memberId;
  };
  const next = nextMemberState(m, cg.assignmentEpoch, target, ownedByOther, owned);
  if (next.memberEpoch !== m.memberEpoch) m.previousMemberEpoch = m.memberEpoch;
  m.memberEpoch = next.memberEpoch;
  m.state = next.state;
  if (next.assigned !== m.assigned || next.pendingRevocation !== m.pendingRevocation) setOwnedPartitions(cg, m, next.assigned, next.pendingRevocation);
  if (m.state !== MemberState.UnrevokedPartitions) m.rebalanceDeadline = null;
  else if (m.rebalanceDeadline?.epoch !== m.memberEpoch) {
    m.rebalanceDeadline = { epoch: m.memberEpoch, deadlineMs: now + m.rebalanceTimeoutMs };
    s.armed(m.rebalanceDeadline.deadlineMs);
  }
}

/** A member id as Kafka's Uuid.randomUuid().toString(): 16 random bytes, base64url without padding (v0 joins). */
export function generateConsumerMemberId(s: CoordinatorState): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) new DataView(bytes.buffer).setUint32(i, s.random.nextUint32());
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// ─── Timers ────────────────────────────────────────────────────────────────────

/** Fences the members of `cg` whose session or rebalance timeout passed. */
export function fireConsumerGroupTimers(s: CoordinatorState, cg: ConsumerGroup, now: number): void {
  for (const m of [...cg.members.values()]) {
    if (s.consumerGroups.get(cg.groupId) !== cg) return; // downgraded to a classic group by the last fence
    if (now >= m.sessionDeadlineMs) {
      s.counters.membersExpiredTotal++;
      fenceMember(s, cg, m, now);
    } else if (m.rebalanceDeadline !== null && now >= m.rebalanceDeadline.deadlineMs) {
      if (m.state === MemberState.UnrevokedPartitions && m.memberEpoch === m.rebalanceDeadline.epoch) fenceMember(s, cg, m, now);
      else m.rebalanceDeadline = null;
    } else if (m.classic !== null && ((m.classic.joinDeadlineMs ?? Infinity) <= now || (m.classic.syncDeadlineMs ?? Infinity) <= now)) {
      // A classic member told to rejoin that did not, or that joined and did not sync, within its rebalance timeout.
      fenceMember(s, cg, m, now);
    }
  }
}

/** Cluster mode: `partition` is no longer (or freshly) owned: its consumer groups leave memory. */
export function dropConsumerGroupsOf(s: CoordinatorState, partition: number): void {
  for (const groupId of [...s.consumerGroups.keys()]) if (s.partitionOf(groupId) === partition) s.consumerGroups.delete(groupId);
}
