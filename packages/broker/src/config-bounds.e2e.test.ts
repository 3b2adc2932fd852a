// Storage configs reach @samsa/log value for value: a value the log cannot take is refused
// where it is set, naming the key (CreateTopics, AlterConfigs, IncrementalAlterConfigs
// answer INVALID_CONFIG; server.properties throws ConfigError), never clamped on the way
// to the log. Before, segment.bytes 14-63 and segment.index.bytes 4-11 were accepted and
// silently raised to 64 / 12 between the topic config and the log config.
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
} from '@samsa/codec';
import { encodeConfigRecord, LocalMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config/config-types.ts';
import { LOG_SEGMENT_BYTES_MIN, LOG_SEGMENT_INDEX_BYTES_MIN } from './config/log-limits.ts';
import { parseServerConfig } from './config/server-config.ts';
import type { SamsaLogStore } from './partitions/samsa-log-store.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { MetadataCorruptError } from './topics/metadata-store.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function createTopic(client: KafkaTestClient, name: string, configs: Record<string, string>) {
  const res = await client.request(19, 7, CreateTopicsRequestCodec, createTopicsBody(name, 1, {}, configs), CreateTopicsResponseCodec);
  return res.topics[0]!;
}

/** The config the partition's @samsa/log Log runs with. */
function logConfigOf(b: TestBroker, topic: string) {
  const log = (b.broker.logs as SamsaLogStore).manager.getLog(topic, 0);
  if (log === undefined) throw new Error(`no log for ${topic}-0`);
  return log.config;
}

describe('storage configs the log cannot take', () => {
  it('CreateTopics answers INVALID_CONFIG naming the key, and creates nothing', async () => {
    tb = await startTestBroker();
    const client = await tb.connect();
    const cases: Array<[string, string]> = [
      ['segment.bytes', String(LOG_SEGMENT_BYTES_MIN - 1)],
      ['segment.bytes', '14'],
      ['segment.index.bytes', String(LOG_SEGMENT_INDEX_BYTES_MIN - 1)],
      ['segment.index.bytes', '4'],
    ];
    for (const [i, [key, value]] of cases.entries()) {
      const r = await createTopic(client, `bad-${i}`, { [key]: value });
      expect(r.errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(r.errorMessage).toContain(key);
      expect(tb.broker.registry.topic(`bad-${i}`)).toBeUndefined();
    }
  });

  it('the log gets exactly the value set at the minimum (no clamp)', async () => {
    tb = await startTestBroker();
    const client = await tb.connect();
    const r = await createTopic(client, 'edge', { 'segment.bytes': String(LOG_SEGMENT_BYTES_MIN), 'segment.index.bytes': String(LOG_SEGMENT_INDEX_BYTES_MIN) });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(logConfigOf(tb, 'edge')).toMatchObject({ segmentBytes: LOG_SEGMENT_BYTES_MIN, segmentIndexBytes: LOG_SEGMENT_INDEX_BYTES_MIN });
  });

  it('AlterConfigs and IncrementalAlterConfigs (topic and broker) answer INVALID_CONFIG naming the key, and change nothing', async () => {
    tb = await startTestBroker();
    const client = await tb.connect();
    expect((await createTopic(client, 't', { 'segment.bytes': '4096' })).errorCode).toBe(ErrorCode.NONE);
    const legacy = await client.request(33, 2, AlterConfigsRequestCodec, {
      resources: [
        { resourceType: 2, resourceName: 't', configs: [{ name: 'segment.bytes', value: '20' }] },
        { resourceType: 4, resourceName: '', configs: [{ name: 'log.index.size.max.bytes', value: '8' }] },
      ],
      validateOnly: false,
    }, AlterConfigsResponseCodec);
    expect(legacy.responses.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG]);
    expect(legacy.responses[0]!.errorMessage).toContain('segment.bytes');
    expect(legacy.responses[1]!.errorMessage).toContain('log.index.size.max.bytes');
    const incremental = await client.request(44, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [
        { resourceType: 2, resourceName: 't', configs: [{ name: 'segment.index.bytes', configOperation: 0, value: '11' }] },
        { resourceType: 4, resourceName: '', configs: [{ name: 'log.segment.bytes', configOperation: 0, value: '63' }] },
        { resourceType: 4, resourceName: '', configs: [{ name: 'log.roll.ms', configOperation: 0, value: '0' }] },
      ],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(incremental.responses.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG]);
    expect(incremental.responses.map((r) => r.errorMessage)).toEqual([
      expect.stringContaining('segment.index.bytes'),
      expect.stringContaining('log.segment.bytes'),
      expect.stringContaining('log.roll.ms'),
    ]);
    expect(tb.broker.registry.topic('t')!.record.configs).toEqual({ 'segment.bytes': '4096' });
    expect(tb.broker.registry.dynamicBrokerConfigs).toEqual({});
    expect(logConfigOf(tb, 't').segmentBytes).toBe(4096);
  });

  it('server.properties refuses them with a ConfigError naming the key', () => {
    const bad = ['log.segment.bytes=63', 'log.index.size.max.bytes=11', 'log.roll.ms=0', 'offsets.topic.segment.bytes=63', 'log.flush.interval.ms=-1'];
    for (const line of bad) {
      const key = line.split('=')[0]!;
      let thrown: unknown;
      try {
        parseServerConfig({ overrides: ['log.dirs=/data', line] });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).key).toBe(key);
      expect((thrown as ConfigError).message).toContain(key);
    }
  });
});

describe('stored configs the log cannot take', () => {
  async function stoppedWithTopicOld(): Promise<TestBroker> {
    const b = await startTestBroker();
    tb = b;
    const client = await b.connect();
    expect((await createTopic(client, 'old', { 'segment.bytes': '1024' })).errorCode).toBe(ErrorCode.NONE);
    await b.stop();
    return b;
  }

  async function restartError(b: TestBroker): Promise<unknown> {
    try {
      await b.restart();
    } catch (e) {
      return e;
    }
    return null;
  }

  it('a samsa-metadata.json holding one (an older version accepted it) stops the start and its migration, naming the file, topic and key', async () => {
    const b = await stoppedWithTopicOld();
    const topicId = b.broker.registry.topic('old')!.record.topicId;
    await b.fs.remove('/data/samsa-metadata.kv');
    const json = { formatVersion: 1, clusterId: 'c1', producerIdBlockEnd: 0, topics: [{ name: 'old', topicId, partitions: 1, configs: { 'segment.bytes': '20' } }], dynamicBrokerConfigs: {} };
    const file = await b.fs.open('/data/samsa-metadata.json', 'read-write', { truncate: true });
    await file.write(new TextEncoder().encode(JSON.stringify(json, null, 1)), 0);
    await file.close();
    const thrown = await restartError(b);
    expect(thrown).toBeInstanceOf(MetadataCorruptError);
    expect(String((thrown as Error).message)).toMatch(/samsa-metadata\.json: topic old: .*segment\.bytes/);
    // Nothing migrated: the JSON stays in charge.
    expect(await b.fs.stat('/data/samsa-metadata.json')).not.toBeNull();
    expect(await b.fs.stat('/data/samsa-metadata.kv')).toBeNull();
  });

  it('a samsa-metadata.kv holding one stops the start, naming the file, topic and key', async () => {
    const b = await stoppedWithTopicOld();
    const kv = await LocalMetadataStore.open({ fs: b.fs, dir: '/data', clock: b.clock, random: createRandom(1) });
    const key = (await kv.range('/samsa/')).kvs.map((x) => x.key).find((k) => k.endsWith('/configs/topics/old'))!;
    await kv.put(key, encodeConfigRecord({ configs: { 'segment.bytes': '20' } }));
    await kv.close();
    const thrown = await restartError(b);
    expect(thrown).toBeInstanceOf(MetadataCorruptError);
    expect(String((thrown as Error).message)).toMatch(/samsa-metadata\.kv: topic old: .*segment\.bytes/);
  });
});
