// End-to-end on the memory runtime: real requests encoded with the generated codecs go
// through a MemoryTransport connection into the broker; responses are decoded and checked.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  buildRecordBatch,
  computeBatchCrc,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  iterateRecords,
  ListOffsetsRequestCodec,
  ListOffsetsResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  splitRecordBatches,
  ZERO_UUID,
} from '@samsa/codec';
import type { CreateTopicsRequest, FetchRequest, FetchResponse, ProduceRequest, ProduceResponse } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest } from './testing/kafka-test-client.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { BASE_TS, batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function setup(overrides: string[] = []): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides });
  return { tb, client: await tb.connect() };
}

async function createTopic(client: KafkaTestClient, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, partitions, {}, configs), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

async function produce(client: KafkaTestClient, topic: string, partition: number, records: Uint8Array, version = 7, acks = 1): Promise<ProduceResponse> {
  return client.request(0, version, ProduceRequestCodec, produceBody(topic, partition, records, acks), ProduceResponseCodec);
}

async function fetch(client: KafkaTestClient, topic: string, partition: number, offset: number, version = 11, extra: Partial<FetchRequest> = {}): Promise<FetchResponse> {
  return client.request(1, version, FetchRequestCodec, fetchBody(topic, partition, offset, extra), FetchResponseCodec);
}

describe('broker on @samsa/log over the memory file system', () => {
  describe('ApiVersions', () => {
    it('answers every version 0-4 with exactly the served APIs', async () => {
      const { client, tb } = await setup();
      for (let v = 0; v <= 4; v++) {
        const res = await client.request(18, v, ApiVersionsRequestCodec, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
        expect(res.errorCode).toBe(ErrorCode.NONE);
        const keys = res.apiKeys.map((k) => k.apiKey);
        expect(keys).toEqual([...tb.broker.context.handlers.keys()].sort((a, b) => a - b));
        expect(res.apiKeys.find((k) => k.apiKey === 0)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 11, unknownTaggedFields: undefined });
        expect(keys).not.toContain(22 + 2); // AddPartitionsToTxn: transactions are not served, not advertised
      }
    });

    it('answers an unsupported version per KIP-511 (v0 body, UNSUPPORTED_VERSION, ranges) and keeps the connection', async () => {
      const { client } = await setup();
      // A v5 request (newer than any spec here): a v4 frame with its version field raised.
      const frame = encodeRequest(18, 4, 77, 'future', ApiVersionsRequestCodec, { clientSoftwareName: 'future', clientSoftwareVersion: '9' });
      new DataView(frame.buffer, frame.byteOffset).setInt16(6, 5);
      client.writeRaw(frame);
      const res = await client.receive({ apiKey: 18, apiVersion: 5, correlationId: 77 }, ApiVersionsResponseCodec, 0);
      expect(res.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(res.apiKeys.find((k) => k.apiKey === 18)).toMatchObject({ minVersion: 0, maxVersion: 4 });
      const again = await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
      expect(again.errorCode).toBe(ErrorCode.NONE);
    });
  });

  describe('Metadata and CreateTopics', () => {
    it('creates topics in every CreateTopics version and describes them in every Metadata version', async () => {
      const { client, tb } = await setup();
      for (let v = 0; v <= 7; v++) {
        const res = await client.request(19, v, CreateTopicsRequestCodec, createTopicsBody(`t${v}`, 2), CreateTopicsResponseCodec);
        expect(res.topics[0]).toMatchObject({ name: `t${v}`, errorCode: ErrorCode.NONE });
        if (v >= 5) expect(res.topics[0]?.numPartitions).toBe(2);
        if (v >= 7) expect(res.topics[0]?.topicId).not.toBe(ZERO_UUID);
      }
      for (let v = 0; v <= 12; v++) {
        const res = await client.request(3, v, MetadataRequestCodec, { topics: v === 0 ? [] : null, allowAutoTopicCreation: v < 4, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
        expect(res.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: tb.port })]);
        expect(res.topics.map((t) => t.name).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
        const t3 = res.topics.find((t) => t.name === 't3')!;
        expect(t3.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes])).toEqual([
          [0, 1, [1], [1]],
          [1, 1, [1], [1]],
        ]);
        if (v >= 1) expect(res.controllerId).toBe(1);
        if (v >= 2) expect(res.clusterId).toBe(tb.broker.registry.clusterId);
        if (v >= 10) expect(t3.topicId).toBe(tb.broker.registry.topic('t3')!.record.topicId);
      }
    });

    it('reports existing, invalid, reserved names, bad replication factor and bad configs; validate-only creates nothing', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'exists', 1);
      const req: CreateTopicsRequest = {
        topics: [
          { name: 'exists', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
          { name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
          { name: '__consumer_offsets', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
          { name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
          { name: 'zero', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
          { name: 'badcfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] },
          { name: 'unknowncfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such', value: '1' }] },
          { name: 'fine', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
        ],
        timeoutMs: 1000,
        validateOnly: true,
      };
      const res = await client.request(19, 7, CreateTopicsRequestCodec, req, CreateTopicsResponseCodec);
      expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
        ['exists', ErrorCode.TOPIC_ALREADY_EXISTS],
        ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
        ['__consumer_offsets', ErrorCode.INVALID_REQUEST],
        ['rf3', ErrorCode.INVALID_REPLICATION_FACTOR],
        ['zero', ErrorCode.INVALID_PARTITIONS],
        ['badcfg', ErrorCode.INVALID_CONFIG],
        ['unknowncfg', ErrorCode.INVALID_CONFIG],
        ['fine', ErrorCode.NONE],
      ]);
      expect(res.topics[5]?.errorMessage).toContain('retention.ms');
      const fine = res.topics[7]!;
      expect(fine.numPartitions).toBe(1);
      expect(fine.configs?.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', configSource: 1 });
      expect(tb.broker.registry.topic('fine')).toBeUndefined();
    });

    it('auto-creates a topic on Metadata when allowed, and not when the request forbids it', async () => {
      const { client, tb } = await setup(['num.partitions=3']);
      const no = await client.request(3, 9, MetadataRequestCodec, { topics: [{ topicId: ZERO_UUID, name: 'auto' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
      expect(no.topics[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const yes = await client.request(3, 9, MetadataRequestCodec, { topics: [{ topicId: ZERO_UUID, name: 'auto' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
      expect(yes.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, name: 'auto' });
      expect(yes.topics[0]?.partitions).toHaveLength(3);
      expect(tb.broker.registry.topic('auto')?.partitions).toHaveLength(3);
    });

    it('reloads topics from the metadata file after a restart', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'kept', 4, { 'retention.ms': '1234' });
      const id = tb.broker.registry.topic('kept')!.record.topicId;
      await tb.restart();
      const t = tb.broker.registry.topic('kept')!;
      expect(t.record).toMatchObject({ topicId: id, partitions: 4, configs: { 'retention.ms': '1234' } });
      expect(t.partitions).toHaveLength(4);
    });
  });

  describe('Produce and Fetch', () => {
    it('round-trips records in every Produce version 3-9 and every Fetch version 4-12', async () => {
      const { client } = await setup();
      await createTopic(client, 'p', 1);
      let expected: Array<{ offset: number; value: string }> = [];
      for (let v = 3; v <= 9; v++) {
        const res = await produce(client, 'p', 0, batchOf([`a${v}`, `b${v}`]), v);
        const pr = res.responses[0]!.partitionResponses[0]!;
        expect(pr.errorCode).toBe(ErrorCode.NONE);
        expect(pr.baseOffset).toBe(expected.length);
        expected = [...expected, { offset: expected.length, value: `a${v}` }, { offset: expected.length + 1, value: `b${v}` }];
      }
      for (let v = 4; v <= 12; v++) {
        const res = await fetch(client, 'p', 0, 0, v);
        const pd = res.responses[0]!.partitions[0]!;
        expect(pd.errorCode).toBe(ErrorCode.NONE);
        expect(pd.highWatermark).toBe(14);
        expect(pd.lastStableOffset).toBe(14);
        expect(valuesOf(pd.records)).toEqual(expected);
        if (v >= 7) expect(res.sessionId).toBe(0);
      }
    });

    it('acks=0 gets no response, acks=-1 and acks=1 do; responses stay in order', async () => {
      const { client } = await setup();
      await createTopic(client, 'acks', 1);
      client.send(0, 8, ProduceRequestCodec, produceBody('acks', 0, batchOf(['zero']), 0));
      const all = client.send(0, 8, ProduceRequestCodec, produceBody('acks', 0, batchOf(['all']), -1));
      const one = client.send(0, 8, ProduceRequestCodec, produceBody('acks', 0, batchOf(['one']), 1));
      expect((await client.receive(all, ProduceResponseCodec)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1 });
      expect((await client.receive(one, ProduceResponseCodec)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2 });
      const f = await fetch(client, 'acks', 0, 0);
      expect(valuesOf(f.responses[0]!.partitions[0]!.records).map((r) => r.value)).toEqual(['zero', 'all', 'one']);
    });

    it('answers per partition: unknown partition, too large, corrupt CRC with nothing appended', async () => {
      const { client, tb } = await setup(['message.max.bytes=300']);
      await createTopic(client, 'e', 2);
      const corrupt = batchOf(['x']);
      corrupt[corrupt.length - 1]! ^= 0xff;
      const big = batchOf(['y'.repeat(400)]);
      const body: ProduceRequest = {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [
          { name: 'e', partitionData: [{ index: 0, records: corrupt }, { index: 1, records: big }, { index: 7, records: batchOf(['z']) }] },
          { name: 'missing', partitionData: [{ index: 0, records: batchOf(['z']) }] },
        ],
      };
      const res = await client.request(0, 9, ProduceRequestCodec, body, ProduceResponseCodec);
      expect(res.responses.map((t) => t.partitionResponses.map((p) => p.errorCode))).toEqual([
        [ErrorCode.CORRUPT_MESSAGE, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      expect(tb.broker.registry.partition('e', 0)!.log.logEndOffset).toBe(0);
      expect(tb.broker.registry.partition('e', 1)!.log.logEndOffset).toBe(0);
    });

    it('v8+: a batch with a good CRC but bad record framing is INVALID_RECORD with record errors, nothing appended', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'ir', 1);
      const b = batchOf(['only one record']);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      view.setInt32(57, 2); // recordCount says 2, the batch holds 1
      view.setUint32(17, computeBatchCrc(b, 0));
      const res = await produce(client, 'ir', 0, b, 8);
      const pr = res.responses[0]!.partitionResponses[0]!;
      expect(pr.errorCode).toBe(ErrorCode.INVALID_RECORD);
      expect(pr.recordErrors).toHaveLength(1);
      expect(pr.errorMessage).not.toBeNull();
      expect(tb.broker.registry.partition('ir', 0)!.log.logEndOffset).toBe(0);
    });

    it('stamps LogAppendTime for log-append-time topics', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'lat', 1, { 'message.timestamp.type': 'LogAppendTime' });
      const res = await produce(client, 'lat', 0, batchOf(['v']));
      expect(res.responses[0]!.partitionResponses[0]!.logAppendTimeMs).toBe(tb.clock.wallMs());
      const f = await fetch(client, 'lat', 0, 0);
      const [batch] = splitRecordBatches(f.responses[0]!.partitions[0]!.records!).batches;
      expect([...iterateRecords(batch!, 0)][0]!.timestampMs).toBe(tb.clock.wallMs());
    });

    it('fetch: OFFSET_OUT_OF_RANGE, unknown topic, read_committed sees the high watermark', async () => {
      const { client } = await setup();
      await createTopic(client, 'f', 1);
      await produce(client, 'f', 0, batchOf(['1', '2']));
      expect((await fetch(client, 'f', 0, 5)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect((await fetch(client, 'nope', 0, 0)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const rc = (await fetch(client, 'f', 0, 0, 11, { isolationLevel: 1 })).responses[0]!.partitions[0]!;
      expect(rc).toMatchObject({ errorCode: 0, highWatermark: 2, lastStableOffset: 2, abortedTransactions: [] });
      expect(valuesOf(rc.records)).toHaveLength(2);
    });

    it('long poll: a fetch waiting for min_bytes is woken by an append on another connection', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'lp', 1);
      const sent = client.send(1, 11, FetchRequestCodec, fetchBody('lp', 0, 0, { maxWaitMs: 30_000, minBytes: 1 }));
      await tb.untilParked('lp', 0);
      expect(client.bufferedResponses).toBe(0); // still parked: the manual clock never moved
      const producer = await tb.connect('producer');
      await produce(producer, 'lp', 0, batchOf(['wake']));
      const res = await client.receive(sent, FetchResponseCodec);
      expect(valuesOf(res.responses[0]!.partitions[0]!.records)).toEqual([{ offset: 0, value: 'wake' }]);
    });

    it('long poll: returns empty when max_wait_ms passes', async () => {
      const { client, tb } = await setup();
      await createTopic(client, 'lp2', 1);
      const sent = client.send(1, 11, FetchRequestCodec, fetchBody('lp2', 0, 0, { maxWaitMs: 500, minBytes: 1 }));
      await tb.untilParked('lp2', 0);
      tb.clock.advance(500);
      const res = await client.receive(sent, FetchResponseCodec);
      expect(res.responses[0]!.partitions[0]!.records?.byteLength).toBe(0);
    });

    it('fetch respects partition_max_bytes but returns at least one batch', async () => {
      const { client } = await setup();
      await createTopic(client, 'mb', 1);
      for (let i = 0; i < 3; i++) await produce(client, 'mb', 0, batchOf([`value-${i}`.repeat(10)]));
      const small = await fetch(client, 'mb', 0, 0, 11, {
        topics: [{ topic: 'mb', topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1, replicaDirectoryId: ZERO_UUID }] }],
      });
      expect(valuesOf(small.responses[0]!.partitions[0]!.records)).toHaveLength(1);
    });

    it('ListOffsets v0: the legacy offsets list (latest, earliest, max_num_offsets, by time)', async () => {
      const { client } = await setup(['log.segment.bytes=1024']);
      await createTopic(client, 'lo0', 1);
      const ask = async (timestamp: number, maxNumOffsets: number) => {
        const res = await client.request(2, 0, ListOffsetsRequestCodec, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo0', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets }] }], timeoutMs: 0 }, ListOffsetsResponseCodec);
        return res.topics[0]!.partitions[0]!;
      };
      // An empty log: one segment holding nothing, so latest and earliest are both its base.
      expect(await ask(-1, 10)).toMatchObject({ errorCode: 0, oldStyleOffsets: [0] });
      // Three batches of ~600 bytes: each rolls a new 1 KiB segment.
      for (let i = 0; i < 3; i++) await produce(client, 'lo0', 0, batchOf([`${i}`.repeat(500)]));
      expect((await ask(-1, 1)).oldStyleOffsets).toEqual([3]);
      const all = (await ask(-1, 100)).oldStyleOffsets;
      expect(all[0]).toBe(3);
      expect(all[all.length - 1]).toBe(0);
      expect([...all].sort((a, b) => b - a)).toEqual(all);
      expect((await ask(-2, 5)).oldStyleOffsets).toEqual([0]);
      // Nothing was written before 1970.
      expect((await ask(1, 5)).oldStyleOffsets).toEqual([]);
    });

    it('ListOffsets v8-v10: earliest local is the log start; latest tiered is not found (nothing is tiered)', async () => {
      const { client } = await setup();
      await createTopic(client, 'lo8', 1);
      await produce(client, 'lo8', 0, batchOf(['a', 'b']));
      for (let v = 8; v <= 10; v++) {
        const ask = async (timestamp: number) => {
          const res = await client.request(2, v, ListOffsetsRequestCodec, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo8', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 1000 }, ListOffsetsResponseCodec);
          return res.topics[0]!.partitions[0]!;
        };
        expect(await ask(-4)).toMatchObject({ errorCode: 0, offset: 0, timestamp: -1 });
        expect(await ask(-1)).toMatchObject({ errorCode: 0, offset: 2 });
        if (v >= 9) expect(await ask(-5)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 });
      }
    });

    it('ListOffsets v1-v7: earliest, latest, by timestamp, max timestamp', async () => {
      const { client } = await setup();
      await createTopic(client, 'lo', 1);
      await produce(client, 'lo', 0, batchOf(['a', 'b', 'c'])); // timestamps BASE_TS + 0, 1, 2
      for (let v = 1; v <= 7; v++) {
        const ask = async (timestamp: number) => {
          const res = await client.request(2, v, ListOffsetsRequestCodec, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 0 }, ListOffsetsResponseCodec);
          return res.topics[0]!.partitions[0]!;
        };
        expect((await ask(-2)).offset).toBe(0);
        expect((await ask(-1)).offset).toBe(3);
        expect(await ask(BASE_TS + 1)).toMatchObject({ errorCode: 0, offset: 1, timestamp: BASE_TS + 1 });
        expect(await ask(BASE_TS + 5000)).toMatchObject({ errorCode: 0, offset: -1 });
        if (v >= 7) expect(await ask(-3)).toMatchObject({ offset: 2, timestamp: BASE_TS + 2 });
      }
    });
  });
});
