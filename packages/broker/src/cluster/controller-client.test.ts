// ForwardingControllerClient and the admin handlers in cluster mode, on the memory runtime:
// broker 1 and broker 2 are real in-process Brokers on one MemoryTransport, each with a
// FakeControllerLink (ctx.cluster) whose controller is a real ForwardingControllerClient
// over a StubController. Broker 2 is the controller unless a test says otherwise.
// Checked: the local path when controller (no connection), the forwarded round trip of all
// five operations (and an error reply), the per-request timeout, the in-flight bound,
// NOT_CONTROLLER on no controller / refused / failed connection and the reconnect after it,
// no forwarding chains, and a handler answering only once its own view shows the change.
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  ApiKey,
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  ControlledShutdownRequestCodec,
  ControlledShutdownResponseCodec,
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  ErrorCode,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import type { ControllerReply } from '@samsa/coordinator';
import { ManualClock, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeControllerLink, FakeViewSource, startLinkedBroker, StubController, type LinkedBroker } from '../testing/fake-controller-link.ts';
import { KafkaTestClient } from '../testing/kafka-test-client.ts';
import { createTopicsBody } from '../testing/requests.ts';
import { startTestBroker } from '../testing/test-broker.ts';
import { silentLogger } from '../observability/logger.ts';
import { ForwardingControllerClient } from './controller-client.ts';

/** Polls `cond` on real time (the memory transport delivers on later macrotasks), at most 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`until: ${what} did not happen within 5 s`);
}

/** Lets queued macrotasks (transport deliveries) run, `turns` times. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

const TIMEOUT_MS = 1_000;

interface Cluster {
  transport: MemoryTransport;
  clock: ManualClock;
  source: FakeViewSource;
  stub1: StubController;
  stub2: StubController;
  link1: FakeControllerLink;
  link2: FakeControllerLink;
  b1: LinkedBroker;
  b2: LinkedBroker;
  clients: KafkaTestClient[];
}

async function startCluster(o: { inFlightMax?: number; link2Source?: FakeViewSource } = {}): Promise<Cluster> {
  const transport = new MemoryTransport();
  const clock = new ManualClock();
  const source = new FakeViewSource();
  const stub1 = new StubController(source, 1);
  const stub2 = new StubController(source, 2);
  const common = { transport, clock, requestTimeoutMs: TIMEOUT_MS, ...(o.inFlightMax === undefined ? {} : { inFlightMax: o.inFlightMax }) };
  const link1 = new FakeControllerLink({ nodeId: 1, source, isController: false, localController: stub1, ...common });
  const link2 = new FakeControllerLink({ nodeId: 2, source: o.link2Source ?? source, isController: true, localController: stub2, ...common });
  const b1 = await startLinkedBroker({ nodeId: 1, link: link1, transport, clock });
  const b2 = await startLinkedBroker({ nodeId: 2, link: link2, transport, clock });
  source.setBrokers(new Map([[1, b1.port], [2, b2.port]]), 2);
  return { transport, clock, source, stub1, stub2, link1, link2, b1, b2, clients: [] };
}

async function stopCluster(c: Cluster): Promise<void> {
  for (const client of c.clients) await client.close();
  c.link1.controller.close();
  c.link2.controller.close();
  // Requests still waiting on a hanging stub or a view end at their timeouts.
  c.stub1.hang = false;
  c.stub2.hang = false;
  c.clock.advance(10 * 60_000);
  await Promise.all([c.b1.stop(), c.b2.stop()]);
}

async function clientOf(c: Cluster, broker: LinkedBroker, clientId?: string): Promise<KafkaTestClient> {
  const client = new KafkaTestClient(await c.transport.connect({ host: '127.0.0.1', port: broker.port }), clientId);
  c.clients.push(client);
  return client;
}

const ok: ControllerReply = { ok: true };

describe('ForwardingControllerClient', () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await startCluster();
  });
  afterEach(async () => {
    await stopCluster(c);
  });

  it('runs on the local controller when this broker is the controller, without a connection', async () => {
    const before = c.transport.openConnections();
    const reply = await c.link2.controller.createTopic({ name: 'local', partitionCount: 3, replicationFactor: 1 });
    expect(reply.ok).toBe(true);
    expect(c.stub2.calls).toEqual([{ op: 'createTopic', req: { name: 'local', partitionCount: 3, replicationFactor: 1 } }]);
    expect(c.stub1.calls).toEqual([]);
    expect(c.transport.openConnections()).toBe(before);
  });

  it('forwards all five operations to the controller broker and maps the replies back', async () => {
    const created = await c.link1.controller.createTopic({ name: 't', assignment: [[2], [1]], configs: { 'cleanup.policy': 'compact' } });
    expect(created.ok).toBe(true);
    const topicId = c.source.view().topics.get('t')?.topicId;
    expect(created).toEqual({ ok: true, topicId });
    expect(c.stub2.calls[0]).toEqual({ op: 'createTopic', req: { name: 't', assignment: [[2], [1]], configs: { 'cleanup.policy': 'compact' } } });

    expect(await c.link1.controller.createPartitions({ topic: 't', totalCount: 4, assignment: [[1], [2]] })).toEqual(ok);
    expect(c.stub2.calls[1]).toEqual({ op: 'createPartitions', req: { topic: 't', totalCount: 4, assignment: [[1], [2]] } });
    expect(c.source.view().topics.get('t')?.partitions.length).toBe(4);

    expect(await c.link1.controller.alterConfigs({ resource: { type: 'topic', name: 't' }, mode: 'replace', configs: { 'retention.ms': '1000' } })).toEqual(ok);
    expect(c.stub2.calls[2]).toEqual({ op: 'alterConfigs', req: { resource: { type: 'topic', name: 't' }, mode: 'replace', configs: { 'retention.ms': '1000' } } });
    expect(await c.link1.controller.alterConfigs({ resource: { type: 'broker', brokerId: 1 }, mode: 'incremental', configs: { 'log.retention.ms': '5000', 'message.max.bytes': null } })).toEqual(ok);
    expect(c.stub2.calls[3]).toEqual({ op: 'alterConfigs', req: { resource: { type: 'broker', brokerId: 1 }, mode: 'incremental', configs: { 'log.retention.ms': '5000' } } });
    expect(c.source.view().brokerConfigs.get(1)).toEqual({ 'log.retention.ms': '5000' });

    expect(await c.link1.controller.deleteTopic('t')).toEqual(ok);
    expect(c.stub2.calls[4]).toEqual({ op: 'deleteTopic', name: 't' });
    expect(c.source.view().topics.has('t')).toBe(false);

    expect(await c.link1.controller.controlledShutdown(1)).toEqual(ok);
    expect(c.stub2.calls[5]).toEqual({ op: 'controlledShutdown', brokerId: 1 });
    expect(c.stub1.calls).toEqual([]);
  });

  it('maps a controller error name back to the same name', async () => {
    c.stub2.nextReply = { ok: false, code: 'INVALID_REPLICATION_FACTOR', message: 'replication factor 3 > 2 brokers' };
    const reply = await c.link1.controller.createTopic({ name: 'rf', partitionCount: 1, replicationFactor: 3 });
    expect(reply).toEqual({ ok: false, code: 'INVALID_REPLICATION_FACTOR', message: 'replication factor 3 > 2 brokers' });
    c.stub2.nextReply = { ok: false, code: 'BROKER_NOT_AVAILABLE', message: 'not registered' };
    expect(await c.link1.controller.controlledShutdown(9)).toMatchObject({ ok: false, code: 'BROKER_NOT_AVAILABLE' });
  });

  it('answers REQUEST_TIMED_OUT after requestTimeoutMs and drops the late answer', async () => {
    c.stub2.hang = true;
    const reply = c.link1.controller.createTopic({ name: 'slow', partitionCount: 1 });
    await until(() => c.stub2.calls.length === 1, 'the forwarded request reaching the controller');
    c.clock.advance(TIMEOUT_MS);
    expect(await reply).toMatchObject({ ok: false, code: 'REQUEST_TIMED_OUT' });
    expect(c.link1.controller.inFlight).toBe(0);
    // The connection survives a timeout: the next request goes through.
    c.stub2.hang = false;
    expect(await c.link1.controller.deleteTopic('absent')).toMatchObject({ ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('answers NOT_CONTROLLER when no controller is known', async () => {
    c.source.setBrokers(new Map([[1, c.b1.port], [2, c.b2.port]]), -1);
    expect(await c.link1.controller.deleteTopic('x')).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(c.stub2.calls).toEqual([]);
  });

  it('answers NOT_CONTROLLER when the connection fails, and reconnects on the next request', async () => {
    // Nothing listens on the controller's advertised port.
    c.source.setBrokers(new Map([[1, c.b1.port], [2, 1]]), 2);
    expect(await c.link1.controller.deleteTopic('x')).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    c.source.setBrokers(new Map([[1, c.b1.port], [2, c.b2.port]]), 2);
    // A connection that breaks under a pending request.
    c.stub2.hang = true;
    const pending = c.link1.controller.createTopic({ name: 'p', partitionCount: 1 });
    await until(() => c.stub2.calls.length === 1, 'the forwarded request reaching the controller');
    c.transport.resetAll();
    expect(await pending).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    // Let broker 2's handler of the reset connection end (its local wait times out) so shutdown is quick.
    c.clock.advance(TIMEOUT_MS);
    c.stub2.hang = false;
    expect(await c.link1.controller.createTopic({ name: 'p', partitionCount: 1 })).toMatchObject({ ok: true });
    expect(c.stub2.calls.map((x) => x.op)).toEqual(['createTopic', 'createTopic']);
  });

  it('follows the controller when it moves to another broker', async () => {
    expect(await c.link1.controller.controlledShutdown(1)).toEqual(ok);
    c.link2.isController = false;
    const b3Link = new FakeControllerLink({ nodeId: 3, source: c.source, isController: true, localController: c.stub1, transport: c.transport, clock: c.clock });
    const b3 = await startLinkedBroker({ nodeId: 3, link: b3Link, transport: c.transport, clock: c.clock });
    try {
      c.source.setBrokers(new Map([[1, c.b1.port], [2, c.b2.port], [3, b3.port]]), 3);
      expect(await c.link1.controller.controlledShutdown(1)).toEqual(ok);
      expect(c.stub1.calls).toEqual([{ op: 'controlledShutdown', brokerId: 1 }]);
      expect(c.stub2.calls).toEqual([{ op: 'controlledShutdown', brokerId: 1 }]);
    } finally {
      b3Link.controller.close();
      await b3.stop();
    }
  });

  it('dials the controller.endpoint.overrides address instead of the registered endpoint', async () => {
    const client = (overrides: Map<number, { host: string; port: number }>) =>
      new ForwardingControllerClient({
        isController: () => false,
        localController: c.stub1,
        view: () => c.source.view(),
        nodeId: 1,
        transport: c.transport,
        clock: c.clock,
        logger: silentLogger,
        requestTimeoutMs: TIMEOUT_MS,
        endpointOverrides: overrides,
      });
    // Registered endpoint dead, override live: the request reaches the controller.
    c.source.setBrokers(new Map([[1, c.b1.port], [2, 1]]), 2);
    const viaOverride = client(new Map([[2, { host: '127.0.0.1', port: c.b2.port }]]));
    try {
      expect(await viaOverride.controlledShutdown(1)).toEqual(ok);
      expect(c.stub2.calls).toEqual([{ op: 'controlledShutdown', brokerId: 1 }]);
    } finally {
      viaOverride.close();
    }
    // Registered endpoint live, override dead: nothing reaches it, the error names the override.
    c.source.setBrokers(new Map([[1, c.b1.port], [2, c.b2.port]]), 2);
    const deadOverride = client(new Map([[2, { host: '127.0.0.1', port: 2 }]]));
    try {
      expect(await deadOverride.controlledShutdown(1)).toMatchObject({ ok: false, code: 'NOT_CONTROLLER', message: expect.stringContaining('127.0.0.1:2') });
      expect(c.stub2.calls).toHaveLength(1);
    } finally {
      deadOverride.close();
    }
  });
});

describe('ForwardingControllerClient bounds', () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await startCluster({ inFlightMax: 2 });
  });
  afterEach(async () => {
    await stopCluster(c);
  });

  it('answers REQUEST_TIMED_OUT at once beyond inFlightMax, without sending', async () => {
    c.stub2.hang = true;
    const first = c.link1.controller.controlledShutdown(1);
    const second = c.link1.controller.controlledShutdown(2);
    expect(c.link1.controller.inFlight).toBe(2);
    expect(await c.link1.controller.controlledShutdown(3)).toMatchObject({ ok: false, code: 'REQUEST_TIMED_OUT' });
    // The controller broker handles one request of a connection at a time (as Kafka): the second waits behind the first.
    await until(() => c.stub2.calls.length === 1, 'the first forwarded request at the controller');
    c.clock.advance(TIMEOUT_MS);
    expect(await Promise.all([first, second])).toMatchObject([{ code: 'REQUEST_TIMED_OUT' }, { code: 'REQUEST_TIMED_OUT' }]);
    expect(c.link1.controller.inFlight).toBe(0);
    await until(() => c.stub2.calls.length === 2, 'the second forwarded request at the controller');
    await turns(20);
    expect(c.stub2.calls).toEqual([{ op: 'controlledShutdown', brokerId: 1 }, { op: 'controlledShutdown', brokerId: 2 }]);
  });

  it('refuses bad options', () => {
    const base = { isController: () => false, localController: c.stub1, view: () => c.source.view(), nodeId: 1, transport: c.transport, clock: c.clock, logger: silentLogger };
    expect(() => new ForwardingControllerClient({ ...base, inFlightMax: 0 })).toThrow(RangeError);
    expect(() => new ForwardingControllerClient({ ...base, requestTimeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('admin handlers in cluster mode', () => {
  let c: Cluster;
  afterEach(async () => {
    await stopCluster(c);
  });

  it('a forwarded request at a broker that is not the controller gets NOT_CONTROLLER and is not forwarded again', async () => {
    // Broker 2's own view names broker 1 as the controller: without the guard it would forward back.
    const stale = new FakeViewSource();
    c = await startCluster({ link2Source: stale });
    stale.setBrokers(new Map([[1, c.b1.port], [2, c.b2.port]]), 1);
    c.link2.isController = false;
    expect(await c.link1.controller.createTopic({ name: 'loop', partitionCount: 1 })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.link1.controller.controlledShutdown(1)).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    c.source.putTopic('t', 'AAAAAAAAAAAAAAAAAAAAAQ', [[1]]);
    stale.putTopic('t', 'AAAAAAAAAAAAAAAAAAAAAQ', [[1]]);
    expect(await c.link1.controller.deleteTopic('t')).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.link1.controller.createPartitions({ topic: 't', totalCount: 2 })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.link1.controller.alterConfigs({ resource: { type: 'topic', name: 't' }, mode: 'replace', configs: {} })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.link1.controller.alterConfigs({ resource: { type: 'topic', name: 't' }, mode: 'incremental', configs: { 'retention.ms': '5' } })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    // Refused before broker 2 judges anything from its (stale) view: it does not know this topic.
    expect(await c.link1.controller.deleteTopic('unknown-to-2')).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.link1.controller.createPartitions({ topic: 'unknown-to-2', totalCount: 2 })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(await c.link1.controller.alterConfigs({ resource: { type: 'broker', brokerId: 5 }, mode: 'replace', configs: {} })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(c.stub1.calls).toEqual([]);
    expect(c.stub2.calls).toEqual([]);
    // Two ends of broker 1's connection to broker 2, nothing from broker 2 back to broker 1.
    expect(c.transport.openConnections()).toBe(2);
  });

  it('CreateTopics answers only once this broker sees the topic, with the view\'s id and counts', async () => {
    c = await startCluster();
    c.stub2.deferViews = true;
    const client = await clientOf(c, c.b1);
    const sent = client.send(ApiKey.CreateTopics, 7, CreateTopicsRequestCodec, { topics: [{ name: 'seen', numPartitions: 3, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
    await until(() => c.stub2.calls.length === 1, 'the controller getting the creation');
    await turns(20);
    expect(client.bufferedResponses).toBe(0);
    c.stub2.flushViews();
    const res = await client.receive(sent, CreateTopicsResponseCodec);
    const shown = c.source.view().topics.get('seen')!;
    expect(res.topics[0]).toMatchObject({ name: 'seen', errorCode: ErrorCode.NONE, topicId: shown.topicId, numPartitions: 3, replicationFactor: 1 });
    expect(c.stub2.calls[0]).toEqual({ op: 'createTopic', req: { name: 'seen', partitionCount: 3, replicationFactor: 2, configs: {} } });
  });

  it('CreateTopics answers REQUEST_TIMED_OUT with the topic id when the view does not show it within timeout_ms', async () => {
    c = await startCluster();
    c.stub2.deferViews = true;
    const client = await clientOf(c, c.b1);
    const sent = client.send(ApiKey.CreateTopics, 7, CreateTopicsRequestCodec, createTopicsBody('late', 1, { timeoutMs: 500 }));
    await until(() => c.stub2.calls.length === 1, 'the controller getting the creation');
    // Broker 2 (the controller) answers the forwarded request at once; broker 1 waits 500 ms for its view.
    await until(() => {
      c.clock.advance(100);
      return client.bufferedResponses > 0;
    }, 'an answer');
    const res = await client.receive(sent, CreateTopicsResponseCodec);
    expect(res.topics[0]!.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(res.topics[0]!.topicId).not.toBe(ZERO_UUID);
  });

  it('fifty CreateTopics waiting for their views share one view listener, and shutdown answers them at once', async () => {
    c = await startCluster();
    c.stub2.deferViews = true;
    const listenersBefore = c.source.listenerCount;
    const clients = await Promise.all(Array.from({ length: 50 }, () => clientOf(c, c.b1)));
    const sent = clients.map((client, i) => client.send(ApiKey.CreateTopics, 7, CreateTopicsRequestCodec, createTopicsBody(`wait-${i}`, 1, { timeoutMs: 60_000 })));
    await until(() => c.stub2.calls.length === 50, 'the controller getting every creation');
    await turns(20);
    expect(clients.every((client) => client.bufferedResponses === 0)).toBe(true);
    expect(c.source.listenerCount).toBeLessThanOrEqual(listenersBefore + 1);
    // No clock advance: shutdown itself ends the waits.
    const stopping = c.b1.broker.shutdown();
    const answers = await Promise.all(clients.map((client, i) => client.receive(sent[i]!, CreateTopicsResponseCodec)));
    expect(answers.map((a) => a.topics[0]!.errorCode)).toEqual(Array.from({ length: 50 }, () => ErrorCode.REQUEST_TIMED_OUT));
    await stopping;
  });

  it('validate_only and view-side refusals never reach the controller', async () => {
    c = await startCluster();
    c.source.putTopic('exists', 'AAAAAAAAAAAAAAAAAAAAAQ', [[1]]);
    const client = await clientOf(c, c.b1);
    const res = await client.request(ApiKey.CreateTopics, 7, CreateTopicsRequestCodec, {
      topics: [
        { name: 'exists', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'cfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such.config', value: '1' }] },
        { name: 'zero', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    }, CreateTopicsResponseCodec);
    expect(res.topics.map((t) => t.errorCode)).toEqual([ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_PARTITIONS]);
    const dry = await client.request(ApiKey.CreateTopics, 7, CreateTopicsRequestCodec, createTopicsBody('dry', 4, { validateOnly: true }), CreateTopicsResponseCodec);
    expect(dry.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, numPartitions: 4, topicId: ZERO_UUID });
    const parts = await client.request(ApiKey.CreatePartitions, 3, CreatePartitionsRequestCodec, { topics: [{ name: 'exists', count: 1, assignments: null }, { name: 'nope', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false }, CreatePartitionsResponseCodec);
    expect(parts.results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_PARTITIONS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const del = await client.request(ApiKey.DeleteTopics, 6, DeleteTopicsRequestCodec, { topics: [{ name: 'nope', topicId: ZERO_UUID }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAg' }], topicNames: [], timeoutMs: 1000 }, DeleteTopicsResponseCodec);
    expect(del.responses.map((r) => r.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID]);
    const alter = await client.request(ApiKey.AlterConfigs, 2, AlterConfigsRequestCodec, {
      resources: [
        { resourceType: 2, resourceName: 'exists', configs: [{ name: 'retention.ms', value: '7' }] },
        { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: '7' }] },
        { resourceType: 4, resourceName: '9', configs: [] },
      ],
      validateOnly: true,
    }, AlterConfigsResponseCodec);
    expect(alter.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.INVALID_REQUEST]);
    expect(c.stub1.calls).toEqual([]);
    expect(c.stub2.calls).toEqual([]);
  });

  it('DeleteTopics, CreatePartitions and both AlterConfigs forms go through the controller and wait for the view', async () => {
    c = await startCluster();
    const client = await clientOf(c, c.b1);
    const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    c.source.putTopic('t', topicId, [[1]]);
    c.stub2.deferViews = true;
    const grow = client.send(ApiKey.CreatePartitions, 3, CreatePartitionsRequestCodec, { topics: [{ name: 't', count: 3, assignments: [{ brokerIds: [2] }, { brokerIds: [1] }] }], timeoutMs: 30_000, validateOnly: false });
    await until(() => c.stub2.calls.length === 1, 'the controller getting CreatePartitions');
    await turns(20);
    expect(client.bufferedResponses).toBe(0);
    c.stub2.flushViews();
    expect((await client.receive(grow, CreatePartitionsResponseCodec)).results).toEqual([{ name: 't', errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(c.source.view().topics.get('t')!.partitions.map((p) => p.replicas)).toEqual([[1], [2], [1]]);

    c.stub2.deferViews = false;
    const alter = await client.request(ApiKey.AlterConfigs, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: 'compact' }] }], validateOnly: false }, AlterConfigsResponseCodec);
    expect(alter.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(c.source.view().topicConfigs.get('t')).toEqual({ 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    const inc = await client.request(ApiKey.IncrementalAlterConfigs, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 1, value: null }, { name: 'cleanup.policy', configOperation: 2, value: 'delete' }] }],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(inc.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(c.stub2.calls[2]).toEqual({ op: 'alterConfigs', req: { resource: { type: 'topic', name: 't' }, mode: 'incremental', configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': null } } });
    expect(c.source.view().topicConfigs.get('t')).toEqual({ 'cleanup.policy': 'compact,delete' });
    const brokerCfg = await client.request(ApiKey.IncrementalAlterConfigs, 1, IncrementalAlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '2', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '60000' }] }], validateOnly: false }, IncrementalAlterConfigsResponseCodec);
    expect(brokerCfg.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(c.source.view().brokerConfigs.get(2)).toEqual({ 'log.retention.ms': '60000' });

    c.stub2.deferViews = true;
    const del = client.send(ApiKey.DeleteTopics, 6, DeleteTopicsRequestCodec, { topics: [{ name: null, topicId }], topicNames: [], timeoutMs: 30_000 });
    await until(() => c.stub2.calls.length === 5, 'the controller getting DeleteTopics');
    await turns(20);
    expect(client.bufferedResponses).toBe(0);
    c.stub2.flushViews();
    expect((await client.receive(del, DeleteTopicsResponseCodec)).responses).toEqual([{ name: 't', topicId, errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(c.stub2.calls[4]).toEqual({ op: 'deleteTopic', name: 't' });
    expect(c.stub1.calls).toEqual([]);
  });

  it('the cluster-wide default broker configs ("") travel to the controller as broker-default and back', async () => {
    c = await startCluster();
    // The client alone: the resource maps to BROKER "" on the wire and back to broker-default.
    expect(await c.link1.controller.alterConfigs({ resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'log.retention.ms': '5000' } })).toEqual(ok);
    expect(c.stub2.calls[0]).toEqual({ op: 'alterConfigs', req: { resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'log.retention.ms': '5000' } } });
    expect(c.source.view().brokerDefaultConfigs).toEqual({ 'log.retention.ms': '5000' });
    expect(c.source.view().brokerConfigs.size).toBe(0);
    // A Kafka client's AlterConfigs on "" at broker 1: forwarded, answered once the view shows it.
    const client = await clientOf(c, c.b1);
    const replaced = await client.request(ApiKey.AlterConfigs, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'message.max.bytes', value: '4000' }] }], validateOnly: false }, AlterConfigsResponseCodec);
    expect(replaced.responses[0]).toMatchObject({ resourceName: '', errorCode: ErrorCode.NONE });
    expect(c.stub2.calls[1]).toEqual({ op: 'alterConfigs', req: { resource: { type: 'broker-default' }, mode: 'replace', configs: { 'message.max.bytes': '4000' } } });
    expect(c.source.view().brokerDefaultConfigs).toEqual({ 'message.max.bytes': '4000' });
    // An error reply comes back as is.
    c.stub2.nextReply = { ok: false, code: 'REQUEST_TIMED_OUT', message: 'stale' };
    const refused = await client.request(ApiKey.IncrementalAlterConfigs, 1, IncrementalAlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'message.max.bytes', configOperation: 1, value: null }] }], validateOnly: false }, IncrementalAlterConfigsResponseCodec);
    expect(refused.responses[0]).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'stale' });
    expect(c.stub2.calls[2]).toEqual({ op: 'alterConfigs', req: { resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'message.max.bytes': null } } });
    expect(c.stub1.calls).toEqual([]);
  });

  it('ControlledShutdown is served in a cluster only, through the controller', async () => {
    c = await startCluster();
    const client = await clientOf(c, c.b1);
    const versions = await client.request(ApiKey.ApiVersions, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
    expect(versions.apiKeys.find((k) => k.apiKey === ApiKey.ControlledShutdown)).toMatchObject({ minVersion: 0, maxVersion: 3 });
    const res = await client.request(ApiKey.ControlledShutdown, 3, ControlledShutdownRequestCodec, { brokerId: 1, brokerEpoch: -1 }, ControlledShutdownResponseCodec);
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, remainingPartitions: [] });
    expect(c.stub2.calls).toEqual([{ op: 'controlledShutdown', brokerId: 1 }]);
    c.source.putTopic('led', 'AAAAAAAAAAAAAAAAAAAAAQ', [[1], [2], [1]]);
    c.stub2.nextReply = { ok: false, code: 'REQUEST_TIMED_OUT', message: 'still leading' };
    const refused = await client.request(ApiKey.ControlledShutdown, 3, ControlledShutdownRequestCodec, { brokerId: 1, brokerEpoch: -1 }, ControlledShutdownResponseCodec);
    expect(refused).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, remainingPartitions: [{ topicName: 'led', partitionIndex: 0 }, { topicName: 'led', partitionIndex: 2 }] });
    // A forwarded one at broker 1 (not the controller) is refused, not forwarded.
    const forwarded = await clientOf(c, c.b1, 'samsa-forward-7');
    const again = await forwarded.request(ApiKey.ControlledShutdown, 3, ControlledShutdownRequestCodec, { brokerId: 1, brokerEpoch: -1 }, ControlledShutdownResponseCodec);
    expect(again.errorCode).toBe(ErrorCode.NOT_CONTROLLER);
    expect(c.stub2.calls.length).toBe(2);
  });
});

describe('a single broker', () => {
  it('neither advertises nor serves ControlledShutdown', async () => {
    const tb = await startTestBroker();
    try {
      const client = await tb.connect();
      const versions = await client.request(ApiKey.ApiVersions, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
      expect(versions.apiKeys.some((k) => k.apiKey === ApiKey.ControlledShutdown)).toBe(false);
      await client.close();
    } finally {
      await tb.stop();
    }
  });
});
