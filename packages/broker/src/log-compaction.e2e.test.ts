// The broker's partitions under a @samsa/log LogManager (SamsaLogStore) on the memory
// runtime: the log cleaner, driven by the ManualClock every log.cleaner.backoff.ms,
// compacts `__consumer_offsets` (superseded commits go, tombstones of deleted groups and
// expired offsets go after delete.retention.ms) and user topics with
// cleanup.policy=compact (also after AlterConfigs switches a topic to compact); a clean
// shutdown means no recovery on the next start; a data dir of the earlier standalone mode
// still opens.
import {
  buildRecordBatch,
  DeleteGroupsRequestCodec,
  DeleteGroupsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  IncrementalAlterConfigsRequestCodec,
  IncrementalAlterConfigsResponseCodec,
  iterateRecords,
  ProduceRequestCodec,
  ProduceResponseCodec,
  splitRecordBatches,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
} from '@samsa/codec';
import { decodeConsumerOffsetsRecord } from '@samsa/coordinator';
import type { ConsumerOffsetsRecord } from '@samsa/coordinator';
import { openLog } from '@samsa/log';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC, replayConsumerOffsetsPartition } from './groups/consumer-offsets-log.ts';
import { GroupTestClient, settle } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import type { Logger } from './observability/logger.ts';
import { SamsaLogStore } from './partitions/samsa-log-store.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { BASE_TS, createTopicsBody, fetchBody, produceBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const NEWEST: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };
/** One __consumer_offsets partition with 1 KiB segments; the cleaner looks every second. */
const SMALL = ['offsets.topic.num.partitions=1', 'offsets.topic.segment.bytes=1024', 'log.cleaner.backoff.ms=1000', 'group.initial.rebalance.delay.ms=0'];
const enc = new TextEncoder();
const dec = new TextDecoder();

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const logger: Logger & { messages: string[] } = {
    messages,
    debug: () => {},
    info: (_o, m) => messages.push(m ?? ''),
    warn: (_o, m) => messages.push(`WARN ${m ?? ''}`),
    error: (_o, m) => messages.push(`ERROR ${m ?? ''}`),
    child: () => logger,
  };
  return logger;
}

async function setup(overrides: string[] = [], logger?: Logger): Promise<{ t: TestBroker; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides: [...SMALL, ...overrides], ...(logger ? { logger } : {}) });
  return { t: tb, client: await tb.connect('compaction-test') };
}

/** Moves the clock in `stepMs` steps (letting the cleaner's async work run) until `done()`; bounded. */
async function waitFor(t: TestBroker, done: () => boolean | Promise<boolean>, what: string, stepMs = 500): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await done()) return;
    await t.clock.advanceAsync(stepMs);
    for (let j = 0; j < 20; j++) await new Promise((r) => setTimeout(r, 0));
  }
  throw new Error(`waitFor: ${what} did not happen`);
}

/** Simple (generation -1) commits of `offsets` for `group`, one OffsetCommit each (the clock stands still). */
async function commit(t: TestBroker, client: KafkaTestClient, group: string, offsets: Record<number, number>): Promise<void> {
  const g = new GroupTestClient(client, t.clock, group, NEWEST);
  const res = await g.commit('events', offsets, -1, '');
  for (const p of res.topics[0]!.partitions) expect(p.errorCode).toBe(ErrorCode.NONE);
}

async function fetchOffsets(t: TestBroker, group: string, partitions: number[]): Promise<Record<number, number>> {
  const g = new GroupTestClient(await t.connect(), t.clock, group, NEWEST);
  const r = await g.fetch('events', partitions);
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return r.offsets;
}

/** Every keyed record of __consumer_offsets-0, decoded. */
async function offsetsTopicRecords(t: TestBroker): Promise<ConsumerOffsetsRecord[]> {
  const out: ConsumerOffsetsRecord[] = [];
  await replayConsumerOffsetsPartition(t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!, (records) => {
    for (const r of records) out.push(decodeConsumerOffsetsRecord(r.key, r.value));
  });
  return out;
}

const groupOf = (r: ConsumerOffsetsRecord): string | null => (r.kind === 'offset' ? r.key.group : r.kind === 'group' ? r.group : null);
const isTombstone = (r: ConsumerOffsetsRecord): boolean => r.kind !== 'unknown' && r.value === null;

async function createTopic(client: KafkaTestClient, name: string, configs: Record<string, string>, partitions = 1): Promise<void> {
  const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, partitions, {}, configs), CreateTopicsResponseCodec);
  expect(res.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

async function produceKeyed(client: KafkaTestClient, topic: string, key: string, value: string, i: number): Promise<void> {
  const batch = buildRecordBatch([{ key: enc.encode(key), value: enc.encode(value), timestampMs: BASE_TS + i }]);
  const res = await client.request(0, 9, ProduceRequestCodec, produceBody(topic, 0, batch), ProduceResponseCodec);
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** All records of a topic's partition 0 through Fetch: [offset, key, value]. */
async function fetchAll(client: KafkaTestClient, t: TestBroker, topic: string): Promise<Array<[number, string, string]>> {
  const log = t.broker.registry.partition(topic, 0)!.log;
  const out: Array<[number, string, string]> = [];
  let offset = log.logStartOffset;
  for (let i = 0; i < 1000 && offset < log.logEndOffset; i++) {
    const res = await client.request(1, 12, FetchRequestCodec, fetchBody(topic, 0, offset), FetchResponseCodec);
    const p = res.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    const batches = splitRecordBatches(p.records ?? new Uint8Array(0)).batches;
    if (batches.length === 0) break;
    for (const b of batches) {
      for (const r of iterateRecords(b, 0)) out.push([r.offset, dec.decode(r.key!), dec.decode(r.value!)]);
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      offset = Number(v.getBigInt64(0)) + v.getInt32(23) + 1;
    }
  }
  return out;
}

describe('__consumer_offsets is compacted', () => {
  it('many commits of one group shrink to the latest per key; the latest offsets survive a restart', async () => {
    const { t, client } = await setup();
    await createTopic(client, 'events', {}, 4);
    const topic = t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC);
    expect(topic).toBeUndefined(); // created on first use, below
    for (let i = 0; i < 100; i++) await commit(t, client, 'busy', { 0: i * 10, 1: i * 10 + 1, 2: i * 10 + 2, 3: i * 10 + 3 });
    const record = t.broker.registry.topic(CONSUMER_OFFSETS_TOPIC)!.record;
    expect(record.configs['cleanup.policy']).toBe('compact');
    expect(record.configs['segment.bytes']).toBe('1024');
    const part = t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!;
    const store = t.broker.logs as SamsaLogStore;
    const log = store.manager.getLog(CONSUMER_OFFSETS_TOPIC, 0)!;
    const bytesBefore = part.log.sizeBytes;
    const recordsBefore = (await offsetsTopicRecords(t)).length;
    const segmentsBefore = log.segmentCount;
    expect(recordsBefore).toBe(400);
    expect(segmentsBefore).toBeGreaterThan(10);

    // Nothing happens before log.cleaner.backoff.ms; the first tick after it compacts.
    await t.clock.advanceAsync(900);
    expect(part.log.sizeBytes).toBe(bytesBefore);
    await waitFor(t, () => part.log.sizeBytes < bytesBefore, 'compaction of __consumer_offsets');
    const recordsAfter = (await offsetsTopicRecords(t)).length;
    console.log(`__consumer_offsets-0: ${bytesBefore} B / ${recordsBefore} records / ${segmentsBefore} segments before, ${part.log.sizeBytes} B / ${recordsAfter} records / ${log.segmentCount} segments after compaction`);
    expect(part.log.sizeBytes).toBeLessThan(bytesBefore / 4);
    expect(recordsAfter).toBeLessThan(recordsBefore / 4);
    expect(part.log.logEndOffset).toBe(400); // offsets never change
    expect(new TextDecoder().decode(await t.fs.readFile('/data/cleaner-offset-checkpoint'))).toMatch(/__consumer_offsets 0 \d+/);
    expect(await fetchOffsets(t, 'busy', [0, 1, 2, 3])).toEqual({ 0: 990, 1: 991, 2: 992, 3: 993 });
    // The first pass empties the old segments (grouped by their input size, as Kafka
    // does); the next pass, once new commits made the log dirty again, merges them.
    for (let i = 100; i < 120; i++) await commit(t, client, 'busy', { 0: i * 10, 1: i * 10 + 1, 2: i * 10 + 2, 3: i * 10 + 3 });
    await waitFor(t, () => log.segmentCount < 10, 'the emptied segments merged');
    console.log(`after a second pass: ${part.log.sizeBytes} B / ${log.segmentCount} segments`);
    expect(part.log.sizeBytes).toBeLessThan(bytesBefore / 4);
    expect(await fetchOffsets(t, 'busy', [0, 1, 2, 3])).toEqual({ 0: 1190, 1: 1191, 2: 1192, 3: 1193 });

    await t.restart();
    await t.broker.groups.loaded;
    expect(await fetchOffsets(t, 'busy', [0, 1, 2, 3])).toEqual({ 0: 1190, 1: 1191, 2: 1192, 3: 1193 });
    expect(t.broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!.log.sizeBytes).toBeLessThan(bytesBefore / 4);
  });

  it('DeleteGroups writes tombstones; after delete.retention.ms a cleaner pass removes every record of the group', async () => {
    const { t, client } = await setup(['log.cleaner.delete.retention.ms=10000']);
    await createTopic(client, 'events', {}, 4);
    for (let i = 0; i < 20; i++) await commit(t, client, 'doomed', { 0: i, 1: i, 2: i, 3: i });
    const del = await settle(t.clock, client.request(42, 2, DeleteGroupsRequestCodec, { groupsNames: ['doomed'] }, DeleteGroupsResponseCodec));
    expect(del.results[0]!.errorCode).toBe(ErrorCode.NONE);
    const doomed = async () => (await offsetsTopicRecords(t)).filter((r) => groupOf(r) === 'doomed');
    const tombstones = (await doomed()).filter(isTombstone);
    expect(tombstones.length).toBe(5); // 4 offsets + the group
    // Later commits of another group roll the segment holding the tombstones.
    for (let i = 0; i < 10; i++) await commit(t, client, 'filler', { 0: i });
    // First pass (within delete.retention.ms): the commits go, the tombstones stay.
    await waitFor(t, async () => (await doomed()).every(isTombstone), 'the doomed commits compacted away');
    expect((await doomed()).length).toBe(5);
    // Past delete.retention.ms, the next pass (new dirty data) drops the tombstones too.
    await t.clock.advanceAsync(11_000);
    for (let i = 0; i < 10; i++) await commit(t, client, 'filler', { 0: 100 + i });
    await waitFor(t, async () => (await doomed()).length === 0, 'the tombstones removed');

    await t.restart();
    await t.broker.groups.loaded;
    expect(await fetchOffsets(t, 'doomed', [0, 1])).toEqual({ 0: -1, 1: -1 });
    expect(await fetchOffsets(t, 'filler', [0])).toEqual({ 0: 109 });
  });

  it('expired offsets become tombstones, and compaction removes them after delete.retention.ms', async () => {
    const { t, client } = await setup(['log.cleaner.delete.retention.ms=5000', 'offsets.retention.minutes=1', 'offsets.retention.check.interval.ms=1000']);
    await createTopic(client, 'events', {}, 2);
    for (let i = 0; i < 10; i++) await commit(t, client, 'stale', { 0: i, 1: i });
    const stale = async () => (await offsetsTopicRecords(t)).filter((r) => groupOf(r) === 'stale');
    // offsets.retention.minutes=1 later, the coordinator writes tombstones for them.
    await waitFor(t, async () => (await stale()).some(isTombstone), 'expiry tombstones', 2000);
    expect(await fetchOffsets(t, 'stale', [0, 1])).toEqual({ 0: -1, 1: -1 });
    await t.clock.advanceAsync(6000);
    for (let i = 0; i < 10; i++) await commit(t, client, 'fresh', { 0: i });
    await waitFor(t, async () => (await stale()).length === 0, 'the expiry tombstones removed');
    await t.restart();
    await t.broker.groups.loaded;
    expect(await fetchOffsets(t, 'stale', [0, 1])).toEqual({ 0: -1, 1: -1 });
    expect(await fetchOffsets(t, 'fresh', [0])).toEqual({ 0: 9 });
  });
});

describe('user topics', () => {
  it('cleanup.policy=compact from CreateTopics is compacted; a delete-policy topic is not', async () => {
    const { t, client } = await setup(['log.retention.check.interval.ms=1000']);
    await createTopic(client, 'table', { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'retention.ms': '1' });
    await createTopic(client, 'stream', { 'segment.bytes': '1024' });
    for (let i = 0; i < 60; i++) {
      await produceKeyed(client, 'table', `k${i % 5}`, `v${i}`, i);
      await produceKeyed(client, 'stream', `k${i % 5}`, `v${i}`, i);
    }
    const table = t.broker.registry.partition('table', 0)!;
    const stream = t.broker.registry.partition('stream', 0)!;
    const tableBefore = table.log.sizeBytes;
    const streamBefore = stream.log.sizeBytes;
    await waitFor(t, () => table.log.sizeBytes < tableBefore, 'compaction of table');
    await t.clock.advanceAsync(5000);
    expect(stream.log.sizeBytes).toBe(streamBefore);
    // retention.ms=1 does not apply to a compact-only topic: the retention task ran every
    // second of the clock above and deleted nothing, nor does a pass now.
    expect(await (t.broker.logs as SamsaLogStore).manager.runRetention()).toBe(0);
    expect(table.log.logStartOffset).toBe(0);
    const records = await fetchAll(client, t, 'table');
    expect(records.length).toBeLessThan(30);
    const latest = new Map<string, string>();
    for (const [, k, v] of records) latest.set(k, v);
    expect(Object.fromEntries(latest)).toEqual({ k0: 'v55', k1: 'v56', k2: 'v57', k3: 'v58', k4: 'v59' });
    // Offsets are increasing and unchanged by compaction.
    expect(records.map(([o]) => o)).toEqual([...records.map(([o]) => o)].sort((a, b) => a - b));
    expect(records.at(-1)![0]).toBe(59);
    expect((await fetchAll(client, t, 'stream')).length).toBe(60);
  });

  it('a delete-policy topic switched to compact by IncrementalAlterConfigs gets compacted', async () => {
    const { t, client } = await setup();
    await createTopic(client, 'flip', { 'segment.bytes': '1024' });
    for (let i = 0; i < 60; i++) await produceKeyed(client, 'flip', `k${i % 3}`, `v${i}`, i);
    const p = t.broker.registry.partition('flip', 0)!;
    const before = p.log.sizeBytes;
    await t.clock.advanceAsync(3000);
    expect(p.log.sizeBytes).toBe(before);
    const alter = await client.request(44, 1, IncrementalAlterConfigsRequestCodec, {
      resources: [{ resourceType: 2, resourceName: 'flip', configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }] }],
      validateOnly: false,
    }, IncrementalAlterConfigsResponseCodec);
    expect(alter.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    await waitFor(t, () => p.log.sizeBytes < before, 'compaction after AlterConfigs');
    const latest = new Map((await fetchAll(client, t, 'flip')).map(([, k, v]) => [k, v]));
    expect(Object.fromEntries(latest)).toEqual({ k0: 'v57', k1: 'v58', k2: 'v59' });
  });

  it('produce and fetch while the cleaner runs: every key reads back its latest value, offsets only grow, also after a restart', async () => {
    const { t, client } = await setup();
    await createTopic(client, 'live', { 'cleanup.policy': 'compact', 'segment.bytes': '512' });
    const p = t.broker.registry.partition('live', 0)!;
    const expected = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const key = `k${(i * 7) % 11}`;
      await produceKeyed(client, 'live', key, `v${i}`, i);
      expected.set(key, `v${i}`);
      // A cleaner tick every 10 appends (fired synchronously, not awaited): the pass
      // overlaps the next appends and fetches.
      if (i % 10 === 9) t.clock.advance(1000);
      if (i % 50 === 49) {
        const seen = await fetchAll(client, t, 'live');
        const offsets = seen.map(([o]) => o);
        // The passes did run meanwhile: at least one finished and removed superseded
        // records. How many finish before the last append depends on the machine's speed
        // (CI once saw 153 of 300 left), so only "some" is asserted here; the waitFor
        // below then checks that the cleaner catches up fully.
        if (i === 299) expect(seen.length).toBeLessThan(300);
        expect(offsets).toEqual([...new Set(offsets)].sort((x, y) => x - y));
        expect(Object.fromEntries(new Map(seen.map(([, k, v]) => [k, v])))).toEqual(Object.fromEntries(expected));
      }
    }
    await waitFor(t, async () => (await fetchAll(client, t, 'live')).length < 60, 'the log compacted');
    const check = async (c: KafkaTestClient): Promise<void> => {
      const seen = await fetchAll(c, t, 'live');
      expect(Object.fromEntries(new Map(seen.map(([, k, v]) => [k, v])))).toEqual(Object.fromEntries(expected));
      expect(seen.at(-1)![0]).toBe(299);
    };
    await check(client);
    expect(p.log.logEndOffset).toBe(300);
    await t.restart();
    await check(await t.connect());
    await produceKeyed(await t.connect(), 'live', 'k0', 'after', 300);
    expect(t.broker.registry.partition('live', 0)!.log.logEndOffset).toBe(301);
  });

  it('log.cleaner.enable=false: compacted topics are left alone', async () => {
    const { t, client } = await setup(['log.cleaner.enable=false']);
    await createTopic(client, 'table', { 'cleanup.policy': 'compact', 'segment.bytes': '1024' });
    for (let i = 0; i < 60; i++) await produceKeyed(client, 'table', `k${i % 5}`, `v${i}`, i);
    const p = t.broker.registry.partition('table', 0)!;
    const before = p.log.sizeBytes;
    for (let i = 0; i < 10; i++) await t.clock.advanceAsync(1000);
    expect(p.log.sizeBytes).toBe(before);
  });
});

describe('restarts', () => {
  it('a clean shutdown writes .kafka_cleanshutdown and the next start runs no recovery; after a crash it does', async () => {
    const logger = recordingLogger();
    const { t, client } = await setup([], logger);
    await createTopic(client, 'events', { 'segment.bytes': '1024' });
    for (let i = 0; i < 30; i++) await produceKeyed(client, 'events', `k${i}`, `v${i}`, i);
    await commit(t, client, 'g', { 0: 5 });
    await t.broker.shutdown();
    expect(await t.fs.stat('/data/.kafka_cleanshutdown')).not.toBeNull();
    logger.messages.length = 0;
    await t.restart();
    await t.broker.groups.loaded;
    expect(logger.messages).toContain('log manager opened');
    expect(logger.messages.filter((m) => m.includes('recovered'))).toEqual([]);
    expect(await t.fs.stat('/data/.kafka_cleanshutdown')).toBeNull(); // removed before any write
    expect(t.broker.registry.partition('events', 0)!.log.logEndOffset).toBe(30);
    expect(await fetchOffsets(t, 'g', [0])).toEqual({ 0: 5 });

    // The same check fails after a crash: recovery runs.
    t.fs.crash();
    logger.messages.length = 0;
    await t.restart();
    expect(logger.messages.filter((m) => m.includes('recovered')).length).toBeGreaterThan(0);
  });

  it('a data dir written by the standalone mode (.samsa_cleanshutdown per log) opens with its data', async () => {
    const { t, client } = await setup();
    await createTopic(client, 'events', { 'segment.bytes': '1024' });
    for (let i = 0; i < 10; i++) await produceKeyed(client, 'events', `k${i}`, `v${i}`, i);
    await t.broker.shutdown();
    // Rewrite the dir as the standalone mode left it: append through a standalone log, no
    // per-dir marker, a per-log one.
    await t.fs.remove('/data/.kafka_cleanshutdown');
    const standalone = await openLog({ dir: '/data/events-0', fs: t.fs, clock: t.clock, config: { segmentBytes: 1024 } });
    for (let i = 10; i < 20; i++) await standalone.append(buildRecordBatch([{ key: enc.encode(`k${i}`), value: enc.encode(`v${i}`), timestampMs: BASE_TS + i }]), { leaderEpoch: 0 });
    await standalone.close();
    expect(await t.fs.stat('/data/events-0/.samsa_cleanshutdown')).not.toBeNull();
    await t.restart();
    expect(await t.fs.stat('/data/events-0/.samsa_cleanshutdown')).toBeNull();
    const c2 = await t.connect();
    const records = await fetchAll(c2, t, 'events');
    expect(records.map(([o, , v]) => `${o}:${v}`)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}:v${i}`));
    await produceKeyed(c2, 'events', 'k20', 'v20', 20);
    expect(t.broker.registry.partition('events', 0)!.log.logEndOffset).toBe(21);
  });

  it('a deleted topic\'s directory is renamed to -delete at once, removed after file.delete.delay.ms or at the next start', async () => {
    const { t, client } = await setup(['log.segment.delete.delay.ms=5000']);
    const deleteTopic = async (name: string) => {
      const res = await client.request(20, 4, DeleteTopicsRequestCodec, { topics: [], topicNames: [name], timeoutMs: 1000 }, DeleteTopicsResponseCodec);
      expect(res.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    };
    const dirs = async () => (await t.fs.readDir('/data')).filter((n) => n.startsWith('soon') || n.startsWith('later')).sort();
    await createTopic(client, 'soon', {});
    await createTopic(client, 'later', {});
    await produceKeyed(client, 'soon', 'k', 'v', 0);
    await produceKeyed(client, 'later', 'k', 'v', 0);
    await deleteTopic('soon');
    expect(await dirs()).toEqual(['later-0', expect.stringMatching(/^soon-0\.[0-9a-f]+-delete$/)]);
    await waitFor(t, async () => (await dirs()).length === 1, 'the -delete dir removed');
    expect(await dirs()).toEqual(['later-0']);
    // Deleted just before a shutdown: the next start finishes the job.
    await deleteTopic('later');
    expect(await dirs()).toEqual([expect.stringMatching(/^later-0\.[0-9a-f]+-delete$/)]);
    await t.restart();
    expect(await dirs()).toEqual([]);
    // A topic created again under the name starts empty.
    const c2 = await t.connect();
    await createTopic(c2, 'later', {});
    expect(t.broker.registry.partition('later', 0)!.log.logEndOffset).toBe(0);
  });
});
