import { ApiKey, ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec, ErrorCode, ProduceRequestCodec, ProduceResponseCodec } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { GroupTestClient, settle } from '../../../broker/src/groups/group-test-client.ts';
import type { Versions } from '../../../broker/src/groups/group-test-client.ts';
import { BASE_TS, batchOf, produceBody } from '../../../broker/src/testing/requests.ts';
import { drive } from '../../test/support/drive.ts';
import { useAdminFixture } from '../../test/support/admin-fixture.ts';
import type { AdminSetup } from '../../test/support/admin-fixture.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { encodeAssignment } from '../assignors/consumer-protocol.ts';
import { KafkaAbortError, KafkaError } from '../errors.ts';
import type { Admin } from './admin.ts';
import { ADMIN_API_VERSIONS } from './admin-api-versions.ts';

const NEWEST: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 9, fetch: 9 };

const fixture = useAdminFixture();

/** Topic `events` (2 partitions), five records stamped BASE_TS+0..4 in partition 0. */
async function setup(apiVersions = ADMIN_API_VERSIONS): Promise<AdminSetup> {
  const { tb, admin } = await fixture.start({ overrides: ['offsets.topic.num.partitions=3', 'group.initial.rebalance.delay.ms=0'], admin: { connection: { clientApiVersions: apiVersions } } });
  await drive(tb.clock, admin.createTopics([{ name: 'events', partitions: 2 }]));
  const raw = await tb.connect();
  const produced = await raw.request(ApiKey.Produce, 9, ProduceRequestCodec, produceBody('events', 0, batchOf(['a', 'b', 'c', 'd', 'e'])), ProduceResponseCodec);
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  await raw.close();
  return { tb, admin };
}

/** A classic member of `groupId` that joined, synced (owning events 0 and 1) and committed 1 / 2. */
async function classicMember(tb: TestBroker, groupId: string): Promise<GroupTestClient> {
  const m = new GroupTestClient(await tb.connect('member-client'), tb.clock, groupId, NEWEST);
  expect((await m.join(['events'])).errorCode).toBe(ErrorCode.NONE);
  const assignment = encodeAssignment(new Map([['events', [0, 1]]]));
  expect((await settle(tb.clock, m.syncAsync([{ memberId: m.memberId, assignment }]))).errorCode).toBe(ErrorCode.NONE);
  const commit = await settle(tb.clock, m.commit('events', { 0: 1, 1: 2 }));
  expect(commit.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  return m;
}

async function errorOf(tb: TestBroker, promise: Promise<unknown>): Promise<KafkaError> {
  const error = await drive(tb.clock, promise).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KafkaError);
  return error as KafkaError;
}

describe('Admin groups', () => {
  it('lists groups with states and types, filters them, and describes a classic group with decoded members', async () => {
    const { tb, admin } = await setup();
    await classicMember(tb, 'live');
    await drive(tb.clock, admin.alterConsumerGroupOffsets('parked', [{ topic: 'events', partition: 0, offset: 3 }]));
    const all = await drive(tb.clock, admin.listGroups());
    const nodeId = tb.broker.config.nodeId;
    expect(all.map((g) => [g.groupId, g.state, g.type, g.coordinatorId])).toEqual([['live', 'Stable', 'classic', nodeId], ['parked', 'Empty', 'classic', nodeId]]);
    expect((await drive(tb.clock, admin.listGroups({ states: ['empty'] }))).map((g) => g.groupId)).toEqual(['parked']);
    expect(await drive(tb.clock, admin.listGroups({ types: ['consumer'] }))).toEqual([]);
    const [live, unknown] = await drive(tb.clock, admin.describeGroups(['live', 'never-seen']));
    expect([live!.state, live!.protocolType, live!.protocol, live!.coordinatorId]).toEqual(['Stable', 'consumer', 'range', nodeId]);
    expect(live!.members).toHaveLength(1);
    expect(live!.members[0]!.clientId).toBe('member-client');
    expect(live!.members[0]!.subscription!.topics).toEqual(['events']);
    expect([...live!.members[0]!.assignment!.partitions]).toEqual([['events', [0, 1]]]);
    expect([unknown!.state, unknown!.members.length]).toEqual(['Dead', 0]);
  });

  it('listGroups refuses a states filter when the broker speaks only ListGroups v3', async () => {
    const versions = new Map(ADMIN_API_VERSIONS);
    versions.set(ApiKey.ListGroups, { minVersion: 0, maxVersion: 3 });
    const { tb, admin } = await setup(versions);
    const error = await drive(tb.clock, admin.listGroups({ states: ['Stable'] })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnsupportedVersionError');
    expect((await drive(tb.clock, admin.listGroups()))).toEqual([]);
  });

  it('reset, delete group and delete offsets refuse a group with members (NON_EMPTY_GROUP / GROUP_SUBSCRIBED_TO_TOPIC)', async () => {
    const { tb, admin } = await setup();
    const member = await classicMember(tb, 'busy');
    const reset = await errorOf(tb, admin.resetConsumerGroupOffsets('busy', { topics: ['events'], to: 'earliest' }));
    expect(reset.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(reset.retriable).toBe(false);
    expect((await errorOf(tb, admin.deleteGroups(['busy']))).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect((await errorOf(tb, admin.deleteConsumerGroupOffsets('busy', [{ topic: 'events', partition: 0 }]))).errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    const [offsets] = await drive(tb.clock, admin.listConsumerGroupOffsets(['busy']));
    expect(offsets!.offsets.map((o) => [o.partition, o.offset])).toEqual([[0, 1], [1, 2]]);
    await member.leave();
  });

  it('resets an inactive group to earliest / latest / timestamp / offset (clamped); dryRun commits nothing', async () => {
    const { tb, admin } = await setup();
    const member = await classicMember(tb, 'g');
    expect((await member.leave()).errorCode).toBe(ErrorCode.NONE);
    const offsetsOf = async (): Promise<number[][]> => (await drive(tb.clock, admin.listConsumerGroupOffsets(['g'])))[0]!.offsets.map((o) => [o.partition, o.offset]);
    const reset = (to: Parameters<Admin['resetConsumerGroupOffsets']>[1]['to'], dryRun = false) => drive(tb.clock, admin.resetConsumerGroupOffsets('g', { topics: ['events'], to, dryRun }));
    expect((await reset('latest')).map((o) => o.offset)).toEqual([5, 0]);
    expect(await offsetsOf()).toEqual([[0, 5], [1, 0]]);
    await reset('earliest');
    expect(await offsetsOf()).toEqual([[0, 0], [1, 0]]);
    await reset({ timestampMs: BASE_TS + 2 });
    expect(await offsetsOf()).toEqual([[0, 2], [1, 0]]);
    expect((await reset({ offset: 99 }, true)).map((o) => o.offset)).toEqual([5, 0]);
    expect(await offsetsOf()).toEqual([[0, 2], [1, 0]]);
    await drive(tb.clock, admin.resetConsumerGroupOffsets('g', { partitions: [{ topic: 'events', partition: 0 }], to: { offset: 4 } }));
    expect(await offsetsOf()).toEqual([[0, 4], [1, 0]]);
  });

  it('lists offsets of several groups (OffsetFetch v8+ in one request, or one per group before), chosen partitions reported -1 when uncommitted', async () => {
    for (const fetchMax of [9, 7]) {
      const versions = new Map(ADMIN_API_VERSIONS);
      versions.set(ApiKey.OffsetFetch, { minVersion: 2, maxVersion: fetchMax });
      const { tb: t, admin: ad } = await setup(versions);
      await drive(t.clock, ad.alterConsumerGroupOffsets('a', [{ topic: 'events', partition: 0, offset: 1, metadata: 'm' }]));
      await drive(t.clock, ad.alterConsumerGroupOffsets('b', [{ topic: 'events', partition: 1, offset: 2 }]));
      const [a, b] = await drive(t.clock, ad.listConsumerGroupOffsets(['a', 'b']));
      expect(a!.offsets).toEqual([{ topic: 'events', partition: 0, offset: 1, leaderEpoch: -1, metadata: 'm' }]);
      expect(b!.offsets.map((o) => [o.partition, o.offset])).toEqual([[1, 2]]);
      const [chosen] = await drive(t.clock, ad.listConsumerGroupOffsets(['b'], { partitions: [{ topic: 'events', partition: 0 }, { topic: 'events', partition: 1 }] }));
      expect(chosen!.offsets.map((o) => [o.partition, o.offset])).toEqual([[0, -1], [1, 2]]);
    }
  });

  it('deletes offsets and groups; unknown groups answer GROUP_ID_NOT_FOUND', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.alterConsumerGroupOffsets('d', [{ topic: 'events', partition: 0, offset: 1 }, { topic: 'events', partition: 1, offset: 1 }]));
    await drive(tb.clock, admin.deleteConsumerGroupOffsets('d', [{ topic: 'events', partition: 0 }]));
    expect((await drive(tb.clock, admin.listConsumerGroupOffsets(['d'])))[0]!.offsets.map((o) => o.partition)).toEqual([1]);
    await drive(tb.clock, admin.deleteGroups(['d']));
    expect(await drive(tb.clock, admin.listGroups())).toEqual([]);
    expect((await errorOf(tb, admin.deleteGroups(['d']))).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await errorOf(tb, admin.deleteConsumerGroupOffsets('nobody', [{ topic: 'events', partition: 0 }]))).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('describes a KIP-848 consumer group and refuses to reset it while it has members', async () => {
    const { tb, admin } = await setup();
    const raw = await tb.connect('kip848-client');
    const joined = await settle(tb.clock, raw.request(ApiKey.ConsumerGroupHeartbeat, 1, ConsumerGroupHeartbeatRequestCodec, {
      groupId: 'modern', memberId: 'm-1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 60_000,
      subscribedTopicNames: ['events'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
    }, ConsumerGroupHeartbeatResponseCodec));
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const [modern] = await drive(tb.clock, admin.describeConsumerGroups(['modern']));
    expect(modern!.members.map((m) => [m.memberId, m.clientId, m.subscribedTopicNames])).toEqual([['m-1', 'kip848-client', ['events']]]);
    expect(modern!.members[0]!.targetAssignment.map((a) => [a.topic, a.partitions])).toEqual([['events', [0, 1]]]);
    expect(modern!.groupEpoch).toBeGreaterThan(0);
    const listed = await drive(tb.clock, admin.listGroups({ types: ['consumer'] }));
    expect(listed.map((g) => [g.groupId, g.type])).toEqual([['modern', 'consumer']]);
    const reset = await errorOf(tb, admin.resetConsumerGroupOffsets('modern', { topics: ['events'], to: 'latest' }));
    expect(reset.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await drive(tb.clock, admin.alterConsumerGroupOffsets('classic-only', [{ topic: 'events', partition: 0, offset: 1 }]));
    expect((await errorOf(tb, admin.describeConsumerGroups(['classic-only']))).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await raw.close();
  });

  it('without ConsumerGroupDescribe: describeConsumerGroups is UnsupportedVersionError, reset checks classic members only', async () => {
    const versions = new Map(ADMIN_API_VERSIONS);
    versions.delete(ApiKey.ConsumerGroupDescribe);
    const { tb, admin } = await setup(versions);
    const error = await drive(tb.clock, admin.describeConsumerGroups(['any'])).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnsupportedVersionError');
    const reset = await drive(tb.clock, admin.resetConsumerGroupOffsets('fresh', { partitions: [{ topic: 'events', partition: 0 }], to: 'latest' }));
    expect(reset.map((o) => o.offset)).toEqual([5]);
  });

  it('an aborted group call rejects with KafkaAbortError', async () => {
    const { tb, admin } = await setup();
    const controller = new AbortController();
    const call = admin.listConsumerGroupOffsets(['x'], { signal: controller.signal });
    controller.abort();
    await expect(drive(tb.clock, call)).rejects.toBeInstanceOf(KafkaAbortError);
  });
});
