// DescribeLogDirs (key 35) through the broker, on the memory runtime:
//   - ApiVersions advertises key 35 as 0-4, on a single broker and in a cluster;
//   - every version 0-4 round trips: one result, the dir `log.dirs[0]`, each local
//     partition with its log's size in bytes, offset lag 0 (HW = LEO here), not a future
//     log; v4 adds the volume's total and usable bytes (the memory file system's capacity
//     and what is left of it), older versions decode them as -1;
//   - topics null lists every partition; a list asks for those named, each once, and
//     leaves out unknown topics and partition numbers;
//   - a log taken offline by an I/O error is absent and the dir answers KAFKA_STORAGE_ERROR;
//   - in cluster mode (FakeClusterLink) only the local replicas are listed, led or
//     followed, never a partition whose replicas are all on other brokers.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DescribeLogDirsRequestCodec,
  DescribeLogDirsResponseCodec,
  ErrorCode,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const DESCRIBE_LOG_DIRS = 35;
const CAPACITY_BYTES = 1024 * 1024 * 1024;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function describeLogDirs(client: KafkaTestClient, version: number, topics: DescribeLogDirsRequest['topics']): Promise<DescribeLogDirsResponse> {
  return client.request(DESCRIBE_LOG_DIRS, version, DescribeLogDirsRequestCodec, { topics }, DescribeLogDirsResponseCodec);
}

async function advertised(client: KafkaTestClient): Promise<{ minVersion: number; maxVersion: number } | undefined> {
  const r = await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
  const k = r.apiKeys.find((a) => a.apiKey === DESCRIBE_LOG_DIRS);
  return k && { minVersion: k.minVersion, maxVersion: k.maxVersion };
}

/** The answer as [topic, partition, size, lag, future] rows, sorted. */
function rows(r: DescribeLogDirsResponse): Array<[string, number, number, number, boolean]> {
  const out: Array<[string, number, number, number, boolean]> = [];
  for (const t of r.results[0]!.topics) for (const p of t.partitions) out.push([t.name, p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey]);
  return out.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
}

async function singleBroker(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  const tb = await startTestBroker({ capacityBytes: CAPACITY_BYTES });
  stops.push(() => tb.stop());
  const client = await tb.connect();
  for (const [name, n] of [['t', 2], ['u', 1]] as const) {
    const created = await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody(name, n), CreateTopicsResponseCodec);
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  }
  const produced = await client.request(0, 9, ProduceRequestCodec, produceBody('t', 0, batchOf(['a', 'b', 'c'])), ProduceResponseCodec);
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  return { tb, client };
}

describe('DescribeLogDirs on a single broker', () => {
  it('answers every version 0-4 with the one log dir, each partition size and lag, and v4 the volume bytes', async () => {
    const { tb, client } = await singleBroker();
    expect(await advertised(client)).toEqual({ minVersion: 0, maxVersion: 4 });
    const size = (t: string, i: number) => tb.broker.registry.partition(t, i)!.log.sizeBytes;
    expect(size('t', 0)).toBeGreaterThan(0);
    const all: Array<[string, number, number, number, boolean]> = [
      ['t', 0, size('t', 0), 0, false],
      ['t', 1, 0, 0, false],
      ['u', 0, 0, 0, false],
    ];
    for (let v = 0; v <= 4; v++) {
      const r = await describeLogDirs(client, v, null);
      expect(r.results.map((d) => [d.errorCode, d.logDir])).toEqual([[ErrorCode.NONE, '/data']]);
      expect(rows(r)).toEqual(all);
      expect(r.errorCode).toBe(ErrorCode.NONE);
      const used = tb.fs.usedBytes();
      const d = r.results[0]!;
      if (v >= 4) {
        expect(d.totalBytes).toBe(CAPACITY_BYTES);
        expect(d.usableBytes).toBe(CAPACITY_BYTES - used);
      } else {
        expect([d.totalBytes, d.usableBytes]).toEqual([-1, -1]);
      }
    }
  });

  it('answers only the partitions asked for that exist here, each once', async () => {
    const { tb, client } = await singleBroker();
    const size = tb.broker.registry.partition('t', 0)!.log.sizeBytes;
    for (const v of [0, 2, 4]) {
      const r = await describeLogDirs(client, v, [
        { topic: 't', partitions: [0, 0, 7, -1] },
        { topic: 'nope', partitions: [0] },
        { topic: 't', partitions: [0] },
      ]);
      expect(rows(r)).toEqual([['t', 0, size, 0, false]]);
      expect(r.results[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    expect(rows(await describeLogDirs(client, 1, []))).toEqual([]);
  });

  it('leaves out a log an I/O error took offline and answers KAFKA_STORAGE_ERROR for the dir', async () => {
    const { tb, client } = await singleBroker();
    tb.fs.failOn({ op: 'write', nth: 1, code: 'io' });
    const failed = await client.request(0, 9, ProduceRequestCodec, produceBody('t', 0, batchOf(['x'])), ProduceResponseCodec);
    expect(failed.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(tb.broker.registry.partition('t', 0)!.log.isOffline).toBe(true);
    const r = await describeLogDirs(client, 4, null);
    expect(r.results[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(rows(r)).toEqual([
      ['t', 1, 0, 0, false],
      ['u', 0, 0, 0, false],
    ]);
    // Asking only for healthy partitions is not an error.
    expect((await describeLogDirs(client, 4, [{ topic: 'u', partitions: [0] }])).results[0]!.errorCode).toBe(ErrorCode.NONE);
  });
});

describe('DescribeLogDirs in cluster mode', () => {
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
      { name: 'elsewhere', topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: [{ leader: OTHER, replicas: [OTHER] }] },
    ],
  });

  it('lists the local replicas only, led or followed, in every version', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/var/samsa', `node.id=${ME}`] });
    const broker = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: new FakeClusterLink(ME, view) });
    stops.push(() => broker.shutdown());
    await broker.settled();
    const listener = await broker.listen(transport);
    const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
    expect(await advertised(client)).toEqual({ minVersion: 0, maxVersion: 4 });
    for (let v = 0; v <= 4; v++) {
      const everything = await describeLogDirs(client, v, null);
      expect(everything.results.map((d) => [d.errorCode, d.logDir])).toEqual([[ErrorCode.NONE, '/var/samsa']]);
      expect(rows(everything)).toEqual([
        ['r', 0, 0, 0, false],
        ['r', 2, 0, 0, false],
      ]);
      const asked = await describeLogDirs(client, v, [
        { topic: 'r', partitions: [1, 2] },
        { topic: 'elsewhere', partitions: [0] },
      ]);
      expect(rows(asked)).toEqual([['r', 2, 0, 0, false]]);
    }
    // A follower measures its lag against the leader's HW from its latest fetch answer.
    broker.registry.partition('r', 2)!.leaderHighWatermark = 7;
    expect(rows(await describeLogDirs(client, 4, [{ topic: 'r', partitions: [2] }]))).toEqual([['r', 2, 0, 7, false]]);
  });
});
