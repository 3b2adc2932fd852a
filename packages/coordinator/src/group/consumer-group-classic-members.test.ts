// Unit tests of classic-protocol members inside a KIP-848 consumer group
// (consumer-group-classic-members.ts, Kafka 4's mixed groups): JoinGroup answers and
// reconciliation, SyncGroup returns only partitions nobody else owns, Heartbeat asks for a
// rejoin, cooperative and eager revocation, LeaveGroup, session / join / sync timeouts,
// the offset checks, static replacement, and what ListGroups / DescribeGroups /
// ConsumerGroupDescribe show.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import type { DescribeGroupsResponse, ListGroupsResponse } from '@samsa/codec';
import { Driver, G, T, owned, partitionsOf } from '../../test/mixed-group-driver.ts';
import type { Owned } from '../../test/mixed-group-driver.ts';
import { encodeMemberSubscription } from './consumer-protocol.ts';

/** Consumer member "a" owns everything at epoch 1. */
function consumerFirst(): { d: Driver; a: Owned } {
  const d = new Driver();
  const r = d.hb({ memberId: 'a', memberEpoch: 0 });
  expect(partitionsOf(owned(r))).toEqual([0, 1, 2, 3, 4, 5]);
  return { d, a: owned(r) };
}

describe('classic JoinGroup / SyncGroup in a consumer group', () => {
  it('a classic member joins (MEMBER_ID_REQUIRED first), gets nothing until the consumer member revoked, then its share', () => {
    const { d, a } = consumerFirst();
    const required = d.join('');
    expect(required.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    const j = d.join(required.memberId);
    expect(j).toMatchObject({ errorCode: E.NONE, memberId: required.memberId, generationId: 2, protocolType: 'consumer', protocolName: 'cooperative-sticky', leader: '', skipAssignment: false, members: [] });
    const c = j.memberId;
    // a still owns all six: the classic member's assignment is empty for now.
    expect(d.sync(c, 2)).toMatchObject({ errorCode: E.NONE, protocolType: 'consumer', protocolName: 'cooperative-sticky', partitions: [] });
    expect(d.heartbeat(c, 2)).toBe(E.NONE); // still waiting for a partition a owns
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: a });
    expect(partitionsOf(owned(a2))).toHaveLength(3);
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) }); // a revoked: epoch 2
    // The partitions are free now: the classic member is told to rejoin and gets them.
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    expect(d.join(c).generationId).toBe(2);
    const s = d.sync(c, 2);
    expect(s.partitions).toHaveLength(3);
    expect([...s.partitions, ...partitionsOf(owned(a2))].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(d.heartbeat(c, 2)).toBe(E.NONE);
    const described = d.describe();
    expect(described).toMatchObject({ groupState: 'Stable', groupEpoch: 2, assignmentEpoch: 2 });
    expect(described.members.map((m) => m.memberId).sort()).toEqual(['a', c].sort());
    expect(described.members.find((m) => m.memberId === c)).toMatchObject({ clientId: 'classic', memberEpoch: 2, subscribedTopicNames: ['t'] });
  });

  it('a cooperative classic member keeps what it lists until it rejoins without it; the consumer member never gets it earlier', () => {
    const d = new Driver();
    const first = d.hb({ memberId: 'a', memberEpoch: 0 });
    const c = d.join(d.join('').memberId).memberId;
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(first) });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: [{ topicId: T, partitions: [0, 1, 2] }] });
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    d.join(c);
    const cParts = d.sync(c, 2).partitions;
    expect(cParts).toEqual([3, 4, 5]);
    // A third member (consumer protocol) joins: the group epoch moves on, the classic member must rejoin.
    const b1 = d.hb({ memberId: 'b', memberEpoch: 0 });
    expect(b1.memberEpoch).toBe(3);
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    // It rejoins still owning 3,4,5: it must revoke first, at its old generation; sync hands out only what it keeps.
    const j = d.join(c, cParts);
    expect(j.generationId).toBe(2);
    const kept = d.sync(c, 2).partitions;
    expect(kept.length).toBeLessThan(3);
    // b gets nothing the classic member still lists.
    const bOwned = partitionsOf(owned(d.hb({ memberId: 'b', memberEpoch: 3, topicPartitions: [] })));
    expect(bOwned.filter((p) => cParts.includes(p))).toEqual([]);
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS); // still revoking
    // It rejoins listing only what it kept: the new epoch.
    expect(d.join(c, kept).generationId).toBe(3);
    expect(d.sync(c, 3).partitions).toEqual(kept);
  });

  it('an eager classic member (lists nothing when it rejoins) releases what it lost at once', () => {
    const { d, a } = consumerFirst();
    const eager = { protocols: [{ name: 'range', metadata: encodeMemberSubscription({ topics: ['t'], userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0) }] };
    const c = d.join(d.join('', [], eager).memberId, [], eager).memberId;
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: a });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) });
    d.join(c, [], eager);
    const mine = d.sync(c, 2, 'range').partitions;
    expect(mine).toHaveLength(3);
    d.hb({ memberId: 'b', memberEpoch: 0 }); // epoch 3: two partitions each
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    const j = d.join(c, [], eager);
    expect(j.generationId).toBe(3);
    const now = d.sync(c, 3, 'range').partitions;
    expect(now).toHaveLength(2);
    expect(now.every((p) => mine.includes(p))).toBe(true);
    const b = partitionsOf(owned(d.hb({ memberId: 'b', memberEpoch: 3, topicPartitions: [] })));
    expect(b.filter((p) => now.includes(p))).toEqual([]);
    expect(b).toContain(mine.find((p) => !now.includes(p)));
  });

  it('errors: protocols, generations, members of the other protocol', () => {
    const { d } = consumerFirst();
    expect(d.join('', [], { protocolType: 'connect' }).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(d.join('', [], { protocols: [] }).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(d.join('x', [], { protocols: [{ name: 'range', metadata: new Uint8Array([1]) }] }).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const c = d.join(d.join('').memberId).memberId;
    // A second classic member must share a protocol with the first.
    expect(d.join('y', [], { protocols: [{ name: 'range', metadata: encodeMemberSubscription({ topics: ['t'], userData: null, ownedPartitions: [], generationId: -1, rackId: null }) }] }).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(d.sync(c, 7).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect(d.sync(c, 2, 'range').errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(d.heartbeat(c, 1)).toBe(E.ILLEGAL_GENERATION);
    expect(d.sync('a', 1).errorCode).toBe(E.UNKNOWN_MEMBER_ID); // a consumer-protocol member
    expect(d.heartbeat('a', 1)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(d.heartbeat('nobody', 1)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(d.hb({ memberId: c, memberEpoch: 2 }).errorCode).toBe(E.UNKNOWN_MEMBER_ID); // a classic member on the consumer API
    // The group epoch moved past the classic member: SyncGroup says rebalance.
    d.hb({ memberId: 'b', memberEpoch: 0 });
    expect(d.sync(c, 2).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    expect(d.join('', [], { sessionTimeoutMs: 1 }).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
  });

  it('group.consumer.max.size counts classic members', () => {
    const d = new Driver({ consumerGroupMaxSize: 1 });
    d.hb({ memberId: 'a', memberEpoch: 0 });
    expect(d.join('').errorCode).toBe(E.GROUP_MAX_SIZE_REACHED);
  });
});

describe('LeaveGroup and timeouts', () => {
  it('LeaveGroup frees the classic member’s partitions; a consumer member cannot leave through it', () => {
    const { d, a } = consumerFirst();
    const c = d.join(d.join('').memberId).memberId;
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: a });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) });
    d.join(c);
    expect(d.sync(c, 2).partitions).toHaveLength(3);
    expect(d.leave('a').members[0]!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(d.leave(c)).toMatchObject({ errorCode: E.NONE, members: [{ memberId: c, errorCode: E.NONE }] });
    const a3 = d.hb({ memberId: 'a', memberEpoch: 2, topicPartitions: owned(a2) });
    expect(a3.memberEpoch).toBe(3);
    expect(partitionsOf(owned(a3))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(d.heartbeat(c, 2)).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('the classic session timeout fences a silent classic member', () => {
    const { d } = consumerFirst();
    const c = d.join(d.join('').memberId).memberId;
    d.sync(c, 2);
    d.advance(9_000);
    d.hb({ memberId: 'a', memberEpoch: 1 });
    expect(d.heartbeat(c, 2)).toBe(E.NONE);
    d.advance(10_001);
    expect(d.heartbeat(c, 2)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(d.c.counters().membersExpiredTotal).toBe(1);
  });

  it('a member that joins and never syncs, or is told to rejoin and does not, is fenced after its rebalance timeout', () => {
    const { d } = consumerFirst();
    const c = d.join(d.join('').memberId, [], { sessionTimeoutMs: 60_000 }).memberId;
    d.advance(20_001);
    expect(d.describe().members).toHaveLength(1);
    const c2 = d.join(d.join('').memberId, [], { sessionTimeoutMs: 60_000 }).memberId;
    expect(c2).not.toBe(c);
    expect(d.sync(c2, 4).errorCode).toBe(E.NONE);
    d.hb({ memberId: 'b', memberEpoch: 0 }); // epoch 5
    expect(d.heartbeat(c2, 4)).toBe(E.REBALANCE_IN_PROGRESS);
    d.advance(15_000);
    expect(d.heartbeat(c2, 4)).toBe(E.REBALANCE_IN_PROGRESS); // the first deadline stays
    d.advance(5_001);
    expect(d.heartbeat(c2, 4)).toBe(E.UNKNOWN_MEMBER_ID);
  });
});

describe('static classic members, offsets and the group APIs', () => {
  it('a static classic member rejoining with an empty id takes over its partitions; the old id is fenced', () => {
    const { d, a } = consumerFirst();
    const c1 = d.join('', [], { groupInstanceId: 'i1' });
    expect(c1.errorCode).toBe(E.NONE); // static members get no MEMBER_ID_REQUIRED
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: a });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) });
    d.join(c1.memberId, [], { groupInstanceId: 'i1' });
    const before = d.sync(c1.memberId, 2, 'cooperative-sticky', 'i1').partitions;
    expect(before).toHaveLength(3);
    const c2 = d.join('', before, { groupInstanceId: 'i1' });
    expect(c2.memberId).not.toBe(c1.memberId);
    expect(d.sync(c2.memberId, c2.generationId, 'cooperative-sticky', 'i1').partitions).toEqual(before);
    expect(d.heartbeat(c1.memberId, 2, 'i1')).toBe(E.FENCED_INSTANCE_ID);
    expect(d.leave(c1.memberId, 'i1').members[0]!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(d.leave('', 'i1').members[0]).toMatchObject({ memberId: c2.memberId, errorCode: E.NONE });
  });

  it('OffsetCommit / OffsetFetch: a classic member commits with any version at generation = member epoch (else ILLEGAL_GENERATION)', () => {
    const { d } = consumerFirst();
    const c = d.join(d.join('').memberId).memberId;
    expect(d.commit(c, 1, 2)).toBe(E.ILLEGAL_GENERATION);
    expect(d.commit(c, 2, 2)).toBe(E.NONE);
    expect(d.commit(c, 2, 9)).toBe(E.NONE);
    expect(d.commit('a', 1, 8)).toBe(E.UNSUPPORTED_VERSION); // the consumer member still needs v9
    expect(d.fetch(c, 1).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect(d.fetch('a', 0).errorCode).toBe(E.STALE_MEMBER_EPOCH);
    expect(d.fetch(c, 2).topics[0]!.partitions[0]!.committedOffset).toBe(5);
  });

  it('ListGroups shows one consumer group; DescribeGroups answers Dead (not a classic group)', () => {
    const { d } = consumerFirst();
    d.join(d.join('').memberId);
    const list = d.c.listGroups(900, { statesFilter: [], typesFilter: [] }, d.nowMs)[0]!;
    expect(list.type === 'respond' && (list.response.body as ListGroupsResponse).groups).toEqual([{ groupId: G, protocolType: 'consumer', groupState: 'Reconciling', groupType: 'consumer' }]);
    const described = d.c.describeGroups(901, { groups: [G] }, d.nowMs)[0]!;
    expect(described.type === 'respond' && (described.response.body as DescribeGroupsResponse).groups[0]!.groupState).toBe('Dead');
  });
});
