// Leader epochs through the broker (issue 14), on the memory runtime:
//   - a single broker stamps every produced batch with leader epoch 0 and answers
//     OffsetForLeaderEpoch (key 23) in every version 0-4: the latest epoch → the log end,
//     an unknown newer epoch → -1/-1, an unknown topic → UNKNOWN_TOPIC_OR_PARTITION;
//     ApiVersions advertises key 23 as 0-4;
//   - in cluster mode (FakeClusterLink), a produce after a view raised the partition's
//     leader epoch is stamped with the new epoch (read back from the log: the batch's
//     partitionLeaderEpoch field, CRC-32C still valid), the epoch's start offset is in
//     `leader-epoch-checkpoint`, and OffsetForLeaderEpoch answers from that history, with
//     the leadership checks: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH for an old / new
//     current epoch, NOT_LEADER_OR_FOLLOWER on a partition led elsewhere;
//   - Partition.truncateTo (a follower cutting back to the leader's history) removes the
//     records, their epochs and the idempotent-producer state they made: a retry of a
//     truncated batch is appended again, not answered as a duplicate at a lost offset.
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  batchBaseOffset,
  batchPartitionLeaderEpoch,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  forEachBatch,
  ListOffsetsRequestCodec,
  ListOffsetsResponseCodec,
  OffsetForLeaderEpochRequestCodec,
  OffsetForLeaderEpochResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  validateRecordBatch,
} from '@samsa/codec';
import type { OffsetForLeaderEpochResponseEpochEndOffset } from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import type { Partition } from './partitions/partition.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, produceBody } from './testing/requests.ts';
import { startTestBroker, type TestBroker } from './testing/test-broker.ts';

const ME = 1;
const OTHER = 2;
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const BROKERS = [{ nodeId: ME, port: 9091 }, { nodeId: OTHER, port: 9092 }];
const OFFSET_FOR_LEADER_EPOCH = 23;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function offsetForLeaderEpoch(client: KafkaTestClient, version: number, topic: string, partition: number, leaderEpoch: number, currentLeaderEpoch = -1): Promise<OffsetForLeaderEpochResponseEpochEndOffset> {
  const body = { replicaId: -1, topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }] };
  return client.request(OFFSET_FOR_LEADER_EPOCH, version, OffsetForLeaderEpochRequestCodec, body, OffsetForLeaderEpochResponseCodec).then((r) => {
    expect(r.topics.map((t) => t.topic)).toEqual([topic]);
    return r.topics[0]!.partitions[0]!;
  });
}

/** ListOffsets v4+ for one partition: the offset and the leader epoch answered. */
async function listOffset(client: KafkaTestClient, topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number; leaderEpoch: number }> {
  const body = { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }], timeoutMs: 0 };
  const r = await client.request(2, 7, ListOffsetsRequestCodec, body, ListOffsetsResponseCodec);
  const p = r.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: p.offset, leaderEpoch: p.leaderEpoch };
}

async function produce(client: KafkaTestClient, topic: string, partition: number, values: string[]): Promise<{ errorCode: number; baseOffset: number }> {
  const r = await client.request(0, 9, ProduceRequestCodec, produceBody(topic, partition, batchOf(values)), ProduceResponseCodec);
  const p = r.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

/** Each batch of the partition's log: its base offset and stamped leader epoch (and a valid CRC). */
async function stampedEpochs(p: Partition): Promise<Array<[number, number]>> {
  const bytes = (await p.log.read(p.log.logStartOffset, 1 << 20)).records;
  const out: Array<[number, number]> = [];
  forEachBatch(bytes, (pos, size) => {
    expect(validateRecordBatch(bytes, pos, pos + size)).toBeNull();
    out.push([batchBaseOffset(bytes, pos), batchPartitionLeaderEpoch(bytes, pos)]);
  });
  return out;
}

describe('OffsetForLeaderEpoch on a single broker', () => {
  async function single(): Promise<{ tb: TestBroker; client: KafkaTestClient }> {
    const tb = await startTestBroker();
    stops.push(() => tb.stop());
    const client = await tb.connect();
    const created = await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody('t', 1), CreateTopicsResponseCodec);
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    return { tb, client };
  }

  it('is advertised as versions 0-4', async () => {
    const { client } = await single();
    const res = await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec);
    expect(res.apiKeys.find((k) => k.apiKey === OFFSET_FOR_LEADER_EPOCH)).toMatchObject({ minVersion: 0, maxVersion: 4 });
  });

  it('stamps epoch 0 and answers every version from the epoch cache', async () => {
    const { tb, client } = await single();
    expect((await produce(client, 't', 0, ['a', 'b'])).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(client, 't', 0, ['c'])).errorCode).toBe(ErrorCode.NONE);
    expect(await stampedEpochs(tb.broker.registry.partition('t', 0)!)).toEqual([
      [0, 0],
      [2, 0],
    ]);
    for (let v = 0; v <= 4; v++) {
      // v0 has no leader_epoch in the response (it decodes as the default, -1).
      expect({ v, answer: await offsetForLeaderEpoch(client, v, 't', 0, 0) }).toMatchObject({ v, answer: { errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: v >= 1 ? 0 : -1, endOffset: 3 } });
      expect({ v, answer: await offsetForLeaderEpoch(client, v, 't', 0, 1) }).toMatchObject({ v, answer: { errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 } }); // newer than any
      expect((await offsetForLeaderEpoch(client, v, 'nope', 0, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect((await offsetForLeaderEpoch(client, v, 't', 7, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });
});

describe('leader epochs in cluster mode', () => {
  function viewAt(revision: number, leader: number, leaderEpoch: number) {
    return buildClusterView({ revision, controllerId: OTHER, brokers: BROKERS, topics: [{ name: 't', topicId: TOPIC_ID, partitions: [{ leader, leaderEpoch, replicas: [ME, OTHER], isr: [leader] }] }] });
  }

  async function cluster(): Promise<{ broker: Broker; link: FakeClusterLink; fs: MemoryFileSystem; client: KafkaTestClient }> {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const transport = new MemoryTransport();
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`] });
    const link = new FakeClusterLink(ME, viewAt(1, ME, 2));
    const broker = await Broker.open({ config, fs, clock, random: createRandom(0), cluster: link });
    stops.push(() => broker.shutdown());
    await broker.settled();
    const listener = await broker.listen(transport);
    const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }));
    return { broker, link, fs, client };
  }

  it('stamps the epoch of the view in force, checkpoints its start, and answers OffsetForLeaderEpoch from it', async () => {
    const { broker, link, fs, client } = await cluster();
    expect(await produce(client, 't', 0, ['a', 'b'])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    // Leadership moves away and back: the controller bumps the epoch each time.
    link.publish(viewAt(2, OTHER, 3));
    await broker.settled();
    expect((await produce(client, 't', 0, ['x'])).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await offsetForLeaderEpoch(client, 4, 't', 0, 2)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    link.publish(viewAt(3, ME, 4));
    await broker.settled();
    expect(await produce(client, 't', 0, ['c'])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 2 });
    expect(await produce(client, 't', 0, ['d'])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 3 });

    const p = broker.registry.partition('t', 0)!;
    expect(p.leaderEpoch).toBe(4);
    expect(await stampedEpochs(p)).toEqual([
      [0, 2],
      [2, 4],
      [3, 4],
    ]);
    const checkpoint = new TextDecoder().decode(await fs.readFile('/data/t-0/leader-epoch-checkpoint'));
    expect(checkpoint.trim().split('\n').slice(2)).toEqual(['2 0', '4 2']);

    const v4 = (leaderEpoch: number, current = -1) => offsetForLeaderEpoch(client, 4, 't', 0, leaderEpoch, current);
    expect(await v4(2)).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 2 });
    expect(await v4(3)).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 2 }); // epoch 3 wrote nothing here
    expect(await v4(4, 4)).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: 4, endOffset: 4 });
    expect(await v4(1)).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: 1, endOffset: 0 }); // before any known epoch (Kafka)
    expect(await v4(5)).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 });
    expect(await v4(4, 3)).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 });
    expect(await v4(4, 5)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 });
    // v0/v1 have no current_leader_epoch: never fenced.
    expect(await offsetForLeaderEpoch(client, 1, 't', 0, 2, 3)).toMatchObject({ errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 2 });

    // ListOffsets answers Kafka's epochs: the earliest offset's, the found batch's, the current leader's for latest.
    expect(await listOffset(client, 't', 0, -2)).toEqual({ errorCode: ErrorCode.NONE, offset: 0, leaderEpoch: 2 });
    expect(await listOffset(client, 't', 0, 0)).toEqual({ errorCode: ErrorCode.NONE, offset: 0, leaderEpoch: 2 });
    const maxTimestamp = await listOffset(client, 't', 0, -3);
    expect(maxTimestamp).toEqual({ errorCode: ErrorCode.NONE, offset: maxTimestamp.offset, leaderEpoch: maxTimestamp.offset < 2 ? 2 : 4 }); // the epoch of the batch it is in
    expect(await listOffset(client, 't', 0, -1)).toEqual({ errorCode: ErrorCode.NONE, offset: 4, leaderEpoch: 4 });
  });
});

describe('Partition.truncateTo', () => {
  it('removes the records, their epochs and the producer state they made', async () => {
    const tb = await startTestBroker();
    stops.push(() => tb.stop());
    const client = await tb.connect();
    await client.request(19, 4, CreateTopicsRequestCodec, createTopicsBody('t', 1), CreateTopicsResponseCodec);
    const p = tb.broker.registry.partition('t', 0)!;
    const idempotent = (values: string[], seq: number) => batchOf(values, { producerId: 7, producerEpoch: 0, baseSequence: seq });
    p.leaderEpoch = 1;
    expect((await p.produce(idempotent(['a', 'b'], 0))).baseOffset).toBe(0);
    p.leaderEpoch = 2;
    expect((await p.produce(idempotent(['c'], 2))).baseOffset).toBe(2);
    expect((await p.produce(idempotent(['d'], 3))).baseOffset).toBe(3);
    expect(p.log.endOffsetForEpoch(1)).toEqual({ leaderEpoch: 1, endOffset: 2 });

    // The new leader's history ends epoch 1 at offset 2 and has no epoch 2: cut back there.
    expect(await p.truncateTo(2)).toBe(true);
    expect(p.log.logEndOffset).toBe(2);
    expect(p.log.endOffsetForEpoch(1)).toEqual({ leaderEpoch: 1, endOffset: 2 });
    expect(p.log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    expect(await p.truncateTo(5)).toBe(false);

    // The producer retries seq 2 (its answer was lost): appended at 2, not a "duplicate" at 2
    // (which the log no longer holds). Seq 3 after it is in order again.
    p.leaderEpoch = 3;
    const retry = await p.produce(idempotent(['c'], 2));
    expect([retry.errorCode, retry.baseOffset, retry.recordCount]).toEqual([ErrorCode.NONE, 2, 1]);
    expect(p.log.logEndOffset).toBe(3);
    const next = await p.produce(idempotent(['d'], 3));
    expect([next.errorCode, next.baseOffset]).toEqual([ErrorCode.NONE, 3]);
    // And a real duplicate of a kept batch is still recognised.
    const dup = await p.produce(idempotent(['a', 'b'], 0));
    expect([dup.errorCode, dup.baseOffset, dup.recordCount]).toEqual([ErrorCode.NONE, 0, 0]);
    expect(await stampedEpochs(p)).toEqual([
      [0, 1],
      [2, 3],
      [3, 3],
    ]);
  });
});
