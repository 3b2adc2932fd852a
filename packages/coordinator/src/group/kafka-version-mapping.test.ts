// Version mapping between decoded Kafka requests and the coordinator's inputs/outputs.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import type { JoinGroupRequest, OffsetCommitRequest, OffsetFetchRequest } from '@samsa/codec';
import { JoinGroupResponseCodec, encodeMessage } from '@samsa/codec';
import {
  heartbeatInput,
  joinGroupInput,
  joinGroupResponseFor,
  leaveGroupInput,
  leaveGroupResponseFor,
  listGroupsInput,
  offsetCommitInput,
  offsetFetchInputs,
  offsetFetchResponseFor,
  syncGroupInput,
} from './kafka-version-mapping.ts';

const join: JoinGroupRequest = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 99, memberId: '', groupInstanceId: 'i', protocolType: 'consumer', protocols: [], reason: null };

describe('kafka version mapping', () => {
  it('JoinGroup: v0 rebalance timeout = session timeout; v4+ requires a known member id; v5+ instance id', () => {
    expect(joinGroupInput(join, 0, 'c', '/h')).toMatchObject({ rebalanceTimeoutMs: 10_000, requireKnownMemberId: false, groupInstanceId: null, clientId: 'c', clientHost: '/h' });
    expect(joinGroupInput(join, 4, 'c', '/h')).toMatchObject({ rebalanceTimeoutMs: 99, requireKnownMemberId: true, groupInstanceId: null });
    expect(joinGroupInput(join, 5, 'c', '/h')).toMatchObject({ groupInstanceId: 'i' });
  });

  // The broker's handler used to keep its own copy of these rules, and the two disagreed here.
  it('JoinGroup: the reason is carried from v8 only (spec: Reason, versions 8+, KIP-800)', () => {
    const withReason = { ...join, reason: 'rejoin after poll timeout' };
    for (const v of [0, 5, 7]) expect(joinGroupInput(withReason, v, 'c', '/h').reason).toBeNull();
    for (const v of [8, 9]) expect(joinGroupInput(withReason, v, 'c', '/h').reason).toBe('rejoin after poll timeout');
    expect(joinGroupInput(join, 9, 'c', '/h')).toMatchObject({ skipAssignmentSupported: true });
    expect(joinGroupInput(join, 8, 'c', '/h')).toMatchObject({ skipAssignmentSupported: false });
  });

  it('JoinGroup responses: a null protocolName becomes "" before v7 (so v0–v6 encode)', () => {
    const body = { throttleTimeMs: 0, errorCode: E.MEMBER_ID_REQUIRED, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: 'm', members: [] };
    expect(() => encodeMessage(JoinGroupResponseCodec, body, 4)).toThrow();
    expect(joinGroupResponseFor(body, 4).protocolName).toBe('');
    expect(encodeMessage(JoinGroupResponseCodec, joinGroupResponseFor(body, 4), 4).length).toBeGreaterThan(0);
    expect(joinGroupResponseFor(body, 7)).toBe(body);
  });

  it('SyncGroup: protocol type/name only checked from v5', () => {
    const req = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: 'x', protocolName: 'y', assignments: [] };
    expect(syncGroupInput(req, 4)).toMatchObject({ protocolType: null, protocolName: null });
    expect(syncGroupInput(req, 5)).toMatchObject({ protocolType: 'x', protocolName: 'y' });
  });

  it('LeaveGroup v0–v2: a single member, its error at top level', () => {
    const req = { groupId: 'g', memberId: 'm', members: [{ memberId: 'a', groupInstanceId: null, reason: null }] };
    expect(leaveGroupInput(req, 2).members).toEqual([{ memberId: 'm', groupInstanceId: null, reason: null }]);
    expect(leaveGroupInput(req, 3).members).toEqual(req.members);
    const body = { throttleTimeMs: 0, errorCode: E.NONE, members: [{ memberId: 'm', groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID }] };
    expect(leaveGroupResponseFor(body, 1)).toEqual({ throttleTimeMs: 0, errorCode: E.UNKNOWN_MEMBER_ID, members: [] });
    expect(leaveGroupResponseFor(body, 3)).toBe(body);
  });

  it('LeaveGroup: a member reason is carried from v5 only (spec: Reason, versions 5+)', () => {
    const req = { groupId: 'g', memberId: '', members: [{ memberId: 'a', groupInstanceId: 'i', reason: 'shutdown' }] };
    expect(leaveGroupInput(req, 4).members).toEqual([{ memberId: 'a', groupInstanceId: 'i', reason: null }]);
    expect(leaveGroupInput(req, 5).members).toEqual([{ memberId: 'a', groupInstanceId: 'i', reason: 'shutdown' }]);
  });

  it('Heartbeat: group.instance.id from v3', () => {
    const req = { groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: 'i' };
    expect(heartbeatInput(req, 2)).toEqual({ groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null });
    expect(heartbeatInput(req, 3)).toEqual(req);
  });

  it('OffsetCommit: v0 is a simple commit, v1 a commit timestamp, v2–v4 a retention time, v6+ a leader epoch, v7+ an instance id', () => {
    const req: OffsetCommitRequest = {
      groupId: 'g',
      generationIdOrMemberEpoch: 4,
      memberId: 'm',
      groupInstanceId: 'i',
      retentionTimeMs: 60_000,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: 2, commitTimestamp: 1_000, committedMetadata: 'x' }] }],
    };
    const partitionAt = (v: number) => offsetCommitInput(req, v).topics[0]!.partitions[0]!;
    expect(offsetCommitInput(req, 0)).toMatchObject({ generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1 });
    expect(partitionAt(0)).toEqual({ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: 'x' });
    expect(offsetCommitInput(req, 1)).toMatchObject({ generationIdOrMemberEpoch: 4, memberId: 'm', retentionTimeMs: -1 });
    expect(partitionAt(1).commitTimestamp).toBe(1_000);
    expect(partitionAt(2).commitTimestamp).toBe(-1);
    for (const v of [2, 3, 4]) expect(offsetCommitInput(req, v).retentionTimeMs).toBe(60_000);
    expect(offsetCommitInput(req, 5).retentionTimeMs).toBe(-1);
    expect(partitionAt(5).committedLeaderEpoch).toBe(-1);
    expect(partitionAt(6).committedLeaderEpoch).toBe(2);
    expect(offsetCommitInput(req, 6).groupInstanceId).toBeNull();
    expect(offsetCommitInput(req, 7).groupInstanceId).toBe('i');
  });

  it('ListGroups: the states filter from v4', () => {
    const req = { statesFilter: ['Stable'], typesFilter: ['classic'] };
    expect(listGroupsInput(req, 3)).toEqual({ statesFilter: [], typesFilter: [] });
    expect(listGroupsInput(req, 4)).toEqual({ statesFilter: ['Stable'], typesFilter: [] });
  });

  it('OffsetFetch: one group before v8, many from v8; group errors per partition in v0/v1, top-level from v2', () => {
    const req: OffsetFetchRequest = { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }], groups: [{ groupId: 'a', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'b', memberId: null, memberEpoch: -1, topics: [] }], requireStable: true };
    expect(offsetFetchInputs(req, 1)).toEqual([{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: false }]);
    expect(offsetFetchInputs({ ...req, topics: null }, 2)).toEqual([{ groupId: 'g', topics: null, requireStable: false }]);
    expect(offsetFetchInputs(req, 8)).toEqual([{ groupId: 'a', topics: null, requireStable: true }, { groupId: 'b', topics: [], requireStable: true }]);
    const loading = { groupId: 'g', topics: [], errorCode: E.COORDINATOR_LOAD_IN_PROGRESS };
    const v1 = offsetFetchResponseFor([loading], offsetFetchInputs(req, 1), 1);
    expect(v1.errorCode).toBe(E.NONE);
    expect(v1.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_LOAD_IN_PROGRESS]);
    expect(offsetFetchResponseFor([loading], offsetFetchInputs(req, 2), 2)).toMatchObject({ errorCode: E.COORDINATOR_LOAD_IN_PROGRESS, topics: [] });
    const ok = { groupId: 'g', topics: [{ name: 't', partitions: [] }], errorCode: E.NONE };
    expect(offsetFetchResponseFor([ok], [], 5)).toMatchObject({ topics: ok.topics, errorCode: E.NONE });
    expect(offsetFetchResponseFor([ok, loading], [], 8).groups).toEqual([ok, loading]);
  });
});
