// Cluster mode end to end on the memory runtime: a broker opened with a FakeClusterLink
// (views and lease set by hand, controller calls recorded) answers from the cluster view
// and leads only what the view gives it. Node 1 is this broker; node 2 exists only in the
// view. Checked:
//   - Produce / Fetch / ListOffsets / DeleteRecords on a partition led elsewhere →
//     NOT_LEADER_OR_FOLLOWER (Fetch v12 with the view's leader), on one the view lacks →
//     UNKNOWN_TOPIC_OR_PARTITION, on this node's → served; leader epochs checked;
//   - Metadata / DescribeCluster list every broker, the controller and each leader;
//   - a view moving leadership changes the answers and emits LeadershipChange events;
//   - a view deleting (or recreating) the topic removes the local logs;
//   - an invalid lease → NOT_LEADER_OR_FOLLOWER everywhere, leaders become followers;
//   - topic configs from the view (max.message.bytes) apply, also when a view changes them;
//   - Metadata auto-creation calls the controller client; the registry's own mutations refuse.
import {
  DeleteRecordsRequestCodec,
  DeleteRecordsResponseCodec,
  DescribeClusterRequestCodec,
  DescribeClusterResponseCodec,
  DescribeConfigsRequestCodec,
  DescribeConfigsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  ListOffsetsRequestCodec,
  ListOffsetsResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import type { FetchResponse, ListOffsetsResponse, MetadataResponse, ProduceResponse } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import type { LeadershipChange } from './cluster/leadership-events.ts';
import { parseServerConfig } from './config/server-config.ts';
import { buildClusterView, FakeClusterLink, FAKE_CLUSTER_ID } from './testing/fake-cluster-link.ts';
import type { ClusterViewSpec, TopicSpec } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';

const ME = 1;
const OTHER = 2;
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const NEW_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAg';
const BROKERS = [{ nodeId: ME, port: 9091 }, { nodeId: OTHER, port: 9092, rack: 'r2' }];

/**
 * Node 1 leads p0 (epoch 3), node 2 leads p1 (epoch 5); both hold both replicas. Each ISR
 * is its leader alone (no follower fetches here), so a leader's high watermark follows its
 * log end, as replication sets it for a lone in-sync replica.
 */
function topicSpec(p0Leader = ME, p1Leader = OTHER, epochs: [number, number] = [3, 5], topicId = TOPIC_ID): TopicSpec {
  return {
    name: 't',
    topicId,
    partitions: [
      { leader: p0Leader, leaderEpoch: epochs[0], replicas: [ME, OTHER], isr: [p0Leader] },
      { leader: p1Leader, leaderEpoch: epochs[1], replicas: [OTHER, ME], isr: [p1Leader] },
    ],
  };
}

function view(spec: Partial<ClusterViewSpec> & { revision: number }) {
  return buildClusterView({ controllerId: OTHER, brokers: BROKERS, topics: [topicSpec()], ...spec });
}

interface Setup {
  broker: Broker;
  link: FakeClusterLink;
  fs: MemoryFileSystem;
  client: KafkaTestClient;
  events: LeadershipChange[];
  /** Another connection, with its own client id. */
  connect(clientId: string): Promise<KafkaTestClient>;
}

let open: Broker | null = null;
afterEach(async () => {
  await open?.shutdown();
  open = null;
});

async function setup(first = view({ revision: 1 }), overrides: string[] = []): Promise<Setup> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
  const transport = new MemoryTransport();
  const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`, ...overrides] });
  const link = new FakeClusterLink(ME, first);
  const broker = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: link });
  open = broker;
  const events: LeadershipChange[] = [];
  broker.registry.leadership.subscribe((e) => events.push(e));
  await broker.settled();
  const listener = await broker.listen(transport);
  const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
  return { broker, link, fs, client, events, connect: async (clientId) => new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }), clientId) };
}

async function publish(s: Setup, next: ReturnType<typeof view>): Promise<void> {
  s.link.publish(next);
  await s.broker.settled();
}

function produce(client: KafkaTestClient, partition: number, values = ['a']): Promise<ProduceResponse> {
  return client.request(0, 9, ProduceRequestCodec, produceBody('t', partition, batchOf(values)), ProduceResponseCodec);
}

function produceCode(r: ProduceResponse): number | undefined {
  return r.responses[0]?.partitionResponses[0]?.errorCode;
}

function fetchV12(client: KafkaTestClient, partition: number, currentLeaderEpoch = -1): Promise<FetchResponse> {
  const body = fetchBody('t', partition, 0);
  body.topics[0]!.partitions[0]!.currentLeaderEpoch = currentLeaderEpoch;
  return client.request(1, 12, FetchRequestCodec, body, FetchResponseCodec);
}

function listOffsets(client: KafkaTestClient, partition: number, currentLeaderEpoch = -1): Promise<ListOffsetsResponse> {
  return client.request(2, 7, ListOffsetsRequestCodec, { replicaId: -1, isolationLevel: 0, timeoutMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: partition, currentLeaderEpoch, timestamp: -1, maxNumOffsets: 1 }] }] }, ListOffsetsResponseCodec);
}

function metadata(client: KafkaTestClient, topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
  return client.request(3, 12, MetadataRequestCodec, { topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })), allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
}

async function dirsOf(fs: MemoryFileSystem, topic: string): Promise<string[]> {
  return (await fs.readDir('/data')).filter((n) => n.startsWith(`${topic}-`) && /^[^.]+-\d+$/.test(n)).sort();
}

describe('cluster mode: a broker that leads some partitions', () => {
  it('opens the replicas the view gives it and leads only p0', async () => {
    const s = await setup();
    expect(s.broker.registry.partition('t', 0)?.isLeader).toBe(true);
    expect(s.broker.registry.partition('t', 0)?.leaderEpoch).toBe(3);
    expect(s.broker.registry.partition('t', 1)?.isLeader).toBe(false);
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0', 't-1']);
  });

  it('produce to p1 (led by node 2) → NOT_LEADER_OR_FOLLOWER; to p0 → appended; to p9 → UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const s = await setup();
    expect(produceCode(await produce(s.client, 1))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const ok = await produce(s.client, 0, ['x', 'y']);
    expect(produceCode(ok)).toBe(ErrorCode.NONE);
    expect(ok.responses[0]?.partitionResponses[0]?.baseOffset).toBe(0);
    expect(produceCode(await produce(s.client, 9))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const other = await s.client.request(0, 9, ProduceRequestCodec, produceBody('nope', 0, batchOf(['a'])), ProduceResponseCodec);
    expect(produceCode(other)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('fetch, list offsets and delete records follow leadership; fetch v12 names the leader; epochs are checked', async () => {
    const s = await setup();
    await produce(s.client, 0, ['x', 'y']);
    const led = await fetchV12(s.client, 0);
    expect(led.responses[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NONE);
    expect(valuesOf(led.responses[0]!.partitions[0]!.records).map((r) => r.value)).toEqual(['x', 'y']);
    const notLed = await fetchV12(s.client, 1);
    expect(notLed.responses[0]?.partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: OTHER, leaderEpoch: 5 } });
    expect((await fetchV12(s.client, 0, 2)).responses[0]?.partitions[0]?.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await fetchV12(s.client, 0, 4)).responses[0]?.partitions[0]?.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await fetchV12(s.client, 0, 3)).responses[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NONE);

    const latest = await listOffsets(s.client, 0);
    expect(latest.topics[0]?.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, offset: 2, leaderEpoch: 3 });
    expect((await listOffsets(s.client, 1)).topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await listOffsets(s.client, 0, 2)).topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await listOffsets(s.client, 0, 9)).topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);

    const del = (partition: number) => s.client.request(21, 2, DeleteRecordsRequestCodec, { topics: [{ name: 't', partitions: [{ partitionIndex: partition, offset: 1 }] }], timeoutMs: 1000 }, DeleteRecordsResponseCodec);
    expect((await del(1)).topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await del(0)).topics[0]?.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 1 });
  });

  it('Metadata and DescribeCluster list both brokers, the controller and each partition leader from the view', async () => {
    const s = await setup(view({ revision: 1, topics: [{ name: 't', topicId: TOPIC_ID, partitions: [topicSpec().partitions[0]!, { leader: -1, leaderEpoch: 6, replicas: [OTHER, 3], isr: [] }] }] }));
    const md = await metadata(s.client, null);
    expect(md.clusterId).toBe(FAKE_CLUSTER_ID);
    expect(md.controllerId).toBe(OTHER);
    expect(md.brokers).toEqual([
      { nodeId: ME, host: '127.0.0.1', port: 9091, rack: null },
      { nodeId: OTHER, host: '127.0.0.1', port: 9092, rack: 'r2' },
    ]);
    expect(md.topics.map((t) => t.name)).toEqual(['t']);
    expect(md.topics[0]?.topicId).toBe(TOPIC_ID);
    expect(md.topics[0]?.partitions).toEqual([
      { errorCode: ErrorCode.NONE, partitionIndex: 0, leaderId: ME, leaderEpoch: 3, replicaNodes: [ME, OTHER], isrNodes: [ME], offlineReplicas: [] },
      { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: 1, leaderId: -1, leaderEpoch: 6, replicaNodes: [OTHER, 3], isrNodes: [], offlineReplicas: [3] },
    ]);
    const dc = await s.client.request(60, 1, DescribeClusterRequestCodec, { includeClusterAuthorizedOperations: false, endpointType: 1 }, DescribeClusterResponseCodec);
    expect(dc.controllerId).toBe(OTHER);
    expect(dc.clusterId).toBe(FAKE_CLUSTER_ID);
    expect(dc.brokers.map((b) => [b.brokerId, b.port, b.rack])).toEqual([
      [ME, 9091, null],
      [OTHER, 9092, 'r2'],
    ]);
  });

  it('a view moving leadership changes the answers and emits become-leader / become-follower events', async () => {
    // Opened before any view was read (revision 0): no replica yet, no event.
    const s = await setup(view({ revision: 0, topics: [] }));
    expect(s.events).toEqual([]);
    expect(s.broker.registry.topic('t')).toBeUndefined();
    await publish(s, view({ revision: 1 }));
    expect(s.events).toEqual([
      { topic: 't', partition: 0, role: 'leader', leaderEpoch: 3, deleted: false },
      { topic: 't', partition: 1, role: 'follower', leaderEpoch: 5, deleted: false },
    ]);
    s.events.length = 0;
    await publish(s, view({ revision: 2, topics: [topicSpec(OTHER, ME, [4, 6])] }));
    expect(s.events).toEqual([
      { topic: 't', partition: 0, role: 'follower', leaderEpoch: 4, deleted: false },
      { topic: 't', partition: 1, role: 'leader', leaderEpoch: 6, deleted: false },
    ]);
    expect(produceCode(await produce(s.client, 0))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(produceCode(await produce(s.client, 1))).toBe(ErrorCode.NONE);
    const md = await metadata(s.client, ['t']);
    expect(md.topics[0]?.partitions.map((p) => [p.leaderId, p.leaderEpoch])).toEqual([
      [OTHER, 4],
      [ME, 6],
    ]);
    // The same view again changes nothing and emits nothing.
    s.events.length = 0;
    await publish(s, view({ revision: 3, topics: [topicSpec(OTHER, ME, [4, 6])] }));
    expect(s.events).toEqual([]);
  });

  it('a long poll on a partition that stops being led here answers NOT_LEADER_OR_FOLLOWER at once', async () => {
    const s = await setup();
    const body = fetchBody('t', 0, 0, { maxWaitMs: 30_000, minBytes: 1 });
    const sent = s.client.send(1, 12, FetchRequestCodec, body);
    for (let i = 0; i < 5000 && (s.broker.registry.partition('t', 0)?.waiterCount ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 1));
    expect(s.broker.registry.partition('t', 0)?.waiterCount).toBe(1);
    // The ManualClock never moves: only the leadership change can end the poll.
    await publish(s, view({ revision: 2, topics: [topicSpec(OTHER, OTHER, [4, 5])] }));
    const res = await s.client.receive(sent, FetchResponseCodec, 12);
    expect(res.responses[0]?.partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: OTHER, leaderEpoch: 4 } });
  });

  it('a view without the topic removes its local logs; a recreated topic (new id) starts empty', async () => {
    const s = await setup();
    expect(produceCode(await produce(s.client, 0, ['old']))).toBe(ErrorCode.NONE);
    await publish(s, view({ revision: 2, topics: [] }));
    expect(s.events.slice(-2)).toEqual([
      { topic: 't', partition: 0, role: 'follower', leaderEpoch: 3, deleted: true },
      { topic: 't', partition: 1, role: 'follower', leaderEpoch: 5, deleted: true },
    ]);
    expect(s.broker.registry.topic('t')).toBeUndefined();
    expect(await dirsOf(s.fs, 't')).toEqual([]);
    expect(produceCode(await produce(s.client, 0))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await metadata(s.client, ['t'])).topics[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    await publish(s, view({ revision: 3, topics: [topicSpec(ME, OTHER, [0, 0])] }));
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0', 't-1']);
    expect((await fetchV12(s.client, 0)).responses[0]?.partitions[0]?.highWatermark).toBe(0);
    expect(produceCode(await produce(s.client, 0, ['first incarnation']))).toBe(ErrorCode.NONE);
    await publish(s, view({ revision: 4, topics: [topicSpec(ME, OTHER, [0, 0], NEW_TOPIC_ID)] }));
    expect(s.events.slice(-4).map((e) => [e.partition, e.role, e.deleted])).toEqual([
      [0, 'follower', true],
      [1, 'follower', true],
      [0, 'leader', false],
      [1, 'follower', false],
    ]);
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0', 't-1']);
    const fetched = await fetchV12(s.client, 0);
    expect(fetched.responses[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NONE);
    expect(fetched.responses[0]?.partitions[0]?.highWatermark).toBe(0);
    expect(s.broker.registry.topic('t')?.record.topicId).toBe(NEW_TOPIC_ID);
  });

  it('a replica moved away from this node is removed; one moved back is created', async () => {
    const s = await setup();
    await publish(s, view({ revision: 2, topics: [{ name: 't', topicId: TOPIC_ID, partitions: [topicSpec().partitions[0]!, { leader: OTHER, leaderEpoch: 6, replicas: [OTHER] }] }] }));
    expect(s.broker.registry.partition('t', 1)).toBeUndefined();
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0']);
    expect(s.broker.registry.topic('t')?.partitions.map((p) => p.index)).toEqual([0]);
    expect(produceCode(await produce(s.client, 1))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await publish(s, view({ revision: 3 }));
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0', 't-1']);
  });

  it('an invalid lease makes every partition answer NOT_LEADER_OR_FOLLOWER; a renewed one leads again', async () => {
    const s = await setup();
    s.events.length = 0;
    s.link.setLeaseValid(false);
    // Handlers read the lease on every request, before the registry applies the change.
    expect(produceCode(await produce(s.client, 0))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await s.broker.settled();
    expect(s.events).toEqual([{ topic: 't', partition: 0, role: 'follower', leaderEpoch: 3, deleted: false }]);
    expect((await fetchV12(s.client, 0)).responses[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    s.link.setLeaseValid(true);
    await s.broker.settled();
    expect(s.events.at(-1)).toEqual({ topic: 't', partition: 0, role: 'leader', leaderEpoch: 3, deleted: false });
    expect(produceCode(await produce(s.client, 0))).toBe(ErrorCode.NONE);
  });

  it('topic configs come from the view (max.message.bytes), also when a later view changes them', async () => {
    const s = await setup(view({ revision: 1, topicConfigs: { t: { 'max.message.bytes': '200' } } }));
    const big = Array.from({ length: 10 }, () => 'v'.repeat(40));
    expect(produceCode(await produce(s.client, 0, big))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const described = await s.client.request(32, 4, DescribeConfigsRequestCodec, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: ['max.message.bytes'] }], includeSynonyms: false, includeDocumentation: false }, DescribeConfigsResponseCodec);
    expect(described.results[0]?.configs[0]).toMatchObject({ name: 'max.message.bytes', value: '200', configSource: 1 });
    await publish(s, view({ revision: 2, topicConfigs: {} }));
    expect(produceCode(await produce(s.client, 0, big))).toBe(ErrorCode.NONE);
    await publish(s, view({ revision: 3, brokerConfigs: { [ME]: { 'message.max.bytes': '150' } } }));
    expect(s.broker.registry.partition('t', 1)?.config.maxMessageBytes).toBe(150);
    expect(produceCode(await produce(s.client, 0, big))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('DescribeConfigs answers any topic of the view, also one without a replica here', async () => {
    const remote: TopicSpec = { name: 'remote', topicId: NEW_TOPIC_ID, partitions: [{ leader: OTHER, replicas: [OTHER] }] };
    const s = await setup(view({ revision: 1, topics: [topicSpec(), remote], topicConfigs: { remote: { 'retention.ms': '1234' } } }));
    expect(s.broker.registry.topic('remote')).toBeUndefined();
    const describe = (name: string) =>
      s.client.request(32, 4, DescribeConfigsRequestCodec, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false }, DescribeConfigsResponseCodec);
    expect((await describe('remote')).results[0]).toMatchObject({ errorCode: ErrorCode.NONE, configs: [{ name: 'retention.ms', value: '1234', configSource: 1 }] });
    expect((await describe('absent')).results[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('Metadata auto-creation asks the controller and answers LEADER_NOT_AVAILABLE until the view has the topic', async () => {
    const s = await setup(view({ revision: 1 }), ['num.partitions=3', 'default.replication.factor=2']);
    const md = await metadata(s.client, ['fresh'], true);
    expect(s.link.controller.calls).toEqual([{ method: 'createTopic', req: { name: 'fresh', partitionCount: 3, replicationFactor: 2 } }]);
    expect(md.topics[0]).toMatchObject({ name: 'fresh', errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
    // Not allowed by the request: no call.
    expect((await metadata(s.client, ['other'], false)).topics[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(s.link.controller.calls).toHaveLength(1);
    // The controller refuses with a Kafka error that says something: answered as is.
    s.link.controller.reply = () => ({ ok: false, code: 'INVALID_REPLICATION_FACTOR', message: 'only 2 brokers' });
    expect((await metadata(s.client, ['wide'], true)).topics[0]?.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    // The view shows the topic once created: answered with its partitions.
    s.link.controller.reply = (call) => {
      if (call.method === 'createTopic') s.link.publish(view({ revision: 2, topics: [topicSpec(), { name: call.req.name, topicId: NEW_TOPIC_ID, partitions: [{ leader: OTHER, replicas: [OTHER] }] }] }));
      return { ok: true };
    };
    const created = await metadata(s.client, ['late'], true);
    expect(created.topics[0]).toMatchObject({ name: 'late', errorCode: ErrorCode.NONE, topicId: NEW_TOPIC_ID });
  });

  it('CreateTopics of an internal topic: a client is refused; a broker\'s forwarded request (the group coordinator\'s) reaches the controller', async () => {
    const s = await setup();
    s.link.isController = true;
    const create = (client: KafkaTestClient) => client.request(CreateTopicsRequestCodec.meta.apiKey, 7, CreateTopicsRequestCodec, createTopicsBody('__consumer_offsets', 3, { timeoutMs: 0 }), CreateTopicsResponseCodec);
    const refused = await create(s.client);
    expect(refused.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Topic name __consumer_offsets is reserved for internal use' });
    expect(s.link.controller.calls).toHaveLength(0);
    const forwardingBroker = await s.connect('samsa-forward-2');
    s.link.controller.reply = () => ({ ok: true, topicId: NEW_TOPIC_ID });
    const forwarded = await create(forwardingBroker);
    expect(forwarded.topics[0]?.errorCode).not.toBe(ErrorCode.INVALID_REQUEST);
    expect(s.link.controller.calls).toEqual([{ method: 'createTopic', req: expect.objectContaining({ name: '__consumer_offsets', partitionCount: 3 }) }]);
  });

  it('produces right after a leadership change succeed, pipelined batches in order (a produce during the become-leader step queues behind it)', async () => {
    const s = await setup();
    s.link.publish(view({ revision: 2, topics: [topicSpec(ME, ME, [3, 6])] }));
    await s.broker.registry.applied(); // the role changed; the leader replica is still being set up
    const [first, second] = await Promise.all([produce(s.client, 1, ['x']), produce(s.client, 1, ['y'])]);
    expect([produceCode(first), produceCode(second)]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect([first.responses[0]?.partitionResponses[0]?.baseOffset, second.responses[0]?.partitionResponses[0]?.baseOffset]).toEqual([0, 1]);
  });

  it('the registry refuses its own topic mutations in cluster mode (the controller changes topics)', async () => {
    const s = await setup();
    const r = s.broker.registry;
    for (const result of [await r.createTopic('x', 1, {}), await r.deleteTopic('t'), await r.createPartitions('t', 3), await r.setTopicConfigs('t', {}), await r.setDynamicBrokerConfigs({})]) {
      expect(result.errorCode).toBe(ErrorCode.NOT_CONTROLLER);
      expect(result.errorMessage).toMatch(/controller/);
    }
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0', 't-1']);
  });

  it('a restart keeps the replicas the view still gives this node, sets aside a topic the view lacks and drops a moved replica', async () => {
    const s = await setup(view({ revision: 1, topics: [topicSpec(), { name: 'gone', topicId: NEW_TOPIC_ID, partitions: [{ leader: ME, replicas: [ME] }] }] }));
    expect(produceCode(await produce(s.client, 0, ['kept']))).toBe(ErrorCode.NONE);
    await s.broker.shutdown();
    open = null;
    // While it was down: topic 'gone' was deleted and t-1 moved to node 2 alone.
    const later = view({ revision: 5, topics: [{ name: 't', topicId: TOPIC_ID, partitions: [topicSpec().partitions[0]!, { leader: OTHER, leaderEpoch: 6, replicas: [OTHER] }] }] });
    const link = new FakeClusterLink(ME, later);
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`] });
    const broker = await Broker.open({ config, fs: s.fs, clock: new ManualClock(), random: createRandom(1), cluster: link });
    open = broker;
    expect(await dirsOf(s.fs, 't')).toEqual(['t-0']);
    expect(await dirsOf(s.fs, 'gone')).toEqual([]);
    expect((await s.fs.readDir('/data')).some((n) => n.startsWith('gone-0.') && n.endsWith('-stray'))).toBe(true);
    const p0 = broker.registry.partition('t', 0)!;
    expect(p0.isLeader).toBe(true);
    expect(p0.highWatermark).toBe(1);
  });

  it('starts with its replicas when the local metadata file is gone: in a cluster the topics are the view\'s', async () => {
    const s = await setup(view({ revision: 1, topics: [topicSpec()] }));
    expect(produceCode(await produce(s.client, 0, ['kept']))).toBe(ErrorCode.NONE);
    await s.broker.shutdown();
    open = null;
    for (const name of await s.fs.readDir('/data')) if (name.startsWith('samsa-metadata')) await s.fs.remove(`/data/${name}`);
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`] });
    const broker = await Broker.open({ config, fs: s.fs, clock: new ManualClock(), random: createRandom(1), cluster: new FakeClusterLink(ME, view({ revision: 1, topics: [topicSpec()] })) });
    open = broker;
    expect(broker.registry.partition('t', 0)!.highWatermark).toBe(1);
  });

  it('shutdown unsubscribes from the link', async () => {
    const s = await setup();
    // The registry's view apply, the group service and the replica manager.
    expect(s.link.listenerCount).toBe(3);
    await s.broker.shutdown();
    open = null;
    expect(s.link.listenerCount).toBe(0);
  });
});
