// Unit tests of GroupCoordinator across its parts: bad input to every API through the
// facade. The other transitions and error paths, one at a time, are in the tests of each
// part: join-group, member-requests, rebalance, offsets, group-admin and replay (.test.ts).
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { Harness, TEST_CONFIG } from '../../test/group-harness.ts';
import { G } from '../../test/group-scenarios.ts';

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
