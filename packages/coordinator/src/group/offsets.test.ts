// Unit tests of GroupCoordinator's offsets (offsets.ts, and DeleteGroups' tombstones in
// group-admin.ts): commits visible only after their append, commit checks, fetch, retention,
// OffsetDelete.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { GroupCoordinator, decodeConsumerOffsetsRecord } from '../index.ts';
import { Harness, TEST_CONFIG, seededRandom } from '../../test/group-harness.ts';
import { G, stableSingle, stateOf } from '../../test/group-scenarios.ts';

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
