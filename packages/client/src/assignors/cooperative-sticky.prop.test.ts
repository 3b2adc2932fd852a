/**
 * Property test of the cooperative-sticky assignor against a model of what a KIP-429
 * rebalance must guarantee. Random groups: 1-6 members, identical or random subscriptions
 * over three topics (0-9 partitions each, one sometimes without metadata), a random
 * previous owner for each partition, some members at a stale (older) generation, and
 * sometimes extra claims that make two current members claim one partition.
 *
 * A claim is *valid* when its member is at the group's highest generation (the model
 * computes this itself). Invariants:
 *  1. contract: an entry per member; only subscribed topics with metadata; sorted,
 *     in range; no partition given to two members;
 *  2. cooperative safety: no member gets a partition another member validly claims;
 *  3. no idling: every subscribed partition nobody validly claims is assigned at once;
 *  4. stickiness (identical subscriptions, no contested claims): a member keeps at least
 *     min(owned, ⌊N/M⌋) of what it owns, the group keeps the optimum
 *     Σ min(owned, ⌊N/M⌋) + min(N mod M, #members owning ≥ ⌈N/M⌉), and a member that
 *     gives up an owned partition receives nothing new;
 *  5. two-round convergence: feeding round 1's output back as every member's owned
 *     partitions (next generation) yields a complete assignment that keeps all of round 1;
 *     it is balanced: max − min ≤ 1 with identical subscriptions, and in general no member
 *     could take a partition (of a topic it subscribes to) from one holding two more.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { GroupAssignment, GroupMember } from './assignor.ts';
import { cooperativeStickyAssignor as sticky } from './cooperative-sticky.ts';

const TOPICS = ['a', 'b', 'c'];
const key = (t: string, p: number): string => `${t}/${p}`;

interface Scenario {
  group: GroupMember[];
  counts: Map<string, number>;
  identical: boolean;
  contested: boolean;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    counts: fc.tuple(fc.nat(9), fc.nat(9), fc.option(fc.nat(9), { nil: undefined })),
    memberCount: fc.integer({ min: 1, max: 6 }),
    identical: fc.boolean(),
    generation: fc.integer({ min: 1, max: 1000 }),
    seedOwners: fc.array(fc.integer({ min: -2, max: 5 }), { minLength: 27, maxLength: 27 }),
    subs: fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 6, maxLength: 6 }),
    stale: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    extra: fc.array(fc.tuple(fc.nat(5), fc.nat(2), fc.nat(8)), { maxLength: 3 }),
  })
  .map(({ counts, memberCount, identical, generation, seedOwners, subs, stale, extra }) => {
    const countMap = new Map<string, number>();
    counts.forEach((n, i) => n !== undefined && countMap.set(TOPICS[i]!, n));
    const owned: Map<string, number[]>[] = Array.from({ length: memberCount }, () => new Map());
    let k = 0;
    for (const [t, n] of countMap) {
      for (let p = 0; p < n; p++) {
        const o = seedOwners[k++ % seedOwners.length]!;
        if (o >= 0 && o < memberCount) owned[o]!.set(t, [...(owned[o]!.get(t) ?? []), p]);
      }
    }
    for (const [m, ti, p] of extra) {
      const t = TOPICS[ti]!;
      if (m < memberCount && p < (countMap.get(t) ?? 0)) owned[m]!.set(t, [...new Set([...(owned[m]!.get(t) ?? []), p])]);
    }
    const group: GroupMember[] = owned.map((o, i) => ({
      memberId: `m${i}`,
      subscription: {
        topics: identical ? subs[0]! : subs[i]!,
        ownedPartitions: [...o].map(([topic, partitions]) => ({ topic, partitions })),
        generationId: stale[i] === true && i > 0 ? generation - 1 : generation,
      },
    }));
    return { group, counts: countMap, identical, contested: extra.length > 0 };
  });

/** Valid claims: members at the highest generation only. Key → claimant ids. */
function validClaims(group: readonly GroupMember[]): Map<string, string[]> {
  const top = Math.max(...group.map((m) => m.subscription.generationId ?? -1));
  const claims = new Map<string, string[]>();
  for (const m of group) {
    if ((m.subscription.generationId ?? -1) !== top) continue;
    for (const tp of m.subscription.ownedPartitions) for (const p of tp.partitions) claims.set(key(tp.topic, p), [...(claims.get(key(tp.topic, p)) ?? []), m.memberId]);
  }
  return claims;
}

/** Every partition some member subscribes to and metadata knows, as keys. */
function subscribedPartitions(group: readonly GroupMember[], counts: ReadonlyMap<string, number>): Set<string> {
  const out = new Set<string>();
  for (const [t, n] of counts) if (group.some((m) => m.subscription.topics.includes(t))) for (let p = 0; p < n; p++) out.add(key(t, p));
  return out;
}

function keysOf(out: GroupAssignment, m: string): Set<string> {
  return new Set([...out.get(m)!].flatMap(([t, ps]) => ps.map((p) => key(t, p))));
}

function checkContract(s: Scenario, out: GroupAssignment): void {
  expect([...out.keys()].sort()).toEqual(s.group.map((m) => m.memberId).sort());
  const seen = new Set<string>();
  for (const m of s.group) {
    for (const [t, ps] of out.get(m.memberId)!) {
      expect(m.subscription.topics).toContain(t);
      expect(ps).toEqual([...new Set(ps)].sort((x, y) => x - y));
      for (const p of ps) {
        expect(p >= 0 && p < s.counts.get(t)!).toBe(true);
        expect(seen.has(key(t, p)), `${key(t, p)} given twice`).toBe(false);
        seen.add(key(t, p));
      }
    }
  }
}

/** Java's isBalanced: nobody could take a partition from a member with two or more extra. */
function expectBalanced(s: Scenario, out: GroupAssignment): void {
  for (const from of s.group) {
    for (const to of s.group) {
      if (keysOf(out, to.memberId).size + 2 > keysOf(out, from.memberId).size) continue;
      const movable = [...out.get(from.memberId)!.keys()].filter((t) => to.subscription.topics.includes(t));
      expect(movable, `${to.memberId} could take ${movable.join()} from ${from.memberId}`).toEqual([]);
    }
  }
}

describe('cooperativeStickyAssignor against the KIP-429 model', () => {
  it('is safe, idles nothing, is sticky, and converges in two rounds', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const out = sticky.assign(s.group, s.counts);
        checkContract(s, out);
        const claims = validClaims(s.group);
        const wanted = subscribedPartitions(s.group, s.counts);
        // 2. cooperative safety, 3. no idling
        const assigned = new Set(s.group.flatMap((m) => [...keysOf(out, m.memberId)]));
        for (const m of s.group) {
          for (const k of keysOf(out, m.memberId)) {
            expect((claims.get(k) ?? []).filter((c) => c !== m.memberId), `${k} given to ${m.memberId} while owned`).toEqual([]);
          }
        }
        for (const k of wanted) if (!claims.has(k)) expect(assigned.has(k), `${k} unclaimed yet idle`).toBe(true);
        // 4. stickiness
        if (s.identical && !s.contested && s.group.length > 0) {
          const n = wanted.size;
          const minQuota = Math.floor(n / s.group.length);
          const maxQuota = Math.ceil(n / s.group.length);
          let kept = 0;
          let optimum = 0;
          let ownersOfMax = 0;
          for (const m of s.group) {
            const owned = new Set([...claims].filter(([k, c]) => c.includes(m.memberId) && wanted.has(k)).map(([k]) => k));
            const mine = keysOf(out, m.memberId);
            const keptHere = [...owned].filter((k) => mine.has(k)).length;
            expect(keptHere).toBeGreaterThanOrEqual(Math.min(owned.size, minQuota));
            if (keptHere < owned.size) expect([...mine].every((k) => owned.has(k)), `${m.memberId} lost and gained`).toBe(true);
            kept += keptHere;
            optimum += Math.min(owned.size, minQuota);
            if (owned.size >= maxQuota) ownersOfMax++;
          }
          expect(kept).toBe(optimum + Math.min(n % s.group.length, ownersOfMax));
        }
        // 5. convergence: round 2 from round 1's output
        const top = Math.max(...s.group.map((m) => m.subscription.generationId ?? -1));
        const round2: GroupMember[] = s.group.map((m) => ({
          memberId: m.memberId,
          subscription: { ...m.subscription, generationId: top + 1, ownedPartitions: [...out.get(m.memberId)!].map(([topic, partitions]) => ({ topic, partitions })) },
        }));
        const out2 = sticky.assign(round2, s.counts);
        checkContract(s, out2);
        const assigned2 = new Set(s.group.flatMap((m) => [...keysOf(out2, m.memberId)]));
        expect([...wanted].filter((k) => !assigned2.has(k)), 'idle after round 2').toEqual([]);
        for (const m of s.group) for (const k of keysOf(out, m.memberId)) expect(keysOf(out2, m.memberId).has(k)).toBe(true);
        expectBalanced(s, out2);
        if (s.identical) {
          const sizes = s.group.map((m) => keysOf(out2, m.memberId).size);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
