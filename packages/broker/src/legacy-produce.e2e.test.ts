// Produce v0-v2 with message sets of magic 0/1 (Kafka's message format v0/v1), end to end
// on the memory runtime, and Produce v10-v11's KIP-951 leader hints:
//   - v0, v1 and v2 produce magic 0 and magic 1 sets, uncompressed and compressed; the log
//     holds them as record batches v2 (up-converted) and a Fetch of record batches v2 reads
//     them back: offsets assigned by the log in order, keys (null kept) and values (empty
//     kept), magic 0 → timestamp -1, magic 1 → its own timestamps; v0/v1 answers decode
//     without log_append_time; each converted record is counted in the metrics;
//   - a corrupt v1 set (bad CRC), a wrapper that is not gzip, a cut-off set → CORRUPT_MESSAGE;
//     a compressed message inside a wrapper → INVALID_RECORD; zstd
//     under magic 1 → UNSUPPORTED_COMPRESSION_TYPE, a message over max.message.bytes →
//     MESSAGE_TOO_LARGE; nothing appended in any case;
//   - v2 with a record batch v2 still goes in; ApiVersions advertises Produce 0-11;
//   - v10/v11 on a partition led elsewhere: NOT_LEADER_OR_FOLLOWER with current_leader and
//     the leader's node endpoint; v9 has neither.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  buildMessageSet,
  crc32,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  gzipCompress,
  initCompression,
  iterateRecords,
  ProduceRequestCodec,
  ProduceResponseCodec,
  splitRecordBatches,
} from '@samsa/codec';
import type { LegacyRecordInput, ProduceResponse } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { noopMetrics } from './observability/metrics.ts';
import type { Metrics } from './observability/metrics.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { BASE_TS, batchOf, createTopicsBody, fetchBody, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

let tb: TestBroker | null = null;
let clustered: Broker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
  await clustered?.shutdown();
  clustered = null;
});

interface Setup {
  tb: TestBroker;
  client: KafkaTestClient;
  conversions: Array<{ api: string; records: number }>;
}

async function setup(): Promise<Setup> {
  const conversions: Setup['conversions'] = [];
  const metrics: Metrics = { ...noopMetrics, messageFormatConversions: (api, records) => void conversions.push({ api, records }) };
  tb = await startTestBroker({ metrics });
  const client = await tb.connect();
  return { tb, client, conversions };
}

async function createTopic(client: KafkaTestClient, name: string, configs: Record<string, string> = {}): Promise<void> {
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, 1, {}, configs), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

/** `set` (one message) with its attributes byte replaced and its CRC-32 made valid again. */
function withAttributes(set: Uint8Array, attributes: number): Uint8Array {
  set[17] = attributes;
  new DataView(set.buffer, set.byteOffset).setUint32(12, crc32(set, 16));
  return set;
}

function produce(client: KafkaTestClient, topic: string, records: Uint8Array, version: number): Promise<ProduceResponse> {
  return client.request(0, version, ProduceRequestCodec, produceBody(topic, 0, records), ProduceResponseCodec);
}

/** Three records: a null key, an empty value; timestamps BASE_TS + 10·i. */
function inputs(tag: string): LegacyRecordInput[] {
  return [
    { offset: 0, key: enc.encode(`${tag}-k0`), value: enc.encode(`${tag}-v0`), timestampMs: BASE_TS + 0 },
    { offset: 1, key: null, value: enc.encode(`${tag}-v1`), timestampMs: BASE_TS + 10 },
    { offset: 2, key: enc.encode(`${tag}-k2`), value: new Uint8Array(0), timestampMs: BASE_TS + 20 },
  ];
}

interface Fetched {
  offset: number;
  timestampMs: number;
  key: string | null;
  value: string | null;
  headers: number;
}

/** Every record of the partition, read with Fetch v11 (record batches v2). */
async function fetchAll(client: KafkaTestClient, topic: string): Promise<Fetched[]> {
  const res = await client.request(1, 11, FetchRequestCodec, fetchBody(topic, 0, 0), FetchResponseCodec);
  const p = res.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const out: Fetched[] = [];
  for (const b of splitRecordBatches(p.records ?? new Uint8Array(0)).batches) {
    expect(b[16]).toBe(2);
    for (const r of iterateRecords(b)) {
      out.push({ offset: r.offset, timestampMs: r.timestampMs, key: r.key && dec.decode(r.key), value: r.value && dec.decode(r.value), headers: r.headers.length });
    }
  }
  return out;
}

function expected(tag: string, firstOffset: number, magic: 0 | 1): Fetched[] {
  return inputs(tag).map((r, i) => ({
    offset: firstOffset + i,
    timestampMs: magic === 0 ? -1 : r.timestampMs!,
    key: r.key ? dec.decode(r.key) : null,
    value: dec.decode(r.value!),
    headers: 0,
  }));
}

describe('Produce v0-v2 with message format v0/v1', () => {
  beforeAll(async () => {
    await initCompression();
  });

  it('appends magic 0/1 sets (plain and compressed) sent with v0, v1 and v2; Fetch reads them back as v2 batches', async () => {
    const { client, tb, conversions } = await setup();
    await createTopic(client, 'old');
    const cases = [
      { version: 0, magic: 0, compression: 0, tag: 'v0-plain' },
      { version: 0, magic: 0, compression: 1, tag: 'v0-gzip' },
      { version: 1, magic: 0, compression: 2, tag: 'v1-snappy' },
      { version: 1, magic: 1, compression: 0, tag: 'v1-m1-plain' },
      { version: 2, magic: 1, compression: 0, tag: 'v2-plain' },
      { version: 2, magic: 1, compression: 1, tag: 'v2-gzip' },
      { version: 2, magic: 1, compression: 3, tag: 'v2-lz4' },
      { version: 2, magic: 0, compression: 3, tag: 'v2-m0-lz4' },
    ] as const;
    const want: Fetched[] = [];
    for (const [i, c] of cases.entries()) {
      const set = buildMessageSet(inputs(c.tag), { magic: c.magic, compression: c.compression });
      const pr = (await produce(client, 'old', set, c.version)).responses[0]!.partitionResponses[0]!;
      expect({ tag: c.tag, ...pr }).toMatchObject({ tag: c.tag, errorCode: ErrorCode.NONE, baseOffset: 3 * i, logAppendTimeMs: -1 });
      want.push(...expected(c.tag, 3 * i, c.magic));
    }
    expect(await fetchAll(client, 'old')).toEqual(want);
    expect(tb.broker.registry.partition('old', 0)!.log.logEndOffset).toBe(3 * cases.length);
    expect(conversions).toEqual(cases.map(() => ({ api: 'Produce', records: 3 })));
    // A record batch v2 with Produce v2 takes the v3+ path, unconverted.
    expect((await produce(client, 'old', batchOf(['x']), 2)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3 * cases.length });
    expect(conversions.length).toBe(cases.length);
  });

  it('refuses bad sets with Kafka codes and appends nothing', async () => {
    const { client, tb } = await setup();
    await createTopic(client, 'bad', { 'max.message.bytes': '200' });
    const corrupt = buildMessageSet(inputs('c'), { magic: 1 });
    corrupt[corrupt.length - 1]! ^= 0xff; // a byte of the last message, under its CRC
    const notGzip = withAttributes(buildMessageSet([{ offset: 0, value: enc.encode('plain bytes') }], { magic: 1 }), 1);
    // A gzip wrapper whose inner message is itself a compressed wrapper (Kafka: inner messages must not be compressed).
    const nested = withAttributes(buildMessageSet([{ offset: 0, value: gzipCompress(buildMessageSet(inputs('n'), { magic: 1, compression: 1 })) }], { magic: 1 }), 1);
    const zstd = withAttributes(buildMessageSet(inputs('z').slice(0, 1), { magic: 1 }), 4);
    const big = buildMessageSet([{ offset: 0, value: new Uint8Array(300) }], { magic: 1 });
    const cut = buildMessageSet(inputs('t'), { magic: 0 }).subarray(0, 50);
    const cases = [
      { name: 'bad crc', set: corrupt, version: 2, code: ErrorCode.CORRUPT_MESSAGE },
      { name: 'not gzip', set: notGzip, version: 2, code: ErrorCode.CORRUPT_MESSAGE },
      { name: 'nested compression', set: nested, version: 1, code: ErrorCode.INVALID_RECORD },
      { name: 'zstd', set: zstd, version: 1, code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE },
      { name: 'too large', set: big, version: 0, code: ErrorCode.MESSAGE_TOO_LARGE },
      { name: 'cut short', set: cut, version: 0, code: ErrorCode.CORRUPT_MESSAGE },
    ];
    for (const c of cases) {
      const pr = (await produce(client, 'bad', c.set, c.version)).responses[0]!.partitionResponses[0]!;
      expect({ name: c.name, errorCode: pr.errorCode }).toEqual({ name: c.name, errorCode: c.code });
      expect(pr.baseOffset).toBe(-1);
    }
    expect(tb.broker.registry.partition('bad', 0)!.log.logEndOffset).toBe(0);
    expect(await fetchAll(client, 'bad')).toEqual([]);
  });

  it('ApiVersions advertises Produce 0-11', async () => {
    const { client } = await setup();
    const res = await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
    expect(res.apiKeys.find((k) => k.apiKey === 0)).toMatchObject({ minVersion: 0, maxVersion: 11 });
  });
});

describe('Produce v10-v11: KIP-951 leader hints', () => {
  const ME = 1;
  const OTHER = 2;
  const view = buildClusterView({
    revision: 1,
    controllerId: OTHER,
    brokers: [{ nodeId: ME, port: 9091 }, { nodeId: OTHER, port: 9092, rack: 'r2' }],
    topics: [
      {
        name: 't',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        partitions: [
          { leader: ME, leaderEpoch: 3, replicas: [ME, OTHER], isr: [ME] },
          { leader: OTHER, leaderEpoch: 5, replicas: [OTHER, ME], isr: [OTHER] },
        ],
      },
    ],
  });

  it('NOT_LEADER_OR_FOLLOWER carries current_leader and the leader endpoint from v10; v9 does not', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`] });
    clustered = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: new FakeClusterLink(ME, view) });
    await clustered.settled();
    const listener = await clustered.listen(transport);
    const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
    const body = (partition: number) => produceBody('t', partition, batchOf(['a']));
    for (const v of [10, 11]) {
      const res = await client.request(0, v, ProduceRequestCodec, body(1), ProduceResponseCodec);
      expect(res.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: OTHER, leaderEpoch: 5 } });
      expect(res.nodeEndpoints).toEqual([{ nodeId: OTHER, host: expect.any(String), port: 9092, rack: 'r2' }]);
      const led = await client.request(0, v, ProduceRequestCodec, body(0), ProduceResponseCodec);
      expect(led.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
      expect(led.nodeEndpoints).toEqual([]);
    }
    const v9 = await client.request(0, 9, ProduceRequestCodec, body(1), ProduceResponseCodec);
    expect(v9.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
    expect(v9.nodeEndpoints).toEqual([]);
  });
});
