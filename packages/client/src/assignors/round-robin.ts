/**
 * Java's `RoundRobinAssignor` ("roundrobin", EAGER): every partition of every subscribed
 * topic (topics sorted by name, partitions ascending) is dealt in turn to the sorted members
 * (member-order.ts), one circular pointer for the whole group, skipping members not
 * subscribed to the partition's topic.
 *
 *   t0, t1 with 3 partitions each; a and b subscribe to both
 *   → a: t0-0 t0-2 t1-1   b: t0-1 t1-0 t1-2
 *
 * With identical subscriptions member sizes differ by at most one; with different
 * subscriptions it can be unbalanced (Java's documented caveat). Topics without metadata
 * are skipped.
 */
import type { Assignor, GroupAssignment, GroupMember } from './assignor.ts';
import { addPartition, compareStrings, emptyAssignment, sortAssignment, sortedMembers } from './member-order.ts';

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  protocol: 'EAGER',
  assign(members: readonly GroupMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const assignment = emptyAssignment(members);
    const sorted = sortedMembers(members);
    const subscribed = sorted.map((m) => new Set(m.subscription.topics));
    const topics = [...new Set(subscribed.flatMap((s) => [...s]))].filter((t) => partitionsPerTopic.has(t)).sort(compareStrings);
    let next = 0;
    for (const topic of topics) {
      const numPartitions = partitionsPerTopic.get(topic)!;
      for (let p = 0; p < numPartitions; p++) {
        // Some member subscribes to `topic` (it came from a subscription), so this ends
        // within one lap.
        while (!subscribed[next]!.has(topic)) next = (next + 1) % sorted.length;
        addPartition(assignment.get(sorted[next]!.memberId)!, topic, p);
        next = (next + 1) % sorted.length;
      }
    }
    return sortAssignment(assignment);
  },
};
