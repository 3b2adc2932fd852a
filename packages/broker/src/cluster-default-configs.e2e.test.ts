// Cluster-wide default broker configs (the broker resource "", Kafka's `--entity-default`)
// end to end on the memory runtime, with a FakeClusterLink (views set by hand, controller
// calls recorded). Node 1 is this broker; node 2 exists only in the view. Checked:
//   - DescribeConfigs of broker 1: its own override (DYNAMIC_BROKER_CONFIG) over the
//     cluster default (DYNAMIC_DEFAULT_BROKER_CONFIG) over server.properties
//     (STATIC_BROKER_CONFIG) over Kafka's default (DEFAULT_CONFIG), with synonyms in that
//     order; another broker's override counts for nothing here; topics inherit the same;
//   - DescribeConfigs of broker "" lists only the defaults that are set;
//   - a default topic-affecting config (message.max.bytes, log.retention.ms) reaches the
//     open replicas through the view, a per-broker override wins over it, and removing it
//     restores the static value; a broker opened on a view with defaults starts with them;
//   - AlterConfigs / IncrementalAlterConfigs on "" go to the controller as `broker-default`
//     (APPEND on the default's effective value; a broker's APPEND sees the default below it);
//     validate_only does not call the controller;
//   - a single broker's "" is still its own dynamic configs (unchanged).
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  DescribeConfigsRequestCodec,
  DescribeConfigsResponseCodec,
  ErrorCode,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import type { DescribeConfigsResponse, ProduceResponse } from '@samsa/codec';
import { ClusterImage, ClusterKeys, encodeConfigRecord } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { viewFromImage } from './cluster/cluster-view.ts';
import { parseServerConfig } from './config/server-config.ts';
import { ConfigSource } from './config/config-types.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import type { ClusterViewSpec } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';

const ME = 1;
const OTHER = 2;
const BROKERS = [{ nodeId: ME, port: 9091 }, { nodeId: OTHER, port: 9092 }];
const TOPIC = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ leader: ME, leaderEpoch: 1, replicas: [ME, OTHER] }] };
const { DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG } = ConfigSource;

function view(spec: Partial<ClusterViewSpec> & { revision: number }) {
  return buildClusterView({ controllerId: OTHER, brokers: BROKERS, topics: [TOPIC], ...spec });
}

interface Setup {
  broker: Broker;
  link: FakeClusterLink;
  client: KafkaTestClient;
}

let open: Broker | null = null;
afterEach(async () => {
  await open?.shutdown();
  open = null;
});

/** server.properties sets log.retention.hours (so log.retention.ms is STATIC) and log.segment.bytes. */
async function setup(first = view({ revision: 1 })): Promise<Setup> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
  const transport = new MemoryTransport();
  const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`, 'log.retention.hours=1', 'log.segment.bytes=2000000'] });
  const link = new FakeClusterLink(ME, first);
  const broker = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: link });
  open = broker;
  await broker.settled();
  const listener = await broker.listen(transport);
  const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
  return { broker, link, client };
}

async function publish(s: Setup, next: ReturnType<typeof view>): Promise<void> {
  s.link.publish(next);
  await s.broker.settled();
}

function describeConfigs(client: KafkaTestClient, resourceType: number, resourceName: string, keys: string[] | null): Promise<DescribeConfigsResponse> {
  return client.request(32, 4, DescribeConfigsRequestCodec, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false }, DescribeConfigsResponseCodec);
}

/** name → [value, source, synonym sources] of the first result. */
function summary(res: DescribeConfigsResponse): Record<string, [string | null, number, number[]]> {
  const out: Record<string, [string | null, number, number[]]> = {};
  for (const c of res.results[0]!.configs) out[c.name] = [c.value, c.configSource, c.synonyms.map((s) => s.source)];
  return out;
}

function produce(client: KafkaTestClient, values: string[]): Promise<ProduceResponse> {
  return client.request(0, 9, ProduceRequestCodec, produceBody('t', 0, batchOf(values)), ProduceResponseCodec);
}

const produceCode = (r: ProduceResponse): number | undefined => r.responses[0]?.partitionResponses[0]?.errorCode;

describe('cluster-wide default broker configs', () => {
  it('DescribeConfigs of a broker: own override, then the cluster default, then server.properties, then Kafka default', async () => {
    const s = await setup(
      view({
        revision: 1,
        brokerDefaultConfigs: { 'log.retention.ms': '1111', 'log.segment.bytes': '3000000', 'log.roll.ms': '7200000' },
        brokerConfigs: { [ME]: { 'log.retention.ms': '2222', 'message.max.bytes': '5000' }, [OTHER]: { 'log.roll.ms': '60000', 'log.index.interval.bytes': '100' } },
      }),
    );
    const broker = summary(await describeConfigs(s.client, 4, String(ME), ['log.retention.ms', 'log.segment.bytes', 'log.roll.ms', 'message.max.bytes', 'log.index.interval.bytes']));
    expect(broker).toEqual({
      'log.retention.ms': ['2222', DYNAMIC_BROKER_CONFIG, [DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG]],
      'log.segment.bytes': ['3000000', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG]],
      'log.roll.ms': ['7200000', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, DEFAULT_CONFIG]],
      'message.max.bytes': ['5000', DYNAMIC_BROKER_CONFIG, [DYNAMIC_BROKER_CONFIG, DEFAULT_CONFIG]],
      'log.index.interval.bytes': ['4096', DEFAULT_CONFIG, [DEFAULT_CONFIG]],
    });
    // A topic inherits the same layers through its broker synonyms; its own override wins.
    const topic = summary(await describeConfigs(s.client, 2, 't', ['retention.ms', 'segment.bytes', 'segment.ms']));
    expect(topic['retention.ms']).toEqual(['2222', DYNAMIC_BROKER_CONFIG, [DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG]]);
    expect(topic['segment.bytes']).toEqual(['3000000', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG]]);
    expect(topic['segment.ms']).toEqual(['7200000', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, DEFAULT_CONFIG]]);
    await publish(s, view({ revision: 2, brokerDefaultConfigs: { 'log.segment.bytes': '3000000' }, topicConfigs: { t: { 'segment.bytes': '4000000' } } }));
    const overridden = summary(await describeConfigs(s.client, 2, 't', ['segment.bytes']));
    expect(overridden['segment.bytes']).toEqual(['4000000', 1, [1, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG]]);
  });

  it('DescribeConfigs of broker "" lists only the cluster defaults that are set', async () => {
    const s = await setup(view({ revision: 1, brokerDefaultConfigs: { 'log.retention.ms': '1111', 'message.max.bytes': '4000' }, brokerConfigs: { [ME]: { 'log.retention.ms': '2222' } } }));
    const res = await describeConfigs(s.client, 4, '', null);
    expect(res.results[0]).toMatchObject({ resourceType: 4, resourceName: '', errorCode: ErrorCode.NONE });
    expect(summary(res)).toEqual({
      'log.retention.ms': ['1111', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG]],
      'message.max.bytes': ['4000', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, DEFAULT_CONFIG]],
    });
    await publish(s, view({ revision: 2 }));
    expect((await describeConfigs(s.client, 4, '', null)).results[0]).toMatchObject({ errorCode: ErrorCode.NONE, configs: [] });
  });

  it('a default topic config reaches the open replicas through the view; the broker override wins; removal restores', async () => {
    const s = await setup();
    const big = Array.from({ length: 10 }, () => 'v'.repeat(40));
    const p = () => s.broker.registry.partition('t', 0)!;
    expect(p().config.retentionMs).toBe(3_600_000);
    expect(produceCode(await produce(s.client, big))).toBe(ErrorCode.NONE);
    await publish(s, view({ revision: 2, brokerDefaultConfigs: { 'message.max.bytes': '150', 'log.retention.ms': '5000' } }));
    expect(p().config.maxMessageBytes).toBe(150);
    expect(p().config.retentionMs).toBe(5000);
    expect(produceCode(await produce(s.client, big))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    // Another broker's override changes nothing here; this broker's own wins over the default.
    await publish(s, view({ revision: 3, brokerDefaultConfigs: { 'message.max.bytes': '150', 'log.retention.ms': '5000' }, brokerConfigs: { [OTHER]: { 'message.max.bytes': '100000' } } }));
    expect(p().config.maxMessageBytes).toBe(150);
    await publish(s, view({ revision: 4, brokerDefaultConfigs: { 'message.max.bytes': '150', 'log.retention.ms': '5000' }, brokerConfigs: { [ME]: { 'message.max.bytes': '100000' } } }));
    expect(p().config.maxMessageBytes).toBe(100_000);
    expect(p().config.retentionMs).toBe(5000);
    expect(produceCode(await produce(s.client, big))).toBe(ErrorCode.NONE);
    await publish(s, view({ revision: 5 }));
    expect(p().config.retentionMs).toBe(3_600_000);
    expect(p().config.maxMessageBytes).toBe(1_048_588);
  });

  it('a broker opened on a view with defaults starts its replicas with them', async () => {
    const s = await setup(view({ revision: 1, brokerDefaultConfigs: { 'log.retention.ms': '5000', 'message.max.bytes': '150' } }));
    expect(s.broker.registry.partition('t', 0)!.config).toMatchObject({ retentionMs: 5000, maxMessageBytes: 150 });
    expect(produceCode(await produce(s.client, Array.from({ length: 10 }, () => 'v'.repeat(40))))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('AlterConfigs and IncrementalAlterConfigs on "" go to the controller as the broker-default resource', async () => {
    const s = await setup(view({ revision: 1, brokerDefaultConfigs: { 'log.cleanup.policy': 'compact' } }));
    let revision = 1;
    let defaults: Record<string, string> = { 'log.cleanup.policy': 'compact' };
    let mine: Record<string, string> = {};
    // The recording controller applies each change to the next view, as the real one's writes would show.
    s.link.controller.reply = (call) => {
      if (call.method !== 'alterConfigs') return { ok: false, code: 'INVALID_REQUEST', message: 'unexpected' };
      const r = call.req.resource;
      const base = r.type === 'broker-default' ? defaults : mine;
      const next: Record<string, string> = call.req.mode === 'replace' ? {} : { ...base };
      for (const [k, v] of Object.entries(call.req.configs)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      if (r.type === 'broker-default') defaults = next;
      else mine = next;
      s.link.publish(view({ revision: ++revision, brokerDefaultConfigs: defaults, brokerConfigs: { [ME]: mine } }));
      return { ok: true };
    };
    const dry = await s.client.request(33, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: '9000' }] }], validateOnly: true }, AlterConfigsResponseCodec);
    expect(dry.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const bad = await s.client.request(33, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'node.id', value: '5' }] }], validateOnly: false }, AlterConfigsResponseCodec);
    expect(bad.responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(s.link.controller.calls).toEqual([]);

    // APPEND on "" extends the default's value.
    const inc = await s.client.request(44, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.cleanup.policy', configOperation: 2, value: 'delete' }, { name: 'log.retention.ms', configOperation: 0, value: '9000' }] }],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(inc.responses[0]).toMatchObject({ resourceName: '', errorCode: ErrorCode.NONE });
    expect(s.link.controller.calls[0]).toEqual({ method: 'alterConfigs', req: { resource: { type: 'broker-default' }, mode: 'incremental', configs: { 'log.cleanup.policy': 'compact,delete', 'log.retention.ms': '9000' } } });
    expect(s.link.view().brokerDefaultConfigs).toEqual({ 'log.cleanup.policy': 'compact,delete', 'log.retention.ms': '9000' });
    await s.broker.settled();
    expect(s.broker.registry.partition('t', 0)!.config.retentionMs).toBe(9000);

    // A broker's SUBTRACT works on its effective value, which the default supplies.
    const own = await s.client.request(44, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [{ resourceType: 4, resourceName: String(ME), configs: [{ name: 'log.cleanup.policy', configOperation: 3, value: 'compact' }] }],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(own.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(s.link.controller.calls[1]).toEqual({ method: 'alterConfigs', req: { resource: { type: 'broker', brokerId: ME }, mode: 'incremental', configs: { 'log.cleanup.policy': 'delete' } } });

    // The legacy form replaces the whole default set.
    const replaced = await s.client.request(33, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'message.max.bytes', value: '4000' }] }], validateOnly: false }, AlterConfigsResponseCodec);
    expect(replaced.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(s.link.controller.calls[2]).toEqual({ method: 'alterConfigs', req: { resource: { type: 'broker-default' }, mode: 'replace', configs: { 'message.max.bytes': '4000' } } });
    expect(s.link.view().brokerDefaultConfigs).toEqual({ 'message.max.bytes': '4000' });
    const described = summary(await describeConfigs(s.client, 4, String(ME), ['message.max.bytes', 'log.cleanup.policy']));
    expect(described).toEqual({
      'message.max.bytes': ['4000', DYNAMIC_DEFAULT_BROKER_CONFIG, [DYNAMIC_DEFAULT_BROKER_CONFIG, DEFAULT_CONFIG]],
      'log.cleanup.policy': ['delete', DYNAMIC_BROKER_CONFIG, [DYNAMIC_BROKER_CONFIG, DEFAULT_CONFIG]],
    });
  });

  it('viewFromImage carries the image default record into brokerDefaultConfigs (a copy)', () => {
    const keys = new ClusterKeys('c1');
    const image = new ClusterImage(keys);
    expect(viewFromImage(image, 'c1').brokerDefaultConfigs).toEqual({});
    image.load([{ key: keys.brokerDefaultConfig, value: encodeConfigRecord({ configs: { 'log.retention.ms': '5' } }), createRevision: 3, modRevision: 3, version: 1, lease: null }], 3);
    const v = viewFromImage(image, 'c1');
    expect(v.brokerDefaultConfigs).toEqual({ 'log.retention.ms': '5' });
    expect(v.brokerDefaultConfigs).not.toBe(image.brokerDefaultConfig!.record.configs);
    expect(v.brokerConfigs.size).toBe(0);
  });
});

describe('a single broker', () => {
  it('"" still names its own dynamic configs (DescribeConfigs shows them as DYNAMIC_BROKER_CONFIG)', async () => {
    const tb = await startTestBroker({ overrides: ['node.id=3'] });
    try {
      const client = await tb.connect();
      const res = await client.request(33, 2, AlterConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: '5000' }] }], validateOnly: false }, AlterConfigsResponseCodec);
      expect(res.responses[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(tb.broker.registry.dynamicBrokerConfigs).toEqual({ 'log.retention.ms': '5000' });
      expect(tb.broker.registry.clusterDefaultBrokerConfigs).toEqual({});
      for (const name of ['', '3']) {
        const described = await client.request(32, 4, DescribeConfigsRequestCodec, { resources: [{ resourceType: 4, resourceName: name, configurationKeys: ['log.retention.ms'] }], includeSynonyms: false, includeDocumentation: false }, DescribeConfigsResponseCodec);
        expect(described.results[0]!.configs).toMatchObject([{ name: 'log.retention.ms', value: '5000', configSource: DYNAMIC_BROKER_CONFIG }]);
      }
      await client.close();
    } finally {
      await tb.stop();
    }
  });
});
