// Low disk and full disk, on @samsa/log over the MemoryFileSystem: its 'no-space' fault
// and its capacity (a small capacity is a small disk; freeSpace() reports what is left).
// What a full disk must not do (issue 11, audit 3), each checked here:
// - take data already on disk offline: Fetch after a failed append still serves it, and
//   the partition takes appends again at the next offset;
// - spread: a failed append on one partition leaves the others writable and readable;
// - close connections: CreateTopics, CreatePartitions, DeleteTopics and auto-create answer
//   with error codes and keep the connection;
// - write below log.dir.free.bytes.min: Produce is refused (KAFKA_STORAGE_ERROR, retriable)
//   and nothing is appended; DeleteTopics frees the space and writes are admitted again;
// - stop shutdown or start: shutdown resolves with the disk full and closes every handle,
//   a start on the full disk serves reads, a failed start closes every handle it opened.
// And a partition whose log went offline after a real I/O error shows as offline in Metadata.
import {
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  ZERO_UUID,
} from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, type FaultOp } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import type { SamsaLogStore } from './partitions/samsa-log-store.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';
import { startTestBroker, type TestBroker } from './testing/test-broker.ts';

const MiB = 1024 * 1024;
/** Small index files (the memory fs counts their preallocated size), the threshold and check interval explicit. */
const OVERRIDES = ['log.index.size.max.bytes=4096', 'log.dir.free.bytes.min=65536', 'log.dir.free.check.interval.ms=1000'];
const BALLAST = '/ballast';

let running: TestBroker[] = [];
afterEach(async () => {
  for (const tb of running) await tb.stop().catch(() => undefined);
  running = [];
});

async function start(capacityBytes?: number, extra: readonly string[] = []): Promise<{ tb: TestBroker; c: KafkaTestClient }> {
  const tb = await startTestBroker({ overrides: [...OVERRIDES, ...extra], ...(capacityBytes === undefined ? {} : { capacityBytes }) });
  running.push(tb);
  return { tb, c: await tb.connect() };
}

async function createTopic(c: KafkaTestClient, name: string, partitions: number): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, partitions), CreateTopicsResponseCodec);
  return res.topics[0]!;
}

async function deleteTopic(c: KafkaTestClient, name: string): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(20, 5, DeleteTopicsRequestCodec, { topics: [], topicNames: [name], timeoutMs: 1000 }, DeleteTopicsResponseCodec);
  return res.responses[0]!;
}

async function produce(c: KafkaTestClient, topic: string, partition: number, values: string[]): Promise<{ errorCode: number; baseOffset: number; errorMessage: string | null }> {
  const res = await c.request(0, 8, ProduceRequestCodec, produceBody(topic, partition, batchOf(values)), ProduceResponseCodec);
  return res.responses[0]!.partitionResponses[0]!;
}

async function fetchAll(c: KafkaTestClient, topic: string, partition: number): Promise<{ errorCode: number; values: string[] }> {
  const res = await c.request(1, 11, FetchRequestCodec, fetchBody(topic, partition, 0), FetchResponseCodec);
  const p = res.responses[0]!.partitions[0]!;
  return { errorCode: p.errorCode, values: valuesOf(p.records).map((r) => r.value) };
}

async function metadata(c: KafkaTestClient, topic: string, autoCreate = false) {
  const res = await c.request(3, 9, MetadataRequestCodec, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: autoCreate, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
  return res.topics[0]!;
}

/** Fills the disk so that `leaveBytes` stay free. */
async function fillDisk(fs: MemoryFileSystem, leaveBytes: number): Promise<void> {
  const space = await fs.freeSpace('/');
  if (space === 'unknown') throw new Error('the memory fs always knows its free space');
  const handle = await fs.open(BALLAST, 'append');
  await handle.append(new Uint8Array(Math.max(0, space.freeBytes - leaveBytes)));
  await handle.close();
}

describe('a full disk (no-space on write)', () => {
  it('fails that append alone: Fetch still serves what is there, Metadata shows the partition led, the next append gets the next offset', async () => {
    const { tb, c } = await start();
    expect((await createTopic(c, 't', 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c, 't', 0, ['a', 'b'])).errorCode).toBe(ErrorCode.NONE);
    tb.fs.failOn({ op: 'write', nth: 1, code: 'no-space' });
    const failed = await produce(c, 't', 0, ['lost']);
    expect(failed.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(failed.errorMessage).toContain('Disk full');
    expect(await fetchAll(c, 't', 0)).toEqual({ errorCode: ErrorCode.NONE, values: ['a', 'b'] });
    const p = (await metadata(c, 't')).partitions[0]!;
    expect([p.errorCode, p.leaderId]).toEqual([ErrorCode.NONE, tb.broker.config.nodeId]);
    expect(await produce(c, 't', 0, ['c'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 });
    expect(await fetchAll(c, 't', 0)).toEqual({ errorCode: ErrorCode.NONE, values: ['a', 'b', 'c'] });
    expect(tb.broker.metricsSnapshot().disk).toMatchObject({ writeErrorsTotal: 1, offlinePartitions: 0 });
  });

  it('does not spread: after a failed append on one partition, the others and it stay writable and readable', async () => {
    const { tb, c } = await start();
    expect((await createTopic(c, 't', 2)).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c, 't', 0, ['p0'])).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c, 't', 1, ['p1'])).errorCode).toBe(ErrorCode.NONE);
    tb.fs.failOn({ op: 'write', nth: 1, code: 'no-space' });
    expect((await produce(c, 't', 0, ['x'])).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await produce(c, 't', 1, ['p1-2'])).errorCode).toBe(ErrorCode.NONE);
    expect((await fetchAll(c, 't', 1)).values).toEqual(['p1', 'p1-2']);
    expect((await fetchAll(c, 't', 0)).values).toEqual(['p0']);
    expect((await produce(c, 't', 0, ['p0-2'])).errorCode).toBe(ErrorCode.NONE);
    expect((await fetchAll(c, 't', 0)).values).toEqual(['p0', 'p0-2']);
  });

  it('CreateTopics, CreatePartitions, DeleteTopics and auto-create answer with error codes and keep the connection', async () => {
    const { tb, c } = await start();
    // Every file-system operation of the request fails with no-space, one at a time:
    // the answer is an error code (or success), never a closed connection, and a failed
    // creation leaves no topic behind.
    for (let nth = 1; nth <= 8; nth++) {
      tb.fs.failOn({ op: 'any', nth, code: 'no-space' });
      const created = await createTopic(c, `c${nth}`, 2);
      tb.fs.clearFaults();
      expect([ErrorCode.NONE, ErrorCode.KAFKA_STORAGE_ERROR]).toContain(created.errorCode);
      const md = await metadata(c, `c${nth}`);
      expect({ nth, exists: md.errorCode === ErrorCode.NONE }).toEqual({ nth, exists: created.errorCode === ErrorCode.NONE });
      if (created.errorCode !== ErrorCode.NONE) expect(created.errorMessage).toContain('disk is full');
    }
    expect((await createTopic(c, 'grow', 1)).errorCode).toBe(ErrorCode.NONE);
    tb.fs.failOn({ op: 'open', nth: 2, code: 'no-space' });
    const grown = await c.request(37, 3, CreatePartitionsRequestCodec, { topics: [{ name: 'grow', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false }, CreatePartitionsResponseCodec);
    tb.fs.clearFaults();
    expect(grown.results[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await metadata(c, 'grow')).partitions.length).toBe(1);
    tb.fs.failOn({ op: 'open', nth: 1, code: 'no-space' });
    const auto = await metadata(c, 'auto', true);
    tb.fs.clearFaults();
    expect(auto.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    // Every file the deletion opens and every write fails (both metadata saves among them: a journal append): an error code, and the topic is gone.
    for (let nth = 1; nth <= 20; nth++) tb.fs.failOn({ op: 'open', nth, code: 'no-space' });
    for (let nth = 1; nth <= 20; nth++) tb.fs.failOn({ op: 'write', nth, code: 'no-space' });
    const deleted = await deleteTopic(c, 'grow');
    tb.fs.clearFaults();
    expect(deleted.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await metadata(c, 'grow')).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(c.isClosed).toBe(false);
    expect((await createTopic(c, 'after', 1)).errorCode).toBe(ErrorCode.NONE);
  });

  it('FindCoordinator answers COORDINATOR_NOT_AVAILABLE while __consumer_offsets cannot be created, and recovers', async () => {
    const { tb, c } = await start();
    const find = async () => (await c.request(10, 3, FindCoordinatorRequestCodec, { key: 'g', keyType: 0, coordinatorKeys: [] }, FindCoordinatorResponseCodec)).errorCode;
    tb.fs.failOn({ op: 'open', nth: 1, code: 'no-space' });
    expect(await find()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    tb.fs.clearFaults();
    expect(await find()).toBe(ErrorCode.NONE);
  });
});

describe('low disk (free space under log.dir.free.bytes.min)', () => {
  it('refuses Produce with a retriable KAFKA_STORAGE_ERROR before writing, and topic creation; reads go on', async () => {
    const { tb, c } = await start(8 * MiB);
    expect((await createTopic(c, 't', 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c, 't', 0, ['kept'])).errorCode).toBe(ErrorCode.NONE);
    await fillDisk(tb.fs, 1000);
    tb.clock.advance(1000);
    const usedBefore = tb.fs.usedBytes();
    const refused = await produce(c, 't', 0, ['refused']);
    expect(refused.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(refused.errorMessage).toContain('low on space');
    expect(tb.fs.usedBytes()).toBe(usedBefore);
    expect((await fetchAll(c, 't', 0)).values).toEqual(['kept']);
    expect((await createTopic(c, 'new', 1)).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await metadata(c, 'auto', true)).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(tb.broker.metricsSnapshot().disk).toMatchObject({ writesRefused: true, freeBytesMin: 65536, totalBytes: 8 * MiB });
    expect(tb.fs.usedBytes()).toBe(usedBefore);
    // Space comes back: writes are admitted again after the check interval.
    await tb.fs.remove(BALLAST);
    tb.clock.advance(1000);
    expect(await produce(c, 't', 0, ['back'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    expect(tb.broker.metricsSnapshot().disk.writesRefused).toBe(false);
  });

  it("an idempotent producer's later batch, after a refused one, is refused alike (not OUT_OF_ORDER_SEQUENCE_NUMBER) even once space is back", async () => {
    // The refusal state can change between two pipelined batches; a sequence gap answer
    // there makes librdkafka bump its epoch and append unacknowledged messages twice.
    const { tb, c } = await start(8 * MiB);
    expect((await createTopic(c, 't', 1)).errorCode).toBe(ErrorCode.NONE);
    const pid = 7;
    const idem = async (seq: number, values: string[]) => {
      const batch = batchOf(values, { producerId: pid, producerEpoch: 0, baseSequence: seq });
      const res = await c.request(0, 8, ProduceRequestCodec, produceBody('t', 0, batch), ProduceResponseCodec);
      return res.responses[0]!.partitionResponses[0]!;
    };
    expect(await idem(0, ['a'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    await fillDisk(tb.fs, 1000);
    tb.clock.advance(1000);
    expect((await idem(1, ['b'])).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    await tb.fs.remove(BALLAST);
    tb.clock.advance(1000);
    // Sequence 2 was pipelined behind 1: the same retriable answer, nothing appended.
    const later = await idem(2, ['c']);
    expect(later.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(later.errorMessage).toContain('sequence 1 was refused');
    expect(tb.broker.registry.partition('t', 0)!.log.logEndOffset).toBe(1);
    // The client retries in order: both go in, once each; a real gap still is one.
    expect(await idem(1, ['b'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    expect(await idem(2, ['c'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 });
    expect(await idem(1, ['b'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    expect((await idem(5, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await fetchAll(c, 't', 0)).values).toEqual(['a', 'b', 'c']);
  });

  it('DeleteTopics frees the space at once and Produce works again', async () => {
    const { tb, c } = await start(8 * MiB);
    expect((await createTopic(c, 'big', 1)).errorCode).toBe(ErrorCode.NONE);
    expect((await createTopic(c, 'small', 1)).errorCode).toBe(ErrorCode.NONE);
    const value = 'x'.repeat(60_000);
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await produce(c, 'big', 0, [value]);
      tb.clock.advance(1000);
      refused = r.errorCode === ErrorCode.KAFKA_STORAGE_ERROR;
      if (!refused) expect(r.errorCode).toBe(ErrorCode.NONE);
    }
    expect(refused).toBe(true);
    expect((await produce(c, 'small', 0, ['s'])).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await deleteTopic(c, 'big')).errorCode).toBe(ErrorCode.NONE);
    expect(await produce(c, 'small', 0, ['s'])).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  });

  it('shutdown resolves with the disk full and closes every handle; a start on the full disk serves reads', async () => {
    // An index entry per batch: the close has index entries to write, and no room for them.
    const { tb, c } = await start(8 * MiB, ['log.index.interval.bytes=1']);
    expect((await createTopic(c, 't', 2)).errorCode).toBe(ErrorCode.NONE);
    for (let i = 0; i < 20; i++) expect((await produce(c, 't', i % 2, [`v${i}`])).errorCode).toBe(ErrorCode.NONE);
    await fillDisk(tb.fs, 0);
    // As on a real full disk, every write fails, even after a trim freed a few bytes (the
    // memory fs counts preallocated index space, which a real file system does not).
    tb.fs.failRandomly({ seed: 1, probability: 1, ops: ['write', 'append'], code: 'no-space' });
    const stopped = await tb.stop().then(() => 'ok', (e: unknown) => e);
    expect(stopped).toBe('ok');
    expect(tb.fs.openHandles()).toBe(0);
    await tb.restart();
    const c2 = await tb.connect();
    expect((await fetchAll(c2, 't', 0)).values).toEqual(['v0', 'v2', 'v4', 'v6', 'v8', 'v10', 'v12', 'v14', 'v16', 'v18']);
    expect((await produce(c2, 't', 1, ['no room'])).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    await tb.stop();
    expect(tb.fs.openHandles()).toBe(0);
  });

  it('a start that fails part-way closes every handle it opened', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', ...OVERRIDES] });
    const first = await Broker.open({ config, fs, clock, random: createRandom(1) });
    for (let i = 0; i < 4; i++) {
      await first.registry.createTopic(`t${i}`, 2, {});
      for (const p of first.registry.topic(`t${i}`)!.partitions) {
        await p.produce(batchOf(['a', 'b']));
        await (first.logs as SamsaLogStore).manager.getLog(`t${i}`, p.index)!.flush();
      }
    }
    // A crash (no clean shutdown), so the start recovers: it opens and reads segments.
    const crashed = fs.clone();
    crashed.crash();
    await first.shutdown();
    // The n-th file-system operation of the start fails, for every n until the start does
    // not reach it: a failed start must have closed every handle it opened.
    const ops: readonly FaultOp[] = ['read', 'append', 'write', 'sync', 'truncate', 'size', 'close', 'open', 'mkdirp', 'readDir', 'rename', 'remove', 'stat', 'syncDir', 'readFile'];
    let failedStarts = 0;
    for (let nth = 1; nth <= 1000; nth++) {
      const disk = crashed.clone();
      disk.failOn({ op: 'any', nth, code: 'io' });
      const opened = await Broker.open({ config, fs: disk, clock, random: createRandom(1) }).catch(() => null);
      const reached = ops.reduce((n, op) => n + disk.opCount(op), 0) >= nth;
      disk.clearFaults();
      if (opened !== null) await opened.shutdown();
      else failedStarts++;
      expect({ nth, handles: disk.openHandles() }).toEqual({ nth, handles: 0 });
      if (!reached) break;
    }
    expect(failedStarts).toBeGreaterThan(20);
  });
});

describe('a storage error that is not a full disk', () => {
  it('takes that partition offline, and Metadata says so (leader -1, LEADER_NOT_AVAILABLE, offline replica)', async () => {
    const { tb, c } = await start();
    expect((await createTopic(c, 't', 2)).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(c, 't', 0, ['a'])).errorCode).toBe(ErrorCode.NONE);
    tb.fs.failOn({ op: 'write', nth: 1, code: 'io' });
    expect((await produce(c, 't', 0, ['b'])).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const [p0, p1] = (await metadata(c, 't')).partitions;
    const node = tb.broker.config.nodeId;
    expect(p0).toMatchObject({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, isrNodes: [], offlineReplicas: [node] });
    expect(p1).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: node, offlineReplicas: [] });
    expect(tb.broker.metricsSnapshot().disk.offlinePartitions).toBe(1);
  });
});
