// Unit tests of per-partition ownership (partition-ownership.ts): a cluster's coordinator
// serves only the groups of the `__consumer_offsets` partitions it loaded.
import { describe, expect, it } from 'vitest';
import { ErrorCode as E } from '@samsa/codec';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, GroupCoordinator, consumerOffsetsPartitionFor } from '../index.ts';
import { Harness, TEST_CONFIG, seededRandom } from '../../test/group-harness.ts';
import { stableSingle } from '../../test/group-scenarios.ts';

const PARTITIONS = 4;
const CONFIG = { ...TEST_CONFIG, offsetsTopicNumPartitions: PARTITIONS };

/** The first group id `g<i>` that `__consumer_offsets` partition `p` coordinates. */
function groupIn(p: number, skip = 0): string {
  for (let i = 0, found = 0; i < 10_000; i++) {
    if (consumerOffsetsPartitionFor(`g${i}`, PARTITIONS) === p && found++ === skip) return `g${i}`;
  }
  throw new Error(`no group for partition ${p}`);
}

const cluster = (): Harness => new Harness(CONFIG, 42, false, false);

/** One request of every kind for `groupId`; the error code each answered with. */
function codesFor(h: Harness, groupId: string): Record<string, number> {
  const commit = h.response(h.commit(groupId, '', -1, [{ topic: 't', partition: 0, offset: 1 }]), 'OffsetCommit')!;
  return {
    join: h.response(h.join(groupId), 'JoinGroup')!.errorCode,
    sync: h.response(h.sync(groupId, 'm', 1), 'SyncGroup')!.errorCode,
    heartbeat: h.response(h.heartbeat(groupId, 'm', 1), 'Heartbeat')!.errorCode,
    leave: h.response(h.leave(groupId, [{ memberId: 'm' }]), 'LeaveGroup')!.errorCode,
    commit: commit.topics[0]!.partitions[0]!.errorCode,
    fetch: h.response(h.fetch(groupId, [{ name: 't', partitionIndexes: [0] }]), 'OffsetFetch')!.errorCode,
    describe: h.response(h.describe([groupId]), 'DescribeGroups')!.groups[0]!.errorCode,
    delete: h.response(h.deleteGroups([groupId]), 'DeleteGroups')!.results[0]!.errorCode,
    offsetDelete: h.response(h.offsetDelete(groupId, 't', [0]), 'OffsetDelete')!.errorCode,
  };
}

const all = (code: number): Record<string, number> => ({ join: code, sync: code, heartbeat: code, leave: code, commit: code, fetch: code, describe: code, delete: code, offsetDelete: code });

describe('a coordinator that owns partitions one by one (ownsAllPartitions: false)', () => {
  it('answers NOT_COORDINATOR to every request for a group of a partition it does not own, and lists no group', () => {
    const h = cluster();
    expect(h.c.loading).toBe(false);
    expect(codesFor(h, groupIn(1))).toEqual(all(E.NOT_COORDINATOR));
    expect(h.response(h.listGroups(), 'ListGroups')).toMatchObject({ errorCode: E.NONE, groups: [] });
    expect(h.c.describeState()).toEqual([]);
    expect(h.c.pendingAppends).toBe(0);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS for a loading partition, serves it once loaded, and others stay NOT_COORDINATOR', () => {
    const h = cluster();
    h.apply(h.c.loadPartition(1));
    expect(h.c.loading).toBe(true);
    expect(codesFor(h, groupIn(1))).toEqual(all(E.COORDINATOR_LOAD_IN_PROGRESS));
    expect(h.response(h.listGroups(), 'ListGroups')!.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    h.apply(h.c.loadPartitionCompleted(1, h.nowMs));
    expect(h.c.ownedPartitions()).toEqual([{ partition: 1, loading: false }]);
    const a = stableSingle(h, groupIn(1));
    expect(a.generation).toBe(1);
    expect(h.response(h.commit(groupIn(1), a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 5 }]), 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    expect(h.fetchOffset(groupIn(1), 't', 0)).toBe(5);
    expect(h.response(h.listGroups(), 'ListGroups')).toMatchObject({ errorCode: E.NONE, groups: [{ groupId: groupIn(1), groupState: 'Stable' }] });
    expect(codesFor(h, groupIn(2))).toEqual(all(E.NOT_COORDINATOR));
  });

  it('unloading drops the groups: parked JoinGroup/SyncGroup get NOT_COORDINATOR, timers stop, and a reload from the log restores them', () => {
    const h = cluster();
    const [g, joining, syncing] = [groupIn(3), groupIn(3, 1), groupIn(3, 2)];
    h.loadPartition(3);
    const a = stableSingle(h, g);
    h.commit(g, a.memberId, a.generation, [{ topic: 't', partition: 0, offset: 7 }]);
    // `joining`: a second member's JoinGroup parks until the first one rejoins.
    h.response(h.join(joining), 'JoinGroup')!;
    const parkedJoin = h.join(joining);
    expect(h.responses.has(parkedJoin)).toBe(false);
    // `syncing`: two members in CompletingRebalance; the follower's SyncGroup parks until the leader's assignment.
    const leader = h.response(h.join(syncing), 'JoinGroup')!;
    const second = h.join(syncing);
    h.join(syncing, { memberId: leader.memberId });
    const follower = h.response(second, 'JoinGroup')!;
    expect(follower.errorCode).toBe(E.NONE);
    const parkedSync = h.sync(syncing, follower.memberId, follower.generationId);
    expect(h.responses.has(parkedSync)).toBe(false);
    expect(h.c.nextTickAtMs()).not.toBeNull();
    h.apply(h.c.unloadPartition(3));
    expect(h.response(parkedJoin, 'JoinGroup')!.errorCode).toBe(E.NOT_COORDINATOR);
    expect(h.response(parkedSync, 'SyncGroup')!.errorCode).toBe(E.NOT_COORDINATOR);
    expect(h.c.describeState()).toEqual([]);
    expect(h.c.nextTickAtMs()).toBe(h.nowMs + DEFAULT_GROUP_COORDINATOR_CONFIG.offsetsRetentionCheckIntervalMs); // no group deadline is left, only the retention check
    expect(h.response(h.heartbeat(g, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.NOT_COORDINATOR);
    h.advance(120_000); // no timer of an unloaded group fires
    h.loadPartition(3, h.logByPartition.get(3));
    expect(h.fetchOffset(g, 't', 0)).toBe(7);
    expect(h.c.describeState().find((v) => v.groupId === g)).toMatchObject({ state: 'Stable', generation: a.generation, members: [{ memberId: a.memberId }] });
    expect(h.response(h.heartbeat(g, a.memberId, a.generation), 'Heartbeat')!.errorCode).toBe(E.NONE);
  });

  it('a commit whose append completes after its partition was unloaded is answered NOT_COORDINATOR, also when reloaded meanwhile', () => {
    const h = cluster();
    const g = groupIn(0);
    h.loadPartition(0);
    h.autoComplete = false;
    const c1 = h.commit(g, '', -1, [{ topic: 't', partition: 0, offset: 1 }]);
    h.apply(h.c.unloadPartition(0));
    const c2before = h.pending.length;
    h.complete(h.pending[0]!, 0); // the write reached the log before leadership moved
    expect(h.response(c1, 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.NOT_COORDINATOR);
    expect(c2before).toBe(1);
    h.loadPartition(0, h.logByPartition.get(0));
    const c2 = h.commit(g, '', -1, [{ topic: 't', partition: 0, offset: 2 }]);
    h.apply(h.c.loadPartition(0)); // leadership moved away and back while the append was in flight
    h.c.load(h.logByPartition.get(0) ?? []);
    h.apply(h.c.loadPartitionCompleted(0, h.nowMs));
    h.complete(h.pending[0]!, 0);
    expect(h.response(c2, 'OffsetCommit')!.topics[0]!.partitions[0]!.errorCode).toBe(E.NOT_COORDINATOR);
    expect(h.fetchOffset(g, 't', 0)).toBe(1); // the reload read the log as it was: the first commit only
  });

  it('load keeps only the records of loading partitions; ListGroups shows the loaded ones while another loads', () => {
    const full = new Harness(CONFIG);
    for (let p = 0; p < PARTITIONS; p++) full.commit(groupIn(p), '', -1, [{ topic: 't', partition: p, offset: 10 + p }]);
    const h = cluster();
    h.apply(h.c.loadPartition(2));
    expect(h.c.load(full.log)).toEqual({ records: PARTITIONS, skipped: PARTITIONS - 1 });
    h.apply(h.c.loadPartitionCompleted(2, h.nowMs));
    expect(h.c.describeState().map((v) => v.groupId)).toEqual([groupIn(2)]);
    expect(h.fetchOffset(groupIn(2), 't', 2)).toBe(12);
    h.apply(h.c.loadPartition(1));
    expect(h.response(h.listGroups(), 'ListGroups')).toMatchObject({ errorCode: E.COORDINATOR_LOAD_IN_PROGRESS, groups: [{ groupId: groupIn(2) }] });
  });

  it('refuses misuse: load with nothing loading, loadCompleted, a partition out of range, loadPartition on a single broker', () => {
    const c = new GroupCoordinator({ config: CONFIG, random: seededRandom(1), ownsAllPartitions: false });
    expect(() => c.load([])).toThrow();
    expect(() => c.loadCompleted(0)).toThrow();
    expect(() => c.loadPartition(PARTITIONS)).toThrow(RangeError);
    expect(() => c.loadPartitionCompleted(0, 0)).toThrow();
    expect(c.unloadPartition(1)).toEqual([]);
    const single = new GroupCoordinator({ config: CONFIG, random: seededRandom(1) });
    expect(() => single.loadPartition(0)).toThrow();
    expect(single.ownsAllPartitions).toBe(true);
  });
});
