// Power loss under the broker: @samsa/log over the MemoryFileSystem in its strict mode
// (file bytes durable only after sync, directory changes only after syncDir of their
// parent), with log.flush.interval.messages=1 so every partition syncs every append.
//
// A crash is a clone of the file system with everything unsynced dropped, and a new broker
// opened on the clone; the broker that was running keeps the original, untouched.
//
// - After every acknowledged OffsetCommit, the crashed copy returns exactly that offset.
// - Crash at every step: the n-th file-system operation of a request fails, then the
//   machine crashes; n = 1, 2, … until the request runs without reaching it. After each
//   crash the new broker must hold the state before or after the request (the after state
//   whenever the request was acknowledged), and must go on serving. Requests covered:
//   OffsetCommit (the first one creates `__consumer_offsets`, and a later one),
//   CreateTopics, CreatePartitions, Produce (acks=1), DeleteRecords and DeleteTopics.
import {
  CreatePartitionsRequestCodec,
  CreatePartitionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DeleteRecordsRequestCodec,
  DeleteRecordsResponseCodec,
  DeleteTopicsRequestCodec,
  DeleteTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import type { FaultOp } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { GroupTestClient } from './groups/group-test-client.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';

const OVERRIDES = ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', 'offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0', 'log.flush.interval.messages=1'];
const GROUP = 'crashy';
const NO_OFFSET = -1;
const OPS: readonly FaultOp[] = ['read', 'append', 'write', 'sync', 'truncate', 'size', 'close', 'open', 'mkdirp', 'readDir', 'rename', 'remove', 'stat', 'syncDir', 'readFile'];
const STEPS_MAX = 400;

interface Running {
  readonly broker: Broker;
  readonly client: KafkaTestClient;
  readonly clock: ManualClock;
}

async function start(fs: MemoryFileSystem, clock: ManualClock): Promise<Running> {
  const broker = await Broker.open({ config: parseServerConfig({ overrides: OVERRIDES }), fs, clock, random: createRandom(1) });
  const transport = new MemoryTransport();
  const listener = await broker.listen(transport);
  const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }), 'crash-test');
  return { broker, client, clock };
}

/** Opens a broker on a crashed copy of `fs` (the running broker is left alone). */
function startCrashed(fs: MemoryFileSystem): Promise<Running> {
  const copy = fs.clone();
  copy.crash();
  return start(copy, new ManualClock());
}

/** A fresh broker on a fresh strict file system. */
async function fresh(): Promise<{ fs: MemoryFileSystem; live: Running }> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock });
  return { fs, live: await start(fs, clock) };
}

/** The request's error code(s), or null if the request itself failed (connection closed). */
async function attempt(fn: () => Promise<number>): Promise<number | null> {
  try {
    return await fn();
  } catch {
    return null;
  }
}

async function createTopic(r: Running, name: string, partitions: number): Promise<number> {
  const res = await r.client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, partitions), CreateTopicsResponseCodec);
  return res.topics[0]!.errorCode;
}

async function deleteTopic(r: Running, name: string): Promise<number> {
  const res = await r.client.request(20, 5, DeleteTopicsRequestCodec, { topics: [], topicNames: [name], timeoutMs: 1000 }, DeleteTopicsResponseCodec);
  return res.responses[0]!.errorCode;
}

async function produce(r: Running, topic: string, partition: number, values: string[]): Promise<number> {
  const res = await r.client.request(0, 7, ProduceRequestCodec, produceBody(topic, partition, batchOf(values), 1), ProduceResponseCodec);
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/**
 * Every value in topic-partition from `from`, checking the offsets are dense from there;
 * null if the partition is unknown, 'out-of-range' if `from` is below the log start.
 */
async function readFrom(r: Running, topic: string, partition: number, from: number): Promise<string[] | null | 'out-of-range'> {
  const res = await r.client.request(1, 11, FetchRequestCodec, fetchBody(topic, partition, from), FetchResponseCodec);
  const p = res.responses[0]!.partitions[0]!;
  if (p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return null;
  if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return 'out-of-range';
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const got = valuesOf(p.records).filter((x) => x.offset >= from);
  expect(got.map((x) => x.offset)).toEqual(got.map((_, i) => from + i));
  return got.map((x) => x.value);
}

/** Every value from offset 0 (see readFrom); null if the partition is unknown. */
async function readAll(r: Running, topic: string, partition: number): Promise<string[] | null> {
  const got = await readFrom(r, topic, partition, 0);
  expect(got).not.toBe('out-of-range');
  return got as string[] | null;
}

/** A simple (member-less) commit of `offset` for events-0; the partition's error code. */
async function commit(r: Running, offset: number): Promise<number> {
  const res = await r.client.request(8, 2, OffsetCommitRequestCodec, {
    groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  }, OffsetCommitResponseCodec);
  return res.topics[0]!.partitions[0]!.errorCode;
}

async function committed(r: Running): Promise<number> {
  await r.broker.groups.loaded;
  const got = await new GroupTestClient(r.client, r.clock, GROUP, { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 }).fetch('events', [0]);
  expect(got.errorCode).toBe(ErrorCode.NONE);
  return got.offsets[0]!;
}

const opsSoFar = (fs: MemoryFileSystem): number => OPS.reduce((n, op) => n + fs.opCount(op), 0);

interface Scenario {
  readonly name: string;
  /** Builds the state before the request on a fresh broker. */
  prepare(live: Running): Promise<void>;
  /** The request under test; its error code (0 = acknowledged). */
  request(live: Running): Promise<number>;
  /** Checks the crashed broker holds the state before or after (after if `acked`), then that it serves. */
  check(crashed: Running, acked: boolean, where: string): Promise<void>;
}

/**
 * Fails the n-th file-system operation of the scenario's request for n = 1, 2, … until a
 * request runs without reaching it; checks a crashed copy after each. Returns the crash
 * points (how many operations the request made).
 */
async function crashAtEveryStep(s: Scenario): Promise<number> {
  for (let nth = 1; nth <= STEPS_MAX; nth++) {
    const { fs, live } = await fresh();
    await s.prepare(live);
    const opsBefore = opsSoFar(fs);
    fs.failOn({ op: 'any', nth });
    const code = await attempt(() => s.request(live));
    const reached = opsSoFar(fs) - opsBefore >= nth;
    fs.clearFaults();
    const crashed = await startCrashed(fs);
    const where = `${s.name}: crash at fs op ${nth}, acknowledged: ${code === ErrorCode.NONE}`;
    await s.check(crashed, code === ErrorCode.NONE, where);
    await crashed.broker.shutdown();
    await live.broker.shutdown().catch(() => undefined);
    if (!reached) {
      expect({ where, code }).toEqual({ where, code: ErrorCode.NONE });
      return nth - 1;
    }
  }
  throw new Error(`${s.name} did not finish within ${STEPS_MAX} file-system operations`);
}

function commitScenario(before: number[], next: number): Scenario {
  const old = before.length > 0 ? before[before.length - 1]! : NO_OFFSET;
  return {
    name: `commit(${next}) after [${before.join(', ')}]`,
    async prepare(live) {
      expect(await createTopic(live, 'events', 1)).toBe(ErrorCode.NONE);
      for (const offset of before) expect(await commit(live, offset)).toBe(ErrorCode.NONE);
    },
    request: (live) => commit(live, next),
    async check(crashed, acked, where) {
      const got = await committed(crashed);
      expect({ where, ok: got === (acked ? next : got) && (got === old || got === next) }).toEqual({ where, ok: true });
      expect(await commit(crashed, next + 100)).toBe(ErrorCode.NONE);
      expect(await committed(crashed)).toBe(next + 100);
    },
  };
}

describe('power loss (strict file system, flush.messages=1)', () => {
  it('every acknowledged commit is there after a crash', async () => {
    const { fs, live } = await fresh();
    expect(await createTopic(live, 'events', 1)).toBe(ErrorCode.NONE);
    for (const offset of [3, 8, 21, 55]) {
      expect(await commit(live, offset)).toBe(ErrorCode.NONE);
      const crashed = await startCrashed(fs);
      expect(await committed(crashed)).toBe(offset);
      await crashed.broker.shutdown();
    }
    await live.broker.shutdown();
  });

  it('a crash at any step of the first commit (which creates __consumer_offsets) keeps nothing or the commit', async () => {
    expect(await crashAtEveryStep(commitScenario([], 5))).toBeGreaterThan(5);
  });

  it('a crash at any step of a later commit keeps the old or the new offset', async () => {
    expect(await crashAtEveryStep(commitScenario([5, 7], 9))).toBeGreaterThan(1);
  });

  it('a crash at any step of CreateTopics leaves no topic or the whole topic', async () => {
    const points = await crashAtEveryStep({
      name: 'CreateTopics(fresh, 3)',
      async prepare(live) {
        expect(await createTopic(live, 'other', 1)).toBe(ErrorCode.NONE);
      },
      request: (live) => createTopic(live, 'fresh', 3),
      async check(crashed, acked, where) {
        const parts = await Promise.all([0, 1, 2].map((p) => readAll(crashed, 'fresh', p)));
        const exists = parts.every((x) => x !== null);
        expect({ where, whole: exists || parts.every((x) => x === null), exists: acked ? exists : true }).toEqual({ where, whole: true, exists: true });
        if (exists) {
          for (const p of [0, 1, 2]) expect(await produce(crashed, 'fresh', p, [`p${p}`])).toBe(ErrorCode.NONE);
          expect(await readAll(crashed, 'fresh', 2)).toEqual(['p2']);
        } else {
          expect(await createTopic(crashed, 'fresh', 3)).toBe(ErrorCode.NONE);
        }
        expect(await readAll(crashed, 'other', 0)).toEqual([]);
      },
    });
    expect(points).toBeGreaterThan(5);
  });

  it('a crash at any step of an acks=1 Produce keeps the records before it, and the new batch whole or not at all', async () => {
    const points = await crashAtEveryStep({
      name: 'Produce(b0, b1)',
      async prepare(live) {
        expect(await createTopic(live, 'events', 1)).toBe(ErrorCode.NONE);
        expect(await produce(live, 'events', 0, ['a0', 'a1', 'a2'])).toBe(ErrorCode.NONE);
      },
      request: (live) => produce(live, 'events', 0, ['b0', 'b1']),
      async check(crashed, acked, where) {
        const got = await readAll(crashed, 'events', 0);
        const before = ['a0', 'a1', 'a2'];
        const after = [...before, 'b0', 'b1'];
        const ok = JSON.stringify(got) === JSON.stringify(after) || (!acked && JSON.stringify(got) === JSON.stringify(before));
        expect({ where, got, ok }).toEqual({ where, got, ok: true });
        expect(await produce(crashed, 'events', 0, ['c0'])).toBe(ErrorCode.NONE);
        expect(await readAll(crashed, 'events', 0)).toEqual([...got!, 'c0']);
      },
    });
    expect(points).toBeGreaterThan(1);
  });

  it('a crash at any step of CreatePartitions leaves the old partitions intact and the new ones all there or none', async () => {
    const points = await crashAtEveryStep({
      name: 'CreatePartitions(cp, 3)',
      async prepare(live) {
        expect(await createTopic(live, 'cp', 1)).toBe(ErrorCode.NONE);
        expect(await produce(live, 'cp', 0, ['p0'])).toBe(ErrorCode.NONE);
      },
      request: async (live) => {
        const res = await live.client.request(37, 3, CreatePartitionsRequestCodec, { topics: [{ name: 'cp', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false }, CreatePartitionsResponseCodec);
        return res.results[0]!.errorCode;
      },
      async check(crashed, acked, where) {
        expect(await readAll(crashed, 'cp', 0)).toEqual(['p0']);
        const added = await Promise.all([1, 2].map((p) => readAll(crashed, 'cp', p)));
        const all = added.every((x) => JSON.stringify(x) === '[]');
        expect({ where, added, ok: all || (!acked && added.every((x) => x === null)) }).toEqual({ where, added, ok: true });
        if (all) for (const p of [1, 2]) expect(await produce(crashed, 'cp', p, [`n${p}`])).toBe(ErrorCode.NONE);
      },
    });
    expect(points).toBeGreaterThan(3);
  });

  it('a crash at any step of DeleteRecords leaves the log start before or after the cut, and the records above it', async () => {
    const values = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
    const points = await crashAtEveryStep({
      name: 'DeleteRecords(dr-0 before 4)',
      async prepare(live) {
        expect(await createTopic(live, 'dr', 1)).toBe(ErrorCode.NONE);
        for (let i = 0; i < 6; i += 2) expect(await produce(live, 'dr', 0, values.slice(i, i + 2))).toBe(ErrorCode.NONE);
      },
      request: async (live) => {
        const res = await live.client.request(21, 2, DeleteRecordsRequestCodec, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 4 }] }], timeoutMs: 1000 }, DeleteRecordsResponseCodec);
        return res.topics[0]!.partitions[0]!.errorCode;
      },
      async check(crashed, acked, where) {
        const fromZero = await readFrom(crashed, 'dr', 0, 0);
        const cut = fromZero === 'out-of-range';
        expect({ where, fromZero, ok: cut || (!acked && JSON.stringify(fromZero) === JSON.stringify(values)) }).toEqual({ where, fromZero, ok: true });
        expect(await readFrom(crashed, 'dr', 0, 4)).toEqual(['a4', 'a5']);
        expect(await produce(crashed, 'dr', 0, ['a6'])).toBe(ErrorCode.NONE);
        expect(await readFrom(crashed, 'dr', 0, 4)).toEqual(['a4', 'a5', 'a6']);
      },
    });
    expect(points).toBeGreaterThan(1);
  });

  it('a crash at any step of DeleteTopics leaves the whole topic or none of it', async () => {
    const points = await crashAtEveryStep({
      name: 'DeleteTopics(doomed)',
      async prepare(live) {
        expect(await createTopic(live, 'doomed', 2)).toBe(ErrorCode.NONE);
        expect(await produce(live, 'doomed', 1, ['x0', 'x1'])).toBe(ErrorCode.NONE);
      },
      request: (live) => deleteTopic(live, 'doomed'),
      async check(crashed, acked, where) {
        const parts = await Promise.all([0, 1].map((p) => readAll(crashed, 'doomed', p)));
        const intact = JSON.stringify(parts) === JSON.stringify([[], ['x0', 'x1']]);
        const gone = parts.every((x) => x === null);
        expect({ where, parts, ok: acked ? gone : intact || gone }).toEqual({ where, parts, ok: true });
        if (gone) {
          // Re-created, it starts empty: nothing of the old topic comes back.
          expect(await createTopic(crashed, 'doomed', 2)).toBe(ErrorCode.NONE);
          expect(await readAll(crashed, 'doomed', 1)).toEqual([]);
        }
      },
    });
    expect(points).toBeGreaterThan(1);
  });
});
