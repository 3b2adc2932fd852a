// The admin path end to end with the real @samsa/coordinator Controller on the simulated
// metadata store: two in-process brokers (memory transport), broker 2 runs the controller,
// a client talks to broker 1 only, so every request is forwarded. Each broker's view is
// `viewFromImage` of the controller's image, republished after every watch batch (what the
// membership's watch does). Checked: Kafka requests map onto the controller's requests
// (defaults, counts, replication factor, assignments, configs in both AlterConfigs forms)
// and its replies and error names map back; ControlledShutdown waits for the leaderships;
// the cluster-wide default broker configs (resource "") land in their own key and every
// broker describes them as DYNAMIC_DEFAULT_BROKER_CONFIG, below its own overrides; and
// (issue 14) AlterPartition, ElectLeaders and the partition reassignment APIs travel the
// same path with their per-partition errors.
import {
  AlterPartitionReassignmentsRequestCodec,
  AlterPartitionReassignmentsResponseCodec,
  AlterPartitionRequestCodec,
  AlterPartitionResponseCodec,
  ElectLeadersRequestCodec,
  ElectLeadersResponseCodec,
  ListPartitionReassignmentsRequestCodec,
  ListPartitionReassignmentsResponseCodec,
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  ApiKey,
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  DescribeConfigsRequestCodec,
  DescribeConfigsResponseCodec,
  ErrorCode,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import { ClusterKeys, Controller, encodeBrokerRegistration, SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeControllerLink, FakeViewSource, startLinkedBroker, type LinkedBroker } from '../testing/fake-controller-link.ts';
import { KafkaTestClient } from '../testing/kafka-test-client.ts';
import { viewFromImage } from './cluster-view.ts';

const CLUSTER_ID = 'it';

/** Polls `cond` on real time (the watch pump and the transport run on macrotasks), at most 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`until: ${what} did not happen within 5 s`);
}

interface Setup {
  readonly transport: MemoryTransport;
  readonly clock: ManualClock;
  readonly source: FakeViewSource;
  readonly controller: Controller;
  readonly link1: FakeControllerLink;
  readonly link2: FakeControllerLink;
  readonly b1: LinkedBroker;
  readonly b2: LinkedBroker;
  readonly stopPump: AbortController;
  readonly pump: Promise<void>;
  readonly client: KafkaTestClient;
}

let s: Setup | null = null;

afterEach(async () => {
  if (!s) return;
  const t = s;
  s = null;
  await t.client.close();
  t.link1.controller.close();
  t.link2.controller.close();
  t.clock.advance(10 * 60_000);
  await Promise.all([t.b1.stop(), t.b2.stop()]);
  t.stopPump.abort();
  await t.pump;
});

async function start(): Promise<Setup> {
  const transport = new MemoryTransport();
  const clock = new ManualClock();
  const store = new SimulatedMetadataStore({ clock, random: createRandom(11) });
  const keys = new ClusterKeys(CLUSTER_ID);
  const source = new FakeViewSource(CLUSTER_ID);
  const controller = new Controller({ store, keys, brokerId: 2, clock, random: createRandom(12), retryBackoffMs: 0 });
  const refusing = {
    createTopic: () => Promise.reject(new Error('broker 1 is not the controller')),
    createPartitions: () => Promise.reject(new Error('broker 1 is not the controller')),
    deleteTopic: () => Promise.reject(new Error('broker 1 is not the controller')),
    alterConfigs: () => Promise.reject(new Error('broker 1 is not the controller')),
    controlledShutdown: () => Promise.reject(new Error('broker 1 is not the controller')),
    alterPartition: () => Promise.reject(new Error('broker 1 is not the controller')),
    electLeaders: () => Promise.reject(new Error('broker 1 is not the controller')),
    reassignPartitions: () => Promise.reject(new Error('broker 1 is not the controller')),
    listReassignments: () => Promise.reject(new Error('broker 1 is not the controller')),
  };
  const common = { source, transport, clock, requestTimeoutMs: 30_000 };
  const link1 = new FakeControllerLink({ nodeId: 1, isController: false, localController: refusing, ...common });
  const link2 = new FakeControllerLink({ nodeId: 2, isController: true, localController: controller, ...common });
  const b1 = await startLinkedBroker({ nodeId: 1, link: link1, transport, clock });
  const b2 = await startLinkedBroker({ nodeId: 2, link: link2, transport, clock });
  const leases = new Map<number, string>();
  for (const [id, port] of [[1, b1.port], [2, b2.port]] as const) {
    const lease = await store.grantLease(60_000);
    leases.set(id, lease.id);
    await store.put(keys.broker(id), encodeBrokerRegistration({ brokerId: id, host: '127.0.0.1', port, rack: null, incarnation: `i${id}` }), { lease: lease.id });
  }
  await controller.refresh();
  expect(await controller.campaign(leases.get(2)!)).toBe(true);
  const publish = (): void => void source.publish(() => viewFromImage(controller.state.image, CLUSTER_ID));
  const revision = await controller.refresh();
  publish();
  const stopPump = new AbortController();
  const pump = (async () => {
    try {
      for await (const batch of store.watch(keys.root, revision + 1, stopPump.signal)) {
        await controller.applyBatch(batch);
        publish();
      }
    } catch (error) {
      if (!stopPump.signal.aborted) throw error;
    }
  })();
  const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: b1.port }));
  return { transport, clock, source, controller, link1, link2, b1, b2, stopPump, pump, client };
}

describe('admin requests forwarded to the real controller', () => {
  it('create, grow, configure and delete a topic through broker 1', async () => {
    s = await start();
    const { client, source } = s;
    expect(source.view().controllerId).toBe(2);
    expect([...source.view().brokers.keys()]).toEqual([1, 2]);

    const created = await client.request(ApiKey.CreateTopics, 7, CreateTopicsRequestCodec, {
      topics: [
        { name: 'orders', numPartitions: 4, replicationFactor: 2, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
        { name: 'wide', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
        { name: 'placed', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [1, 2] }, { partitionIndex: 0, brokerIds: [2, 1] }], configs: [] },
        { name: 'ghost', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [9] }], configs: [] },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    }, CreateTopicsResponseCodec);
    const orders = source.view().topics.get('orders')!;
    expect(created.topics[0]).toMatchObject({ name: 'orders', errorCode: ErrorCode.NONE, topicId: orders.topicId, numPartitions: 4, replicationFactor: 2 });
    expect(created.topics[0]!.configs!.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact' });
    expect(orders.partitions.map((p) => [...p.replicas].sort())).toEqual([[1, 2], [1, 2], [1, 2], [1, 2]]);
    expect(created.topics[1]).toMatchObject({ name: 'wide', errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, topicId: ZERO_UUID });
    expect(created.topics[2]).toMatchObject({ name: 'placed', errorCode: ErrorCode.NONE, numPartitions: 2, replicationFactor: 2 });
    expect(source.view().topics.get('placed')!.partitions.map((p) => p.replicas)).toEqual([[2, 1], [1, 2]]);
    expect(created.topics[3]).toMatchObject({ name: 'ghost', errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });
    expect(source.view().topics.has('wide') || source.view().topics.has('ghost')).toBe(false);

    const grown = await client.request(ApiKey.CreatePartitions, 3, CreatePartitionsRequestCodec, { topics: [{ name: 'orders', count: 6, assignments: null }], timeoutMs: 30_000, validateOnly: false }, CreatePartitionsResponseCodec);
    expect(grown.results[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(source.view().topics.get('orders')!.partitions).toHaveLength(6);

    const inc = await client.request(ApiKey.IncrementalAlterConfigs, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '60000' }, { name: 'cleanup.policy', configOperation: 1, value: null }] }],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(inc.responses[0]).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(source.view().topicConfigs.get('orders')).toEqual({ 'retention.ms': '60000' });
    const replaced = await client.request(ApiKey.AlterConfigs, 2, AlterConfigsRequestCodec, {
      resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.retention.ms', value: '120000' }] }, { resourceType: 4, resourceName: '7', configs: [] }],
      validateOnly: false,
    }, AlterConfigsResponseCodec);
    expect(replaced.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_REQUEST]);
    expect(source.view().brokerConfigs.get(1)).toEqual({ 'log.retention.ms': '120000' });

    const deleted = await client.request(ApiKey.DeleteTopics, 6, DeleteTopicsRequestCodec, { topics: [{ name: 'orders', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 30_000 }, DeleteTopicsResponseCodec);
    expect(deleted.responses[0]).toMatchObject({ name: 'orders', topicId: orders.topicId, errorCode: ErrorCode.NONE });
    expect(source.view().topics.has('orders')).toBe(false);
  });

  it('cluster-wide default broker configs: set through broker 1, stored under their key, described by broker 2', async () => {
    s = await start();
    const { client, source } = s;
    const replaced = await client.request(ApiKey.AlterConfigs, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: '60000' }] }], validateOnly: false }, AlterConfigsResponseCodec);
    expect(replaced.responses[0]).toMatchObject({ resourceName: '', errorCode: ErrorCode.NONE });
    const inc = await client.request(ApiKey.IncrementalAlterConfigs, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [
        { resourceType: 4, resourceName: '', configs: [{ name: 'message.max.bytes', configOperation: 0, value: '4000' }] },
        { resourceType: 4, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '120000' }] },
      ],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(inc.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(source.view().brokerDefaultConfigs).toEqual({ 'log.retention.ms': '60000', 'message.max.bytes': '4000' });
    expect(source.view().brokerConfigs.get(1)).toEqual({ 'log.retention.ms': '120000' });
    // The controller's image holds them under their own key (the view is built from it).
    expect(s.controller.state.image.brokerDefaultConfig?.record.configs).toEqual({ 'log.retention.ms': '60000', 'message.max.bytes': '4000' });
    expect(s.controller.state.image.brokerConfigs.get(1)?.record.configs).toEqual({ 'log.retention.ms': '120000' });

    const describe = async (c: KafkaTestClient, name: string) => {
      const res = await c.request(ApiKey.DescribeConfigs, 4, DescribeConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: name, configurationKeys: ['log.retention.ms', 'message.max.bytes'] }], includeSynonyms: true, includeDocumentation: false }, DescribeConfigsResponseCodec);
      return res.results[0]!.configs.map((c) => [c.name, c.value, c.configSource, c.synonyms.map((x) => x.source)]);
    };
    const atBroker2 = new KafkaTestClient(await s.transport.connect({ host: '127.0.0.1', port: s.b2.port }));
    try {
      expect(await describe(atBroker2, '2')).toEqual([
        ['log.retention.ms', '60000', 3, [3, 5]],
        ['message.max.bytes', '4000', 3, [3, 5]],
      ]);
      expect(await describe(atBroker2, '')).toEqual([
        ['log.retention.ms', '60000', 3, [3, 5]],
        ['message.max.bytes', '4000', 3, [3, 5]],
      ]);
    } finally {
      await atBroker2.close();
    }
    expect(await describe(client, '1')).toEqual([
      ['log.retention.ms', '120000', 2, [2, 3, 5]],
      ['message.max.bytes', '4000', 3, [3, 5]],
    ]);
  });

  it('a forwarded controlled shutdown answers once the broker leads nothing', async () => {
    s = await start();
    const created = await s.link1.controller.createTopic({ name: 'solo', assignment: [[1, 2], [1, 2]] });
    expect(created.ok).toBe(true);
    await until(() => s!.source.view().topics.has('solo'), 'the topic in the view');
    expect(s.source.view().topics.get('solo')!.partitions.map((p) => p.leader)).toEqual([1, 1]);
    expect(await s.link1.controller.controlledShutdown(1)).toEqual({ ok: true });
    await until(() => s!.source.view().topics.get('solo')!.partitions.every((p) => p.leader !== 1), 'leaderships moved in the view');
    expect(s.source.view().topics.get('solo')!.partitions.map((p) => p.leader)).toEqual([2, 2]);
  });

  it('forwards AlterPartition, ElectLeaders and partition reassignments, with their per-partition errors', async () => {
    s = await start();
    const { client, source } = s;
    expect((await s.link1.controller.createTopic({ name: 'r', assignment: [[1, 2], [2, 1]] })).ok).toBe(true);
    await until(() => source.view().topics.has('r'), 'the topic in the view');
    const topicId = source.view().topics.get('r')!.topicId;
    const propose = (version: number, partitionEpoch: number, newIsr: number[], brokerEpoch = -1) =>
      client.request(ApiKey.AlterPartition, version, AlterPartitionRequestCodec, {
        brokerId: 2,
        brokerEpoch: -1,
        topics: [{ topicName: version < 2 ? 'r' : '', topicId: version < 2 ? ZERO_UUID : topicId, partitions: [{ partitionIndex: 1, leaderEpoch: 0, newIsr: version < 3 ? newIsr : [], newIsrWithEpochs: version < 3 ? [] : newIsr.map((brokerId) => ({ brokerId, brokerEpoch })), leaderRecoveryState: 0, partitionEpoch }] }],
      }, AlterPartitionResponseCodec);
    // The leader of r-1 (broker 2) shrinks its ISR to itself: accepted at partition epoch 1.
    expect((await propose(2, 0, [2])).topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 0, isr: [2], partitionEpoch: 1 });
    await until(() => source.view().topics.get('r')!.partitions[1]!.partitionEpoch === 1, 'the ISR change in the view');
    expect((await propose(3, 0, [2, 1])).topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.INVALID_UPDATE_VERSION });
    // v3 carries broker epochs (KIP-903), forwarded as v3: an epoch no registration has → INELIGIBLE_REPLICA.
    expect((await propose(3, 1, [2, 1], 999_999)).topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.INELIGIBLE_REPLICA });
    expect((await propose(0, 1, [2, 1])).topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, isr: [2, 1], partitionEpoch: 2 });
    await until(() => source.view().topics.get('r')!.partitions[1]!.partitionEpoch === 2, 'the ISR change in the view');

    // r-1's replicas reordered: broker 1 becomes the preferred leader (no data moves).
    const reassigned = await client.request(ApiKey.AlterPartitionReassignments, 0, AlterPartitionReassignmentsRequestCodec, {
      timeoutMs: 30_000,
      topics: [{ name: 'r', partitions: [{ partitionIndex: 1, replicas: [1, 2] }, { partitionIndex: 0, replicas: [1, 7] }, { partitionIndex: 5, replicas: null }] }],
    }, AlterPartitionReassignmentsResponseCodec);
    expect(reassigned.errorCode).toBe(ErrorCode.NONE);
    expect(reassigned.responses[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([[1, ErrorCode.NONE], [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(source.view().topics.get('r')!.partitions[1]!.replicas).toEqual([1, 2]);
    const listed = await client.request(ApiKey.ListPartitionReassignments, 0, ListPartitionReassignmentsRequestCodec, { timeoutMs: 30_000, topics: null }, ListPartitionReassignmentsResponseCodec);
    expect(listed).toMatchObject({ errorCode: ErrorCode.NONE, topics: [] });

    const elected = await client.request(ApiKey.ElectLeaders, 2, ElectLeadersRequestCodec, {
      electionType: 0,
      topicPartitions: [{ topic: 'r', partitions: [1, 0] }, { topic: 'nope', partitions: [0] }],
      timeoutMs: 30_000,
    }, ElectLeadersResponseCodec);
    expect(elected.errorCode).toBe(ErrorCode.NONE);
    expect(elected.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])])).toEqual([
      ['r', [[1, ErrorCode.NONE], [0, ErrorCode.ELECTION_NOT_NEEDED]]],
      ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);
    // Answered once broker 1's view shows the preferred leader.
    expect(source.view().topics.get('r')!.partitions[1]).toMatchObject({ leader: 1, leaderEpoch: 1 });
    const unclean = await client.request(ApiKey.ElectLeaders, 1, ElectLeadersRequestCodec, { electionType: 1, topicPartitions: [{ topic: 'r', partitions: [0] }], timeoutMs: 30_000 }, ElectLeadersResponseCodec);
    expect(unclean.replicaElectionResults[0]!.partitionResult[0]).toMatchObject({ partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED });
  });
});
