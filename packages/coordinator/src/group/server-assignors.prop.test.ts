// Property tests of the KIP-848 server assignors (server-assignors.ts). Invariants:
//   - uniform and range: every partition of a subscribed topic is assigned to exactly one
//     member, and only to a member subscribed to that topic; nothing else is assigned;
//   - uniform with the same subscription everywhere: member counts differ by at most one,
//     and it is sticky: a member keeps min(previous count, floor(P/N)) of its previous
//     partitions at least;
//   - range: per topic, counts over its subscribers differ by at most one;
//   - both are deterministic (the same input, the same output).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SubscribedTopic, TopicAssignment } from './consumer-group.ts';
import { rangeAssignor, uniformAssignor } from './server-assignors.ts';
import type { AssignorMember, ServerAssignor } from './server-assignors.ts';

const TOPIC_NAMES = ['a', 'b', 'c', 'd'];

const topicsArb = fc
  .array(fc.integer({ min: 1, max: 12 }), { minLength: TOPIC_NAMES.length, maxLength: TOPIC_NAMES.length })
  .map((counts) => new Map<string, SubscribedTopic>(counts.map((n, i) => [TOPIC_NAMES[i]!, { topicId: `id-${TOPIC_NAMES[i]}`, numPartitions: n }])));

const membersArb = (homogeneous: boolean): fc.Arbitrary<AssignorMember[]> =>
  fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc
      .tuple(
        fc.subarray(TOPIC_NAMES, { minLength: 1 }),
        fc.array(fc.subarray(TOPIC_NAMES), { minLength: n, maxLength: n }),
        fc.array(fc.array(fc.tuple(fc.constantFrom(...TOPIC_NAMES), fc.integer({ min: 0, max: 14 })), { maxLength: 8 }), { minLength: n, maxLength: n }),
      )
      .map(([shared, subs, prev]) => {
        // Previous targets must be disjoint (they were a valid assignment): the first claim wins.
        const claimed = new Set<string>();
        return subs.map((own, i) => {
          const previous: TopicAssignment = new Map();
          for (const [t, p] of prev[i]!) {
            const key = `id-${t}:${p}`;
            if (claimed.has(key)) continue;
            claimed.add(key);
            previous.set(`id-${t}`, (previous.get(`id-${t}`) ?? new Set()).add(p));
          }
          return { memberId: `m${String(i).padStart(2, '0')}`, subscribedTopicNames: homogeneous ? shared : own, previous };
        });
      }),
  );

function checkValid(assignor: ServerAssignor, members: AssignorMember[], topics: Map<string, SubscribedTopic>): Map<string, TopicAssignment> {
  const out = assignor.assign(members, topics);
  expect(assignor.assign(members, topics)).toEqual(out);
  const owner = new Map<string, string>();
  for (const [memberId, a] of out) {
    const m = members.find((x) => x.memberId === memberId)!;
    for (const [topicId, parts] of a) {
      const name = [...topics].find(([, t]) => t.topicId === topicId)![0];
      expect(m.subscribedTopicNames).toContain(name);
      for (const p of parts) {
        expect(p).toBeLessThan(topics.get(name)!.numPartitions);
        expect(owner.has(`${topicId}:${p}`)).toBe(false);
        owner.set(`${topicId}:${p}`, memberId);
      }
    }
  }
  for (const [name, t] of topics) {
    if (!members.some((m) => m.subscribedTopicNames.includes(name))) continue;
    for (let p = 0; p < t.numPartitions; p++) expect(owner.has(`${t.topicId}:${p}`)).toBe(true);
  }
  return out;
}

const size = (a: TopicAssignment | undefined): number => [...(a ?? new Map<string, Set<number>>()).values()].reduce((n, s) => n + s.size, 0);

describe('server assignors', () => {
  it('uniform: valid for any subscriptions', () => {
    fc.assert(fc.property(membersArb(false), topicsArb, (members, topics) => void checkValid(uniformAssignor, members, topics)));
  });

  it('uniform, same subscriptions: balanced within 1, and sticky up to the quota', () => {
    fc.assert(
      fc.property(membersArb(true), topicsArb, (members, topics) => {
        const out = checkValid(uniformAssignor, members, topics);
        const counts = members.map((m) => size(out.get(m.memberId)));
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        const total = counts.reduce((a, b) => a + b, 0);
        const quota = Math.floor(total / members.length);
        for (const m of members) {
          let stillValid = 0;
          let kept = 0;
          for (const [topicId, parts] of m.previous) {
            const name = topicId.slice(3);
            for (const p of parts) {
              if (!m.subscribedTopicNames.includes(name) || p >= topics.get(name)!.numPartitions) continue;
              stillValid++;
              if (out.get(m.memberId)?.get(topicId)?.has(p) === true) kept++;
            }
          }
          expect(kept).toBeGreaterThanOrEqual(Math.min(stillValid, quota));
        }
      }),
    );
  });

  it('range: valid, and per topic balanced within 1 over its subscribers', () => {
    fc.assert(
      fc.property(membersArb(false), topicsArb, (members, topics) => {
        const out = checkValid(rangeAssignor, members, topics);
        for (const [name, t] of topics) {
          const subs = members.filter((m) => m.subscribedTopicNames.includes(name));
          if (subs.length === 0) continue;
          const counts = subs.map((m) => out.get(m.memberId)?.get(t.topicId)?.size ?? 0);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});
