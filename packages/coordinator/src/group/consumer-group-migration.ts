/**
 * Online migration between a classic group and a KIP-848 consumer group, under
 * `group.consumer.migration.policy` (Kafka's ConsumerGroupMigrationPolicy; Kafka 4.0's
 * default is bidirectional):
 *
 *   upgrade    (bidirectional, upgrade) a ConsumerGroupHeartbeat joining a classic group
 *              with members that uses the "consumer" protocol type turns it into a consumer
 *              group: each classic member becomes a classic member of the consumer group at
 *              member epoch = the generation, owning its last assignment (also its target),
 *              subscribed to what its metadata names; parked JoinGroup / SyncGroup requests are
 *              answered REBALANCE_IN_PROGRESS. The group's record in `__consumer_offsets` is
 *              rewritten Empty (protocol type "consumer"), so a replay does not bring the
 *              classic members back. Refused (the caller answers GROUP_ID_NOT_FOUND) when the
 *              policy forbids it, the protocol type is another, the group is larger than
 *              group.consumer.max.size, or a member's metadata or assignment does not parse.
 *   downgrade  (bidirectional, downgrade) when the last consumer-protocol member leaves or is
 *              fenced and classic members remain (no more than group.max.size), the group
 *              becomes a classic group at generation = group epoch, each member keeping its
 *              protocols, session and its current assignment, and a rebalance starts at
 *              once: the members' next heartbeat gets REBALANCE_IN_PROGRESS and they rejoin.
 *
 * The classic group's GroupMetadata object stays the consumer group's "shell" (its
 * committed offsets live there) in both directions. Differences from Kafka: a downgrade
 * hands each member its current assignment (Kafka: its target), so what the coordinator
 * lists as owned never grows during the conversion; an upgrade reads an empty assignment
 * (a member that has not synced yet) as no partitions. Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import { classicMemberCount, MemberState, newConsumerGroup, setOwnedPartitions } from './consumer-group.ts';
import type { ConsumerGroup, ConsumerGroupMember, TopicAssignment } from './consumer-group.ts';
import { decodeMemberAssignment, decodeMemberSubscription, encodeMemberAssignment } from './consumer-protocol.ts';
import { joinResponse } from './coordinator-state.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { candidateProtocols, EMPTY_BYTES, metadataFor, selectProtocol } from './group-metadata.ts';
import type { GroupMetadata, MemberMetadata } from './group-metadata.ts';
import { prepareRebalance, updateSubscribedTopics } from './rebalance.ts';
import type { ConsumerGroupMigrationPolicy } from './types.ts';

/** The newest ConsumerProtocolAssignment version we encode (a newer subscription is answered with it). */
const ASSIGNMENT_VERSION_MAX = 3;

export function upgradeEnabled(policy: ConsumerGroupMigrationPolicy): boolean {
  return policy === 'bidirectional' || policy === 'upgrade';
}

export function downgradeEnabled(policy: ConsumerGroupMigrationPolicy): boolean {
  return policy === 'bidirectional' || policy === 'downgrade';
}

/** A member's current assignment as ConsumerProtocolAssignment bytes, at the version of its first protocol's subscription. */
export function serializedAssignment(cg: ConsumerGroup, m: ConsumerGroupMember): Uint8Array {
  const metadata = m.classic?.protocols[0]?.metadata ?? EMPTY_BYTES;
  const version = metadata.length >= 2 ? Math.min(Math.max((metadata[0]! << 8) | metadata[1]!, 0), ASSIGNMENT_VERSION_MAX) : 0;
  const assignedPartitions: { topic: string; partitions: number[] }[] = [];
  for (const [topicId, parts] of m.assigned) {
    const topic = cg.topicNames.get(topicId);
    if (topic !== undefined && parts.size > 0) assignedPartitions.push({ topic, partitions: [...parts].sort((x, y) => x - y) });
  }
  assignedPartitions.sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0));
  return encodeMemberAssignment({ assignedPartitions, userData: null }, version);
}

// ─── Upgrade ───────────────────────────────────────────────────────────────────

/** Converts the classic group `g` (with members) into a consumer group, or returns the error to answer. */
export function maybeUpgradeClassicGroup(s: CoordinatorState, g: GroupMetadata, now: number): ConsumerGroup | number {
  const notConsumer = E.GROUP_ID_NOT_FOUND;
  if (!upgradeEnabled(s.config.consumerGroupMigrationPolicy) || g.protocolType !== 'consumer' || g.members.size > s.config.consumerGroupMaxSize) return notConsumer;
  if (s.appendsFull()) return E.COORDINATOR_NOT_AVAILABLE;
  const cg = newConsumerGroup(g.groupId);
  cg.groupEpoch = g.generation;
  cg.assignmentEpoch = g.generation;
  for (const cm of g.members.values()) {
    const m = memberFromClassic(s, cg, g, cm, now);
    if (m === null) return notConsumer;
    cg.members.set(m.memberId, m);
    if (m.instanceId !== null) cg.staticMembers.set(m.instanceId, m.memberId);
    cg.target.set(m.memberId, m.assigned);
    setOwnedPartitions(cg, m, m.assigned, new Map());
    s.armed(m.sessionDeadlineMs);
  }
  for (const m of g.members.values()) {
    if (m.joinRequestId !== null) s.respondJoinError(m.joinRequestId, m.memberId, E.REBALANCE_IN_PROGRESS);
    if (m.syncRequestId !== null) s.respondSync(m.syncRequestId, g, E.REBALANCE_IN_PROGRESS, EMPTY_BYTES);
  }
  emptyShell(g);
  s.transition(g, 'Empty', now);
  s.persistGroup(g, now, () => {});
  s.consumerGroups.set(g.groupId, cg);
  return cg;
}

/** `cm` as a classic member of `cg`, or null when its subscription or assignment does not parse. */
function memberFromClassic(s: CoordinatorState, cg: ConsumerGroup, g: GroupMetadata, cm: MemberMetadata, now: number): ConsumerGroupMember | null {
  let topics: string[];
  let rackId: string | null;
  const assigned: TopicAssignment = new Map();
  try {
    const subscription = decodeMemberSubscription(g.protocol === null ? (cm.protocols[0]?.metadata ?? EMPTY_BYTES) : metadataFor(cm, g.protocol));
    topics = subscription.topics;
    rackId = subscription.rackId;
    const assignment = cm.assignment.length === 0 ? [] : decodeMemberAssignment(cm.assignment).assignedPartitions;
    for (const t of assignment) {
      const topic = s.topicLookup(t.topic);
      if (topic === undefined) continue;
      cg.topicNames.set(topic.topicId, t.topic);
      const parts = assigned.get(topic.topicId) ?? new Set<number>();
      for (const p of t.partitions) if (p >= 0 && p < topic.numPartitions) parts.add(p);
      assigned.set(topic.topicId, parts);
    }
  } catch {
    return null;
  }
  // The protocol the group runs first: the member's answers name it.
  const chosen = cm.protocols.find((p) => p.name === g.protocol);
  const protocols = chosen === undefined ? cm.protocols : [chosen, ...cm.protocols.filter((p) => p !== chosen)];
  return {
    memberId: cm.memberId,
    classic: { sessionTimeoutMs: cm.sessionTimeoutMs, protocols: protocols.map((p) => ({ name: p.name, metadata: p.metadata })), joinDeadlineMs: null, syncDeadlineMs: null },
    instanceId: cm.groupInstanceId,
    rackId,
    clientId: cm.clientId,
    clientHost: cm.clientHost,
    rebalanceTimeoutMs: cm.rebalanceTimeoutMs,
    subscribedTopicNames: [...new Set(topics)].sort(),
    serverAssignor: null,
    state: MemberState.Stable,
    memberEpoch: g.generation,
    previousMemberEpoch: g.generation,
    assigned,
    pendingRevocation: new Map(),
    sessionDeadlineMs: now + cm.sessionTimeoutMs,
    rebalanceDeadline: null,
  };
}

/** Leaves `g` without members, waiters or group timers (its offsets stay). */
function emptyShell(g: GroupMetadata): void {
  g.members.clear();
  g.staticMembers.clear();
  g.pendingMembers.clear();
  g.pendingSyncMembers.clear();
  g.joinDeadlineMs = null;
  g.syncDeadlineMs = null;
  g.initialDelay = null;
  g.protocol = null;
  g.leaderId = null;
  g.subscribedTopics = null;
  g.protocolType = 'consumer';
}

// ─── Downgrade ─────────────────────────────────────────────────────────────────

/**
 * When `leaving` is the last consumer-protocol member and classic members remain, and the
 * policy allows it: turns the group into a classic group rebalancing now. True when done
 * (the caller must not remove `leaving` itself).
 */
export function maybeDowngrade(s: CoordinatorState, cg: ConsumerGroup, leaving: ConsumerGroupMember, now: number): boolean {
  const remaining = cg.members.size - 1;
  if (leaving.classic !== null || remaining < 1 || classicMemberCount(cg) !== remaining) return false;
  if (!downgradeEnabled(s.config.consumerGroupMigrationPolicy) || remaining > s.config.groupMaxSize) return false;
  const g = s.groups.get(cg.groupId);
  if (g === undefined) throw new Error(`consumer group ${cg.groupId} has no GroupMetadata beside it`);
  const members = new Map<string, MemberMetadata>();
  for (const m of cg.members.values()) {
    if (m === leaving) continue;
    members.set(m.memberId, {
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.classic!.sessionTimeoutMs,
      protocolType: 'consumer',
      protocols: m.classic!.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      assignment: serializedAssignment(cg, m),
      joinRequestId: null,
      syncRequestId: null,
      heartbeatDeadlineMs: now + m.classic!.sessionTimeoutMs,
    });
  }
  const candidate = { ...g, members };
  if ((candidateProtocols(candidate, null)?.size ?? 0) === 0) return false;
  emptyShell(g);
  for (const [id, m] of members) {
    g.members.set(id, m);
    if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, id);
    s.armed(m.heartbeatDeadlineMs);
  }
  g.generation = cg.groupEpoch;
  g.protocol = selectProtocol(g);
  g.leaderId = members.keys().next().value!;
  updateSubscribedTopics(g);
  s.consumerGroups.delete(cg.groupId);
  s.transition(g, 'Stable', now);
  prepareRebalance(s, g, now);
  return true;
}
