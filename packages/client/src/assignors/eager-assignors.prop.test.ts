/**
 * Property test of the eager assignors (range, round-robin) against reference models of
 * Java's algorithms, written independently of the implementation (members ordered by a sort
 * key, range as per-member quotas filled in order, round-robin as an explicit dealer over
 * the sorted (topic, partition) list).
 *
 * Invariants, over random groups (1-7 members, static and dynamic, random subscriptions to
 * topics some of which have no metadata, 0-9 partitions per topic):
 *  1. coverage: every partition of a subscribed topic with metadata has exactly one owner;
 *  2. subscription: nobody gets a partition of a topic it did not subscribe to;
 *  3. shape: every member has an entry; partition lists sorted, no duplicates, in range;
 *  4. model: the assignment equals the reference model's, member for member;
 *  5. balance: range is within one per topic among its subscribers; round-robin with
 *     identical subscriptions is within one overall.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Assignor, GroupAssignment, GroupMember } from './assignor.ts';
import { rangeAssignor } from './range.ts';
import { roundRobinAssignor } from './round-robin.ts';

const TOPICS = ['a', 'b', 'c', 'd'];

const groupArb = fc
  .record({
    counts: fc.tuple(...TOPICS.map(() => fc.option(fc.nat(9), { nil: undefined }))),
    members: fc.uniqueArray(
      fc.record({
        memberId: fc.string({ minLength: 1, maxLength: 4 }),
        groupInstanceId: fc.option(fc.string({ minLength: 1, maxLength: 3 }), { nil: undefined }),
        topics: fc.subarray(TOPICS, { minLength: 1 }),
      }),
      { minLength: 1, maxLength: 7, selector: (m) => m.memberId },
    ),
    identical: fc.boolean(),
  })
  .map(({ counts, members, identical }) => {
    const partitionsPerTopic = new Map<string, number>();
    counts.forEach((n, i) => n !== undefined && partitionsPerTopic.set(TOPICS[i]!, n));
    // Static instance ids are unique in a real group.
    const seen = new Set<string>();
    const group: GroupMember[] = members.map((m) => {
      const instance = m.groupInstanceId !== undefined && !seen.has(m.groupInstanceId) ? m.groupInstanceId : undefined;
      if (instance !== undefined) seen.add(instance);
      return { memberId: m.memberId, groupInstanceId: instance, subscription: { topics: identical ? members[0]!.topics : m.topics, ownedPartitions: [] } };
    });
    return { group, partitionsPerTopic, identical };
  });

/** Java's MemberInfo order as a sort key: static members (0, instance) before dynamic (1, id). */
function modelOrder(members: readonly GroupMember[]): GroupMember[] {
  const key = (m: GroupMember): [number, string, string] =>
    m.groupInstanceId != null ? [0, m.groupInstanceId, m.memberId] : [1, m.memberId, ''];
  const cmp = (x: [number, string, string], y: [number, string, string]): number =>
    x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0) || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
  return [...members].sort((m, n) => cmp(key(m), key(n)));
}

type Owners = Map<string, string>; // "topic/partition" → memberId

function rangeModel(members: readonly GroupMember[], counts: ReadonlyMap<string, number>): Owners {
  const owners: Owners = new Map();
  for (const [topic, n] of counts) {
    const subs = modelOrder(members).filter((m) => m.subscription.topics.includes(topic));
    let p = 0;
    subs.forEach((m, i) => {
      const quota = Math.floor(n / subs.length) + (i < n % subs.length ? 1 : 0);
      for (let k = 0; k < quota; k++) owners.set(`${topic}/${p++}`, m.memberId);
    });
  }
  return owners;
}

function roundRobinModel(members: readonly GroupMember[], counts: ReadonlyMap<string, number>): Owners {
  const owners: Owners = new Map();
  const order = modelOrder(members);
  const pairs: [string, number][] = [];
  for (const t of [...counts.keys()].sort()) {
    if (!members.some((m) => m.subscription.topics.includes(t))) continue;
    for (let p = 0; p < counts.get(t)!; p++) pairs.push([t, p]);
  }
  let dealt = 0; // how many seats the dealer has passed, over all laps
  for (const [t, p] of pairs) {
    while (!order[dealt % order.length]!.subscription.topics.includes(t)) dealt++;
    owners.set(`${t}/${p}`, order[dealt % order.length]!.memberId);
    dealt++;
  }
  return owners;
}

function ownersOf(assignment: GroupAssignment): Owners {
  const owners: Owners = new Map();
  for (const [m, topics] of assignment) {
    for (const [t, ps] of topics) {
      for (const p of ps) {
        expect(owners.has(`${t}/${p}`), `${t}/${p} assigned twice`).toBe(false);
        owners.set(`${t}/${p}`, m);
      }
    }
  }
  return owners;
}

function checkContract(assignor: Assignor, group: readonly GroupMember[], counts: ReadonlyMap<string, number>): GroupAssignment {
  const out = assignor.assign(group, counts);
  expect([...out.keys()].sort()).toEqual(group.map((m) => m.memberId).sort());
  for (const m of group) {
    for (const [t, ps] of out.get(m.memberId)!) {
      expect(m.subscription.topics).toContain(t);
      expect(ps.length).toBeGreaterThan(0);
      expect(ps).toEqual([...new Set(ps)].sort((x, y) => x - y));
      for (const p of ps) expect(p >= 0 && p < counts.get(t)!).toBe(true);
    }
  }
  const owners = ownersOf(out);
  for (const [t, n] of counts) {
    if (!group.some((m) => m.subscription.topics.includes(t))) continue;
    for (let p = 0; p < n; p++) expect(owners.has(`${t}/${p}`), `${t}/${p} has no owner`).toBe(true);
  }
  return out;
}

const size = (out: GroupAssignment, m: string): number => [...out.get(m)!.values()].reduce((s, ps) => s + ps.length, 0);

describe('eager assignors against models of Java', () => {
  it('range', () => {
    fc.assert(
      fc.property(groupArb, ({ group, partitionsPerTopic }) => {
        const out = checkContract(rangeAssignor, group, partitionsPerTopic);
        expect(ownersOf(out)).toEqual(rangeModel(group, partitionsPerTopic));
        for (const t of partitionsPerTopic.keys()) {
          const sizes = group.filter((m) => m.subscription.topics.includes(t)).map((m) => out.get(m.memberId)!.get(t)?.length ?? 0);
          if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-robin', () => {
    fc.assert(
      fc.property(groupArb, ({ group, partitionsPerTopic, identical }) => {
        const out = checkContract(roundRobinAssignor, group, partitionsPerTopic);
        expect(ownersOf(out)).toEqual(roundRobinModel(group, partitionsPerTopic));
        if (identical) {
          const sizes = group.map((m) => size(out, m.memberId));
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });
});
