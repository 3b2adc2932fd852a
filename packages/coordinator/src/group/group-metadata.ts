/**
 * One consumer group's in-memory state: members, the generation, the selected protocol,
 * the leader, join/sync waiters, deadlines and committed offsets. Plain data plus small
 * pure helpers (protocol vote, member-id generation); the transitions live in
 * group-coordinator.ts, which is the only writer.
 *
 * Invariants: `members` is in join order (the leader falls back to the first member);
 * `staticMembers` maps each groupInstanceId of a member to that member's id and nothing
 * else; a member has at most one pending JoinGroup and one pending SyncGroup request;
 * `pendingSyncMembers` is empty outside CompletingRebalance/Stable, and `syncDeadlineMs` is
 * non-null exactly while it is non-empty (each id in it was a member at the join's end; a
 * static member replaced without a rebalance leaves its old id behind, as in Kafka).
 */
import type { GroupState, CoordinatorRandom } from './types.ts';

export interface Protocol {
  name: string;
  metadata: Uint8Array;
}

export interface MemberMetadata {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Uint8Array;
  /** requestId of a JoinGroup waiting for the rebalance, or null. */
  joinRequestId: number | null;
  /** requestId of a SyncGroup waiting for the leader's assignment, or null. */
  syncRequestId: number | null;
  heartbeatDeadlineMs: number;
}

export interface OffsetEntry {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  expireTimestampMs: number;
}

export interface GroupMetadata {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
  protocol: string | null;
  generation: number;
  leaderId: string | null;
  members: Map<string, MemberMetadata>;
  staticMembers: Map<string, string>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the deadline to come back by. */
  pendingMembers: Map<string, number>;
  /** PreparingRebalance: when the join phase ends regardless of who rejoined. */
  joinDeadlineMs: number | null;
  /**
   * KAFKA-13128 (Kafka 3.1): members that got this generation's JoinGroup answer (every member
   * at the join phase's end) and have not sent a SyncGroup since. Those still here at
   * `syncDeadlineMs` are removed and the group rebalances.
   */
  pendingSyncMembers: Set<string>;
  /** When the pending-sync members are removed: join end + the group's rebalance timeout; null when none. */
  syncDeadlineMs: number | null;
  /** Set while the initial (Empty → PreparingRebalance) delayed join runs. */
  initialDelay: { remainingMs: number; newMemberAdded: boolean } | null;
  currentStateTimestampMs: number;
  /** Topics the members subscribe to ("consumer" protocol), null if unknown. */
  subscribedTopics: Set<string> | null;
  offsets: Map<string, Map<number, OffsetEntry>>;
  /** Appends for this group not yet completed (commits, the leader's sync). */
  pendingAppends: number;
  /** The generation whose leader assignment is being persisted right now, or -1. */
  persistingAssignmentGeneration: number;
}

export const EMPTY_BYTES = new Uint8Array(0);

export function newGroup(groupId: string, nowMs: number): GroupMetadata {
  return {
    groupId,
    state: 'Empty',
    protocolType: null,
    protocol: null,
    generation: 0,
    leaderId: null,
    members: new Map(),
    staticMembers: new Map(),
    pendingMembers: new Map(),
    joinDeadlineMs: null,
    pendingSyncMembers: new Set(),
    syncDeadlineMs: null,
    initialDelay: null,
    currentStateTimestampMs: nowMs,
    subscribedTopics: null,
    offsets: new Map(),
    pendingAppends: 0,
    persistingAssignmentGeneration: -1,
  };
}

/** Kafka's member id: `<clientId or groupInstanceId>-<random UUID>`, from the seeded source. */
export function generateMemberId(prefix: string, random: CoordinatorRandom): string {
  let hex = '';
  for (let i = 0; i < 4; i++) {
    let w = random.nextUint32() >>> 0;
    if (i === 1) w = ((w & 0xffff0fff) | 0x00004000) >>> 0; // version 4
    if (i === 2) w = ((w & 0x3fffffff) | 0x80000000) >>> 0; // variant 10
    hex += w.toString(16).padStart(8, '0');
  }
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix}-${uuid}`;
}

/** Protocol names every member supports (all of them when the group has no members). */
export function candidateProtocols(group: GroupMetadata, excludeMemberId: string | null): Set<string> | null {
  let out: Set<string> | null = null;
  for (const m of group.members.values()) {
    if (m.memberId === excludeMemberId) continue;
    const names = new Set(m.protocols.map((p) => p.name));
    if (out === null) out = names;
    else for (const n of out) if (!names.has(n)) out.delete(n);
  }
  return out;
}

/** Kafka's `supportsProtocols`: may a member with these protocols (re)join the group? */
export function supportsProtocols(group: GroupMetadata, protocolType: string, protocols: Protocol[], memberId: string | null): boolean {
  const candidates = candidateProtocols(group, memberId);
  if (candidates === null) return protocolType !== '' && protocols.length > 0;
  return group.protocolType === protocolType && protocols.some((p) => candidates.has(p.name));
}

/**
 * Kafka's `selectProtocol`: among protocols every member supports, each member votes for
 * its most preferred one; the most votes win, ties broken by the first member's preference.
 */
export function selectProtocol(group: GroupMetadata): string {
  const candidates = candidateProtocols(group, null);
  if (candidates === null || candidates.size === 0) throw new Error(`selectProtocol: no common protocol in group ${group.groupId}`);
  const votes = new Map<string, number>();
  for (const m of group.members.values()) {
    const choice = m.protocols.find((p) => candidates.has(p.name));
    if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  const first = group.members.values().next().value as MemberMetadata;
  let best = '';
  let bestVotes = -1;
  for (const p of first.protocols) {
    const v = votes.get(p.name) ?? 0;
    if (candidates.has(p.name) && v > bestVotes) {
      best = p.name;
      bestVotes = v;
    }
  }
  return best;
}

export function metadataFor(member: MemberMetadata, protocol: string | null): Uint8Array {
  if (protocol === null) return EMPTY_BYTES;
  return member.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
}

export function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || !bytesEqual(x.metadata, y.metadata)) return false;
  }
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hasAllMembersJoined(group: GroupMetadata): boolean {
  if (group.pendingMembers.size > 0) return false;
  for (const m of group.members.values()) if (m.joinRequestId === null) return false;
  return true;
}

export function rebalanceTimeoutOf(group: GroupMetadata): number {
  let t = 0;
  for (const m of group.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
  return t;
}

export function offsetCount(group: GroupMetadata): number {
  let n = 0;
  for (const parts of group.offsets.values()) n += parts.size;
  return n;
}
