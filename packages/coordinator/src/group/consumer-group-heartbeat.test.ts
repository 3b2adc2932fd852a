// Unit tests of KIP-848 consumer groups (consumer-group-heartbeat.ts): join, reconcile,
// revoke-then-assign between two members, leave, session and rebalance timeouts, fenced
// epochs, static members, coexistence with classic groups, and the offset checks. Classic
// members inside a consumer group: consumer-group-classic-members.test.ts.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import type { ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatResponse, ListGroupsResponse, OffsetCommitResponse, OffsetFetchResponseOffsetFetchResponseGroup } from '@samsa/codec';
import { GroupCoordinator } from './group-coordinator.ts';
import type { ConsumerGroupHeartbeatInput, CoordinatorAction, JoinGroupInput } from './types.ts';

const G = 'g1';
const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
const U = 'AAAAAAAAAAAAAAAAAAAAAg';
const TOPICS = new Map([
  ['t', { topicId: T, numPartitions: 6 }],
  ['u', { topicId: U, numPartitions: 3 }],
]);

class Driver {
  readonly c: GroupCoordinator;
  nowMs = 1_000;
  #id = 1;
  readonly topics = new Map(TOPICS);

  constructor() {
    let x = 12345;
    this.c = new GroupCoordinator({ random: { nextUint32: () => (x = (x * 1103515245 + 12345) >>> 0) }, topicLookup: (name) => this.topics.get(name) });
    this.c.loadCompleted(this.nowMs);
  }

  #answer<T>(actions: CoordinatorAction[], id: number): T {
    for (const a of actions) if (a.type === 'append') this.c.appendCompleted(a.completionId, 0, this.nowMs).forEach((b) => actions.push(b));
    const r = actions.find((a) => a.type === 'respond' && a.requestId === id);
    if (r === undefined || r.type !== 'respond') throw new Error('no answer');
    return r.response.body as T;
  }

  hb(req: Partial<ConsumerGroupHeartbeatInput> & { memberId: string; memberEpoch: number }): ConsumerGroupHeartbeatResponse {
    const id = this.#id++;
    const full: ConsumerGroupHeartbeatInput = {
      groupId: G,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: req.memberEpoch === 0 ? 30_000 : -1,
      subscribedTopicNames: req.memberEpoch === 0 ? ['t'] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: req.memberEpoch === 0 ? [] : null,
      memberIdRequired: true,
      clientId: 'c',
      clientHost: '/127.0.0.1',
      ...req,
    };
    return this.#answer(this.c.consumerGroupHeartbeat(id, full, this.nowMs), id);
  }

  describe(): ConsumerGroupDescribeResponse['groups'][number] {
    const id = this.#id++;
    return this.#answer<ConsumerGroupDescribeResponse>(this.c.consumerGroupDescribe(id, { groupIds: [G] }, this.nowMs), id).groups[0]!;
  }

  commit(memberId: string, epoch: number, apiVersion = 9): number {
    const id = this.#id++;
    const topics = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }];
    const r = this.#answer<OffsetCommitResponse>(this.c.offsetCommit(id, { groupId: G, generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1, topics, apiVersion }, this.nowMs), id);
    return r.topics[0]!.partitions[0]!.errorCode;
  }

  fetch(memberId: string | null, memberEpoch: number): OffsetFetchResponseOffsetFetchResponseGroup {
    const id = this.#id++;
    return this.#answer(this.c.offsetFetch(id, { groupId: G, topics: null, requireStable: false, memberId, memberEpoch }, this.nowMs), id);
  }

  listGroups(): ListGroupsResponse {
    const id = this.#id++;
    return this.#answer(this.c.listGroups(id, { statesFilter: [], typesFilter: [] }, this.nowMs), id);
  }

  classicJoin(groupId = G, requireKnownMemberId = true): number {
    const id = this.#id++;
    const req: JoinGroupInput = {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
      reason: null,
      clientId: 'c',
      clientHost: '/1',
      requireKnownMemberId,
      skipAssignmentSupported: true,
    };
    const actions = this.c.joinGroup(id, req, this.nowMs);
    // A join that entered a rebalance waits for it: -1.
    return actions.some((a) => a.type === 'respond' && a.requestId === id) ? this.#answer<{ errorCode: number }>(actions, id).errorCode : -1;
  }

  advance(ms: number): void {
    this.nowMs += ms;
    this.c.tick(this.nowMs);
  }
}

type Owned = { topicId: string; partitions: number[] }[];
const owned = (r: ConsumerGroupHeartbeatResponse): Owned => r.assignment?.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })) ?? [];
const count = (o: Owned): number => o.reduce((n, t) => n + t.partitions.length, 0);

describe('ConsumerGroupHeartbeat: join and reconcile', () => {
  it('a first member joins with epoch 0 and gets every partition at epoch 1', () => {
    const d = new Driver();
    const r = d.hb({ memberId: 'a', memberEpoch: 0 });
    expect(r).toMatchObject({ errorCode: E.NONE, memberId: 'a', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(owned(r)).toEqual([{ topicId: T, partitions: [0, 1, 2, 3, 4, 5] }]);
    expect(d.describe()).toMatchObject({ groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    // A plain heartbeat with nothing changed carries no assignment.
    expect(d.hb({ memberId: 'a', memberEpoch: 1 }).assignment).toBeNull();
  });

  it('v0: the coordinator generates the member id', () => {
    const d = new Driver();
    const r = d.hb({ memberId: '', memberEpoch: 0, memberIdRequired: false });
    expect(r.errorCode).toBe(E.NONE);
    expect(r.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(d.hb({ memberId: '', memberEpoch: 0, memberIdRequired: true }).errorCode).toBe(E.INVALID_REQUEST);
  });

  it('a second member: the first revokes, then the second gets the partitions; never owned twice', () => {
    const d = new Driver();
    const a1 = d.hb({ memberId: 'a', memberEpoch: 0 });
    const b1 = d.hb({ memberId: 'b', memberEpoch: 0 });
    // b is at the new epoch but gets nothing yet: a still owns everything.
    expect(b1).toMatchObject({ memberEpoch: 2 });
    expect(count(owned(b1))).toBe(0);
    expect(d.describe().groupState).toBe('Reconciling');
    // a heartbeats still owning everything: told to keep 3 (revoke the rest), stays at epoch 1.
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a1) });
    expect(a2.memberEpoch).toBe(1);
    expect(count(owned(a2))).toBe(3);
    // b still cannot take them while a lists them.
    expect(count(owned(d.hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] })))).toBe(0);
    // a acknowledges: epoch 2. Then b gets its 3.
    const a3 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) });
    expect(a3.memberEpoch).toBe(2);
    const b2 = d.hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] });
    expect(count(owned(b2))).toBe(3);
    const all = [...owned(a2)[0]!.partitions, ...owned(b2)[0]!.partitions].sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    expect(d.describe().groupState).toBe('Stable');
  });

  it('a leave (-1) frees the partitions for the others at the next epoch', () => {
    const d = new Driver();
    const a1 = d.hb({ memberId: 'a', memberEpoch: 0 });
    d.hb({ memberId: 'b', memberEpoch: 0 });
    const a2 = d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a1) });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a2) });
    expect(count(owned(d.hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] })))).toBe(3);
    expect(d.hb({ memberId: 'b', memberEpoch: -1 })).toMatchObject({ errorCode: E.NONE, memberEpoch: -1 });
    const a4 = d.hb({ memberId: 'a', memberEpoch: 2, topicPartitions: owned(a2) });
    expect(a4.memberEpoch).toBe(3);
    expect(count(owned(a4))).toBe(6);
    expect(d.hb({ memberId: 'b', memberEpoch: 2 }).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('the session timeout fences a silent member; its partitions go to the others', () => {
    const d = new Driver();
    d.hb({ memberId: 'a', memberEpoch: 0 });
    d.advance(30_000);
    const b = d.hb({ memberId: 'b', memberEpoch: 0 });
    expect(b.memberEpoch).toBe(2);
    d.advance(20_000); // a silent for 50 s > 45 s
    const b2 = d.hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] });
    expect(b2.memberEpoch).toBe(3);
    expect(count(owned(b2))).toBe(6);
    expect(d.c.counters().membersExpiredTotal).toBe(1);
  });

  it('the rebalance timeout fences a member that does not revoke', () => {
    const d = new Driver();
    const a1 = d.hb({ memberId: 'a', memberEpoch: 0, rebalanceTimeoutMs: 10_000 });
    d.hb({ memberId: 'b', memberEpoch: 0 });
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a1) });
    d.advance(5_000);
    d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a1) }); // still owns all
    d.hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] });
    d.advance(6_000);
    expect(d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned(a1) }).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(count(owned(d.hb({ memberId: 'b', memberEpoch: 2, topicPartitions: [] })))).toBe(6);
  });
});

describe('ConsumerGroupHeartbeat: errors', () => {
  it('fenced epochs: newer, or older than the previous one', () => {
    const d = new Driver();
    d.hb({ memberId: 'a', memberEpoch: 0 });
    expect(d.hb({ memberId: 'a', memberEpoch: 5 }).errorCode).toBe(E.FENCED_MEMBER_EPOCH);
    d.hb({ memberId: 'a', memberEpoch: 0, subscribedTopicNames: ['t', 'u'] }); // epoch 2
    // The previous epoch (1) with a subset of the assignment is accepted (a lost answer).
    expect(d.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: [{ topicId: T, partitions: [0] }] }).errorCode).toBe(E.NONE);
    expect(d.hb({ memberId: 'a', memberEpoch: 0 + 1, topicPartitions: [{ topicId: T, partitions: [9] }] }).errorCode).toBe(E.FENCED_MEMBER_EPOCH);
  });

  it('invalid requests and unknown assignors', () => {
    const d = new Driver();
    expect(d.hb({ memberId: 'a', memberEpoch: 0, rebalanceTimeoutMs: -1 }).errorCode).toBe(E.INVALID_REQUEST);
    expect(d.hb({ memberId: 'a', memberEpoch: 0, topicPartitions: null }).errorCode).toBe(E.INVALID_REQUEST);
    expect(d.hb({ memberId: 'a', memberEpoch: 0, subscribedTopicNames: null }).errorCode).toBe(E.INVALID_REQUEST);
    expect(d.hb({ memberId: 'a', memberEpoch: 0, instanceId: '' }).errorCode).toBe(E.INVALID_REQUEST);
    expect(d.hb({ memberId: 'a', memberEpoch: 0, subscribedTopicRegex: 't.*' }).errorCode).toBe(E.INVALID_REQUEST);
    expect(d.hb({ memberId: 'a', memberEpoch: -3 }).errorCode).toBe(E.INVALID_REQUEST);
    expect(d.hb({ memberId: 'a', memberEpoch: 0, serverAssignor: 'sticky' }).errorCode).toBe(E.UNSUPPORTED_ASSIGNOR);
    expect(d.hb({ memberId: 'a', memberEpoch: 3 }).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
  });

  it('group.consumer.max.size', () => {
    const d = new Driver();
    const c = new GroupCoordinator({ random: { nextUint32: () => 1 }, config: { consumerGroupMaxSize: 1 }, topicLookup: (n) => TOPICS.get(n) });
    c.loadCompleted(0);
    const input = { groupId: G, instanceId: null, rackId: null, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], memberIdRequired: true, clientId: 'c', clientHost: 'h', memberEpoch: 0 };
    c.consumerGroupHeartbeat(1, { ...input, memberId: 'a' }, 0);
    const r = c.consumerGroupHeartbeat(2, { ...input, memberId: 'b' }, 0)[0]!;
    expect(r.type === 'respond' && r.response.body).toMatchObject({ errorCode: E.GROUP_MAX_SIZE_REACHED });
    expect(d).toBeDefined();
  });
});

describe('static members', () => {
  it('a static member leaving with -2 keeps its partitions; its new incarnation takes them over at once', () => {
    const d = new Driver();
    const a = d.hb({ memberId: 'a1', memberEpoch: 0, instanceId: 'ia' });
    expect(d.hb({ memberId: 'a2', memberEpoch: 0, instanceId: 'ia' }).errorCode).toBe(E.UNRELEASED_INSTANCE_ID);
    expect(d.hb({ memberId: 'a1', memberEpoch: -2, instanceId: 'ia' })).toMatchObject({ errorCode: E.NONE, memberEpoch: -2 });
    // Another member cannot take them meanwhile.
    expect(count(owned(d.hb({ memberId: 'b', memberEpoch: 0 })))).toBe(0);
    const a2 = d.hb({ memberId: 'a2', memberEpoch: 0, instanceId: 'ia' });
    expect(a2.errorCode).toBe(E.NONE);
    expect(a2.memberEpoch).toBe(2);
    expect(count(owned(a2))).toBe(3);
    expect(owned(a2)[0]!.partitions.every((p) => owned(a)[0]!.partitions.includes(p))).toBe(true);
    expect(d.hb({ memberId: 'a1', memberEpoch: 1, instanceId: 'ia' }).errorCode).toBe(E.FENCED_INSTANCE_ID);
  });
});

describe('coexistence and offsets', () => {
  it('classic JoinGroup on a consumer group joins it (mixed group, consumer-group-classic-members.test.ts); a heartbeat to a classic group with members that cannot be upgraded: GROUP_ID_NOT_FOUND', () => {
    const d = new Driver();
    d.hb({ memberId: 'a', memberEpoch: 0 });
    expect(d.classicJoin()).toBe(E.MEMBER_ID_REQUIRED);
    expect(d.classicJoin('classic')).toBe(E.MEMBER_ID_REQUIRED);
    expect(d.hb({ memberId: 'x', memberEpoch: 0, groupId: 'classic' }).errorCode).toBe(E.NONE); // only a pending member: still Empty, converted
    expect(d.classicJoin('classic2', false)).toBe(-1); // a member: PreparingRebalance
    expect(d.hb({ memberId: 'y', memberEpoch: 0, groupId: 'classic2' }).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    const l = d.listGroups();
    expect(l.groups.find((g) => g.groupId === G)).toEqual({ groupId: G, protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' });
  });

  it('an empty consumer group becomes classic again on JoinGroup', () => {
    const d = new Driver();
    d.hb({ memberId: 'a', memberEpoch: 0 });
    d.hb({ memberId: 'a', memberEpoch: -1 });
    expect(d.classicJoin()).toBe(E.MEMBER_ID_REQUIRED);
    expect(d.describe().errorCode).toBe(E.GROUP_ID_NOT_FOUND);
  });

  it('OffsetCommit v9 checks the member epoch; OffsetFetch v9 too', () => {
    const d = new Driver();
    d.hb({ memberId: 'a', memberEpoch: 0 });
    expect(d.commit('a', 0)).toBe(E.STALE_MEMBER_EPOCH);
    expect(d.commit('zz', 1)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(d.commit('a', 1, 8)).toBe(E.UNSUPPORTED_VERSION);
    expect(d.commit('a', 1)).toBe(E.NONE);
    expect(d.fetch('a', 0).errorCode).toBe(E.STALE_MEMBER_EPOCH);
    expect(d.fetch(null, -1).topics[0]!.partitions[0]!.committedOffset).toBe(5);
    expect(d.fetch('a', 1).errorCode).toBe(E.NONE);
    // Empty: a simple commit (epoch -1) is allowed.
    d.hb({ memberId: 'a', memberEpoch: -1 });
    expect(d.commit('', -1)).toBe(E.NONE);
  });

  it('new partitions bump the group epoch and are assigned', () => {
    const d = new Driver();
    d.hb({ memberId: 'a', memberEpoch: 0 });
    d.topics.set('t', { topicId: T, numPartitions: 8 });
    const r = d.hb({ memberId: 'a', memberEpoch: 1 });
    expect(r.memberEpoch).toBe(2);
    expect(count(owned(r))).toBe(8);
  });
});
