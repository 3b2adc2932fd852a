import { describe, expect, it } from 'vitest';
import type { GroupAssignment, GroupMember, TopicPartitions } from './assignor.ts';
import { cooperativeStickyAssignor as sticky, subscriptionUserData } from './cooperative-sticky.ts';
import { generationOf } from './owned-partitions.ts';

function member(memberId: string, topics: string[], owned: TopicPartitions[] = [], generationId = 1): GroupMember {
  return { memberId, subscription: { topics, ownedPartitions: owned, generationId } };
}

const plain = (a: GroupAssignment): Record<string, Record<string, number[]>> =>
  Object.fromEntries([...a].map(([m, ts]) => [m, Object.fromEntries(ts)]));

describe('cooperativeStickyAssignor', () => {
  it('is named and cooperative', () => {
    expect(sticky.name).toBe('cooperative-sticky');
    expect(sticky.protocol).toBe('COOPERATIVE');
  });

  it('assigns a fresh group in full, balanced', () => {
    const out = sticky.assign([member('a', ['t']), member('b', ['t'])], new Map([['t', 5]]));
    expect(plain(out)).toEqual({ a: { t: [0, 1, 2] }, b: { t: [3, 4] } });
  });

  it('withholds a moving partition for one round, then assigns it (the file comment example)', () => {
    const counts = new Map([['t', 4]]);
    const round1 = sticky.assign([member('a', ['t'], [{ topic: 't', partitions: [0, 1, 2, 3] }]), member('b', ['t'], [])], counts);
    expect(plain(round1)).toEqual({ a: { t: [0, 1] }, b: {} });
    const round2 = sticky.assign([member('a', ['t'], [{ topic: 't', partitions: [0, 1] }], 2), member('b', ['t'], [], 2)], counts);
    expect(plain(round2)).toEqual({ a: { t: [0, 1] }, b: { t: [2, 3] } });
  });

  it('keeps every owned partition when the owners are already balanced', () => {
    const members = [
      member('a', ['t'], [{ topic: 't', partitions: [3, 0] }]),
      member('b', ['t'], [{ topic: 't', partitions: [1, 4] }]),
      member('c', ['t'], [{ topic: 't', partitions: [2] }]),
    ];
    expect(plain(sticky.assign(members, new Map([['t', 5]])))).toEqual({ a: { t: [0, 3] }, b: { t: [1, 4] }, c: { t: [2] } });
  });

  it('hands a leaving member’s partitions out at once (nobody owns them any more)', () => {
    const members = [member('a', ['t'], [{ topic: 't', partitions: [0, 1] }]), member('b', ['t'], [{ topic: 't', partitions: [2, 3] }])];
    // c (which owned 4 and 5) left the group.
    expect(plain(sticky.assign(members, new Map([['t', 6]])))).toEqual({ a: { t: [0, 1, 4] }, b: { t: [2, 3, 5] } });
  });

  it('ignores claims from an older generation (highest generation wins)', () => {
    const members = [
      member('a', ['t'], [{ topic: 't', partitions: [0, 1] }], 5),
      member('stale', ['t'], [{ topic: 't', partitions: [2, 3] }], 4),
      member('b', ['t'], [], 5),
    ];
    const out = sticky.assign(members, new Map([['t', 4]]));
    // Quotas 2/1/1: a owns two, so it takes the larger quota and keeps 0 1; the stale claim
    // on 2 3 blocks nothing, so both are handed out in this very round.
    expect(plain(out)).toEqual({ a: { t: [0, 1] }, b: { t: [2] }, stale: { t: [3] } });
  });

  it('withholds a partition two current members both claim, from everyone', () => {
    const members = [
      member('a', ['t'], [{ topic: 't', partitions: [0, 1] }]),
      member('b', ['t'], [{ topic: 't', partitions: [1, 2] }]),
    ];
    const out = sticky.assign(members, new Map([['t', 4]]));
    const all = [...out.values()].flatMap((ts) => ts.get('t') ?? []);
    expect(all).not.toContain(1);
    expect(out.get('a')!.get('t')).toContain(0);
    expect(out.get('b')!.get('t')).toContain(2);
  });

  it('does not give a member a topic it dropped, nor the dropped partitions to others yet', () => {
    const members = [
      member('a', ['t'], [{ topic: 't', partitions: [0] }, { topic: 'u', partitions: [0] }]),
      member('b', ['t', 'u'], [{ topic: 't', partitions: [1] }]),
    ];
    const out = sticky.assign(members, new Map([['t', 2], ['u', 1]]));
    expect(plain(out)).toEqual({ a: { t: [0] }, b: { t: [1] } });
  });

  it('balances unequal subscriptions: nobody can take from a member with two more', () => {
    const members = [member('a', ['t', 'u']), member('b', ['t'])];
    expect(plain(sticky.assign(members, new Map([['t', 2], ['u', 2]])))).toEqual({ a: { u: [0, 1] }, b: { t: [0, 1] } });
  });

  it('reads the generation from v2+ fields, else from v0/v1 userData', () => {
    expect(generationOf({ topics: [], ownedPartitions: [], generationId: 7 })).toBe(7);
    expect(generationOf({ topics: [], ownedPartitions: [], generationId: -1, userData: subscriptionUserData(300) })).toBe(300);
    expect(generationOf({ topics: [], ownedPartitions: [], userData: Uint8Array.of(1) })).toBe(-1);
    expect(generationOf({ topics: [], ownedPartitions: [] })).toBe(-1);
    expect([...subscriptionUserData(0x01020304)]).toEqual([1, 2, 3, 4]);
  });

  it('returns an empty entry for every member when nothing is subscribed', () => {
    expect(plain(sticky.assign([member('a', ['gone'])], new Map()))).toEqual({ a: {} });
    expect(plain(sticky.assign([], new Map([['t', 3]])))).toEqual({});
  });
});
