// Unit tests of ListGroups and DescribeGroups (group-admin.ts).
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { decodeMemberAssignment } from '../index.ts';
import { Harness } from '../../test/group-harness.ts';
import { G, stableSingle } from '../../test/group-scenarios.ts';

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
