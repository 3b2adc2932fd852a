// Unit tests of GroupCoordinator's JoinGroup (join-group.ts and the join phase of
// rebalance.ts): admission errors, protocol selection, the initial delay, leader and
// followers, the rebalance timeout, and static membership (KIP-345, KIP-814).
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { decodeMemberAssignment } from '../index.ts';
import type { JoinGroupResponse } from '@samsa/codec';
import { Harness, TEST_CONFIG, subscription } from '../../test/group-harness.ts';
import { G, assignmentOf, stableSingle, stateOf } from '../../test/group-scenarios.ts';

describe('JoinGroup', () => {
  it('KIP-394: the first v4+ join gets MEMBER_ID_REQUIRED with an id, the rejoin with it succeeds', () => {
    const h = new Harness();
    const first = h.response(h.join(G, { requireKnownMemberId: true, clientId: 'cli' }), 'JoinGroup')!;
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^cli-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const second = h.response(h.join(G, { requireKnownMemberId: true, memberId: first.memberId }), 'JoinGroup')!;
    expect(second).toMatchObject({ errorCode: E.NONE, memberId: first.memberId, leader: first.memberId, generationId: 1, protocolName: 'range', protocolType: 'consumer' });
    expect(second.members.map((m) => m.memberId)).toEqual([first.memberId]);
    expect(stateOf(h)).toBe('CompletingRebalance');
  });

  it('member ids are deterministic from the seeded random', () => {
    const a = new Harness(TEST_CONFIG, 7);
    const b = new Harness(TEST_CONFIG, 7);
    expect(a.response(a.join(G), 'JoinGroup')!.memberId).toBe(b.response(b.join(G), 'JoinGroup')!.memberId);
  });

  it('rejects empty group ids, bad session timeouts, unknown members, and joins while loading', () => {
    const h = new Harness();
    expect(h.response(h.join(''), 'JoinGroup')!.errorCode).toBe(E.INVALID_GROUP_ID);
    expect(h.response(h.join(G, { sessionTimeoutMs: 999 }), 'JoinGroup')!.errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect(h.response(h.join(G, { sessionTimeoutMs: 60_001 }), 'JoinGroup')!.errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect(h.response(h.join(G, { memberId: 'nobody' }), 'JoinGroup')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.c.describeState()).toEqual([]); // failed joins leave no group behind
    const loading = new Harness(TEST_CONFIG, 1, false);
    expect(loading.response(loading.join(G), 'JoinGroup')!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
  });

  it('INCONSISTENT_GROUP_PROTOCOL: empty protocol type/list first, or a different type / no common protocol later', () => {
    const h = new Harness();
    expect(h.response(h.join(G, { protocolType: '' }), 'JoinGroup')!.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.response(h.join(G, { protocols: [] }), 'JoinGroup')!.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    stableSingle(h);
    expect(h.response(h.join(G, { protocolType: 'connect' }), 'JoinGroup')!.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.response(h.join(G, { protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] }), 'JoinGroup')!.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(stateOf(h)).toBe('Stable');
  });

  it('GROUP_MAX_SIZE_REACHED beyond group.max.size', () => {
    const h = new Harness({ ...TEST_CONFIG, groupMaxSize: 1 });
    stableSingle(h);
    expect(h.response(h.join(G), 'JoinGroup')!.errorCode).toBe(E.GROUP_MAX_SIZE_REACHED);
  });

  it('selects the protocol by vote among protocols all members support', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 100 });
    const md = subscription(['t']);
    const a = h.join(G, { protocols: [{ name: 'x', metadata: md }, { name: 'range', metadata: md }, { name: 'rr', metadata: md }] });
    const b = h.join(G, { protocols: [{ name: 'rr', metadata: md }, { name: 'range', metadata: md }] });
    const c = h.join(G, { protocols: [{ name: 'rr', metadata: md }, { name: 'range', metadata: md }] });
    h.advance(100); // b and c arrived during the delay: extended once
    h.advance(100);
    for (const id of [a, b, c]) expect(h.response(id, 'JoinGroup')!.protocolName).toBe('rr'); // 2 votes to 1; 'x' is not common
  });

  it('initial rebalance delay: extended while members keep joining, capped by the rebalance timeout', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 3000 });
    const a = h.join(G, { rebalanceTimeoutMs: 7000 });
    expect(h.c.nextTickAtMs()).toBe(h.nowMs + 3000);
    h.advance(2000);
    const b = h.join(G, { rebalanceTimeoutMs: 7000 });
    h.advance(1000); // first delay ends; a member was added → extend by min(3000, 4000)
    expect(h.response(a, 'JoinGroup')).toBeUndefined();
    h.advance(1000);
    h.join(G, { rebalanceTimeoutMs: 7000 }); // another member: extend again, but only the 1000 ms left
    h.advance(2000);
    expect(h.response(a, 'JoinGroup')).toBeUndefined();
    h.advance(1000);
    expect(h.response(a, 'JoinGroup')!.generationId).toBe(1);
    expect(h.response(b, 'JoinGroup')!.members).toEqual([]);
    expect(h.response(a, 'JoinGroup')!.members).toHaveLength(3);
  });

  it('the leader gets every member; followers get none; a new member triggers a rebalance', () => {
    const h = new Harness();
    const a = stableSingle(h);
    const bId = h.join(G);
    expect(stateOf(h)).toBe('PreparingRebalance');
    expect(h.response(bId, 'JoinGroup')).toBeUndefined(); // waits for a to rejoin
    expect(h.response(h.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    const aj = h.response(h.join(G, { memberId: a.memberId }), 'JoinGroup')!;
    const bj = h.response(bId, 'JoinGroup')!;
    expect(aj.leader).toBe(a.memberId);
    expect(aj.members).toHaveLength(2);
    expect(bj.members).toEqual([]);
    expect(aj.generationId).toBe(a.generation + 1);
  });

  it('rebalance timeout: a member that does not rejoin is removed', () => {
    const h = new Harness();
    const a = stableSingle(h);
    const bId = h.join(G, { rebalanceTimeoutMs: 5000 });
    for (let i = 0; i < 5; i++) {
      h.advance(5000); // a keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins
      expect(h.response(h.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    }
    h.advance(4999);
    expect(h.response(bId, 'JoinGroup')).toBeUndefined();
    h.advance(1);
    const bj = h.response(bId, 'JoinGroup')!;
    expect(bj.leader).toBe(bj.memberId);
    expect(bj.members.map((m) => m.memberId)).toEqual([bj.memberId]);
    expect(h.response(h.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });
});

describe('static membership (KIP-345)', () => {
  it('a rejoin without member id replaces the id without a rebalance; the old id is fenced', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const a = h.join(G, { groupInstanceId: 'ia' });
    const b = h.join(G, { groupInstanceId: 'ib' });
    h.advance(20);
    const aj = h.response(a, 'JoinGroup')!;
    const bj = h.response(b, 'JoinGroup')!;
    expect(aj.memberId.startsWith('ia-')).toBe(true);
    const leader = aj.leader === aj.memberId ? aj : bj;
    const follower = leader === aj ? bj : aj;
    const followerInstance = follower === aj ? 'ia' : 'ib';
    h.sync(G, follower.memberId, follower.generationId, [], followerInstance);
    h.sync(G, leader.memberId, leader.generationId, [{ memberId: follower.memberId, assignment: assignmentOf('t', [1]) }], leader === aj ? 'ia' : 'ib');
    expect(stateOf(h)).toBe('Stable');
    const re = h.response(h.join(G, { groupInstanceId: followerInstance }), 'JoinGroup')!;
    expect(re.errorCode).toBe(E.NONE);
    expect(re.memberId).not.toBe(follower.memberId);
    expect(re.generationId).toBe(follower.generationId);
    expect(stateOf(h)).toBe('Stable');
    const s = h.response(h.sync(G, re.memberId, re.generationId, [], followerInstance), 'SyncGroup')!;
    expect(decodeMemberAssignment(s.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    expect(h.response(h.heartbeat(G, follower.memberId, follower.generationId, followerInstance), 'Heartbeat')!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(h.response(h.commit(G, follower.memberId, follower.generationId, [{ topic: 't', partition: 1, offset: 5 }], followerInstance), 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(h.response(h.leave(G, [{ memberId: follower.memberId, groupInstanceId: followerInstance }]), 'LeaveGroup')!.members[0]!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(h.response(h.heartbeat(G, re.memberId, re.generationId, 'unknown-instance'), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  /** Static members ia (the leader) and ib join, the leader assigns [0] to ia and [1] to ib; both sync: Stable. */
  function stableStaticPair(h: Harness): { leader: JoinGroupResponse; follower: JoinGroupResponse } {
    const a = h.join(G, { groupInstanceId: 'ia' });
    const b = h.join(G, { groupInstanceId: 'ib' });
    h.advance(20);
    const aj = h.response(a, 'JoinGroup')!;
    const bj = h.response(b, 'JoinGroup')!;
    expect(aj.leader).toBe(aj.memberId);
    h.sync(G, bj.memberId, bj.generationId, [], 'ib');
    const assignments = [
      { memberId: aj.memberId, assignment: assignmentOf('t', [0]) },
      { memberId: bj.memberId, assignment: assignmentOf('t', [1]) },
    ];
    expect(h.response(h.sync(G, aj.memberId, aj.generationId, assignments, 'ia'), 'SyncGroup')!.errorCode).toBe(E.NONE);
    expect(stateOf(h)).toBe('Stable');
    return { leader: aj, follower: bj };
  }

  it('the LEADER restarting (v9+): no rebalance; leadership moves to its new id, it is told to skip the assignment and gets the members', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const { leader, follower } = stableStaticPair(h);
    const re = h.response(h.join(G, { groupInstanceId: 'ia', skipAssignmentSupported: true }), 'JoinGroup')!;
    expect(re.errorCode).toBe(E.NONE);
    expect(re.memberId).not.toBe(leader.memberId);
    expect(re.generationId).toBe(leader.generationId);
    expect(re.leader).toBe(re.memberId);
    expect(re.skipAssignment).toBe(true);
    expect(re.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([
      [re.memberId, 'ia'],
      [follower.memberId, 'ib'],
    ]);
    expect(stateOf(h)).toBe('Stable');
    // The follower keeps its generation and partitions: heartbeat and sync as before.
    expect(h.response(h.heartbeat(G, follower.memberId, follower.generationId, 'ib'), 'Heartbeat')!.errorCode).toBe(E.NONE);
    const fs = h.response(h.sync(G, follower.memberId, follower.generationId, [], 'ib'), 'SyncGroup')!;
    expect(decodeMemberAssignment(fs.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    // The new leader's SyncGroup (no assignments, as a skipping leader sends) returns its own partitions.
    const ls = h.response(h.sync(G, re.memberId, re.generationId, [], 'ia'), 'SyncGroup')!;
    expect(ls.errorCode).toBe(E.NONE);
    expect(decodeMemberAssignment(ls.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0] }]);
    expect(h.c.describeState().find((g) => g.groupId === G)).toMatchObject({ state: 'Stable', generation: leader.generationId });
    // The old leader id is fenced.
    expect(h.response(h.heartbeat(G, leader.memberId, leader.generationId, 'ia'), 'Heartbeat')!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    // A later rebalance is led by the new id.
    const c = h.join(G);
    h.join(G, { memberId: follower.memberId, groupInstanceId: 'ib' });
    const lead = h.response(h.join(G, { memberId: re.memberId, groupInstanceId: 'ia' }), 'JoinGroup')!;
    expect(h.response(c, 'JoinGroup')!.leader).toBe(re.memberId);
    expect(lead.leader).toBe(re.memberId);
    expect(lead.members).toHaveLength(3);
  });

  it('the LEADER restarting (before v9): no rebalance; it is answered with the previous leader id so it acts as a follower', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const { leader, follower } = stableStaticPair(h);
    const re = h.response(h.join(G, { groupInstanceId: 'ia', skipAssignmentSupported: false }), 'JoinGroup')!;
    expect(re.errorCode).toBe(E.NONE);
    expect(re.generationId).toBe(leader.generationId);
    expect(re.leader).toBe(leader.memberId);
    expect(re.leader).not.toBe(re.memberId);
    expect(re.skipAssignment).toBe(false);
    expect(re.members).toEqual([]);
    expect(stateOf(h)).toBe('Stable');
    const ls = h.response(h.sync(G, re.memberId, re.generationId, [], 'ia'), 'SyncGroup')!;
    expect(decodeMemberAssignment(ls.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0] }]);
    const fs = h.response(h.sync(G, follower.memberId, follower.generationId, [], 'ib'), 'SyncGroup')!;
    expect(decodeMemberAssignment(fs.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    // Inside the coordinator the leader is the new id: its rejoin rebalances, and it leads.
    const leadId = h.join(G, { memberId: re.memberId, groupInstanceId: 'ia' });
    expect(stateOf(h)).toBe('PreparingRebalance');
    h.join(G, { memberId: follower.memberId, groupInstanceId: 'ib' });
    const lead = h.response(leadId, 'JoinGroup')!;
    expect(lead.leader).toBe(re.memberId);
    expect(lead.generationId).toBe(leader.generationId + 1);
  });

  it('a follower restarting (v9+) is not told to skip and gets no members', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const { leader } = stableStaticPair(h);
    const re = h.response(h.join(G, { groupInstanceId: 'ib', skipAssignmentSupported: true }), 'JoinGroup')!;
    expect(re).toMatchObject({ errorCode: E.NONE, leader: leader.memberId, skipAssignment: false, members: [] });
    expect(stateOf(h)).toBe('Stable');
  });

  it('the leader restarting with a changed subscription still rebalances', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    stableStaticPair(h);
    h.join(G, { groupInstanceId: 'ia', skipAssignmentSupported: true, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    expect(stateOf(h)).toBe('PreparingRebalance');
  });

  it('the leader restarting when persisting its new id fails: the replacement is undone, the old id leads again, the join gets the error', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const { leader, follower } = stableStaticPair(h);
    h.autoComplete = false;
    const id = h.join(G, { groupInstanceId: 'ia', skipAssignmentSupported: true });
    expect(h.pending).toHaveLength(1);
    h.completeAll(E.NOT_LEADER_OR_FOLLOWER);
    h.autoComplete = true;
    const re = h.response(id, 'JoinGroup')!;
    expect(re.errorCode).not.toBe(E.NONE);
    expect(re.memberId).toBe('');
    expect(stateOf(h)).toBe('Stable');
    expect(h.response(h.heartbeat(G, leader.memberId, leader.generationId, 'ia'), 'Heartbeat')!.errorCode).toBe(E.NONE);
    expect(h.c.describeState().find((g) => g.groupId === G)).toMatchObject({ leader: leader.memberId });
    expect(h.response(h.heartbeat(G, follower.memberId, follower.generationId, 'ib'), 'Heartbeat')!.errorCode).toBe(E.NONE);
  });

  it('a static member that misses a rebalance is kept (until its session expires)', () => {
    const h = new Harness();
    const a = h.response(h.join(G, { groupInstanceId: 'ia' }), 'JoinGroup')!;
    h.sync(G, a.memberId, a.generationId, [], 'ia');
    const b = h.join(G); // dynamic newcomer; ia does not rejoin but keeps heartbeating
    for (let i = 0; i < 6; i++) {
      h.advance(5000);
      h.heartbeat(G, a.memberId, a.generationId, 'ia');
    }
    // rebalance timeout: static ia stays a member, b joined
    const bj = h.response(b, 'JoinGroup')!;
    expect(bj.leader).toBe(bj.memberId); // leadership moves to a member that rejoined
    expect(bj.members.map((m) => m.memberId).sort()).toEqual([a.memberId, bj.memberId].sort());
  });
});
