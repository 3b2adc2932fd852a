// Admin APIs end to end on the memory runtime, every advertised version of each.
import {
  AlterConfigsRequestCodec,
  AlterConfigsResponseCodec,
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteRecordsRequestCodec,
  DeleteRecordsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  DescribeClusterRequestCodec,
  DescribeClusterResponseCodec,
  DescribeConfigsRequestCodec,
  DescribeConfigsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSource } from './config/config-types.ts';
import type { Logger } from './observability/logger.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function setup(overrides: string[] = []): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides: ['log.segment.bytes=1048576', ...overrides] });
  return { tb, client: await tb.connect() };
}

async function create(client: KafkaTestClient, name: string, partitions = 1, configs: Record<string, string> = {}) {
  const res = await client.request(19, 7, CreateTopicsRequestCodec, createTopicsBody(name, partitions, {}, configs), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

describe('admin APIs', () => {
  it('DeleteTopics v0-v6 by name (and v6 by id); unknown topics get errors', async () => {
    const { client, tb } = await setup();
    for (let v = 0; v <= 6; v++) {
      await create(client, `d${v}`);
      const id = tb.broker.registry.topic(`d${v}`)!.record.topicId;
      const body = v >= 6 ? { topics: [{ name: null, topicId: id }, { name: 'nope', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 1000 } : { topics: [], topicNames: [`d${v}`, 'nope'], timeoutMs: 1000 };
      const res = await client.request(20, v, DeleteTopicsRequestCodec, body, DeleteTopicsResponseCodec);
      expect(res.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect(res.responses[0]!.name).toBe(`d${v}`);
      expect(tb.broker.registry.topic(`d${v}`)).toBeUndefined();
    }
    // A deleted topic can be created again, empty.
    await create(client, 'd0');
    expect(tb.broker.registry.partition('d0', 0)!.log.logEndOffset).toBe(0);
  });

  it('DescribeCluster v0-v1 and FindCoordinator v0-v4 answer this broker', async () => {
    const { client, tb } = await setup();
    for (let v = 0; v <= 1; v++) {
      const res = await client.request(60, v, DescribeClusterRequestCodec, { includeClusterAuthorizedOperations: false, endpointType: 1 }, DescribeClusterResponseCodec);
      expect(res).toMatchObject({ errorCode: 0, clusterId: tb.broker.registry.clusterId, controllerId: 1 });
      expect(res.brokers).toEqual([expect.objectContaining({ brokerId: 1, host: '127.0.0.1', port: tb.port })]);
    }
    for (let v = 0; v <= 4; v++) {
      const res = await client.request(10, v, FindCoordinatorRequestCodec, { key: v < 4 ? 'group-a' : '', keyType: 0, coordinatorKeys: v >= 4 ? ['group-a', 'group-b'] : [] }, FindCoordinatorResponseCodec);
      if (v < 4) expect(res).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port: tb.port });
      else expect(res.coordinators.map((c) => [c.key, c.nodeId, c.errorCode])).toEqual([['group-a', 1, 0], ['group-b', 1, 0]]);
    }
  });

  it('CreatePartitions v0-v3 grows topics, refuses to shrink, validate-only changes nothing', async () => {
    const { client, tb } = await setup();
    await create(client, 'cp', 1);
    for (let v = 0; v <= 3; v++) {
      const res = await client.request(37, v, CreatePartitionsRequestCodec, { topics: [{ name: 'cp', count: v + 2, assignments: null }, { name: 'none', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false }, CreatePartitionsResponseCodec);
      expect(res.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect(tb.broker.registry.topic('cp')!.partitions).toHaveLength(v + 2);
    }
    const shrink = await client.request(37, 3, CreatePartitionsRequestCodec, { topics: [{ name: 'cp', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false }, CreatePartitionsResponseCodec);
    expect(shrink.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const dry = await client.request(37, 3, CreatePartitionsRequestCodec, { topics: [{ name: 'cp', count: 9, assignments: null }], timeoutMs: 1000, validateOnly: true }, CreatePartitionsResponseCodec);
    expect(dry.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(tb.broker.registry.topic('cp')!.partitions).toHaveLength(5);
    // New partitions take writes.
    const p = await client.request(0, 9, ProduceRequestCodec, produceBody('cp', 4, batchOf(['new'])), ProduceResponseCodec);
    expect(p.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });

  it('DescribeConfigs v0-v4: topic overrides, static broker values and Kafka defaults with their sources', async () => {
    const { client } = await setup(['log.retention.hours=24']);
    await create(client, 'dc', 1, { 'cleanup.policy': 'compact' });
    for (let v = 0; v <= 4; v++) {
      const res = await client.request(32, v, DescribeConfigsRequestCodec, {
        resources: [
          { resourceType: 2, resourceName: 'dc', configurationKeys: null },
          { resourceType: 4, resourceName: '1', configurationKeys: ['message.max.bytes', 'log.segment.bytes'] },
          { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        ],
        includeSynonyms: v >= 1,
        includeDocumentation: false,
      }, DescribeConfigsResponseCodec);
      const [topic, broker, missing] = res.results;
      expect(topic!.errorCode).toBe(0);
      const get = (name: string) => topic!.configs.find((c) => c.name === name)!;
      expect(get('cleanup.policy').value).toBe('compact');
      expect(get('retention.ms').value).toBe(String(24 * 3_600_000));
      expect(get('max.message.bytes').value).toBe('1048588');
      if (v >= 1) {
        expect(get('cleanup.policy').configSource).toBe(ConfigSource.TOPIC_CONFIG);
        expect(get('retention.ms').configSource).toBe(ConfigSource.STATIC_BROKER_CONFIG);
        expect(get('max.message.bytes').configSource).toBe(ConfigSource.DEFAULT_CONFIG);
        expect(get('cleanup.policy').synonyms.map((s) => s.source)).toEqual([ConfigSource.TOPIC_CONFIG, ConfigSource.DEFAULT_CONFIG]);
      } else {
        expect(get('max.message.bytes').isDefault).toBe(true);
      }
      expect(broker!.configs.map((c) => [c.name, c.value])).toEqual([
        ['log.segment.bytes', '1048576'],
        ['message.max.bytes', '1048588'],
      ]);
      expect(missing!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });

  it('AlterConfigs v0-v2 replaces topic overrides and dynamic broker configs; bad values are INVALID_CONFIG', async () => {
    const { client, tb } = await setup();
    await create(client, 'ac', 1, { 'retention.ms': '1000' });
    for (let v = 0; v <= 2; v++) {
      const res = await client.request(33, v, AlterConfigsRequestCodec, {
        resources: [
          { resourceType: 2, resourceName: 'ac', configs: [{ name: 'max.message.bytes', value: String(2000 + v) }] },
          { resourceType: 2, resourceName: 'ac', configs: [{ name: 'retention.ms', value: 'never' }] },
          { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', value: '5000' }] },
          { resourceType: 4, resourceName: '', configs: [{ name: 'node.id', value: '5' }] },
        ],
        validateOnly: false,
      }, AlterConfigsResponseCodec);
      expect(res.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_CONFIG, ErrorCode.NONE, ErrorCode.INVALID_CONFIG]);
      expect(tb.broker.registry.topic('ac')!.record.configs).toEqual({ 'max.message.bytes': String(2000 + v) });
    }
    expect(tb.broker.registry.dynamicBrokerConfigs).toEqual({ 'log.retention.ms': '5000' });
    // The new max.message.bytes applies at once.
    const big = await client.request(0, 9, ProduceRequestCodec, produceBody('ac', 0, batchOf(['x'.repeat(3000)])), ProduceResponseCodec);
    expect(big.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    await tb.restart();
    expect(tb.broker.registry.topic('ac')!.record.configs).toEqual({ 'max.message.bytes': '2002' });
    expect(tb.broker.registry.dynamicBrokerConfigs).toEqual({ 'log.retention.ms': '5000' });
  });

  it('IncrementalAlterConfigs v0-v1: set, delete, append, subtract', async () => {
    const { client, tb } = await setup();
    await create(client, 'ia', 1, { 'retention.ms': '1000' });
    const alter = (v: number, configs: Array<{ name: string; configOperation: number; value: string | null }>) =>
      client.request(44, v, IncrementalAlterConfigsRequestCodec, { resources: [{ resourceType: 2, resourceName: 'ia', configs }], validateOnly: false }, IncrementalAlterConfigsResponseCodec);
    for (let v = 0; v <= 1; v++) {
      expect((await alter(v, [{ name: 'segment.ms', configOperation: 0, value: '60000' }, { name: 'retention.ms', configOperation: 1, value: null }])).responses[0]!.errorCode).toBe(0);
      expect(tb.broker.registry.topic('ia')!.record.configs).toEqual({ 'segment.ms': '60000' });
      expect((await alter(v, [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }])).responses[0]!.errorCode).toBe(0);
      expect(tb.broker.registry.topic('ia')!.record.configs['cleanup.policy']).toBe('delete,compact');
      expect((await alter(v, [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).responses[0]!.errorCode).toBe(0);
      expect(tb.broker.registry.topic('ia')!.record.configs['cleanup.policy']).toBe('compact');
      expect((await alter(v, [{ name: 'segment.ms', configOperation: 0, value: '-5' }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect((await alter(v, [{ name: 'cleanup.policy', configOperation: 1, value: null }, { name: 'retention.ms', configOperation: 0, value: '1000' }])).responses[0]!.errorCode).toBe(0);
    }
  });

  it('DeleteRecords v0-v2 moves the log start offset; fetch below it is OFFSET_OUT_OF_RANGE', async () => {
    const { client } = await setup();
    await create(client, 'dr', 1);
    for (let i = 0; i < 6; i++) await client.request(0, 9, ProduceRequestCodec, produceBody('dr', 0, batchOf([`r${i}`])), ProduceResponseCodec);
    for (let v = 0; v <= 2; v++) {
      const res = await client.request(21, v, DeleteRecordsRequestCodec, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: v + 1 }, { partitionIndex: 9, offset: 0 }] }], timeoutMs: 1000 }, DeleteRecordsResponseCodec);
      expect(res.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark])).toEqual([[0, v + 1], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1]]);
    }
    const tooFar = await client.request(21, 2, DeleteRecordsRequestCodec, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 99 }] }], timeoutMs: 1000 }, DeleteRecordsResponseCodec);
    expect(tooFar.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const below = await client.request(1, 12, FetchRequestCodec, fetchBody('dr', 0, 0), FetchResponseCodec);
    expect(below.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 3 });
    const from = await client.request(1, 12, FetchRequestCodec, fetchBody('dr', 0, 3), FetchResponseCodec);
    expect(valuesOf(from.responses[0]!.partitions[0]!.records).map((r) => r.value)).toEqual(['r3', 'r4', 'r5']);
    const all = await client.request(21, 2, DeleteRecordsRequestCodec, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 1000 }, DeleteRecordsResponseCodec);
    expect(all.topics[0]!.partitions[0]!.lowWatermark).toBe(6);
  });

  it('changed segment.bytes and flush.messages reach the open log at once (samsa log store), no restart', async () => {
    const { client, tb } = await setup();
    await create(client, 'live', 1);
    const produce = async (i: number) => {
      const res = await client.request(0, 9, ProduceRequestCodec, produceBody('live', 0, batchOf([`value-${i}-${'x'.repeat(100)}`])), ProduceResponseCodec);
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    };
    const segmentFiles = async () => (await tb.fs.readDir('/data/live-0')).filter((n) => n.endsWith('.log')).length;
    const alter = async (configs: Array<{ name: string; configOperation: number; value: string | null }>) => {
      const res = await client.request(44, 1, IncrementalAlterConfigsRequestCodec, { resources: [{ resourceType: 2, resourceName: 'live', configs }], validateOnly: false }, IncrementalAlterConfigsResponseCodec);
      expect(res.responses[0]!.errorCode).toBe(0);
    };
    for (let i = 0; i < 4; i++) await produce(i);
    let syncs = tb.fs.opCount('sync');
    for (let i = 4; i < 8; i++) await produce(i);
    expect(tb.fs.opCount('sync')).toBe(syncs); // flush.messages unset: no sync on the produce path
    expect(await segmentFiles()).toBe(1);

    await alter([{ name: 'segment.bytes', configOperation: 0, value: '400' }, { name: 'flush.messages', configOperation: 0, value: '1' }]);
    syncs = tb.fs.opCount('sync');
    for (let i = 8; i < 16; i++) await produce(i);
    expect(tb.fs.opCount('sync') - syncs).toBeGreaterThanOrEqual(8); // one per acknowledged produce
    expect(await segmentFiles()).toBeGreaterThanOrEqual(3); // ~190-byte batches, 400-byte segments

    await alter([{ name: 'flush.messages', configOperation: 1, value: null }]);
    syncs = tb.fs.opCount('sync');
    const segmentsBefore = await segmentFiles();
    for (let i = 16; i < 20; i++) await produce(i);
    // No sync per produce; only a roll syncs the segment it closes (log/local-log.ts).
    expect(tb.fs.opCount('sync') - syncs).toBe((await segmentFiles()) - segmentsBefore);
    const offsets: number[] = [];
    for (let i = 0; i < 20 && offsets.length < 20; i++) {
      const res = await client.request(1, 12, FetchRequestCodec, fetchBody('live', 0, offsets.length), FetchResponseCodec);
      offsets.push(...valuesOf(res.responses[0]!.partitions[0]!.records).map((r) => r.offset)); // a fetch reads one segment
    }
    expect(offsets).toEqual([...Array(20).keys()]);
  });

  it('the log manager\'s retention task deletes old segments by size and by time, with current topic configs, and tells the broker', async () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger: Logger = {
      debug: () => {},
      info: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg: msg ?? '' }),
      warn: () => {},
      error: () => {},
      child: () => logger,
    };
    tb = await startTestBroker({ overrides: ['log.segment.bytes=1048576', 'log.retention.check.interval.ms=1000'], logger });
    const client = await tb.connect();
    const broker = tb;
    await create(client, 'ret', 1, { 'segment.bytes': '200', 'retention.bytes': '400' });
    for (let i = 0; i < 10; i++) await client.request(0, 9, ProduceRequestCodec, produceBody('ret', 0, batchOf([`value-${i}`.repeat(4)])), ProduceResponseCodec);
    const p = tb.broker.registry.partition('ret', 0)!;
    expect(p.log.logStartOffset).toBe(0);
    /** Moves the clock a retention interval at a time (letting the pass run) until `done()`; bounded. */
    const tickUntil = async (done: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 200 && !done(); i++) {
        await broker.clock.advanceAsync(1000);
        for (let j = 0; j < 20; j++) await new Promise((r) => setTimeout(r, 0));
      }
      if (!done()) throw new Error(`${what} did not happen`);
    };
    await tickUntil(() => p.log.logStartOffset > 0, 'retention by size');
    const start = p.log.logStartOffset;
    expect(p.log.sizeBytes).toBeGreaterThanOrEqual(400);
    const deleted = lines.find((l) => l.msg === 'retention deleted segments');
    expect(deleted?.obj).toMatchObject({ topic: 'ret', partition: 0, logStartOffset: start, reason: 'retention-bytes' });
    const below = await client.request(1, 12, FetchRequestCodec, fetchBody('ret', 0, 0), FetchResponseCodec);
    expect(below.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    // Time: switch to retention.ms=1000 at runtime, let time pass, everything goes.
    const alter = await client.request(44, 1, IncrementalAlterConfigsRequestCodec, { resources: [{ resourceType: 2, resourceName: 'ret', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }, { name: 'retention.bytes', configOperation: 1, value: null }] }], validateOnly: false }, IncrementalAlterConfigsResponseCodec);
    expect(alter.responses[0]!.errorCode).toBe(0);
    tb.clock.advance(60_000);
    await tickUntil(() => p.log.logStartOffset === 10, 'retention by time');
    expect(p.log.logEndOffset).toBe(10);
  });
});
