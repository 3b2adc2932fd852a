// Unit tests of GroupCoordinator's SyncGroup, Heartbeat and LeaveGroup (member-requests.ts):
// the leader's persisted assignment, session expiry, batch leave, and their error paths.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { decodeConsumerOffsetsRecord, decodeMemberAssignment } from '../index.ts';
import { Harness, TEST_CONFIG } from '../../test/group-harness.ts';
import { G, assignmentOf, stableSingle, stateOf } from '../../test/group-scenarios.ts';

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
