// Kafka's replica assignment: spread of leaders and followers, rack alternation, fixed
// start (CreatePartitions), and validation of a client-given assignment.
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { AssignmentError, assignReplicas, rackAlternated, validateAssignment } from './replica-assignment.ts';

const brokers = (ids: number[], rack: (id: number) => string | null = () => null) => ids.map((brokerId) => ({ brokerId, rack: rack(brokerId) }));
const count = (xs: number[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<number, number>());

describe('assignReplicas', () => {
  it('spreads a 12-partition RF 1 topic over 3 brokers as 4 leaders each, whatever the seed', () => {
    for (let seed = 0; seed < 20; seed++) {
      const a = assignReplicas({ partitionCount: 12, replicationFactor: 1, brokers: brokers([3, 1, 2]), random: createRandom(seed) });
      expect([...count(a.map((r) => r[0]!)).values()]).toEqual([4, 4, 4]);
    }
  });

  it("matches Kafka's layout for a fixed start: 5 brokers, 10 partitions, RF 3", () => {
    // AdminUtils' own unit test (fixedStartIndex 0): the first replica walks the brokers, the
    // followers shift by one more every 5 partitions.
    const a = assignReplicas({ partitionCount: 10, replicationFactor: 3, brokers: brokers([0, 1, 2, 3, 4]), random: createRandom(1), fixedStartIndex: 0 });
    expect(a).toEqual([
      [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
      [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
    ]);
  });

  it('gives every partition distinct replicas and spreads followers evenly', () => {
    const a = assignReplicas({ partitionCount: 60, replicationFactor: 3, brokers: brokers([1, 2, 3, 4, 5, 6]), random: createRandom(7) });
    for (const r of a) expect(new Set(r).size).toBe(3);
    expect([...count(a.flat()).values()]).toEqual([30, 30, 30, 30, 30, 30]);
  });

  it('puts each replica of RF 3 in a different rack over 3 racks', () => {
    const rack = (id: number) => `r${id % 3}`;
    for (let seed = 0; seed < 10; seed++) {
      const a = assignReplicas({ partitionCount: 30, replicationFactor: 3, brokers: brokers([1, 2, 3, 4, 5, 6, 7, 8, 9], rack), random: createRandom(seed) });
      for (const r of a) expect(new Set(r.map(rack)).size).toBe(3);
      expect([...count(a.map((r) => r[0]!)).values()].every((n) => n === 30 / 9 || Math.abs(n - 30 / 9) < 1)).toBe(true);
    }
  });

  it("matches Kafka's rack-aware layout for a fixed start (AdminRackAwareTest's brokers)", () => {
    const racks: Record<number, string> = { 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' };
    const list = brokers([0, 1, 2, 3, 4, 5], (id) => racks[id]!);
    expect(rackAlternated(list)).toEqual([0, 3, 1, 5, 4, 2]);
    const a = assignReplicas({ partitionCount: 7, replicationFactor: 3, brokers: list, random: createRandom(1), fixedStartIndex: 0, startPartitionId: 0 });
    expect(a).toEqual([[0, 3, 1], [3, 1, 5], [1, 5, 4], [5, 4, 2], [4, 2, 0], [2, 0, 3], [0, 4, 2]]);
  });

  it('alternates the broker list by rack', () => {
    expect(rackAlternated(brokers([0, 1, 2, 3, 4, 5], (id) => (id < 3 ? 'a' : id < 5 ? 'b' : 'c')))).toEqual([0, 3, 5, 1, 4, 2]);
  });

  it('refuses RF above the broker count, zero partitions, and a partial rack setup', () => {
    const r = createRandom(1);
    expect(() => assignReplicas({ partitionCount: 1, replicationFactor: 4, brokers: brokers([1, 2, 3]), random: r })).toThrow(AssignmentError);
    expect(() => assignReplicas({ partitionCount: 0, replicationFactor: 1, brokers: brokers([1]), random: r })).toThrow(/partition count/);
    expect(() => assignReplicas({ partitionCount: 1, replicationFactor: 1, brokers: brokers([1, 2], (id) => (id === 1 ? 'a' : null)), random: r })).toThrow(/rack/);
  });

  it('starts at the given partition id (CreatePartitions)', () => {
    const a = assignReplicas({ partitionCount: 3, replicationFactor: 1, brokers: brokers([0, 1, 2]), random: createRandom(1), fixedStartIndex: 0, startPartitionId: 4 });
    expect(a).toEqual([[1], [2], [0]]);
  });
});

describe('validateAssignment', () => {
  const known = new Set([1, 2, 3]);
  it('accepts known, distinct brokers with one RF', () => {
    expect(() => validateAssignment([[1, 2], [2, 3]], known, null)).not.toThrow();
  });
  it('refuses unknown brokers, duplicates, mixed RF, and empty lists', () => {
    expect(() => validateAssignment([[1, 9]], known, null)).toThrow(/unknown broker 9/);
    expect(() => validateAssignment([[1, 1]], known, null)).toThrow(/repeats/);
    expect(() => validateAssignment([[1, 2], [3]], known, null)).toThrow(/not 2/);
    expect(() => validateAssignment([[1]], known, 2)).toThrow(/not 2/);
    expect(() => validateAssignment([], known, null)).toThrow(/1 to/);
    expect(() => validateAssignment([[]], known, null)).toThrow(/no replicas/);
  });
});
