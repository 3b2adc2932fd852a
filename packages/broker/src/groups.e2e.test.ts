// Consumer groups end to end on the memory runtime: encoded group requests at several
// versions (v0 through the newest) go through a MemoryTransport connection into the
// broker; the coordinator's timers run on the ManualClock; `__consumer_offsets` is a real
// (compacted, internal) topic whose records decode with Kafka's schemas and survive a
// restart.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  DeleteGroupsRequestCodec,
  DeleteGroupsResponseCodec,
  DescribeGroupsRequestCodec,
  DescribeGroupsResponseCodec,
  ErrorCode,
  iterateRecords,
  JoinGroupRequestCodec,
  JoinGroupResponseCodec,
  ListGroupsRequestCodec,
  ListGroupsResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  OffsetDeleteRequestCodec,
  OffsetDeleteResponseCodec,
  OffsetFetchRequestCodec,
  OffsetFetchResponseCodec,
  splitRecordBatches,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
} from '@samsa/codec';
import { consumerOffsetsPartitionFor, decodeConsumerOffsetsRecord, decodeMemberAssignment, encodeMemberAssignment } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { MemoryFileSystem, MemoryTransport, ManualClock } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { CONSUMER_OFFSETS_TOPIC } from './groups/consumer-offsets-log.ts';
import { GroupTestClient, SESSION_TIMEOUT_MS, settle, subscription } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const OVERRIDES = ['offsets.topic.num.partitions=3', 'group.initial.rebalance.delay.ms=0'];
const OLDEST: Versions = { join: 0, sync: 0, heartbeat: 0, leave: 0, commit: 1, fetch: 1 };
const MIDDLE: Versions = { join: 5, sync: 3, heartbeat: 3, leave: 3, commit: 6, fetch: 5 };
const NEWEST: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function setup(overrides: string[] = []): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides: [...OVERRIDES, ...overrides] });
  return { tb, client: await tb.connect('group-test') };
}

async function createTopic(client: KafkaTestClient, name: string, partitions: number): Promise<void> {
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, partitions), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

/** One member: join, sync with a self-assignment of every partition, heartbeat, commit, fetch, leave. */
async function singleMemberCycle(t: TestBroker, client: KafkaTestClient, v: Versions, groupId: string): Promise<void> {
  const m = new GroupTestClient(client, t.clock, groupId, v);
  const join = await m.join(['events']);
  expect(join.errorCode).toBe(ErrorCode.NONE);
  expect(join.leader).toBe(m.memberId);
  expect(join.members.map((x) => x.memberId)).toEqual([m.memberId]);
  expect(join.protocolName).toBe('range');
  const assignment = encodeMemberAssignment({ assignedPartitions: [{ topic: 'events', partitions: [0, 1, 2, 3] }], userData: null });
  const sync = await settle(t.clock, m.syncAsync([{ memberId: m.memberId, assignment }]));
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  expect(decodeMemberAssignment(sync.assignment).assignedPartitions).toEqual([{ topic: 'events', partitions: [0, 1, 2, 3] }]);
  expect((await m.heartbeat()).errorCode).toBe(ErrorCode.NONE);
  const commit = await settle(t.clock, m.commit('events', { 0: 5, 1: 7 }));
  expect(commit.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  expect(await m.fetch('events', [0, 1, 2])).toEqual({ errorCode: ErrorCode.NONE, offsets: { 0: 5, 1: 7, 2: -1 } });
  const leave = await m.leave();
  expect(v.leave >= 3 ? leave.members[0]?.errorCode : leave.errorCode).toBe(ErrorCode.NONE);
  // Gone: a heartbeat from the old member is now refused.
  expect((await m.heartbeat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  // Committed offsets outlive the membership.
  expect((await m.fetch('events', [1])).offsets[1]).toBe(7);
}

describe('consumer groups', () => {
  it('advertises exactly the group API ranges', async () => {
    const { client } = await setup();
    const res = await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
    const ranges = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges.get(8)).toEqual([0, 9]);
    expect(ranges.get(9)).toEqual([0, 9]);
    expect(ranges.get(10)).toEqual([0, 6]);
    expect(ranges.get(11)).toEqual([0, 9]);
    expect(ranges.get(12)).toEqual([0, 4]);
    expect(ranges.get(13)).toEqual([0, 5]);
    expect(ranges.get(14)).toEqual([0, 5]);
    expect(ranges.get(15)).toEqual([0, 5]);
    expect(ranges.get(16)).toEqual([0, 5]);
    expect(ranges.get(42)).toEqual([0, 2]);
    expect(ranges.get(47)).toEqual([0, 0]);
  });

  it('FindCoordinator v0-v4 names this broker and creates the internal, compacted __consumer_offsets', async () => {
    const { tb: t, client } = await setup();
    const m = new GroupTestClient(client, t.clock, 'g-find', NEWEST);
    for (const v of [0, 1, 2, 3]) {
      const res = await m.findCoordinator(v);
      expect(res.errorCode).toBe(ErrorCode.NONE);
      expect(res.nodeId).toBe(t.broker.config.nodeId);
      expect(res.port).toBe(t.port);
    }
    const batched = await client.request(10, 4, (await import('@samsa/codec')).FindCoordinatorRequestCodec, { key: '', keyType: 0, coordinatorKeys: ['a', 'b'] }, (await import('@samsa/codec')).FindCoordinatorResponseCodec);
    expect(batched.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([['a', 0, t.broker.config.nodeId], ['b', 0, t.broker.config.nodeId]]);
    const topic = t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC);
    expect(topic?.partitions.length).toBe(3);
    expect(topic?.record.configs['cleanup.policy']).toBe('compact');
    const md = await client.request(3, 12, MetadataRequestCodec, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
    const internal = md.topics.find((x) => x.name === CONSUMER_OFFSETS_TOPIC);
    expect(internal?.isInternal).toBe(true);
    expect(internal?.partitions.length).toBe(3);
  });

  for (const [name, v] of [['oldest', OLDEST], ['middle', MIDDLE], ['newest', NEWEST]] as const) {
    it(`join/sync/heartbeat/commit/fetch/leave at the ${name} versions`, async () => {
      const { tb: t, client } = await setup();
      await createTopic(client, 'events', 4);
      await singleMemberCycle(t, client, v, `g-${name}`);
    });
  }

  it('OffsetCommit v0 and OffsetFetch v0 work as simple (unmanaged) commits; v8 fetches several groups', async () => {
    const { tb: t, client } = await setup();
    await createTopic(client, 'events', 2);
    const v0 = new GroupTestClient(client, t.clock, 'simple', { ...OLDEST, commit: 0, fetch: 0 });
    const res = await settle(t.clock, v0.commit('events', { 0: 11, 1: 12 }));
    expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    expect(await v0.fetch('events', [0, 1])).toEqual({ errorCode: 0, offsets: { 0: 11, 1: 12 } });
    const other = new GroupTestClient(client, t.clock, 'simple-2', { ...NEWEST, commit: 2 });
    await settle(t.clock, other.commit('events', { 0: 3 }, -1, ''));
    const multi = await client.request(9, 8, OffsetFetchRequestCodec, {
      groupId: '',
      topics: [],
      groups: [
        { groupId: 'simple', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'simple-2', memberId: null, memberEpoch: -1, topics: [{ name: 'events', partitionIndexes: [0, 1] }] },
        { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: [{ name: 'events', partitionIndexes: [0] }] },
      ],
      requireStable: true,
    }, OffsetFetchResponseCodec);
    expect(multi.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((tp) => tp.partitions.map((p) => `${tp.name}-${p.partitionIndex}@${p.committedOffset}`)).sort()])).toEqual([
      ['simple', 0, ['events-0@11', 'events-1@12']],
      ['simple-2', 0, ['events-0@3', 'events-1@-1']],
      ['nobody', 0, ['events-0@-1']],
    ]);
  });

  it('two members share a 4-partition topic through a leader assignment; each partition has one owner', async () => {
    const { tb: t, client } = await setup();
    await createTopic(client, 'events', 4);
    const clientB = await t.connect('member-b');
    const a = new GroupTestClient(client, t.clock, 'pair', NEWEST);
    const b = new GroupTestClient(clientB, t.clock, 'pair', MIDDLE);
    expect((await a.join(['events'])).errorCode).toBe(0);
    const onlyA = encodeMemberAssignment({ assignedPartitions: [{ topic: 'events', partitions: [0, 1, 2, 3] }], userData: null });
    expect((await settle(t.clock, a.syncAsync([{ memberId: a.memberId, assignment: onlyA }]))).errorCode).toBe(0);
    // B joins (MEMBER_ID_REQUIRED first at v5), which starts a rebalance A learns of by heartbeat.
    const first = await settle(t.clock, b.joinAsync(['events']));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    b.memberId = first.memberId;
    const bJoin = b.joinAsync(['events']);
    expect((await settle(t.clock, a.heartbeat())).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aJoin = a.joinAsync(['events']);
    const [ja, jb] = await settle(t.clock, Promise.all([a.completeJoin(aJoin), b.completeJoin(bJoin)]));
    expect([ja.errorCode, jb.errorCode]).toEqual([0, 0]);
    expect(ja.generationId).toBe(jb.generationId);
    expect(ja.generationId).toBeGreaterThan(1);
    const leader = ja.leader === a.memberId ? a : b;
    const leaderJoin = leader === a ? ja : jb;
    expect(leaderJoin.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    const follower = leader === a ? b : a;
    expect((leader === a ? jb : ja).members).toEqual([]);
    // The "leader's assignor": range over the sorted member ids.
    const ids = leaderJoin.members.map((m) => m.memberId).sort();
    const assignments = ids.map((memberId, i) => ({ memberId, assignment: encodeMemberAssignment({ assignedPartitions: [{ topic: 'events', partitions: [2 * i, 2 * i + 1] }], userData: null }) }));
    const followerSync = follower.syncAsync([]);
    const leaderSync = leader.syncAsync(assignments);
    const [fs, ls] = await settle(t.clock, Promise.all([followerSync, leaderSync]));
    expect([fs.errorCode, ls.errorCode]).toEqual([0, 0]);
    const owned = [fs, ls].flatMap((s) => decodeMemberAssignment(s.assignment).assignedPartitions.flatMap((tp) => tp.partitions));
    expect(owned.sort()).toEqual([0, 1, 2, 3]);
    expect(decodeMemberAssignment(fs.assignment).assignedPartitions[0]!.partitions).toHaveLength(2);
    // A stale generation is fenced; the current one is fine.
    expect((await a.heartbeat(ja.generationId - 1)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await b.heartbeat()).errorCode).toBe(0);
    const staleCommit = await a.commit('events', { 0: 1 }, ja.generationId - 1);
    expect(staleCommit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    // DescribeGroups (v0 and v5) and ListGroups (v0 and v4 with a states filter).
    for (const dv of [0, 5]) {
      const d = await client.request(15, dv, DescribeGroupsRequestCodec, { groups: ['pair', 'unknown'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
      expect(d.groups[0]!.groupState).toBe('Stable');
      expect(d.groups[0]!.protocolData).toBe('range');
      expect(d.groups[0]!.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
      expect(d.groups[0]!.members[0]!.clientHost.startsWith('/')).toBe(true);
      expect(d.groups[1]!.groupState).toBe('Dead');
    }
    const l0 = await client.request(16, 0, ListGroupsRequestCodec, { statesFilter: [], typesFilter: [] }, ListGroupsResponseCodec);
    expect(l0.groups.map((g) => [g.groupId, g.protocolType])).toEqual([['pair', 'consumer']]);
    const l4 = await client.request(16, 4, ListGroupsRequestCodec, { statesFilter: ['empty'], typesFilter: [] }, ListGroupsResponseCodec);
    expect(l4.groups).toEqual([]);
    const l4s = await client.request(16, 4, ListGroupsRequestCodec, { statesFilter: ['Stable'], typesFilter: [] }, ListGroupsResponseCodec);
    expect(l4s.groups.map((g) => [g.groupId, g.groupState])).toEqual([['pair', 'Stable']]);
    // v5 (KIP-848) filters by type: every group here is classic.
    const l5 = await client.request(16, 5, ListGroupsRequestCodec, { statesFilter: [], typesFilter: ['Classic'] }, ListGroupsResponseCodec);
    expect(l5.groups.map((g) => [g.groupId, g.groupType])).toEqual([['pair', 'classic']]);
    const l5c = await client.request(16, 5, ListGroupsRequestCodec, { statesFilter: [], typesFilter: ['consumer'] }, ListGroupsResponseCodec);
    expect(l5c.groups).toEqual([]);
    // Batch leave (v3+) by member identity: both at once.
    const leave = await client.request(13, 5, (await import('@samsa/codec')).LeaveGroupRequestCodec, {
      groupId: 'pair',
      memberId: '',
      members: [{ memberId: a.memberId, groupInstanceId: null, reason: 'done' }, { memberId: b.memberId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }],
    }, (await import('@samsa/codec')).LeaveGroupResponseCodec);
    expect(leave.members.map((m) => m.errorCode)).toEqual([0, 0, ErrorCode.UNKNOWN_MEMBER_ID]);
    const after = await client.request(15, 5, DescribeGroupsRequestCodec, { groups: ['pair'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect(after.groups[0]!.groupState).toBe('Empty');
  });

  it('a member whose session times out (ManualClock) is removed; the group goes Empty', async () => {
    const { tb: t, client } = await setup();
    await createTopic(client, 'events', 1);
    const m = new GroupTestClient(client, t.clock, 'expiry', NEWEST);
    expect((await m.join(['events'])).errorCode).toBe(0);
    expect((await settle(t.clock, m.syncAsync([{ memberId: m.memberId, assignment: new Uint8Array(0) }]))).errorCode).toBe(0);
    await t.clock.advanceAsync(SESSION_TIMEOUT_MS / 2);
    expect((await m.heartbeat()).errorCode).toBe(0);
    await t.clock.advanceAsync(SESSION_TIMEOUT_MS / 2 + 1);
    // Still alive: the heartbeat above renewed the session.
    const mid = await client.request(15, 5, DescribeGroupsRequestCodec, { groups: ['expiry'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect(mid.groups[0]!.members).toHaveLength(1);
    await t.clock.advanceAsync(SESSION_TIMEOUT_MS);
    const d = await client.request(15, 5, DescribeGroupsRequestCodec, { groups: ['expiry'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect(d.groups[0]!.groupState).toBe('Empty');
    expect(d.groups[0]!.members).toEqual([]);
    expect((await m.heartbeat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('bad input gets Kafka error codes and leaves the group intact', async () => {
    const { tb: t, client } = await setup();
    await createTopic(client, 'events', 2);
    const bad = new GroupTestClient(client, t.clock, '', NEWEST);
    expect((await settle(t.clock, bad.joinAsync(['events']))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await bad.heartbeat()).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await settle(t.clock, bad.commit('events', { 0: 1 }))).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const m = new GroupTestClient(client, t.clock, 'strict', NEWEST);
    expect((await m.join(['events'])).errorCode).toBe(0);
    expect((await settle(t.clock, m.syncAsync([{ memberId: m.memberId, assignment: new Uint8Array(0) }]))).errorCode).toBe(0);
    // Oversized subscription metadata: refused, the group keeps its member and generation.
    const intruder = new GroupTestClient(await t.connect('intruder'), t.clock, 'strict', NEWEST);
    expect((await settle(t.clock, intruder.joinAsync(['events'], new Uint8Array(300 * 1024)))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // Unknown member / stale generation.
    const ghost = new GroupTestClient(client, t.clock, 'strict', NEWEST);
    ghost.memberId = 'ghost';
    ghost.generationId = m.generationId;
    expect((await ghost.heartbeat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await m.heartbeat(m.generationId + 5)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    // Commits for a missing topic / partition fail per partition; the good one lands.
    const mixed = await settle(t.clock, client.request(8, 8, OffsetCommitRequestCodec, {
      groupId: 'strict', generationIdOrMemberEpoch: m.generationId, memberId: m.memberId, groupInstanceId: null, retentionTimeMs: -1,
      topics: [
        { name: 'events', partitions: [{ partitionIndex: 0, committedOffset: 4, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }, { partitionIndex: 9, committedOffset: 4, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 4, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
      ],
    }, OffsetCommitResponseCodec));
    expect(mixed.topics.map((tp) => tp.partitions.map((p) => p.errorCode))).toEqual([[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect((await m.fetch('events', [0, 1])).offsets).toEqual({ 0: 4, 1: -1 });
    expect((await m.heartbeat()).errorCode).toBe(0);
    const d = await client.request(15, 5, DescribeGroupsRequestCodec, { groups: ['strict'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect([d.groups[0]!.groupState, d.groups[0]!.members.map((x) => x.memberId)]).toEqual(['Stable', [m.memberId]]);
    // DeleteGroups: not while members are in it; OffsetDelete of a subscribed topic is refused.
    const del = await settle(t.clock, client.request(42, 2, DeleteGroupsRequestCodec, { groupsNames: ['strict', 'nope'] }, DeleteGroupsResponseCodec));
    expect(del.results.map((r) => r.errorCode)).toEqual([ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);
    const od = await settle(t.clock, client.request(47, 0, OffsetDeleteRequestCodec, { groupId: 'strict', topics: [{ name: 'events', partitions: [{ partitionIndex: 0 }] }] }, OffsetDeleteResponseCodec));
    expect(od.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    // After leaving: OffsetDelete and DeleteGroups succeed.
    await m.leave();
    const od2 = await settle(t.clock, client.request(47, 0, OffsetDeleteRequestCodec, { groupId: 'strict', topics: [{ name: 'events', partitions: [{ partitionIndex: 0 }] }] }, OffsetDeleteResponseCodec));
    expect([od2.errorCode, od2.topics[0]!.partitions[0]!.errorCode]).toEqual([0, 0]);
    for (const v of [0, 1]) {
      const groupsNames = v === 0 ? ['strict'] : ['strict'];
      const r = await settle(t.clock, client.request(42, v, DeleteGroupsRequestCodec, { groupsNames }, DeleteGroupsResponseCodec));
      expect(r.results[0]!.errorCode).toBe(v === 0 ? 0 : ErrorCode.GROUP_ID_NOT_FOUND);
    }
  });

  it("restart reloads committed offsets and group metadata; records decode with Kafka's schemas", async () => {
    const { tb: t, client } = await setup();
    await createTopic(client, 'events', 4);
    const m = new GroupTestClient(client, t.clock, 'durable', NEWEST);
    expect((await m.join(['events'])).errorCode).toBe(0);
    const assignment = encodeMemberAssignment({ assignedPartitions: [{ topic: 'events', partitions: [0, 1, 2, 3] }], userData: null });
    expect((await settle(t.clock, m.syncAsync([{ memberId: m.memberId, assignment }]))).errorCode).toBe(0);
    await settle(t.clock, m.commit('events', { 0: 10, 3: 30 }));
    await settle(t.clock, m.commit('events', { 0: 15 }));
    // The records in __consumer_offsets, in the group's partition, decode with Kafka's schemas.
    const p = consumerOffsetsPartitionFor('durable', 3);
    const part = t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, p)!;
    const bytes = (await part.log.read(part.log.logStartOffset, 1 << 20)).records;
    const decoded = splitRecordBatches(bytes).batches.flatMap((b) => [...iterateRecords(b, 0)].map((r) => decodeConsumerOffsetsRecord(r.key!, r.value)));
    const offsets = decoded.flatMap((r) => (r.kind === 'offset' && r.value ? [`${r.key.topic}-${r.key.partition}@${r.value.offset}`] : []));
    expect(offsets).toEqual(['events-0@10', 'events-3@30', 'events-0@15']);
    const groupRecord = decoded.find((r) => r.kind === 'group');
    expect(groupRecord?.kind === 'group' && groupRecord.value?.members.map((x) => x.memberId)).toEqual([m.memberId]);
    expect(groupRecord?.kind === 'group' && groupRecord.value?.protocol).toBe('range');

    await t.restart();
    await t.broker.groups.loaded;
    const c2 = await t.connect('after-restart');
    const again = new GroupTestClient(c2, t.clock, 'durable', NEWEST);
    expect(await again.fetch('events', [0, 1, 3])).toEqual({ errorCode: 0, offsets: { 0: 15, 1: -1, 3: 30 } });
    const d = await c2.request(15, 5, DescribeGroupsRequestCodec, { groups: ['durable'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect(d.groups[0]!.groupState).toBe('Stable');
    expect(d.groups[0]!.members.map((x) => x.memberId)).toEqual([m.memberId]);
    expect(decodeMemberAssignment(d.groups[0]!.members[0]!.memberAssignment).assignedPartitions).toEqual([{ topic: 'events', partitions: [0, 1, 2, 3] }]);
    // The restored member's heartbeat with its generation is accepted.
    again.memberId = m.memberId;
    again.generationId = m.generationId;
    expect((await again.heartbeat()).errorCode).toBe(0);
  });

  it('replays a __consumer_offsets partition larger than one replay read (1 MiB)', async () => {
    const { tb: t, client } = await setup(['offsets.topic.num.partitions=1']);
    await createTopic(client, 'events', 2);
    const metadata = 'x'.repeat(4000);
    for (let i = 0; i < 300; i++) {
      const res = await client.request(8, 2, OffsetCommitRequestCodec, {
        groupId: 'big', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
        topics: [{ name: 'events', partitions: [{ partitionIndex: i % 2, committedOffset: i, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: metadata }] }],
      }, OffsetCommitResponseCodec);
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    }
    expect(t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!.log.sizeBytes).toBeGreaterThan(1024 * 1024);
    await t.restart();
    await t.broker.groups.loaded;
    const g = new GroupTestClient(await t.connect(), t.clock, 'big', NEWEST);
    expect(await g.fetch('events', [0, 1])).toEqual({ errorCode: 0, offsets: { 0: 298, 1: 299 } });
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS until the replay of __consumer_offsets is done', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', ...OVERRIDES] });
    const first = await Broker.open({ config, fs, clock, random: createRandom(1) });
    const l1 = await first.listen(transport);
    const c1 = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: l1.port }));
    await createTopic(c1, 'events', 1);
    const simple = new GroupTestClient(c1, clock, 'loading', { ...NEWEST, commit: 2 });
    await settle(clock, simple.commit('events', { 0: 42 }, -1, ''));
    await first.shutdown();

    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const second = await Broker.open({ config, fs, clock, random: createRandom(1), groupLoadGate: gate });
    try {
      const l2 = await second.listen(transport);
      const c2 = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: l2.port }));
      for (const version of [1, 5, 8]) {
        const g = new GroupTestClient(c2, clock, 'loading', { ...NEWEST, fetch: version });
        expect((await g.fetch('events', [0])).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
      const join = await c2.request(11, 9, JoinGroupRequestCodec, { groupId: 'loading', sessionTimeoutMs: SESSION_TIMEOUT_MS, rebalanceTimeoutMs: SESSION_TIMEOUT_MS, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['events']) }], reason: null }, JoinGroupResponseCodec);
      expect(join.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      openGate();
      await second.groups.loaded;
      const g = new GroupTestClient(c2, clock, 'loading', NEWEST);
      expect(await g.fetch('events', [0])).toEqual({ errorCode: 0, offsets: { 0: 42 } });
    } finally {
      openGate();
      await second.shutdown();
    }
  });

  it('acknowledges an OffsetCommit only after its __consumer_offsets append resolved', async () => {
    const gate: { release: (() => void) | null } = { release: null };
    let held = 0;
    // __consumer_offsets appends wait for `release` (a slow flush).
    tb = await startTestBroker({
      overrides: OVERRIDES,
      offsetsAppendHook: async (log, batches) => {
        held++;
        await new Promise<void>((resolve) => (gate.release = resolve));
        return log.append(batches);
      },
    });
    const { clock } = tb;
    try {
      const c = await tb.connect();
      await createTopic(c, 'events', 1);
      const g = new GroupTestClient(c, clock, 'slow', { ...NEWEST, commit: 2 });
      let answered = false;
      const pending = g.commit('events', { 0: 9 }, -1, '').then((r) => {
        answered = true;
        return r;
      });
      for (let i = 0; i < 5000 && held === 0; i++) await new Promise((r) => setTimeout(r, 1));
      expect(held).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      expect(answered).toBe(false);
      gate.release?.();
      expect((await pending).topics[0]!.partitions[0]!.errorCode).toBe(0);
      expect((await g.fetch('events', [0])).offsets[0]).toBe(9);
    } finally {
      gate.release?.();
    }
  });

  it('shutdown ends a JoinGroup that waits for a rebalance and cancels the coordinator timer', async () => {
    const { tb: t, client } = await setup(['group.initial.rebalance.delay.ms=3000']);
    const m = new GroupTestClient(client, t.clock, 'waiting', OLDEST);
    const pending = m.joinAsync(['events']).catch((e: unknown) => e);
    // Polled (real time, bounded) until the join is parked in PreparingRebalance.
    const coordinator = t.broker.groups.coordinator;
    for (let i = 0; i < 5000 && !coordinator.groupCountsByState()['PreparingRebalance']; i++) await new Promise((r) => setTimeout(r, 1));
    const timersBefore = t.clock.pendingTimers();
    await t.broker.shutdown();
    expect(await pending).toBeInstanceOf(Error);
    expect(t.clock.pendingTimers()).toBeLessThan(timersBefore);
  });
});

void OffsetFetchResponseCodec;
