// Unit tests of the online migration between classic and consumer groups
// (consumer-group-migration.ts, group.consumer.migration.policy): a ConsumerGroupHeartbeat
// upgrades a classic group with members (its members go on as classic members, parked
// requests are answered REBALANCE_IN_PROGRESS, an Empty record is written), the last
// consumer-protocol member leaving downgrades the group to a classic one that rebalances,
// and each policy allows only its own direction.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { Driver, owned, partitionsOf, subscription } from '../../test/mixed-group-driver.ts';
import { decodeConsumerOffsetsRecord } from './consumer-offsets-records.ts';
import type { ConsumerGroupMigrationPolicy, JoinGroupInput } from './types.ts';

const RANGE = { protocols: [{ name: 'range', metadata: subscription() }], requireKnownMemberId: false };

function joinInput(memberId: string): JoinGroupInput {
  return {
    groupId: 'g1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription() }],
    reason: null,
    clientId: 'classic',
    clientHost: '/1',
    requireKnownMemberId: false,
    skipAssignmentSupported: true,
  };
}

/** A Stable classic group (protocol "range", no initial delay) whose two members own 0-2 and 3-5 at generation 2. */
function classicGroup(policy: ConsumerGroupMigrationPolicy = 'bidirectional'): { d: Driver; c1: string; c2: string } {
  const d = new Driver({ groupInitialRebalanceDelayMs: 0, consumerGroupMigrationPolicy: policy });
  const j1 = d.join('', [], RANGE);
  expect(j1).toMatchObject({ errorCode: E.NONE, generationId: 1 });
  d.leaderSync(j1.memberId, 1, 'range', new Map([[j1.memberId, [0, 1, 2, 3, 4, 5]]]));
  // A second member parks; the first is told to rejoin, which ends the join phase.
  const second = d.raw((id) => d.c.joinGroup(id, joinInput(''), d.nowMs));
  expect(second.actions.some((a) => a.type === 'respond')).toBe(false);
  expect(d.heartbeat(j1.memberId, 1)).toBe(E.REBALANCE_IN_PROGRESS);
  const again = d.join(j1.memberId, [], RANGE);
  expect(again.generationId).toBe(2);
  const c2 = again.members.map((m) => m.memberId).find((m) => m !== j1.memberId)!;
  d.leaderSync(j1.memberId, 2, 'range', new Map([[j1.memberId, [0, 1, 2]], [c2, [3, 4, 5]]]));
  expect(d.sync(c2, 2, 'range').partitions).toEqual([3, 4, 5]);
  expect(d.describeGroup().groupState).toBe('Stable');
  return { d, c1: j1.memberId, c2 };
}

describe('upgrade: a ConsumerGroupHeartbeat to a classic group with members', () => {
  it('turns it into a consumer group whose classic members keep their partitions until they rejoin; nothing is owned twice', () => {
    const { d, c1, c2 } = classicGroup();
    const before = d.appended.length;
    const a1 = d.hb({ memberId: 'a', memberEpoch: 0 });
    expect(a1).toMatchObject({ errorCode: E.NONE, memberEpoch: 3 });
    expect(partitionsOf(owned(a1))).toEqual([]); // the classic members still own everything
    // The classic group's record is rewritten Empty, protocol type "consumer".
    const rewritten = d.appended.slice(before).map((r) => decodeConsumerOffsetsRecord(r.key, r.value));
    expect(rewritten).toMatchObject([{ kind: 'group', value: { protocolType: 'consumer', generation: 2, members: [] } }]);
    expect(d.listGroups().groups).toEqual([{ groupId: 'g1', protocolType: 'consumer', groupState: 'Reconciling', groupType: 'consumer' }]);
    const described = d.describe();
    expect(described.members.map((m) => m.memberId).sort()).toEqual([c1, c2, 'a'].sort());
    // The classic members are at epoch 2 (the generation) and must rejoin.
    expect(d.heartbeat(c1, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    expect(d.heartbeat(c2, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    // Eager members (range) revoke everything before rejoining: the epoch moves on at once.
    const r1 = d.join(c1, [], RANGE);
    const r2 = d.join(c2, [], RANGE);
    expect([r1.generationId, r2.generationId]).toEqual([3, 3]);
    const s1 = d.sync(c1, 3, 'range').partitions;
    const s2 = d.sync(c2, 3, 'range').partitions;
    const a2 = partitionsOf(owned(d.hb({ memberId: 'a', memberEpoch: 3, topicPartitions: [] })));
    expect([...s1, ...s2, ...a2].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([s1.length, s2.length, a2.length]).toEqual([2, 2, 2]);
    expect(d.describe().groupState).toBe('Stable');
  });

  it('answers parked JoinGroups REBALANCE_IN_PROGRESS', () => {
    const { d, c1 } = classicGroup();
    const parked = d.raw((id) => d.c.joinGroup(id, joinInput(c1), d.nowMs)); // c1 rejoins: waits for c2
    expect(parked.actions.filter((a) => a.type === 'respond')).toEqual([]);
    const actions = d.c.consumerGroupHeartbeat(999, { groupId: 'g1', memberId: 'a', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], memberIdRequired: true, clientId: 'c', clientHost: 'h' }, d.nowMs);
    const join = actions.find((a) => a.type === 'respond' && a.requestId === parked.id);
    expect(join?.type === 'respond' && join.response.body).toMatchObject({ errorCode: E.REBALANCE_IN_PROGRESS });
  });

  for (const policy of ['downgrade', 'disabled'] as const) {
    it(`policy ${policy}: GROUP_ID_NOT_FOUND, the classic group stays`, () => {
      const { d } = classicGroup(policy);
      expect(d.hb({ memberId: 'a', memberEpoch: 0 }).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
      expect(d.describeGroup().groupState).toBe('Stable');
    });
  }
});

describe('downgrade: the last consumer-protocol member leaves', () => {
  function mixed(policy: ConsumerGroupMigrationPolicy): { d: Driver; c: string } {
    const d = new Driver({ groupInitialRebalanceDelayMs: 0, consumerGroupMigrationPolicy: policy });
    const a = d.hb({ memberId: 'a', memberEpoch: 0 });
    const c = d.join(d.join('').memberId).memberId;
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a) });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) });
    d.join(c);
    expect(d.sync(c, 2).partitions).toHaveLength(3);
    return { d, c };
  }

  it('bidirectional: the group becomes classic and rebalances; the classic member rejoins and leads', () => {
    const { d, c } = mixed('bidirectional');
    expect(d.hb({ memberId: 'a', memberEpoch: -1 }).errorCode).toBe(E.NONE);
    expect(d.describe().errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect(d.describeGroup()).toMatchObject({ groupState: 'PreparingRebalance', protocolType: 'consumer', members: [{ memberId: c }] });
    expect(d.listGroups().groups[0]).toMatchObject({ groupType: 'classic' });
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    const j = d.join(c, [0, 1, 2]);
    expect(j).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: c, protocolName: 'cooperative-sticky' });
    expect(d.leaderSync(c, 3, 'cooperative-sticky', new Map([[c, [0, 1, 2, 3, 4, 5]]])).partitions).toEqual([0, 1, 2, 3, 4, 5]);
    expect(d.describeGroup().groupState).toBe('Stable');
  });

  it('bidirectional: a consumer member fenced by its session timeout downgrades too', () => {
    const { d, c } = mixed('bidirectional');
    for (let i = 0; i < 5; i++) {
      d.advance(8_000);
      expect(d.heartbeat(c, 2), `heartbeat ${i}`).toBe(E.NONE);
    }
    d.advance(6_000); // the consumer member has been silent for 46 s > 45 s
    expect(d.describeGroup()).toMatchObject({ groupState: 'PreparingRebalance', members: [{ memberId: c }] });
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
  });

  it('upgrade only: the group stays a consumer group of classic members', () => {
    const { d, c } = mixed('upgrade');
    d.hb({ memberId: 'a', memberEpoch: -1 });
    expect(d.describe()).toMatchObject({ errorCode: E.NONE, groupEpoch: 3, members: [{ memberId: c }] });
    expect(d.heartbeat(c, 2)).toBe(E.REBALANCE_IN_PROGRESS);
    expect(d.join(c, [0, 1, 2]).generationId).toBe(3);
    expect(d.sync(c, 3).partitions).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
