/**
 * Which partitions each member validly owns going into a rebalance, resolved the way
 * Java's `AbstractStickyAssignor` does from the subscriptions' owned partitions:
 *
 *  - A member's generation is its subscription's `generationId` (v2+) when ≥ 0; else, for
 *    v0/v1 subscriptions, the int32 the cooperative-sticky assignor puts first in its
 *    userData (Java's COOPERATIVE_STICKY_ASSIGNOR_USER_DATA_V0); else -1 (unknown).
 *  - Only members at the group's highest generation own anything: a member still claiming
 *    partitions from an older generation fell out of the group in between and its claims
 *    are stale (KIP-792's reason for the field).
 *  - Claims on topics or partitions the index does not cover are dropped.
 *  - A partition claimed by two members of the highest generation is "contested": neither
 *    may keep it (Java drops such claims too), and — stricter than Java, which may hand it
 *    straight to a third member — the cooperative assignor withholds it from everyone
 *    until both claimants have revoked it.
 *
 * Result: `keepable` (member → ids it owns alone, of topics it still subscribes to: what
 * stickiness may keep) and `claimantsById` (id → every valid claimant, subscribed or not:
 * who must revoke before anyone else gets it).
 */
import type { GroupMember, MemberSubscription } from './assignor.ts';
import type { PartitionIndex } from './partition-index.ts';

export const GENERATION_UNKNOWN = -1;

export interface PreviousOwnership {
  readonly generation: number;
  readonly keepable: ReadonlyMap<string, readonly number[]>;
  readonly claimantsById: ReadonlyMap<number, readonly string[]>;
}

/** The generation a member's owned partitions belong to (see the file comment). */
export function generationOf(s: MemberSubscription): number {
  if (s.generationId !== undefined && s.generationId >= 0) return s.generationId;
  const u = s.userData;
  if (u !== undefined && u !== null && u.length >= 4) {
    return new DataView(u.buffer, u.byteOffset, u.byteLength).getInt32(0, false);
  }
  return GENERATION_UNKNOWN;
}

export function previousOwnership(members: readonly GroupMember[], index: PartitionIndex): PreviousOwnership {
  const generation = members.reduce((g, m) => Math.max(g, generationOf(m.subscription)), GENERATION_UNKNOWN);
  const claimantsById = new Map<number, string[]>();
  for (const m of members) {
    if (generationOf(m.subscription) !== generation) continue;
    for (const tp of m.subscription.ownedPartitions) {
      for (const p of tp.partitions) {
        const id = index.id(tp.topic, p);
        if (id === undefined) continue;
        const claimants = claimantsById.get(id);
        if (claimants === undefined) claimantsById.set(id, [m.memberId]);
        else if (!claimants.includes(m.memberId)) claimants.push(m.memberId);
      }
    }
  }
  const keepable = new Map<string, number[]>(members.map((m) => [m.memberId, []]));
  const subscribed = new Map(members.map((m) => [m.memberId, new Set(m.subscription.topics)]));
  for (const [id, claimants] of claimantsById) {
    if (claimants.length !== 1) continue;
    const owner = claimants[0]!;
    if (subscribed.get(owner)!.has(index.topicOf(id))) keepable.get(owner)!.push(id);
  }
  for (const ids of keepable.values()) ids.sort((a, b) => a - b);
  return { generation, keepable, claimantsById };
}
