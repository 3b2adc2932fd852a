// Unit tests of the pending-sync deadline (KAFKA-13128, rebalance.ts): members that join
// but never send SyncGroup are removed one rebalance timeout after the join.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { decodeMemberAssignment } from '../index.ts';
import type { JoinGroupResponse } from '@samsa/codec';
import type { JoinGroupInput } from '../index.ts';
import { Harness, TEST_CONFIG } from '../../test/group-harness.ts';
import { G, assignmentOf, stateOf } from '../../test/group-scenarios.ts';

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
