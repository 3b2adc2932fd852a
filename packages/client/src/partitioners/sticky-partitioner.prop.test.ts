/**
 * Property test of the sticky partitioner (KIP-480) against a model that keeps only the
 * sticky partition per topic, over random sequences of keyless records, keyed records,
 * closed batches and changes of which partitions have a leader.
 *
 * Invariants, checked after every step:
 *  1. range: every partition returned is in [0, numPartitions);
 *  2. stickiness: a keyless record goes to the model's sticky partition while no batch
 *     closed for it; a keyed record goes to murmur2Partition and moves nothing;
 *  3. switching: a batch closing for the sticky partition moves it to a different
 *     candidate whenever one exists, and a batch closing for another partition moves nothing;
 *  4. availability: a newly chosen partition has a leader when any partition has one;
 *  5. distribution: over many switches with a seeded Random, each candidate partition is
 *     chosen within 30% of the uniform share (the switch chain's stationary distribution
 *     is uniform; 30% is more than six standard deviations at these counts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from '@samsa/runtime';
import { StickyPartitioner } from './sticky-partitioner.ts';
import { murmur2Partition } from './murmur2.ts';

type Op =
  | { t: 'keyless'; topic: number }
  | { t: 'keyed'; topic: number; key: Uint8Array }
  | { t: 'batch'; topic: number; partition: number | 'sticky' }
  | { t: 'leaders'; available: number[] };

const TOPICS = ['a', 'b'];

const opArb = (numPartitions: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('keyless' as const), topic: fc.nat(1) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('keyed' as const), topic: fc.nat(1), key: fc.uint8Array({ maxLength: 12 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('batch' as const),
        topic: fc.nat(1),
        partition: fc.oneof(fc.constant('sticky' as const), fc.nat(numPartitions - 1)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('leaders' as const), available: fc.uniqueArray(fc.nat(numPartitions - 1)) }) },
  );

const scenarioArb = fc
  .integer({ min: 1, max: 8 })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer(), fc.array(opArb(n), { maxLength: 80 })));

describe('StickyPartitioner against a model', () => {
  it('sticks, switches and stays in range', () => {
    fc.assert(
      fc.property(scenarioArb, ([numPartitions, seed, ops]) => {
        const p = new StickyPartitioner(createRandom(seed));
        const model = new Map<string, number>();
        let available: number[] = [];
        const candidates = (): number[] => (available.length > 0 ? available : [...Array(numPartitions).keys()]);
        for (const op of ops) {
          if (op.t === 'leaders') {
            available = op.available;
            continue;
          }
          const topic = TOPICS[op.topic]!;
          const before = model.get(topic);
          if (op.t === 'keyed') {
            expect(p.partition(topic, op.key, numPartitions, available)).toBe(murmur2Partition(op.key, numPartitions));
            expect(p.stickyPartitionOf(topic)).toBe(before);
          } else if (op.t === 'keyless') {
            const got = p.partition(topic, null, numPartitions, available);
            expect(got).toBeGreaterThanOrEqual(0);
            expect(got).toBeLessThan(numPartitions);
            if (before !== undefined) expect(got).toBe(before);
            else expect(candidates()).toContain(got);
            model.set(topic, got);
          } else {
            const prev = op.partition === 'sticky' ? (before ?? 0) : op.partition;
            const after = p.onNewBatch(topic, prev, numPartitions, available);
            if (before !== undefined && before !== prev) {
              expect(after).toBe(before);
            } else {
              expect(candidates()).toContain(after);
              if (before !== undefined && candidates().some((c) => c !== prev)) expect(after).not.toBe(prev);
            }
            model.set(topic, after);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('spreads switches uniformly over the candidates', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 2, max: 10 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat(n - 1), { minLength: 0, maxLength: n }))),
        (seed, [numPartitions, available]) => {
          const p = new StickyPartitioner(createRandom(seed));
          const candidates = available.length > 0 ? available : [...Array(numPartitions).keys()];
          const switches = 600 * candidates.length;
          const counts = new Map<number, number>();
          let sticky = p.partition('t', null, numPartitions, available);
          for (let i = 0; i < switches; i++) {
            sticky = p.onNewBatch('t', sticky, numPartitions, available);
            counts.set(sticky, (counts.get(sticky) ?? 0) + 1);
          }
          const share = switches / candidates.length;
          for (const c of candidates) {
            const count = counts.get(c) ?? 0;
            expect(count).toBeGreaterThan(share * 0.7);
            expect(count).toBeLessThan(share * 1.3);
          }
          expect([...counts.keys()].every((k) => candidates.includes(k))).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});
