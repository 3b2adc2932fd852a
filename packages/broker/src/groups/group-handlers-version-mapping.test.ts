// The group handlers keep no version rules of their own: at every version they serve, the
// input they hand the coordinator is exactly what @samsa/coordinator's mapper builds from
// the same decoded request, and the body they return is the mapper's answer for the
// coordinator's body. Requests here set every field (a reason, an instance id, a retention
// time…), so a field taken at a version whose spec lacks it shows up as a difference.
// (The handlers once kept a copy of these rules that disagreed on JoinGroup `reason`.)
import { ErrorCode } from '@samsa/codec';
import type { JoinGroupRequest, LeaveGroupRequest, OffsetCommitRequest, OffsetFetchRequest } from '@samsa/codec';
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
} from '@samsa/coordinator';
import type { CoordinatorResponse } from '@samsa/coordinator';
import { describe, expect, it } from 'vitest';
import type { BrokerContext } from '../broker-context.ts';
import type { ApiHandler, RequestInfo } from '../handlers/api-handler.ts';
import { heartbeatHandler } from '../handlers/heartbeat.ts';
import { joinGroupHandler } from '../handlers/join-group.ts';
import { leaveGroupHandler } from '../handlers/leave-group.ts';
import { listGroupsHandler } from '../handlers/list-groups.ts';
import { offsetCommitHandler } from '../handlers/offset-commit.ts';
import { offsetFetchHandler } from '../handlers/offset-fetch.ts';
import { syncGroupHandler } from '../handlers/sync-group.ts';

interface Call {
  kind: string;
  input: unknown;
}

/** A context whose GroupService records each request and answers with `answer(kind, input)`. */
function fakeContext(answer: (kind: string, input: unknown) => CoordinatorResponse): { ctx: BrokerContext; calls: Call[] } {
  const calls: Call[] = [];
  const groups = {
    ensureTopic: () => Promise.resolve(ErrorCode.NONE),
    request: (kind: string, input: unknown) => {
      calls.push({ kind, input });
      return Promise.resolve(answer(kind, input));
    },
  };
  return { ctx: { groups } as unknown as BrokerContext, calls };
}

function info(apiVersion: number): RequestInfo {
  return { apiVersion, correlationId: 1, clientId: 'client-1', peer: '127.0.0.1:5555' };
}

function versionsOf(h: ApiHandler): number[] {
  const out: number[] = [];
  for (let v = h.minVersion; v <= h.maxVersion; v++) out.push(v);
  return out;
}

const joinRequest: JoinGroupRequest = {
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  memberId: 'm-1',
  groupInstanceId: 'instance-1',
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: new Uint8Array([1, 2]) }],
  reason: 'rejoin after poll timeout',
};

describe('group handlers use the coordinator version mapping', () => {
  it('JoinGroup: same input and same response mapping at every version', async () => {
    const body = { throttleTimeMs: 0, errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: 'm-2', members: [] };
    const { ctx, calls } = fakeContext(() => ({ api: 'JoinGroup', body }));
    for (const v of versionsOf(joinGroupHandler)) {
      const res = await joinGroupHandler.handle(ctx, joinRequest, info(v));
      expect(calls.pop()).toEqual({ kind: 'joinGroup', input: joinGroupInput(joinRequest, v, 'client-1', '/127.0.0.1') });
      expect(res).toEqual(joinGroupResponseFor(body, v));
    }
  });

  it('SyncGroup and Heartbeat: same input at every version', async () => {
    const sync = { groupId: 'g', generationId: 2, memberId: 'm', groupInstanceId: 'i', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: 'm', assignment: new Uint8Array([3]) }] };
    const beat = { groupId: 'g', generationId: 2, memberId: 'm', groupInstanceId: 'i' };
    const { ctx, calls } = fakeContext((kind) =>
      kind === 'syncGroup'
        ? { api: 'SyncGroup', body: { throttleTimeMs: 0, errorCode: 0, protocolType: null, protocolName: null, assignment: new Uint8Array(0) } }
        : { api: 'Heartbeat', body: { throttleTimeMs: 0, errorCode: 0 } });
    for (const v of versionsOf(syncGroupHandler)) {
      await syncGroupHandler.handle(ctx, sync, info(v));
      expect(calls.pop()).toEqual({ kind: 'syncGroup', input: syncGroupInput(sync, v) });
    }
    for (const v of versionsOf(heartbeatHandler)) {
      await heartbeatHandler.handle(ctx, beat, info(v));
      expect(calls.pop()).toEqual({ kind: 'heartbeat', input: heartbeatInput(beat, v) });
    }
  });

  it('LeaveGroup: same input and same response mapping at every version', async () => {
    const req: LeaveGroupRequest = { groupId: 'g', memberId: 'm-old', members: [{ memberId: 'm', groupInstanceId: 'i', reason: 'shutdown' }] };
    const body = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members: [{ memberId: 'm', groupInstanceId: 'i', errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] };
    const { ctx, calls } = fakeContext(() => ({ api: 'LeaveGroup', body }));
    for (const v of versionsOf(leaveGroupHandler)) {
      const res = await leaveGroupHandler.handle(ctx, req, info(v));
      expect(calls.pop()).toEqual({ kind: 'leaveGroup', input: leaveGroupInput(req, v) });
      expect(res).toEqual(leaveGroupResponseFor(body, v));
    }
  });

  it('OffsetCommit and ListGroups: same input at every version', async () => {
    const commit: OffsetCommitRequest = {
      groupId: 'g',
      generationIdOrMemberEpoch: 4,
      memberId: 'm',
      groupInstanceId: 'i',
      retentionTimeMs: 60_000,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: 2, commitTimestamp: 1_000, committedMetadata: 'x' }] }],
    };
    const list = { statesFilter: ['Stable'], typesFilter: ['classic'] };
    const { ctx, calls } = fakeContext((kind) =>
      kind === 'offsetCommit'
        ? { api: 'OffsetCommit', body: { throttleTimeMs: 0, topics: [] } }
        : { api: 'ListGroups', body: { throttleTimeMs: 0, errorCode: 0, groups: [] } });
    for (const v of versionsOf(offsetCommitHandler)) {
      await offsetCommitHandler.handle(ctx, commit, info(v));
      expect(calls.pop()).toEqual({ kind: 'offsetCommit', input: offsetCommitInput(commit, v) });
    }
    for (const v of versionsOf(listGroupsHandler)) {
      await listGroupsHandler.handle(ctx, list, info(v));
      expect(calls.pop()).toEqual({ kind: 'listGroups', input: listGroupsInput(list, v) });
    }
  });

  it('OffsetFetch: same inputs (one per group) and same response mapping at every version', async () => {
    const req: OffsetFetchRequest = {
      groupId: 'g',
      topics: [{ name: 't', partitionIndexes: [0, 1] }],
      groups: [{ groupId: 'a', memberId: null, memberEpoch: -1, topics: null }, { groupId: 'b', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [2] }] }],
      requireStable: true,
    };
    const { ctx, calls } = fakeContext((_kind, input) => ({ api: 'OffsetFetch', body: { groupId: (input as { groupId: string }).groupId, topics: [], errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS } }));
    for (const v of versionsOf(offsetFetchHandler)) {
      const res = await offsetFetchHandler.handle(ctx, req, info(v));
      const inputs = offsetFetchInputs(req, v);
      expect(calls.splice(0)).toEqual(inputs.map((input) => ({ kind: 'offsetFetch', input })));
      const answers = inputs.map((input) => ({ groupId: input.groupId, topics: [], errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }));
      expect(res).toEqual(offsetFetchResponseFor(answers, inputs, v));
    }
  });
});
