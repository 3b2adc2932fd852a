/**
 * Java's `RangeAssignor` ("range", EAGER): each topic is split on its own. The members
 * subscribed to the topic are sorted (static members first by instance id, then by member
 * id: member-order.ts); with n partitions and c members, member i gets the contiguous range
 * starting at `(n / c) * i + min(i, n % c)` of length `n / c`, plus one for the first `n % c`.
 *
 *   topic t, 7 partitions, members a b c  →  a: 0 1 2   b: 3 4   c: 5 6
 *
 * Co-partitioned topics line up (partition k of every topic goes to the same member when
 * the topics have the same count and subscribers), which is why joins use it; the cost is
 * imbalance across many topics (the first members get every topic's extra partition).
 * Topics without metadata are skipped. Java 3.5+'s rack-aware variant (KIP-881) reduces to
 * this when members send no rack, which is all this client does today.
 */
import type { Assignor, GroupAssignment, GroupMember } from './assignor.ts';
import { addPartition, emptyAssignment, sortAssignment, sortedMembers } from './member-order.ts';

export const rangeAssignor: Assignor = {
  name: 'range',
  protocol: 'EAGER',
  assign(members: readonly GroupMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const assignment = emptyAssignment(members);
    for (const [topic, subscribers] of membersPerTopic(sortedMembers(members))) {
      const numPartitions = partitionsPerTopic.get(topic);
      if (numPartitions === undefined) continue;
      const perMember = Math.floor(numPartitions / subscribers.length);
      const withExtra = numPartitions % subscribers.length;
      for (let i = 0; i < subscribers.length; i++) {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i < withExtra ? 1 : 0);
        const own = assignment.get(subscribers[i]!)!;
        for (let p = start; p < start + length; p++) addPartition(own, topic, p);
      }
    }
    return sortAssignment(assignment);
  },
};

/** topic → ids of the (sorted) members subscribed to it, each once. */
function membersPerTopic(sorted: readonly GroupMember[]): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const m of sorted) {
    for (const topic of new Set(m.subscription.topics)) {
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [m.memberId]);
      else list.push(m.memberId);
    }
  }
  return byTopic;
}
