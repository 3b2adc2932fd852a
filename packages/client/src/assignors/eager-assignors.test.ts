import { describe, expect, it } from 'vitest';
import type { GroupMember } from './assignor.ts';
import { rangeAssignor } from './range.ts';
import { roundRobinAssignor } from './round-robin.ts';

function member(memberId: string, topics: string[], groupInstanceId?: string): GroupMember {
  return { memberId, groupInstanceId, subscription: { topics, ownedPartitions: [] } };
}

const plain = (a: Map<string, Map<string, number[]>>): Record<string, Record<string, number[]>> =>
  Object.fromEntries([...a].map(([m, ts]) => [m, Object.fromEntries(ts)]));

describe('rangeAssignor (Java RangeAssignorTest cases)', () => {
  it('two consumers, two topics, three partitions each', () => {
    const out = rangeAssignor.assign([member('c2', ['t1', 't2']), member('c1', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]));
    expect(plain(out)).toEqual({ c1: { t1: [0, 1], t2: [0, 1] }, c2: { t1: [2], t2: [2] } });
  });

  it('splits 7 partitions 3/2/2 and gives nothing beyond the partition count', () => {
    expect(plain(rangeAssignor.assign(['a', 'b', 'c'].map((m) => member(m, ['t'])), new Map([['t', 7]])))).toEqual({
      a: { t: [0, 1, 2] },
      b: { t: [3, 4] },
      c: { t: [5, 6] },
    });
    expect(plain(rangeAssignor.assign(['a', 'b', 'c'].map((m) => member(m, ['t'])), new Map([['t', 2]])))).toEqual({
      a: { t: [0] },
      b: { t: [1] },
      c: {},
    });
  });

  it('splits each topic among its own subscribers and skips topics without metadata', () => {
    const out = rangeAssignor.assign([member('a', ['t1', 'gone']), member('b', ['t1', 't2'])], new Map([['t1', 2], ['t2', 2]]));
    expect(plain(out)).toEqual({ a: { t1: [0] }, b: { t1: [1], t2: [0, 1] } });
  });

  it('puts static members first, by instance id', () => {
    const out = rangeAssignor.assign([member('a', ['t']), member('z', ['t'], 'i2'), member('y', ['t'], 'i1')], new Map([['t', 3]]));
    expect(plain(out)).toEqual({ y: { t: [0] }, z: { t: [1] }, a: { t: [2] } });
  });

  it('rejects a duplicate member id', () => {
    expect(() => rangeAssignor.assign([member('a', ['t']), member('a', ['t'])], new Map([['t', 1]]))).toThrow(/twice/);
  });
});

describe('roundRobinAssignor (Java RoundRobinAssignorTest cases)', () => {
  it('two consumers, two topics, three partitions each', () => {
    const out = roundRobinAssignor.assign([member('c1', ['t1', 't2']), member('c2', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]));
    expect(plain(out)).toEqual({ c1: { t1: [0, 2], t2: [1] }, c2: { t1: [1], t2: [0, 2] } });
  });

  it('skips members not subscribed to a topic (Java testMultipleConsumersMixedTopics)', () => {
    // t1: 3 partitions, t2: 2; c0 and c2 subscribe to t1, c1 to both.
    const out = roundRobinAssignor.assign(
      [member('consumer1', ['t1']), member('consumer2', ['t1', 't2']), member('consumer3', ['t1'])],
      new Map([['t1', 3], ['t2', 2]]),
    );
    expect(plain(out)).toEqual({ consumer1: { t1: [0] }, consumer2: { t1: [1], t2: [0, 1] }, consumer3: { t1: [2] } });
  });

  it('orders static members by instance id, not member id', () => {
    const out = roundRobinAssignor.assign([member('m-a', ['t'], 'inst-2'), member('m-b', ['t'], 'inst-1')], new Map([['t', 3]]));
    expect(plain(out)).toEqual({ 'm-b': { t: [0, 2] }, 'm-a': { t: [1] } });
  });

  it('returns an entry for a member with no partitions', () => {
    const out = roundRobinAssignor.assign([member('a', ['t']), member('b', ['missing'])], new Map([['t', 2]]));
    expect(plain(out)).toEqual({ a: { t: [0, 1] }, b: {} });
  });
});
