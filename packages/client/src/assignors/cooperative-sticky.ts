/**
 * Java's `CooperativeStickyAssignor` ("cooperative-sticky", COOPERATIVE, KIP-429): a
 * balanced assignment that keeps owned partitions where balance allows
 * (sticky-assignment.ts, ownership resolved by generation in owned-partitions.ts), then the
 * cooperative rule: a partition that changes owner is left out of its new owner's
 * assignment this round. Its old owner, not finding it in its assignment, revokes it and
 * rejoins; the follow-up rebalance sees it unowned and assigns it. No partition is ever
 * consumed by two members at once, and members keep consuming everything else while the
 * group rebalances.
 *
 *   round 1: a owns 0 1 2 3, b joins  →  target a: 0 1, b: 2 3  →  sent a: 0 1, b: (none)
 *   round 2: a owns 0 1, b owns none  →  a: 0 1, b: 2 3
 *
 * The withholding rule here: a member gets a partition only if no *other* member of the
 * highest generation claims it (a stricter form of Java's "partitions transferring
 * ownership", see owned-partitions.ts for contested claims). Two rounds reach the full
 * target whenever the target of round 2 keeps what round 1 sent, which the constrained
 * (identical subscriptions) path guarantees.
 *
 * For v0/v1 subscriptions (no generationId field) the member puts its generation in the
 * userData: `subscriptionUserData(generation)`, a big-endian int32, Java's
 * COOPERATIVE_STICKY_ASSIGNOR_USER_DATA_V0.
 */
import type { Assignor, GroupAssignment, GroupMember } from './assignor.ts';
import { addPartition, emptyAssignment, sortAssignment, sortedMembers } from './member-order.ts';
import { previousOwnership } from './owned-partitions.ts';
import { PartitionIndex } from './partition-index.ts';
import { stickyAssignment } from './sticky-assignment.ts';

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  protocol: 'COOPERATIVE',
  assign(members: readonly GroupMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const sorted = sortedMembers(members);
    const index = new PartitionIndex(
      sorted.flatMap((m) => m.subscription.topics),
      partitionsPerTopic,
    );
    const ownership = previousOwnership(sorted, index);
    const target = stickyAssignment(sorted, index, ownership.keepable);
    const assignment = emptyAssignment(members);
    for (const [memberId, ids] of target) {
      const own = assignment.get(memberId)!;
      for (const id of ids) {
        const claimants = ownership.claimantsById.get(id) ?? [];
        if (claimants.some((c) => c !== memberId)) continue; // its owner revokes it first
        addPartition(own, index.topicOf(id), index.partitionOf(id));
      }
    }
    return sortAssignment(assignment);
  },
};

/** The userData a v0/v1 cooperative-sticky subscription carries: int32 generation, big-endian. */
export function subscriptionUserData(generation: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, generation, false);
  return bytes;
}
