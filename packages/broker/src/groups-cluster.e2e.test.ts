// Consumer groups in a cluster (GroupService with `cluster` + `leadership`, FindCoordinator
// from the view), end to end over the Kafka protocol on the memory runtime. The cluster is a
// FakeGroupLink whose views the test publishes, and become-leader / become-follower events
// of `__consumer_offsets` partitions are emitted by hand, as the topic registry would.
// The broker's group handlers are given a context whose `groups` is this test's
// cluster-mode GroupService (broker.ts builds a single-node one until the cluster wiring lands).
import { ErrorCode } from '@samsa/codec';
import { consumerOffsetsPartitionFor } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { MemoryFileSystem, MemoryTransport, ManualClock } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { LeadershipEvents } from './cluster/leadership-events.ts';
import { parseServerConfig } from './config/server-config.ts';
import { CONSUMER_OFFSETS_CONFIGS, CONSUMER_OFFSETS_TOPIC } from './groups/consumer-offsets-log.ts';
import { GroupService } from './groups/group-service.ts';
import { GroupTestClient } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import type { ApiHandler } from './handlers/api-handler.ts';
import { HANDLERS } from './handlers/index.ts';
import type { Logger } from './observability/logger.ts';
import type { PartitionLogStore } from './partitions/partition-log.ts';
import { FakeGroupLink, groupsView } from './testing/fake-group-link.ts';
import type { GroupsViewSpec } from './testing/fake-group-link.ts';
import { interceptOffsetsAppends } from './testing/intercepted-offsets-store.ts';
import type { OffsetsAppendHook } from './testing/intercepted-offsets-store.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';

const PARTITIONS = 3;
const NODE_ID = 1;
const OTHER = { nodeId: 2, host: 'broker-2.test', port: 9093 };
const NEWEST: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };
/** OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete. */
const GROUP_API_KEYS = new Set([8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47]);
/** `__consumer_offsets` partition 0 and 1 are led here, 2 by the other broker. */
const OFFSETS_LEADERS = [NODE_ID, NODE_ID, OTHER.nodeId];
const POLLS_MAX = 5_000;

/** The first group id `<prefix><i>` that `__consumer_offsets` partition `p` coordinates. */
function groupIn(p: number, prefix = 'group-'): string {
  for (let i = 0; i < 10_000; i++) if (consumerOffsetsPartitionFor(`${prefix}${i}`, PARTITIONS) === p) return `${prefix}${i}`;
  throw new Error(`no group for partition ${p}`);
}
const LOCAL_GROUP = groupIn(0);
const REMOTE_GROUP = groupIn(2);

/** Polls (real time, bounded) until `done()` holds. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < POLLS_MAX; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Holds each partition load (GroupService's partitionLoadGate) while `holding`, until released in order. */
class LoadGates {
  holding = false;
  readonly #held: (() => void)[] = [];
  gate = (): Promise<unknown> => (this.holding ? new Promise<void>((resolve) => this.#held.push(resolve)) : Promise.resolve());
  get waiting(): number {
    return this.#held.length;
  }
  releaseNext(): void {
    this.#held.shift()?.();
  }
  releaseAll(): void {
    this.holding = false;
    for (const r of this.#held.splice(0)) r();
  }
}

/** Records log messages (to wait for the service's own account of what it did). */
function recordingLogger(messages: string[]): Logger {
  const log = (_: object, msg?: string): void => {
    if (msg !== undefined && messages.length < 10_000) messages.push(msg);
  };
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

interface ClusterGroups {
  broker: Broker;
  link: FakeGroupLink;
  leadership: LeadershipEvents;
  service: GroupService;
  gates: LoadGates;
  clock: ManualClock;
  client: KafkaTestClient;
  port: number;
  messages: string[];
  spec(over?: Partial<GroupsViewSpec>): GroupsViewSpec;
  lead(partition: number, leaderEpoch: number): void;
  follow(partition: number, leaderEpoch: number): void;
  loaded(partition: number): Promise<void>;
  group(groupId: string, client?: KafkaTestClient): GroupTestClient;
  connect(): Promise<KafkaTestClient>;
}

let open: ClusterGroups | null = null;

afterEach(async () => {
  const t = open;
  open = null;
  if (t === null) return;
  t.gates.releaseAll();
  t.service.close();
  await t.client.close();
  await t.broker.shutdown();
});

async function startClusterGroups(withOffsetsTopic = true, offsetsAppendHook?: OffsetsAppendHook): Promise<ClusterGroups> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
  const transport = new MemoryTransport();
  const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${NODE_ID}`, `offsets.topic.num.partitions=${PARTITIONS}`, 'group.initial.rebalance.delay.ms=0', 'offsets.topic.replication.factor=3'] });
  const link = new FakeGroupLink(NODE_ID, groupsView({ revision: 1, brokers: [OTHER] }));
  let service: GroupService | null = null;
  const withService = (h: ApiHandler): ApiHandler => ({ ...h, handle: (ctx, req, info) => h.handle({ ...ctx, groups: service! }, req, info) });
  const handlers = HANDLERS.map((h) => (GROUP_API_KEYS.has(h.apiKey) ? withService(h) : h));
  const wrapLogs = offsetsAppendHook === undefined ? {} : { wrapLogs: (logs: PartitionLogStore) => interceptOffsetsAppends(logs, offsetsAppendHook) };
  const broker = await Broker.open({ config, fs, clock, random: createRandom(3), cluster: link, handlers, ...wrapLogs });
  const port = (await broker.listen(transport)).port;
  const me = { nodeId: NODE_ID, host: '127.0.0.1', port };
  const spec = (over: Partial<GroupsViewSpec> = {}): GroupsViewSpec => ({
    revision: link.view().revision + 1,
    brokers: [me, OTHER],
    topics: { events: [NODE_ID], remote: [OTHER.nodeId] },
    ...(withOffsetsTopic ? { offsetsLeaders: OFFSETS_LEADERS } : {}),
    ...over,
  });
  link.publish(groupsView(spec()));
  // The local replicas of `events` and `__consumer_offsets`: a registry in cluster mode
  // (one with `applyView`) opens them from the view itself; otherwise the test creates them.
  const registry: object = broker.registry;
  if ('applyView' in registry) {
    await until(() => broker.registry.topic('events') !== undefined && (!withOffsetsTopic || broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0) !== undefined), 'the registry to open the local replicas');
  } else {
    expect((await broker.registry.createTopic('events', 1, {})).errorCode).toBe(ErrorCode.NONE);
    if (withOffsetsTopic) expect((await broker.registry.createInternalTopic(CONSUMER_OFFSETS_TOPIC, PARTITIONS, CONSUMER_OFFSETS_CONFIGS)).errorCode).toBe(ErrorCode.NONE);
  }
  const leadership = new LeadershipEvents();
  const gates = new LoadGates();
  const messages: string[] = [];
  service = new GroupService({
    registry: broker.registry,
    clock,
    random: createRandom(4),
    logger: recordingLogger(messages),
    config: { offsetsTopicNumPartitions: PARTITIONS, groupInitialRebalanceDelayMs: 0 },
    cluster: link,
    leadership,
    partitionLoadGate: gates.gate,
  });
  const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port }));
  const svc = service;
  const t: ClusterGroups = {
    broker,
    link,
    leadership,
    service: svc,
    gates,
    clock,
    client,
    port,
    messages,
    spec,
    lead: (partition, leaderEpoch) => leadership.emit({ topic: CONSUMER_OFFSETS_TOPIC, partition, role: 'leader', leaderEpoch, deleted: false }),
    follow: (partition, leaderEpoch) => leadership.emit({ topic: CONSUMER_OFFSETS_TOPIC, partition, role: 'follower', leaderEpoch, deleted: false }),
    loaded: (partition) => until(() => svc.ownedPartitions().some((o) => o.partition === partition && o.loaded), `partition ${partition} to load`),
    group: (groupId, c = client) => new GroupTestClient(c, clock, groupId, NEWEST),
    connect: async () => new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port })),
  };
  open = t;
  return t;
}

describe('consumer groups in a cluster', () => {
  it('FindCoordinator answers the leader of the group\'s __consumer_offsets partition from the view, COORDINATOR_NOT_AVAILABLE when it has none', async () => {
    const t = await startClusterGroups();
    for (const version of [1, 3, 4]) {
      const local = await t.group(LOCAL_GROUP).findCoordinator(version);
      const remote = await t.group(REMOTE_GROUP).findCoordinator(version);
      const [l, r] = version >= 4 ? [local.coordinators[0]!, remote.coordinators[0]!] : [local, remote];
      expect(l).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: NODE_ID, host: '127.0.0.1', port: t.port });
      expect(r).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: OTHER.nodeId, host: OTHER.host, port: OTHER.port });
    }
    t.link.publish(groupsView(t.spec({ offsetsLeaders: [-1, NODE_ID, 7] })));
    expect((await t.group(LOCAL_GROUP).findCoordinator(3)).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE); // offline
    expect((await t.group(REMOTE_GROUP).findCoordinator(4)).coordinators[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE); // leader not in the view
    expect(t.link.creates).toEqual([]);
  });

  it('a group moves with leadership: served while leader, NOT_COORDINATOR as follower, COORDINATOR_LOAD_IN_PROGRESS while reloading, then its offsets are back', async () => {
    const t = await startClusterGroups();
    const g = t.group(LOCAL_GROUP);
    expect((await g.fetch('events', [0])).errorCode).toBe(ErrorCode.NOT_COORDINATOR); // nothing owned before a leader event
    t.lead(0, 1);
    await t.loaded(0);
    expect((await g.commit('events', { 0: 42 }, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    // The commit's topic-partition is checked against the cluster view, not the local replicas.
    expect((await g.commit('remote', { 0: 7 }, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await g.commit('ghost', { 0: 1 }, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await t.group(REMOTE_GROUP).commit('events', { 0: 1 }, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await g.fetch('events', [0])).toEqual({ errorCode: ErrorCode.NONE, offsets: { 0: 42 } });

    t.follow(0, 1);
    expect((await g.fetch('events', [0])).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await g.joinAsync(['events'])).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(t.service.ownedPartitions()).toEqual([]);

    t.gates.holding = true;
    t.lead(0, 2);
    await until(() => t.gates.waiting === 1, 'the load to reach its gate');
    for (const version of [1, 5, 8]) {
      const v = new GroupTestClient(t.client, t.clock, LOCAL_GROUP, { ...NEWEST, fetch: version });
      expect((await v.fetch('events', [0])).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    }
    expect((await g.commit('events', { 0: 43 }, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    t.gates.releaseAll();
    await t.loaded(0);
    expect(await g.fetch('events', [0])).toEqual({ errorCode: ErrorCode.NONE, offsets: { 0: 42 } });
    expect(await g.fetch('remote', [0])).toEqual({ errorCode: ErrorCode.NONE, offsets: { 0: 7 } });
    expect(t.service.ownedPartitions()).toEqual([{ partition: 0, loaded: true, leaderEpoch: 2 }]);
  });

  it('a new leader epoch while a load runs supersedes it: the stale load never completes the partition', async () => {
    const t = await startClusterGroups();
    const g = t.group(LOCAL_GROUP);
    t.lead(0, 1);
    await t.loaded(0);
    expect((await g.commit('events', { 0: 9 }, -1, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    t.follow(0, 1);
    t.gates.holding = true;
    t.lead(0, 2);
    await until(() => t.gates.waiting === 1, 'the first load to reach its gate');
    t.lead(0, 3); // a new epoch before the first load finished
    await until(() => t.gates.waiting === 2, 'the second load to reach its gate');
    t.gates.releaseNext(); // the epoch-2 load goes on, finds itself superseded, and stops
    await until(() => t.messages.includes('a superseded load of a __consumer_offsets partition stopped'), 'the stale load to stop');
    expect((await g.fetch('events', [0])).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(t.service.ownedPartitions()).toEqual([{ partition: 0, loaded: false, leaderEpoch: 3 }]);
    t.gates.releaseAll();
    await t.loaded(0);
    expect(await g.fetch('events', [0])).toEqual({ errorCode: ErrorCode.NONE, offsets: { 0: 9 } });
    expect(t.messages.filter((m) => m === 'group coordinator loaded a __consumer_offsets partition')).toHaveLength(2); // epoch 1 and epoch 3
  });

  it('a reload waits for the previous leadership\'s write in flight and replays it; a write queued behind it is refused; both commits answer NOT_COORDINATOR', async () => {
    const held: { release: (() => void) | null; holding: boolean } = { release: null, holding: false };
    const t = await startClusterGroups(true, async (log, batches, options) => {
      if (held.holding) await new Promise<void>((resolve) => (held.release = resolve));
      return log.append(batches, options);
    });
    const [c1, c2] = [await t.connect(), await t.connect()];
    try {
      t.lead(0, 1);
      await t.loaded(0);
      held.holding = true;
      const inFlight = t.group(LOCAL_GROUP, c1).commit('events', { 0: 5 }, -1, '');
      await until(() => held.release !== null, 'the first write to be held');
      const queued = t.group(LOCAL_GROUP, c2).commit('events', { 0: 6 }, -1, ''); // coalesced behind the one in flight
      await until(() => t.service.appendStats.appendsReceived === 2, 'the second commit to queue');
      t.follow(0, 1);
      t.lead(0, 2);
      const g = t.group(LOCAL_GROUP);
      expect((await g.fetch('events', [0])).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS); // waiting for the write in flight
      held.holding = false;
      held.release!();
      expect((await inFlight).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      expect((await queued).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      await t.loaded(0);
      // The first record reached the log before the replay, so it is back; the queued one was never written.
      expect(await g.fetch('events', [0])).toEqual({ errorCode: ErrorCode.NONE, offsets: { 0: 5 } });
      expect(t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!.log.logEndOffset).toBe(1); // one record: the first commit's
    } finally {
      held.holding = false;
      held.release?.();
      await c1.close();
      await c2.close();
    }
  });

  it('without __consumer_offsets in the view, asks the controller to create it (one request in flight), never creates it locally', async () => {
    const t = await startClusterGroups(false);
    const lookups = await Promise.all([t.group(LOCAL_GROUP).findCoordinator(3), t.group(REMOTE_GROUP).findCoordinator(4), t.group(LOCAL_GROUP).findCoordinator(1)]);
    expect(lookups.map((r, i) => (i === 1 ? r.coordinators[0]!.errorCode : r.errorCode))).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect((await t.group(LOCAL_GROUP).fetch('events', [0])).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(t.link.creates).toHaveLength(1);
    expect(t.link.creates[0]).toMatchObject({ name: CONSUMER_OFFSETS_TOPIC, partitionCount: PARTITIONS, replicationFactor: 2, configs: { 'cleanup.policy': 'compact' } });
    expect(t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC)).toBeUndefined();
    t.link.answerCreates({ ok: false, code: 'REQUEST_TIMED_OUT', message: 'test' });
    await until(() => t.messages.includes('the controller did not create __consumer_offsets; the next group lookup asks again'), 'the failed creation to be logged');
    expect((await t.group(LOCAL_GROUP).findCoordinator(3)).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(t.link.creates).toHaveLength(2); // asked again once the first answer came
    t.link.answerCreates({ ok: true, topicId: 'x' });
    t.link.publish(groupsView(t.spec({ offsetsLeaders: OFFSETS_LEADERS })));
    expect(await t.group(LOCAL_GROUP).findCoordinator(3)).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: NODE_ID, port: t.port });
    expect(t.link.creates).toHaveLength(2);
  });
});
