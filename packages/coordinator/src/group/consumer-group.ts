/**
 * One KIP-848 consumer group's in-memory state (the "consumer" group type of Kafka 4): the
 * group epoch, the target assignment and its epoch, the members with their current
 * assignment, and the index of which member owns each partition. Plain data plus small
 * helpers; the transitions live in consumer-group-heartbeat.ts.
 *
 * Assignments are `topicId → partitions` (Kafka's `Map<Uuid, Set<Integer>>`); topic ids
 * are Kafka's uuid text. The group remembers the topic metadata its last target
 * assignment was computed from (`subscribedTopics`), so a heartbeat that sees another
 * partition count or a new/deleted topic bumps the group epoch.
 *
 * Invariants:
 *   - `owners` holds exactly the partitions in some member's `assigned` or
 *     `pendingRevocation`, each mapped to that member's id: a partition is never owned by
 *     two members (reconciliation only hands out free partitions).
 *   - `assignmentEpoch` ≤ `groupEpoch`; `target` has an entry only for current members.
 *   - `staticMembers` maps each member's instance id to that member's id and nothing else.
 *   - A member's `memberEpoch` is ≤ `assignmentEpoch` (or -2 after a static temporary leave).
 *   - Members of both protocols share `owners`: a classic member (`classic` set, Kafka 4's
 *     mixed groups) owns what its last JoinGroup reconciled to, exactly like a consumer
 *     member owns what its last heartbeat did, so no partition has two owners across them.
 *
 * Not persisted: a coordinator restart or move loses this state; members then get
 * UNKNOWN_MEMBER_ID / GROUP_ID_NOT_FOUND and rejoin with epoch 0 (clients do so).
 * Single-threaded.
 */
import type { ConsumerGroupState } from './types.ts';

/** topicId → partitions. */
export type TopicAssignment = Map<string, Set<number>>;

export const MemberState = {
  /** Owns exactly its target at the target epoch. */
  Stable: 'stable',
  /** Must first revoke `pendingRevocation` (it stays at its epoch until the heartbeat no longer lists them). */
  UnrevokedPartitions: 'unrevoked',
  /** At the target epoch, but part of its target is still owned by others. */
  UnreleasedPartitions: 'unreleased',
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/** Member epoch of a static member that left temporarily (it may come back under a new member id). */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;

/**
 * What a member using the classic protocol (JoinGroup / SyncGroup / Heartbeat) inside a
 * consumer group carries beyond a consumer member (Kafka's ClassicMemberMetadata plus its
 * join and sync timers).
 */
export interface ClassicMemberMetadata {
  /** Its JoinGroup session.timeout.ms: the session is renewed by join, sync and heartbeat. */
  sessionTimeoutMs: number;
  /** Its JoinGroup protocols in preference order (name, ConsumerProtocolSubscription bytes); the first one is answered. */
  protocols: { name: string; metadata: Uint8Array }[];
  /** Told to rejoin (REBALANCE_IN_PROGRESS): fenced unless it joins by then; null when not told. */
  joinDeadlineMs: number | null;
  /** Joined: fenced unless it syncs by then (its rebalance timeout); null once synced. */
  syncDeadlineMs: number | null;
}

export interface ConsumerGroupMember {
  readonly memberId: string;
  /** Non-null for a member that speaks the classic protocol (a mixed group). */
  classic: ClassicMemberMetadata | null;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  serverAssignor: string | null;
  state: MemberState;
  memberEpoch: number;
  previousMemberEpoch: number;
  /** The partitions the member may use now (sent in heartbeat answers). */
  assigned: TopicAssignment;
  /** Partitions it must give up before moving on (UnrevokedPartitions only). */
  pendingRevocation: TopicAssignment;
  sessionDeadlineMs: number;
  /** The member epoch whose revocation must finish by `rebalanceDeadlineMs`, or null. */
  rebalanceDeadline: { epoch: number; deadlineMs: number } | null;
}

export interface SubscribedTopic {
  readonly topicId: string;
  readonly numPartitions: number;
}

export interface ConsumerGroup {
  readonly groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  /** Members in join order. */
  readonly members: Map<string, ConsumerGroupMember>;
  readonly staticMembers: Map<string, string>;
  readonly target: Map<string, TopicAssignment>;
  /** topicId:partition → owning member id. */
  readonly owners: Map<string, string>;
  /** The subscribed topics that exist, as last seen (name → id and partition count). */
  subscribedTopics: Map<string, SubscribedTopic>;
  /** Topic names by id, of every topic ever in `subscribedTopics` while the group lived (describe). */
  readonly topicNames: Map<string, string>;
}

export function newConsumerGroup(groupId: string): ConsumerGroup {
  return { groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), staticMembers: new Map(), target: new Map(), owners: new Map(), subscribedTopics: new Map(), topicNames: new Map() };
}

function ownerKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

/** The member owning `topicId`-`partition` (assigned or pending revocation), or undefined when it is free. */
export function ownerOf(g: ConsumerGroup, topicId: string, partition: number): string | undefined {
  return g.owners.get(ownerKey(topicId, partition));
}

/** Replaces `m`'s owned partitions with `assigned` + `pendingRevocation`, keeping `owners` exact. */
export function setOwnedPartitions(g: ConsumerGroup, m: ConsumerGroupMember, assigned: TopicAssignment, pendingRevocation: TopicAssignment): void {
  releaseAll(g, m);
  m.assigned = assigned;
  m.pendingRevocation = pendingRevocation;
  for (const a of [assigned, pendingRevocation]) {
    for (const [topicId, parts] of a) {
      for (const p of parts) {
        const key = ownerKey(topicId, p);
        const current = g.owners.get(key);
        if (current !== undefined && current !== m.memberId) throw new Error(`partition ${key} of group ${g.groupId} given to ${m.memberId} while owned by ${current}`);
        g.owners.set(key, m.memberId);
      }
    }
  }
}

/** Frees every partition `m` owns (its assignment objects are left as they are). */
export function releaseAll(g: ConsumerGroup, m: ConsumerGroupMember): void {
  for (const a of [m.assigned, m.pendingRevocation]) {
    for (const [topicId, parts] of a) for (const p of parts) if (g.owners.get(ownerKey(topicId, p)) === m.memberId) g.owners.delete(ownerKey(topicId, p));
  }
}

/** Kafka's ConsumerGroup state: Empty, Assigning (a newer group epoch than the target), Reconciling, Stable. */
export function consumerGroupState(g: ConsumerGroup): ConsumerGroupState {
  if (g.members.size === 0) return 'Empty';
  if (g.groupEpoch > g.assignmentEpoch) return 'Assigning';
  for (const m of g.members.values()) if (!isReconciledTo(m, g.assignmentEpoch)) return 'Reconciling';
  return 'Stable';
}

export function isReconciledTo(m: ConsumerGroupMember, epoch: number): boolean {
  return m.state === MemberState.Stable && m.memberEpoch === epoch;
}

/** The assignor the group uses: the one most members ask for (ties: by name), else `fallback`. */
export function preferredAssignor(g: ConsumerGroup, fallback: string): string {
  const counts = new Map<string, number>();
  for (const m of g.members.values()) if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
  let best = fallback;
  let bestCount = 0;
  for (const [name, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (n > bestCount) {
      best = name;
      bestCount = n;
    }
  }
  return best;
}

/** Whether `m` waits for a partition of its target that another member still owns (Kafka's waitingOnUnreleasedPartition). */
export function waitingOnUnreleasedPartition(g: ConsumerGroup, m: ConsumerGroupMember): boolean {
  if (m.state !== MemberState.UnreleasedPartitions) return false;
  for (const [topicId, parts] of g.target.get(m.memberId) ?? new Map<string, Set<number>>()) {
    const have = m.assigned.get(topicId);
    for (const p of parts) if (!(have?.has(p) ?? false) && ownerOf(g, topicId, p) !== undefined) return true;
  }
  return false;
}

/** The number of members using the classic protocol. */
export function classicMemberCount(g: ConsumerGroup): number {
  let n = 0;
  for (const m of g.members.values()) if (m.classic !== null) n++;
  return n;
}

/** The union of the members' subscribed topic names. */
export function subscribedTopicNames(g: ConsumerGroup): Set<string> {
  const out = new Set<string>();
  for (const m of g.members.values()) for (const t of m.subscribedTopicNames) out.add(t);
  return out;
}

export function sameSubscribedTopics(a: Map<string, SubscribedTopic>, b: Map<string, SubscribedTopic>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const o = b.get(name);
    if (o === undefined || o.topicId !== t.topicId || o.numPartitions !== t.numPartitions) return false;
  }
  return true;
}

export function sameAssignment(a: TopicAssignment, b: TopicAssignment): boolean {
  if (countPartitions(a) !== countPartitions(b)) return false;
  for (const [topicId, parts] of a) {
    const o = b.get(topicId);
    for (const p of parts) if (o === undefined || !o.has(p)) return false;
  }
  return true;
}

export function countPartitions(a: TopicAssignment): number {
  let n = 0;
  for (const parts of a.values()) n += parts.size;
  return n;
}

/** A deep copy. */
export function copyAssignment(a: TopicAssignment): TopicAssignment {
  return new Map([...a].map(([t, ps]) => [t, new Set(ps)]));
}

/** The `{ topicId, partitions }` list of an assignment, sorted (wire order for answers). */
export function assignmentList(a: TopicAssignment): { topicId: string; partitions: number[] }[] {
  return [...a]
    .filter(([, ps]) => ps.size > 0)
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }))
    .sort((x, y) => (x.topicId < y.topicId ? -1 : x.topicId > y.topicId ? 1 : 0));
}
