import { ApiKey, ErrorCode } from '@samsa/codec/wire';
import { describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { useAdminFixture } from '../../test/support/admin-fixture.ts';
import type { AdminSetup } from '../../test/support/admin-fixture.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { KafkaAbortError, KafkaError } from '../errors.ts';
import { ADMIN_API_VERSIONS } from './admin-api-versions.ts';

const fixture = useAdminFixture();

async function setup(overrides: string[] = []): Promise<AdminSetup> {
  const { tb, admin } = await fixture.start({ overrides });
  return { tb, admin };
}

async function kafkaErrorOf(promise: Promise<unknown>, clock: TestBroker['clock']): Promise<KafkaError> {
  const error = await drive(clock, promise).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KafkaError);
  return error as KafkaError;
}

describe('Admin topics', () => {
  it('creates topics with partitions, replication factor and configs; the broker holds them', async () => {
    const { tb, admin } = await setup();
    const created = await drive(tb.clock, admin.createTopics([
      { name: 'orders', partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
      { name: 'defaults' },
    ]));
    expect(created.map((t) => [t.name, t.partitions, t.replicationFactor])).toEqual([['orders', 3, 1], ['defaults', 1, 1]]);
    expect(created[0]!.topicId).toBe(tb.broker.registry.topic('orders')!.record.topicId);
    expect(tb.broker.registry.topic('orders')!.partitions).toHaveLength(3);
    expect(tb.broker.registry.topic('orders')!.record.configs['cleanup.policy']).toBe('compact');
  });

  it('creates with replica assignments and validates without creating', async () => {
    const { tb, admin } = await setup();
    const nodeId = tb.broker.config.nodeId;
    await drive(tb.clock, admin.createTopics([{ name: 'placed', replicaAssignments: new Map([[0, [nodeId]], [1, [nodeId]]]) }]));
    expect(tb.broker.registry.topic('placed')!.partitions).toHaveLength(2);
    const validated = await drive(tb.clock, admin.createTopics([{ name: 'dry', partitions: 4 }], { validateOnly: true }));
    expect(validated[0]!.name).toBe('dry');
    expect(tb.broker.registry.topic('dry')).toBeUndefined();
  });

  it('TOPIC_ALREADY_EXISTS and INVALID_CONFIG fail with a non-retriable KafkaError naming the topic', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.createTopics([{ name: 'once', partitions: 1 }]));
    const exists = await kafkaErrorOf(admin.createTopics([{ name: 'once', partitions: 1 }]), tb.clock);
    expect(exists.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect(exists.retriable).toBe(false);
    expect(exists.message).toContain('topic once');
    const invalid = await kafkaErrorOf(admin.createTopics([{ name: 'bad', partitions: 1, configs: { 'cleanup.policy': 'sometimes' } }]), tb.clock);
    expect(invalid.errorCode).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('lists topics (internal ones on request) and deletes them', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.createTopics([{ name: 'b', partitions: 1 }, { name: 'a', partitions: 1 }]));
    expect(await drive(tb.clock, admin.listTopics())).toEqual(['a', 'b']);
    await drive(tb.clock, admin.deleteTopics(['a']));
    expect(tb.broker.registry.topic('a')).toBeUndefined();
    expect(await drive(tb.clock, admin.listTopics())).toEqual(['b']);
    const unknown = await kafkaErrorOf(admin.deleteTopics(['nope']), tb.clock);
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await drive(tb.clock, admin.listConsumerGroupOffsets(['g'])); // FindCoordinator creates __consumer_offsets
    expect(await drive(tb.clock, admin.listTopics({ includeInternal: true }))).toEqual(['__consumer_offsets', 'b']);
    expect(await drive(tb.clock, admin.listTopics())).toEqual(['b']);
  });

  it('describes partitions, leaders, replicas, ISR, offline replicas and the topic id', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.createTopics([{ name: 'd', partitions: 2 }]));
    const [d] = await drive(tb.clock, admin.describeTopics(['d']));
    const nodeId = tb.broker.config.nodeId;
    expect(d!.topicId).toBe(tb.broker.registry.topic('d')!.record.topicId);
    expect(d!.isInternal).toBe(false);
    expect(d!.partitions.map((p) => [p.partition, p.leaderId, p.replicaIds, p.isrIds, p.offlineReplicaIds, p.errorCode])).toEqual([
      [0, nodeId, [nodeId], [nodeId], [], ErrorCode.NONE],
      [1, nodeId, [nodeId], [nodeId], [], ErrorCode.NONE],
    ]);
    const unknown = await kafkaErrorOf(admin.describeTopics(['d', 'missing']), tb.clock);
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('follows DescribeTopicPartitions cursors across pages', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.createTopics([{ name: 'p1', partitions: 5 }, { name: 'p2', partitions: 3 }]));
    const [p1, p2] = await drive(tb.clock, admin.describeTopics(['p1', 'p2'], { partitionsPerResponseMax: 2 }));
    expect(p1!.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
    expect(p2!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    await expect(admin.describeTopics(['p1'], { partitionsPerResponseMax: 0 })).rejects.toBeInstanceOf(RangeError);
  });

  it('createPartitions raises the count; lowering it is INVALID_PARTITIONS', async () => {
    const { tb, admin } = await setup();
    await drive(tb.clock, admin.createTopics([{ name: 'grow', partitions: 1 }]));
    await drive(tb.clock, admin.createPartitions([{ topic: 'grow', count: 3 }]));
    expect(tb.broker.registry.topic('grow')!.partitions).toHaveLength(3);
    const [described] = await drive(tb.clock, admin.describeTopics(['grow']));
    expect(described!.partitions).toHaveLength(3);
    const lower = await kafkaErrorOf(admin.createPartitions([{ topic: 'grow', count: 2 }]), tb.clock);
    expect(lower.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('an aborted call rejects with KafkaAbortError and creates nothing', async () => {
    const { tb, admin } = await setup();
    const controller = new AbortController();
    controller.abort();
    await expect(admin.createTopics([{ name: 'never', partitions: 1 }], { signal: controller.signal })).rejects.toBeInstanceOf(KafkaAbortError);
    expect(tb.broker.registry.topic('never')).toBeUndefined();
  });
});

describe('Admin topics without DescribeTopicPartitions', () => {
  it('describes through Metadata when the broker does not advertise it', async () => {
    const versions = new Map(ADMIN_API_VERSIONS);
    versions.delete(ApiKey.DescribeTopicPartitions);
    const { tb, admin } = await fixture.start({ admin: { connection: { clientApiVersions: versions } } });
    await drive(tb.clock, admin.createTopics([{ name: 'm', partitions: 2 }]));
    const [m] = await drive(tb.clock, admin.describeTopics(['m']));
    expect(m!.partitions.map((p) => p.leaderId)).toEqual([tb.broker.config.nodeId, tb.broker.config.nodeId]);
    expect(m!.topicId).toBe(tb.broker.registry.topic('m')!.record.topicId);
    const unknown = await kafkaErrorOf(admin.describeTopics(['missing']), tb.clock);
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
