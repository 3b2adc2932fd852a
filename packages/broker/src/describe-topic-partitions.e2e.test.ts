// DescribeTopicPartitions (key 75, KIP-966) through the broker, on the memory runtime:
//   - ApiVersions advertises key 75 as 0-0;
//   - an empty topic list answers every topic, sorted by name, each partition with
//     leader, leader epoch, replicas, ISR, empty ELR fields and no offline replica, the
//     topic's id, isInternal, and every topic operation (3576);
//   - paging: with a small responsePartitionLimit, following nextCursor from page to page
//     yields every partition exactly once, in (topic, partition) order, no page holding
//     more than the limit, the cursor pointing inside a topic or at the next one's start,
//     and null on the last page; the same for a named topic list; a limit of 0 or less
//     still moves on (clamped to 1);
//   - named topics: sorted, each once; an unknown one → UNKNOWN_TOPIC_OR_PARTITION, an
//     illegal name → INVALID_TOPIC_EXCEPTION (zero topic id, no partitions); a cursor
//     whose topic is not in the list, or with a negative partition → INVALID_REQUEST;
//   - in cluster mode (FakeClusterLink): the view's leaders, epochs, replicas, ISR and
//     offline replicas (unregistered brokers), and at most 2000 partitions per answer
//     whatever the request's limit.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DescribeTopicPartitionsRequestCodec,
  DescribeTopicPartitionsResponseCodec,
  ErrorCode,
  ZERO_UUID,
} from '@samsa/codec';
import type { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { TOPIC_AUTHORIZED_OPERATIONS } from './handlers/authorized-operations.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import type { PartitionSpec } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const DESCRIBE_TOPIC_PARTITIONS = 75;
const ALL_OPERATIONS = 3576;
/** Pages followed at most in one walk: a cursor that never ends fails the test instead of hanging it. */
const PAGES_MAX = 100;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function describeTopicPartitions(client: KafkaTestClient, body: Partial<DescribeTopicPartitionsRequest>): Promise<DescribeTopicPartitionsResponse> {
  return client.request(DESCRIBE_TOPIC_PARTITIONS, 0, DescribeTopicPartitionsRequestCodec, { topics: [], responsePartitionLimit: 2000, cursor: null, ...body }, DescribeTopicPartitionsResponseCodec);
}

/** Every (topic, partition) of the answer, as "topic-partition". */
function partitionsOf(r: DescribeTopicPartitionsResponse): string[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`));
}

interface Walk {
  readonly seen: string[];
  readonly cursors: Array<string | null>;
  readonly pageSizes: number[];
}

/** Follows nextCursor from the first page to the last. */
async function walk(client: KafkaTestClient, topics: string[], limit: number): Promise<Walk> {
  const seen: string[] = [];
  const cursors: Array<string | null> = [];
  const pageSizes: number[] = [];
  let cursor: DescribeTopicPartitionsRequest['cursor'] = null;
  for (let page = 0; page < PAGES_MAX; page++) {
    const r = await describeTopicPartitions(client, { topics: topics.map((name) => ({ name })), responsePartitionLimit: limit, cursor });
    for (const t of r.topics) expect(t.errorCode).toBe(ErrorCode.NONE);
    const got = partitionsOf(r);
    seen.push(...got);
    pageSizes.push(got.length);
    cursor = r.nextCursor === null ? null : { topicName: r.nextCursor.topicName, partitionIndex: r.nextCursor.partitionIndex };
    cursors.push(cursor === null ? null : `${cursor.topicName}/${cursor.partitionIndex}`);
    if (cursor === null) return { seen, cursors, pageSizes };
  }
  throw new Error(`no last page within ${PAGES_MAX} pages`);
}

async function singleBroker(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
  const tb = await startTestBroker();
  stops.push(() => tb.stop());
  const client = await tb.connect();
  // Created out of order: the answers sort them.
  for (const [name, n] of [['c', 5], ['a', 3], ['b', 1]] as const) {
    const created = await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody(name, n), CreateTopicsResponseCodec);
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  }
  return { tb, client };
}

describe('DescribeTopicPartitions on a single broker', () => {
  it('answers every topic, sorted, with Metadata’s partition fields and every topic operation', async () => {
    const { tb, client } = await singleBroker();
    const api = (await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec)).apiKeys.find((k) => k.apiKey === DESCRIBE_TOPIC_PARTITIONS);
    expect(api && [api.minVersion, api.maxVersion]).toEqual([0, 0]);
    expect(TOPIC_AUTHORIZED_OPERATIONS).toBe(ALL_OPERATIONS);
    const r = await describeTopicPartitions(client, {});
    const names = [...tb.broker.registry.topics()].map((t) => t.record.name).sort();
    expect(names).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    expect(r.topics.map((t) => t.name)).toEqual(names);
    expect(r.nextCursor).toBeNull();
    const b = r.topics.find((t) => t.name === 'b')!;
    expect(b).toEqual({
      errorCode: ErrorCode.NONE,
      name: 'b',
      topicId: tb.broker.registry.topic('b')!.record.topicId,
      isInternal: false,
      partitions: [{ errorCode: ErrorCode.NONE, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [], unknownTaggedFields: undefined }],
      topicAuthorizedOperations: ALL_OPERATIONS,
      unknownTaggedFields: undefined,
    });
    expect(b.topicId).not.toBe(ZERO_UUID);
    for (const t of r.topics) expect(t.isInternal).toBe((t.name ?? '').startsWith('__'));
    expect(partitionsOf(r).filter((p) => !p.startsWith('__'))).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
  });

  it('pages through every partition exactly once, in order, following nextCursor', async () => {
    const { client } = await singleBroker();
    const named = await walk(client, ['c', 'b', 'a'], 2);
    expect(named.seen).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    // Inside a topic the cursor names the next partition; a full page at a topic's end points at the next topic's start.
    expect(named.cursors).toEqual(['a/2', 'c/0', 'c/2', 'c/4', null]);
    expect(named.pageSizes).toEqual([2, 2, 2, 2, 1]);
    for (const limit of [1, 3, 4, 9, 10]) {
      const w = await walk(client, ['a', 'b', 'c'], limit);
      expect(w.seen).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
      expect(Math.max(...w.pageSizes)).toBeLessThanOrEqual(limit);
      expect(w.pageSizes.length).toBe(Math.ceil(9 / limit));
    }
    // All topics (the internal ones too, when there are any): each partition once, in order.
    const full = partitionsOf(await describeTopicPartitions(client, {}));
    const all = await walk(client, [], 2);
    expect(all.seen).toEqual(full);
    expect(new Set(all.seen).size).toBe(all.seen.length);
    // A limit of 0 or less still answers one partition and moves on.
    for (const limit of [0, -5]) {
      const r = await describeTopicPartitions(client, { topics: [{ name: 'a' }], responsePartitionLimit: limit });
      expect([partitionsOf(r), r.nextCursor]).toEqual([['a-0'], { topicName: 'a', partitionIndex: 1, unknownTaggedFields: undefined }]);
    }
  });

  it('starts at the cursor: its topic from its partition, later topics from 0', async () => {
    const { client } = await singleBroker();
    const r = await describeTopicPartitions(client, { topics: [{ name: 'a' }, { name: 'c' }], cursor: { topicName: 'a', partitionIndex: 1 } });
    expect(partitionsOf(r)).toEqual(['a-1', 'a-2', 'c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    // A cursor past the topic's last partition answers the topic with none.
    const past = await describeTopicPartitions(client, { topics: [{ name: 'b' }], cursor: { topicName: 'b', partitionIndex: 7 } });
    expect(past.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([['b', ErrorCode.NONE, 0]]);
    expect(past.nextCursor).toBeNull();
  });

  it('answers unknown and illegal names per topic, and refuses a cursor outside the list', async () => {
    const { client } = await singleBroker();
    const r = await describeTopicPartitions(client, { topics: [{ name: 'zz-unknown' }, { name: 'b' }, { name: 'bad name!' }, { name: 'b' }] });
    expect(r.topics.map((t) => [t.name, t.errorCode, t.topicId === ZERO_UUID, t.partitions.length, t.topicAuthorizedOperations])).toEqual([
      ['b', ErrorCode.NONE, false, 1, ALL_OPERATIONS],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION, true, 0, ALL_OPERATIONS],
      ['zz-unknown', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, true, 0, ALL_OPERATIONS],
    ]);
    const outside = await describeTopicPartitions(client, { topics: [{ name: 'a' }, { name: 'b' }], cursor: { topicName: 'c', partitionIndex: 0 } });
    expect(outside.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ['a', ErrorCode.INVALID_REQUEST, 0],
      ['b', ErrorCode.INVALID_REQUEST, 0],
    ]);
    expect(outside.nextCursor).toBeNull();
    const negative = await describeTopicPartitions(client, { cursor: { topicName: 'a', partitionIndex: -1 } });
    expect(negative.topics.map((t) => [t.name, t.errorCode])).toEqual([['a', ErrorCode.INVALID_REQUEST]]);
  });
});

describe('DescribeTopicPartitions in cluster mode', () => {
  const ME = 1;
  const OTHER = 2;
  const GONE = 3; // not registered: an offline replica
  const WIDE_PARTITIONS = 2500;
  const wide: PartitionSpec[] = Array.from({ length: WIDE_PARTITIONS }, () => ({ leader: OTHER, replicas: [OTHER] }));
  const view = buildClusterView({
    revision: 1,
    controllerId: OTHER,
    brokers: [{ nodeId: ME }, { nodeId: OTHER }],
    topics: [
      {
        name: 'r',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAg',
        partitions: [
          { leader: ME, leaderEpoch: 4, replicas: [ME, OTHER, GONE], isr: [ME, OTHER] },
          { leader: -1, leaderEpoch: 9, replicas: [GONE], isr: [] },
        ],
      },
      { name: 'wide', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitions: wide },
    ],
  });

  it('answers the view’s partitions and at most 2000 partitions per answer', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/var/samsa', `node.id=${ME}`] });
    const broker = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: new FakeClusterLink(ME, view) });
    stops.push(() => broker.shutdown());
    await broker.settled();
    const listener = await broker.listen(transport);
    const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
    const r = await describeTopicPartitions(client, { topics: [{ name: 'r' }] });
    const t = r.topics[0]!;
    expect([t.name, t.topicId, t.errorCode]).toEqual(['r', 'AAAAAAAAAAAAAAAAAAAAAg', ErrorCode.NONE]);
    expect(t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes, p.offlineReplicas, p.eligibleLeaderReplicas, p.lastKnownElr])).toEqual([
      [0, ErrorCode.NONE, ME, 4, [ME, OTHER, GONE], [ME, OTHER], [GONE], [], []],
      [1, ErrorCode.LEADER_NOT_AVAILABLE, -1, 9, [GONE], [], [GONE], [], []],
    ]);
    const first = await describeTopicPartitions(client, { topics: [{ name: 'wide' }], responsePartitionLimit: 1_000_000 });
    expect(partitionsOf(first)).toHaveLength(2000);
    expect(first.nextCursor).toEqual({ topicName: 'wide', partitionIndex: 2000, unknownTaggedFields: undefined });
    const all = await walk(client, [], 1_000_000);
    expect(all.seen).toEqual([...['r-0', 'r-1'], ...Array.from({ length: WIDE_PARTITIONS }, (_, i) => `wide-${i}`)]);
    expect(all.pageSizes).toEqual([2000, 502]);
  });
});
