// DescribeProducers (key 61) through the broker, on the memory runtime:
//   - ApiVersions advertises key 61 as 0-0, on a single broker and in a cluster;
//   - a partition nobody produced to idempotently lists no producer (a plain produce adds
//     none); after idempotent produces each producer is listed, by producer id, with its
//     epoch, the last sequence and max timestamp of its newest batch, coordinator epoch -1
//     and no open transaction (-1); a newer batch moves lastSequence/lastTimestamp on;
//   - the producer state survives a restart (rebuilt from the log's batch headers);
//   - an unknown topic or partition number → UNKNOWN_TOPIC_OR_PARTITION, per partition,
//     in request order;
//   - in cluster mode (FakeClusterLink): a partition led here answers, one followed here
//     or hosted elsewhere → NOT_LEADER_OR_FOLLOWER, one the view lacks → UNKNOWN_TOPIC_OR_PARTITION.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DescribeProducersRequestCodec,
  DescribeProducersResponseCodec,
  ErrorCode,
  InitProducerIdRequestCodec,
  InitProducerIdResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import type { DescribeProducersRequest, DescribeProducersResponse } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { BASE_TS, batchOf, createTopicsBody, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const DESCRIBE_PRODUCERS = 61;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function describeProducers(client: KafkaTestClient, topics: DescribeProducersRequest['topics']): Promise<DescribeProducersResponse> {
  return client.request(DESCRIBE_PRODUCERS, 0, DescribeProducersRequestCodec, { topics }, DescribeProducersResponseCodec);
}

async function advertised(client: KafkaTestClient): Promise<{ minVersion: number; maxVersion: number } | undefined> {
  const r = await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
  const k = r.apiKeys.find((a) => a.apiKey === DESCRIBE_PRODUCERS);
  return k && { minVersion: k.minVersion, maxVersion: k.maxVersion };
}

async function initProducerId(client: KafkaTestClient): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await client.request(22, 4, InitProducerIdRequestCodec, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }, InitProducerIdResponseCodec);
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

async function produce(client: KafkaTestClient, topic: string, partition: number, batch: Uint8Array): Promise<void> {
  const r = await client.request(0, 9, ProduceRequestCodec, produceBody(topic, partition, batch), ProduceResponseCodec);
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** Each answered partition as [topic, partition, error, [producerId, epoch, lastSeq, lastTs, coordinatorEpoch, txnStart][]]. */
function rows(r: DescribeProducersResponse): Array<[string, number, number, number[][]]> {
  return r.topics.flatMap((t) =>
    t.partitions.map((p): [string, number, number, number[][]] => [
      t.name,
      p.partitionIndex,
      p.errorCode,
      p.activeProducers.map((s) => [s.producerId, s.producerEpoch, s.lastSequence, s.lastTimestamp, s.coordinatorEpoch, s.currentTxnStartOffset]),
    ]),
  );
}

async function singleBroker(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  const tb = await startTestBroker();
  stops.push(() => tb.stop());
  const client = await tb.connect();
  const created = await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody('t', 2), CreateTopicsResponseCodec);
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  return { tb, client };
}

describe('DescribeProducers on a single broker', () => {
  it('lists no producer before an idempotent produce, then each producer with its newest batch', async () => {
    const { client } = await singleBroker();
    expect(await advertised(client)).toEqual({ minVersion: 0, maxVersion: 0 });
    expect(rows(await describeProducers(client, [{ name: 't', partitionIndexes: [0, 1] }]))).toEqual([
      ['t', 0, ErrorCode.NONE, []],
      ['t', 1, ErrorCode.NONE, []],
    ]);
    // A plain (non-idempotent) produce tracks no producer.
    await produce(client, 't', 0, batchOf(['plain']));
    expect(rows(await describeProducers(client, [{ name: 't', partitionIndexes: [0] }]))).toEqual([['t', 0, ErrorCode.NONE, []]]);

    const a = await initProducerId(client);
    const b = await initProducerId(client);
    expect(b.producerId).not.toBe(a.producerId);
    // batchOf stamps record i with BASE_TS + i: the batch's max timestamp is that of its last record.
    await produce(client, 't', 0, batchOf(['a0', 'a1', 'a2'], { producerId: a.producerId, producerEpoch: a.producerEpoch, baseSequence: 0 }));
    const afterOne = rows(await describeProducers(client, [{ name: 't', partitionIndexes: [0, 1] }]));
    expect(afterOne).toEqual([
      ['t', 0, ErrorCode.NONE, [[a.producerId, a.producerEpoch, 2, BASE_TS + 2, -1, -1]]],
      ['t', 1, ErrorCode.NONE, []],
    ]);
    await produce(client, 't', 0, batchOf(['b0'], { producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: 0 }));
    await produce(client, 't', 0, batchOf(['a3', 'a4', 'a5', 'a6', 'a7'], { producerId: a.producerId, producerEpoch: a.producerEpoch, baseSequence: 3 }));
    const expected = [[a.producerId, a.producerEpoch, 7, BASE_TS + 4, -1, -1], [b.producerId, b.producerEpoch, 0, BASE_TS, -1, -1]].sort((x, y) => x[0]! - y[0]!);
    expect(rows(await describeProducers(client, [{ name: 't', partitionIndexes: [0] }]))).toEqual([['t', 0, ErrorCode.NONE, expected]]);
  });

  it('keeps the producers across a restart (state rebuilt from the log)', async () => {
    const { tb, client } = await singleBroker();
    const a = await initProducerId(client);
    await produce(client, 't', 1, batchOf(['x', 'y'], { producerId: a.producerId, producerEpoch: a.producerEpoch, baseSequence: 0 }));
    const before = rows(await describeProducers(client, [{ name: 't', partitionIndexes: [1] }]));
    expect(before).toEqual([['t', 1, ErrorCode.NONE, [[a.producerId, a.producerEpoch, 1, BASE_TS + 1, -1, -1]]]]);
    await tb.restart();
    const again = await tb.connect();
    expect(rows(await describeProducers(again, [{ name: 't', partitionIndexes: [1] }]))).toEqual(before);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for an unknown topic or partition, in request order', async () => {
    const { client } = await singleBroker();
    const r = await describeProducers(client, [
      { name: 'nope', partitionIndexes: [0] },
      { name: 't', partitionIndexes: [5, 1, -1] },
    ]);
    expect(rows(r)).toEqual([
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
      ['t', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
      ['t', 1, ErrorCode.NONE, []],
      ['t', -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
    ]);
    expect(r.topics[0]!.partitions[0]!.errorMessage).not.toBeNull();
    expect(r.topics[1]!.partitions[1]!.errorMessage).toBeNull();
  });
});

describe('DescribeProducers in cluster mode', () => {
  const ME = 1;
  const OTHER = 2;
  const view = buildClusterView({
    revision: 1,
    controllerId: OTHER,
    brokers: [{ nodeId: ME }, { nodeId: OTHER }],
    topics: [
      {
        name: 'r',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        partitions: [
          { leader: ME, replicas: [ME, OTHER] }, // led here
          { leader: OTHER, replicas: [OTHER] }, // not here
          { leader: OTHER, replicas: [OTHER, ME] }, // followed here
        ],
      },
    ],
  });

  it('answers a partition led here and refuses the others with NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/var/samsa', `node.id=${ME}`] });
    const broker = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: new FakeClusterLink(ME, view) });
    stops.push(() => broker.shutdown());
    await broker.settled();
    const listener = await broker.listen(transport);
    const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
    expect(await advertised(client)).toEqual({ minVersion: 0, maxVersion: 0 });
    const r = await describeProducers(client, [
      { name: 'r', partitionIndexes: [0, 1, 2, 3] },
      { name: 'gone', partitionIndexes: [0] },
    ]);
    expect(rows(r)).toEqual([
      ['r', 0, ErrorCode.NONE, []],
      ['r', 1, ErrorCode.NOT_LEADER_OR_FOLLOWER, []],
      ['r', 2, ErrorCode.NOT_LEADER_OR_FOLLOWER, []],
      ['r', 3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
      ['gone', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
    ]);
  });
});
