// Unit tests of GroupCoordinator: each state transition and each error path, one at a time.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { GroupCoordinator, decodeConsumerOffsetsRecord, encodeMemberAssignment, decodeMemberAssignment } from '../index.ts';
import type { JoinGroupResponse } from '@samsa/codec';
import type { JoinGroupInput } from '../index.ts';
import { Harness, TEST_CONFIG, seededRandom, subscription } from '../../test/group-harness.ts';

const G = 'g';

/** One dynamic member joins (v3-style, no MEMBER_ID_REQUIRED) and syncs; returns its id and generation. */
function stableSingle(h: Harness, groupId = G): { memberId: string; generation: number } {
  const j = h.response(h.join(groupId), 'JoinGroup')!;
  expect(j.errorCode).toBe(E.NONE);
  const s = h.response(h.sync(groupId, j.memberId, j.generationId, [{ memberId: j.memberId, assignment: assignmentOf('t', [0]) }]), 'SyncGroup')!;
  expect(s.errorCode).toBe(E.NONE);
  return { memberId: j.memberId, generation: j.generationId };
}

function assignmentOf(topic: string, partitions: number[]): Uint8Array {
  return encodeMemberAssignment({ assignedPartitions: [{ topic, partitions }], userData: null });
}

function stateOf(h: Harness, groupId = G): string | undefined {
  return h.c.describeState().find((g) => g.groupId === groupId)?.state;
}

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

describe('SyncGroup', () => {
  it('followers wait for the leader; the assignment is persisted before anyone is answered', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const a = h.join(G);
    const b = h.join(G);
    h.advance(20);
    const aj = h.response(a, 'JoinGroup')!;
    const bj = h.response(b, 'JoinGroup')!;
    const follower = aj.leader === aj.memberId ? bj : aj;
    const leader = aj.leader === aj.memberId ? aj : bj;
    const fs = h.sync(G, follower.memberId, follower.generationId);
    expect(h.response(fs, 'SyncGroup')).toBeUndefined();
    h.autoComplete = false;
    const ls = h.sync(G, leader.memberId, leader.generationId, [
      { memberId: leader.memberId, assignment: assignmentOf('t', [0]) },
      { memberId: follower.memberId, assignment: assignmentOf('t', [1]) },
    ]);
    expect(h.response(ls, 'SyncGroup')).toBeUndefined();
    expect(h.pending).toHaveLength(1);
    const rec = decodeConsumerOffsetsRecord(h.pending[0]!.records[0]!.key, h.pending[0]!.records[0]!.value);
    expect(rec.kind === 'group' && rec.value?.members.length).toBe(2);
    h.completeAll();
    expect(decodeMemberAssignment(h.response(fs, 'SyncGroup')!.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    expect(decodeMemberAssignment(h.response(ls, 'SyncGroup')!.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0] }]);
    expect(stateOf(h)).toBe('Stable');
  });

  it('a failed group append fails the waiters and starts a new rebalance', () => {
    const h = new Harness();
    const j = h.response(h.join(G), 'JoinGroup')!;
    h.autoComplete = false;
    const s = h.sync(G, j.memberId, j.generationId, []);
    h.complete(h.pending[0]!, E.NOT_LEADER_OR_FOLLOWER);
    expect(h.response(s, 'SyncGroup')!.errorCode).toBe(E.NOT_COORDINATOR);
    expect(stateOf(h)).toBe('PreparingRebalance');
  });

  it('errors: unknown group/member, illegal generation, rebalance in progress, protocol mismatch', () => {
    const h = new Harness();
    expect(h.response(h.sync('nope', 'm', 1), 'SyncGroup')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    const a = stableSingle(h);
    expect(h.response(h.sync(G, 'm', a.generation), 'SyncGroup')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.response(h.sync(G, a.memberId, a.generation + 1), 'SyncGroup')!.errorCode).toBe(E.ILLEGAL_GENERATION);
    const id = h.sync(G, a.memberId, a.generation);
    h.apply(h.c.syncGroup(999, { groupId: G, generationId: a.generation, memberId: a.memberId, groupInstanceId: null, protocolType: 'connect', protocolName: null, assignments: [] }, h.nowMs));
    expect(h.response(999, 'SyncGroup')!.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(decodeMemberAssignment(h.response(id, 'SyncGroup')!.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0] }]);
    h.join(G); // second member: PreparingRebalance
    expect(h.response(h.sync(G, a.memberId, a.generation), 'SyncGroup')!.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
  });
});

describe('Heartbeat and session expiry', () => {
  it('NONE when stable, ILLEGAL_GENERATION on a stale generation, UNKNOWN_MEMBER_ID for strangers', () => {
    const h = new Harness();
    const a = stableSingle(h);
    expect(h.response(h.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.NONE);
    expect(h.response(h.heartbeat(G, a.memberId, a.generation - 1), 'Heartbeat')!.errorCode).toBe(E.ILLEGAL_GENERATION);
    expect(h.response(h.heartbeat(G, 'x', a.generation), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.response(h.heartbeat('other', 'x', 1), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.response(h.heartbeat('', 'x', 1), 'Heartbeat')!.errorCode).toBe(E.INVALID_GROUP_ID);
  });

  it('heartbeats keep a member; silence for session.timeout.ms removes it and the group goes Empty', () => {
    const h = new Harness();
    const a = stableSingle(h);
    for (let i = 0; i < 5; i++) {
      h.advance(9000);
      expect(h.response(h.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.NONE);
    }
    const due = h.nowMs + 10_000;
    const early = h.c.nextTickAtMs()!;
    expect(early).toBeLessThanOrEqual(due); // a cached lower bound: may be early, never late
    h.jump(early - h.nowMs); // the early tick finds nothing due and computes the exact deadline
    expect(stateOf(h)).toBe('Stable');
    expect(h.c.nextTickAtMs()).toBe(due);
    h.advance(due - h.nowMs);
    expect(stateOf(h)).toBe('Empty');
    expect(h.c.describeState()[0]!.generation).toBe(a.generation + 1);
    expect(h.response(h.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.c.counters()).toMatchObject({ rebalancesTotal: 2, membersExpiredTotal: 1 });
    expect(h.c.groupCountsByState()).toEqual({ Empty: 1 });
  });

  it('a pending (MEMBER_ID_REQUIRED) member that never returns expires', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.response(h.join(G, { requireKnownMemberId: true }), 'JoinGroup');
    h.heartbeat(G, a.memberId, a.generation);
    h.advance(9_000);
    h.heartbeat(G, a.memberId, a.generation);
    h.advance(1_000); // pending member's 10 s are up; group was never disturbed
    expect(stateOf(h)).toBe('Stable');
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

/**
 * a joins alone and syncs (generation 1, Stable), then b joins and a rejoins: the join phase of
 * generation 2 ends at once (`endedAtMs`), a is the leader. Rebalance timeout 20 s, session 10 s.
 */
function pairAfterJoin(h: Harness, b: Partial<JoinGroupInput> = {}): { leader: JoinGroupResponse; follower: JoinGroupResponse; endedAtMs: number } {
  const timeouts = { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 };
  const a1 = h.response(h.join(G, timeouts), 'JoinGroup')!;
  h.sync(G, a1.memberId, a1.generationId, [{ memberId: a1.memberId, assignment: assignmentOf('t', [0, 1]) }]);
  const bId = h.join(G, { ...timeouts, ...b });
  const leader = h.response(h.join(G, { ...timeouts, memberId: a1.memberId }), 'JoinGroup')!;
  const follower = h.response(bId, 'JoinGroup')!;
  expect(leader).toMatchObject({ errorCode: E.NONE, leader: a1.memberId, generationId: 2 });
  expect(follower).toMatchObject({ errorCode: E.NONE, generationId: 2 });
  expect(stateOf(h)).toBe('CompletingRebalance');
  return { leader, follower, endedAtMs: h.nowMs };
}

/** Moves time to `atMs` in 5 s steps, heartbeating for each member on the way (so no session expires). */
function heartbeatUntil(h: Harness, atMs: number, members: { memberId: string; generationId: number; instance?: string | null }[]): void {
  for (let i = 0; i < 1000 && h.nowMs < atMs; i++) {
    for (const m of members) h.heartbeat(G, m.memberId, m.generationId, m.instance ?? null);
    h.advance(Math.min(5000, atMs - h.nowMs));
  }
}

function membersOf(h: Harness): string[] {
  return h.c.describeState().find((g) => g.groupId === G)?.members.map((m) => m.memberId) ?? [];
}

describe('pending sync (KAFKA-13128): members that join but never send SyncGroup', () => {
  it('a follower that heartbeats but never syncs is removed one rebalance timeout after the join; the leader rejoins alone and takes every partition', () => {
    const h = new Harness();
    const { leader, follower, endedAtMs } = pairAfterJoin(h);
    const ls = h.sync(G, leader.memberId, leader.generationId, [
      { memberId: leader.memberId, assignment: assignmentOf('t', [0]) },
      { memberId: follower.memberId, assignment: assignmentOf('t', [1]) },
    ]);
    expect(h.response(ls, 'SyncGroup')!.errorCode).toBe(E.NONE);
    expect(stateOf(h)).toBe('Stable');
    // Heartbeats, and a JoinGroup answered with the current generation, do not count as a sync.
    expect(h.response(h.join(G, { memberId: follower.memberId, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 }), 'JoinGroup')!.generationId).toBe(2);
    heartbeatUntil(h, endedAtMs + 19_999, [leader, follower]);
    expect(stateOf(h)).toBe('Stable');
    expect(membersOf(h)).toEqual([leader.memberId, follower.memberId]);
    expect(h.c.nextTickAtMs()).toBeLessThanOrEqual(endedAtMs + 20_000);
    h.advance(1);
    expect(stateOf(h)).toBe('PreparingRebalance');
    expect(membersOf(h)).toEqual([leader.memberId]);
    expect(h.c.counters()).toMatchObject({ pendingSyncMembersRemovedTotal: 1, membersExpiredTotal: 0 });
    expect(h.response(h.heartbeat(G, follower.memberId, follower.generationId), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.response(h.sync(G, follower.memberId, follower.generationId), 'SyncGroup')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.response(h.heartbeat(G, leader.memberId, leader.generationId), 'Heartbeat')!.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    const rj = h.response(h.join(G, { memberId: leader.memberId, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 }), 'JoinGroup')!;
    expect(rj).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: leader.memberId });
    expect(rj.members.map((m) => m.memberId)).toEqual([leader.memberId]);
    const s = h.response(h.sync(G, leader.memberId, 3, [{ memberId: leader.memberId, assignment: assignmentOf('t', [0, 1]) }]), 'SyncGroup')!;
    expect(decodeMemberAssignment(s.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0, 1] }]);
    expect(stateOf(h)).toBe('Stable');
  });

  it('a leader that never syncs no longer holds the group in CompletingRebalance: it is removed and the parked follower is told to rejoin', () => {
    const h = new Harness();
    const { leader, follower, endedAtMs } = pairAfterJoin(h);
    const fs = h.sync(G, follower.memberId, follower.generationId);
    heartbeatUntil(h, endedAtMs + 19_999, [leader]);
    expect(h.response(fs, 'SyncGroup')).toBeUndefined(); // parked, waiting for the leader
    expect(stateOf(h)).toBe('CompletingRebalance');
    h.advance(1);
    expect(h.response(fs, 'SyncGroup')!.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    expect(membersOf(h)).toEqual([follower.memberId]);
    const rj = h.response(h.join(G, { memberId: follower.memberId, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 }), 'JoinGroup')!;
    expect(rj).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: follower.memberId });
    expect(h.c.counters().pendingSyncMembersRemovedTotal).toBe(1);
  });

  it('a follower parked longer than its session while the leader is slow gets a fresh session with its assignment', () => {
    const h = new Harness();
    const { leader, follower } = pairAfterJoin(h);
    const fs = h.sync(G, follower.memberId, follower.generationId);
    heartbeatUntil(h, h.nowMs + 15_000, [leader]); // the follower's own 10 s session deadline passes while parked
    h.sync(G, leader.memberId, leader.generationId, [{ memberId: follower.memberId, assignment: assignmentOf('t', [1]) }]);
    expect(decodeMemberAssignment(h.response(fs, 'SyncGroup')!.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    h.advance(9_999);
    expect(membersOf(h)).toEqual([leader.memberId, follower.memberId]);
    expect(h.response(h.heartbeat(G, follower.memberId, follower.generationId), 'Heartbeat')!.errorCode).toBe(E.NONE);
    expect(stateOf(h)).toBe('Stable');
  });

  it('members that sync in time, even at the last millisecond, are never removed', () => {
    const h = new Harness();
    const { leader, follower, endedAtMs } = pairAfterJoin(h);
    h.sync(G, leader.memberId, leader.generationId, [{ memberId: follower.memberId, assignment: assignmentOf('t', [1]) }]);
    heartbeatUntil(h, endedAtMs + 19_999, [leader, follower]);
    const fs = h.response(h.sync(G, follower.memberId, follower.generationId), 'SyncGroup')!;
    expect(decodeMemberAssignment(fs.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    heartbeatUntil(h, endedAtMs + 120_000, [leader, follower]);
    expect(stateOf(h)).toBe('Stable');
    expect(h.c.describeState()[0]!.generation).toBe(2);
    expect(membersOf(h)).toEqual([leader.memberId, follower.memberId]);
    expect(h.c.counters()).toMatchObject({ pendingSyncMembersRemovedTotal: 0, rebalancesTotal: 2 });
  });

  it('a member that leaves while it owes a sync rebalances the group at once; the old deadline then does nothing', () => {
    const h = new Harness();
    const { leader, follower, endedAtMs } = pairAfterJoin(h);
    h.sync(G, leader.memberId, leader.generationId, []);
    expect(stateOf(h)).toBe('Stable');
    expect(h.response(h.leave(G, [{ memberId: follower.memberId }]), 'LeaveGroup')!.members[0]!.errorCode).toBe(E.NONE);
    expect(stateOf(h)).toBe('PreparingRebalance');
    const rj = h.response(h.join(G, { memberId: leader.memberId, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 }), 'JoinGroup')!;
    h.sync(G, leader.memberId, rj.generationId, []);
    heartbeatUntil(h, endedAtMs + 60_000, [{ memberId: leader.memberId, generationId: rj.generationId }]);
    expect(stateOf(h)).toBe('Stable');
    expect(h.c.describeState()[0]!.generation).toBe(3);
    expect(h.c.counters().pendingSyncMembersRemovedTotal).toBe(0);
  });

  it('static members: one that never syncs is removed too and its instance id is freed (Kafka removes every pending-sync member)', () => {
    const h = new Harness();
    const { leader, follower, endedAtMs } = pairAfterJoin(h, { groupInstanceId: 'ib' });
    h.sync(G, leader.memberId, leader.generationId, []);
    heartbeatUntil(h, endedAtMs + 20_000, [leader, { ...follower, instance: 'ib' }]);
    expect(membersOf(h)).toEqual([leader.memberId]);
    expect(h.response(h.heartbeat(G, follower.memberId, follower.generationId, 'ib'), 'Heartbeat')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    // The instance comes back as a new member (no id to replace), joining the rebalance.
    const back = h.join(G, { groupInstanceId: 'ib', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 });
    h.join(G, { memberId: leader.memberId, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 });
    expect(h.response(back, 'JoinGroup')).toMatchObject({ errorCode: E.NONE, generationId: 3 });
  });

  it('static members: one replaced in Stable before its old id synced leaves that id owing; at the deadline the group rebalances but keeps the new id (as Kafka)', () => {
    const h = new Harness();
    const { leader, follower, endedAtMs } = pairAfterJoin(h, { groupInstanceId: 'ib' });
    h.sync(G, leader.memberId, leader.generationId, [{ memberId: follower.memberId, assignment: assignmentOf('t', [1]) }]);
    const re = h.response(h.join(G, { groupInstanceId: 'ib', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 10_000 }), 'JoinGroup')!;
    expect(re).toMatchObject({ errorCode: E.NONE, generationId: 2 });
    expect(stateOf(h)).toBe('Stable'); // replaced without a rebalance
    const s = h.response(h.sync(G, re.memberId, 2, [], 'ib'), 'SyncGroup')!;
    expect(decodeMemberAssignment(s.assignment).assignedPartitions).toEqual([{ topic: 't', partitions: [1] }]);
    heartbeatUntil(h, endedAtMs + 19_999, [leader, { memberId: re.memberId, generationId: 2, instance: 'ib' }]);
    expect(stateOf(h)).toBe('Stable');
    h.advance(1);
    expect(stateOf(h)).toBe('PreparingRebalance');
    expect(membersOf(h)).toEqual([leader.memberId, re.memberId]);
    expect(h.c.counters().pendingSyncMembersRemovedTotal).toBe(0);
  });

  it('a leader SyncGroup refused for a full append queue is answered once and still owes its sync', () => {
    const h = new Harness({ ...TEST_CONFIG, pendingAppendsMax: 1 });
    const { leader, follower, endedAtMs } = pairAfterJoin(h);
    h.autoComplete = false;
    h.commit('simple', '', -1, [{ topic: 't', partition: 0, offset: 1 }]); // fills the queue
    expect(h.response(h.sync(G, leader.memberId, leader.generationId, []), 'SyncGroup')!.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    h.completeAll();
    heartbeatUntil(h, endedAtMs + 20_000, [leader, follower]); // the harness throws if any request is answered twice
    expect(membersOf(h)).toEqual([]); // both owed a sync: removed, the group is Empty
    expect(stateOf(h)).toBe('Empty');
    expect(h.c.counters().pendingSyncMembersRemovedTotal).toBe(2);
  });
});

describe('LeaveGroup', () => {
  it('batch leave: per-member results; the group rebalances without the leavers', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const ids = [h.join(G), h.join(G, { groupInstanceId: 'i2' }), h.join(G)];
    h.advance(20);
    const js = ids.map((id) => h.response(id, 'JoinGroup')!);
    const r = h.response(h.leave(G, [{ memberId: js[0]!.memberId }, { memberId: '', groupInstanceId: 'i2' }, { memberId: 'ghost' }]), 'LeaveGroup')!;
    expect(r.errorCode).toBe(E.NONE);
    expect(r.members.map((m) => m.errorCode)).toEqual([E.NONE, E.NONE, E.UNKNOWN_MEMBER_ID]);
    expect(stateOf(h)).toBe('PreparingRebalance');
    const last = h.response(h.join(G, { memberId: js[2]!.memberId }), 'JoinGroup')!;
    expect(last.members.map((m) => m.memberId)).toEqual([js[2]!.memberId]);
    expect(h.response(h.leave('nope', [{ memberId: 'x' }]), 'LeaveGroup')!.members[0]!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('the last member leaving makes the group Empty', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.leave(G, [{ memberId: a.memberId }]);
    expect(stateOf(h)).toBe('Empty');
  });
});

describe('OffsetCommit / OffsetFetch', () => {
  it('a commit is answered and visible only after its append completes', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.autoComplete = false;
    const c = h.commit(G, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 42, metadata: 'm' }]);
    expect(h.response(c, 'OffsetCommit')).toBeUndefined();
    expect(h.fetchOffset(G, 't', 0)).toBe(-1);
    expect(h.c.nextTickAtMs()).not.toBeNull();
    const rec = decodeConsumerOffsetsRecord(h.pending[0]!.records[0]!.key, h.pending[0]!.records[0]!.value);
    expect(rec).toMatchObject({ kind: 'offset', key: { group: G, topic: 't', partition: 0 }, value: { offset: 42, metadata: 'm' } });
    expect(h.pending[0]!.partition).toBe(h.c.config.offsetsTopicNumPartitions > 0 ? h.pending[0]!.partition : -1);
    h.completeAll();
    expect(h.response(c, 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    expect(h.fetchOffset(G, 't', 0)).toBe(42);
    const all = h.response(h.fetch(G, null), 'OffsetFetch')!;
    expect(all.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, metadata: 'm', errorCode: E.NONE }] }]);
  });

  it('append failures map to Kafka commit errors and change nothing', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.autoComplete = false;
    const cases: [number, number][] = [
      [E.NOT_ENOUGH_REPLICAS, E.COORDINATOR_NOT_AVAILABLE],
      [E.NOT_LEADER_OR_FOLLOWER, E.NOT_COORDINATOR],
      [E.RECORD_LIST_TOO_LARGE, E.INVALID_COMMIT_OFFSET_SIZE],
    ];
    for (const [appendError, seen] of cases) {
      const c = h.commit(G, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 1 }]);
      h.complete(h.pending[0]!, appendError);
      expect(h.response(c, 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(seen);
    }
    expect(h.fetchOffset(G, 't', 0)).toBe(-1);
  });

  it('group checks: generation, member, rebalance in progress; simple commits only for Empty/unknown groups', () => {
    const h = new Harness({ ...TEST_CONFIG, groupInitialRebalanceDelayMs: 10 });
    const err = (id: number): number => h.response(id, 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode;
    expect(err(h.commit('simple', '', -1, [{ topic: 't', partition: 0, offset: 3 }]))).toBe(E.NONE);
    expect(h.fetchOffset('simple', 't', 0)).toBe(3);
    expect(err(h.commit('unknown', 'm', 5, [{ topic: 't', partition: 0, offset: 3 }]))).toBe(E.ILLEGAL_GENERATION);
    const j = h.join(G);
    h.advance(10);
    const a = h.response(j, 'JoinGroup')!;
    expect(err(h.commit(G, a.memberId, a.generationId, [{ topic: 't', partition: 0, offset: 1 }]))).toBe(E.REBALANCE_IN_PROGRESS); // CompletingRebalance
    h.sync(G, a.memberId, a.generationId, []);
    expect(err(h.commit(G, a.memberId, a.generationId + 1, [{ topic: 't', partition: 0, offset: 1 }]))).toBe(E.ILLEGAL_GENERATION);
    expect(err(h.commit(G, 'stranger', a.generationId, [{ topic: 't', partition: 0, offset: 1 }]))).toBe(E.UNKNOWN_MEMBER_ID);
    expect(err(h.commit(G, '', -1, [{ topic: 't', partition: 0, offset: 1 }]))).toBe(E.UNKNOWN_MEMBER_ID); // group is not Empty
    expect(err(h.commit(G, a.memberId, a.generationId, [{ topic: 't', partition: 0, offset: 1, metadata: 'x'.repeat(4097) }]))).toBe(E.OFFSET_METADATA_TOO_LARGE);
    expect(err(h.commit(G, a.memberId, a.generationId, [{ topic: 't', partition: 0, offset: 7, metadata: null }]))).toBe(E.NONE);
    h.leave(G, [{ memberId: a.memberId }]);
    expect(err(h.commit(G, '', -1, [{ topic: 't', partition: 0, offset: 9 }]))).toBe(E.NONE); // Empty group: simple commit
    expect(h.fetchOffset(G, 't', 0)).toBe(9);
  });

  it('UNKNOWN_TOPIC_OR_PARTITION for partitions the broker does not have', () => {
    const c = new GroupCoordinator({ config: TEST_CONFIG, random: seededRandom(1), partitionExists: (t, p) => t === 't' && p < 2 });
    c.loadCompleted(0);
    const out = c.offsetCommit(1, { groupId: 's', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 5, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }] }, 0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'respond', requestId: 1, response: { api: 'OffsetCommit', body: { topics: [{ name: 't', partitions: [{ partitionIndex: 5, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION }] }] } } });
  });

  it('fetch: -1 for partitions without a commit and for unknown groups; COORDINATOR_LOAD_IN_PROGRESS while loading', () => {
    const h = new Harness();
    expect(h.fetchOffset('none', 't', 3)).toBe(-1);
    const loading = new Harness(TEST_CONFIG, 1, false);
    expect(loading.response(loading.fetch(G), 'OffsetFetch')!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    expect(loading.response(loading.commit(G, '', -1, [{ topic: 't', partition: 0, offset: 1 }]), 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
  });
});

describe('expiration, DeleteGroups, OffsetDelete', () => {
  it('offsets of an Empty group expire offsets.retention after it became Empty; then the group is tombstoned', () => {
    const h = new Harness({ ...TEST_CONFIG, offsetsRetentionMs: 100_000, offsetsRetentionCheckIntervalMs: 10_000 });
    const a = stableSingle(h);
    h.commit(G, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 5 }]);
    h.advance(10_000); // no heartbeats: the member expires after 10 s → Empty
    expect(stateOf(h)).toBe('Empty');
    h.advance(99_999);
    expect(h.fetchOffset(G, 't', 0)).toBe(5);
    h.advance(10_001); // the next retention check after Empty + 100 s

    expect(h.fetchOffset(G, 't', 0)).toBe(-1);
    expect(h.c.describeState()).toEqual([]);
    expect(h.c.counters()).toMatchObject({ offsetCommitsTotal: 1, offsetsExpiredTotal: 1 });
    const last = h.log.slice(-2).map((r) => decodeConsumerOffsetsRecord(r.key, r.value));
    expect(last).toEqual([{ kind: 'offset', key: { group: G, topic: 't', partition: 0 }, value: null }, { kind: 'group', group: G, value: null }]);
  });

  it('an explicit retentionTimeMs (v2–v4) sets expireTimestamp and is honoured even for an active group', () => {
    const h = new Harness({ ...TEST_CONFIG, offsetsRetentionCheckIntervalMs: 1000 });
    h.commit('s', '', -1, [{ topic: 't', partition: 0, offset: 5 }], null, 5000);
    const v = decodeConsumerOffsetsRecord(h.log[0]!.key, h.log[0]!.value);
    expect(v.kind === 'offset' && v.value?.expireTimestampMs).toBe(h.nowMs + 5000);
    h.advance(4000);
    expect(h.fetchOffset('s', 't', 0)).toBe(5);
    h.advance(1000);
    expect(h.fetchOffset('s', 't', 0)).toBe(-1);
  });

  it('DeleteGroups: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, and tombstones for an Empty group', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.commit('s', '', -1, [{ topic: 't', partition: 0, offset: 5 }, { topic: 't', partition: 1, offset: 6 }]);
    const r = h.response(h.deleteGroups(['nope', G, 's']), 'DeleteGroups')!;
    expect(r.results).toEqual([
      { groupId: 'nope', errorCode: E.GROUP_ID_NOT_FOUND },
      { groupId: G, errorCode: E.NON_EMPTY_GROUP },
      { groupId: 's', errorCode: E.NONE },
    ]);
    expect(h.fetchOffset('s', 't', 0)).toBe(-1);
    expect(h.log.slice(-3).map((x) => x.value)).toEqual([null, null, null]);
    expect(a.generation).toBe(1);
  });

  it('OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC for subscribed topics of an active consumer group', () => {
    const h = new Harness();
    const a = stableSingle(h); // subscribes to 't'
    h.commit(G, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 5 }, { topic: 'u', partition: 0, offset: 6 }]);
    const r1 = h.response(h.offsetDelete(G, 't', [0]), 'OffsetDelete')!;
    expect(r1.topics[0]!.partitions[0]!.errorCode).toBe(E.GROUP_SUBSCRIBED_TO_TOPIC);
    const r2 = h.response(h.offsetDelete(G, 'u', [0]), 'OffsetDelete')!;
    expect(r2).toMatchObject({ errorCode: E.NONE, topics: [{ name: 'u', partitions: [{ partitionIndex: 0, errorCode: E.NONE }] }] });
    expect(h.fetchOffset(G, 'u', 0)).toBe(-1);
    expect(h.fetchOffset(G, 't', 0)).toBe(5);
    expect(h.response(h.offsetDelete('nope', 't', [0]), 'OffsetDelete')!.errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect(h.response(h.offsetDelete('', 't', [0]), 'OffsetDelete')!.errorCode).toBe(E.INVALID_GROUP_ID);
  });
});

describe('bad input', () => {
  it('empty group ids: INVALID_GROUP_ID for sync, leave, heartbeat, offset delete; commits and fetches accept ""', () => {
    const h = new Harness();
    expect(h.response(h.sync('', 'm', 1), 'SyncGroup')!.errorCode).toBe(E.INVALID_GROUP_ID);
    expect(h.response(h.leave('', [{ memberId: 'm' }]), 'LeaveGroup')!.errorCode).toBe(E.INVALID_GROUP_ID);
    expect(h.response(h.commit('', '', -1, [{ topic: 't', partition: 0, offset: 1 }]), 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    expect(h.fetchOffset('', 't', 0)).toBe(1);
  });

  it('a MEMBER_ID_REQUIRED member keeps its fresh group alive until it expires; then retention drops the group', () => {
    const h = new Harness({ ...TEST_CONFIG, offsetsRetentionCheckIntervalMs: 1000 });
    const first = h.response(h.join(G, { requireKnownMemberId: true }), 'JoinGroup')!;
    h.advance(5000);
    expect(h.response(h.join(G, { requireKnownMemberId: true, memberId: first.memberId }), 'JoinGroup')!.errorCode).toBe(E.NONE);
    const other = new Harness({ ...TEST_CONFIG, offsetsRetentionCheckIntervalMs: 1000 });
    const id = other.response(other.join(G, { requireKnownMemberId: true }), 'JoinGroup')!.memberId;
    other.advance(11_000);
    expect(other.c.describeState()).toEqual([]);
    expect(other.response(other.join(G, { requireKnownMemberId: true, memberId: id }), 'JoinGroup')!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });
});

describe('ListGroups / DescribeGroups', () => {
  it('lists with a state filter and describes members with metadata and assignment when Stable', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.commit('s', '', -1, [{ topic: 't', partition: 0, offset: 1 }]);
    const all = h.response(h.listGroups(), 'ListGroups')!;
    expect(all.groups.map((g) => [g.groupId, g.groupState, g.protocolType]).sort()).toEqual([[G, 'Stable', 'consumer'], ['s', 'Empty', '']]);
    expect(h.response(h.listGroups(['stable']), 'ListGroups')!.groups.map((g) => g.groupId)).toEqual([G]);
    const d = h.response(h.describe([G, 'nope']), 'DescribeGroups')!;
    expect(d.groups[0]).toMatchObject({ groupId: G, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.groups[0]!.members[0]!.memberId).toBe(a.memberId);
    expect(decodeMemberAssignment(d.groups[0]!.members[0]!.memberAssignment).assignedPartitions).toEqual([{ topic: 't', partitions: [0] }]);
    expect(d.groups[1]).toMatchObject({ groupId: 'nope', groupState: 'Dead', errorCode: E.NONE });
  });
});

describe('replay of __consumer_offsets', () => {
  it('rebuilds groups, members and offsets; COORDINATOR_LOAD_IN_PROGRESS until loadCompleted', () => {
    const h = new Harness();
    const a = stableSingle(h);
    h.commit(G, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 11 }]);
    h.commit('s', '', -1, [{ topic: 'u', partition: 2, offset: 7 }]);
    const fresh = new Harness(TEST_CONFIG, 99, false);
    expect(fresh.response(fresh.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    expect(fresh.c.load(h.log)).toEqual({ records: h.log.length, skipped: 0 });
    fresh.nowMs = h.nowMs;
    fresh.apply(fresh.c.loadCompleted(fresh.nowMs));
    expect(fresh.c.describeState()).toEqual(h.c.describeState());
    expect(fresh.response(fresh.heartbeat(G, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.NONE);
    expect(fresh.fetchOffset(G, 't', 0)).toBe(11);
    expect(() => fresh.c.load([])).toThrow();
  });

  it('skips unknown key versions and undecodable records', () => {
    const c = new GroupCoordinator({ random: seededRandom(1) });
    expect(c.load([{ key: new Uint8Array([0, 9, 0, 0]), value: null }, { key: new Uint8Array([0]), value: null }])).toEqual({ records: 2, skipped: 2 });
  });
});
