/**
 * kcat (librdkafka, a client nobody here wrote) writes, @samsa/client's Consumer reads,
 * against the broker process on Node and on Deno — issue 17:
 *   (a) keyed records with headers, produced by kcat in four compression codecs (one kcat
 *       run per codec, each with its own headers, one of them repeated) into a
 *       multi-partition topic: an assign-only Consumer reads every record exactly once with
 *       the key, value, headers, partition and offset kcat -C reads back, each partition in
 *       the order kcat produced it, and a seek by offset re-reads exactly a partition's tail;
 *   (b) a group Consumer (subscribe, autoOffsetReset 'earliest') reads them all, commits
 *       and closes; kcat produces more; a fresh Consumer of the same group reads only the
 *       new records (its committed offsets are respected) and its committed() offsets are
 *       the log end afterwards;
 *   (c) seekToTimestamp to a moment between two kcat runs reads exactly the second run;
 *   (d) a plain Deno script (DenoTransport, only --allow-net) reads 3,000 × 1 KiB records
 *       kcat wrote: Fetch answers span many socket reads, which the transport puts straight
 *       into the response buffer the client offers; every record kcat reads back arrives
 *       once, at its partition and offset, byte for byte.
 * Every check compares full record sets (partition, offset, key, value, headers), not counts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../packages/client/src/index.ts';
import type { ConsumerOptions, ConsumerRecord, TopicPartition } from '../../packages/client/src/index.ts';
import { nodeRuntime } from '../../packages/runtime/src/node/index.ts';
import { createTopic, DENO_BIN, expectOk, kcat, kcatReadAll, REPO_ROOT, run, RUNTIMES, sleep, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const PARTITIONS = 4;
const PER_RUN = 40;
const KEYS = 12;
const OVERRIDES = ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=3'];
/** One kcat -P run per codec; the headers differ per run (and `h` repeats, in order). */
const RUNS = [
  { codec: 'snappy', headers: ['h=2', 'codec=snappy', 'h=1'] },
  { codec: 'zstd', headers: ['trace=z-42', 'codec=zstd'] },
  { codec: 'lz4', headers: ['codec=lz4'] },
  { codec: 'gzip', headers: ['codec=gzip', 'empty='] },
] as const;
const decoder = new TextDecoder();
const DENO_RECORDS = 3000; // × ~1 KiB lines: within the 4 MiB the harness keeps of a child's output
/** (d): reads `count` records from offset 0 of every partition; prints one "partition offset value" line per record. */
const DENO_CONSUMER_SCRIPT = `
import { Consumer } from '@samsa/client';
import { denoRuntime } from '@samsa/runtime/deno';
const [bootstrap, topic, partitions, count] = Deno.args;
const consumer = new Consumer({ ...denoRuntime(), bootstrap: [bootstrap], clientId: 'deno-script-consumer' });
consumer.assign(Array.from({ length: Number(partitions) }, (_, partition) => ({ topic, partition, offset: 0n })));
const decoder = new TextDecoder();
const lines = [];
while (lines.length < Number(count)) {
  const batch = await consumer.next({ signal: AbortSignal.timeout(30_000) });
  for (const r of batch.records) lines.push(r.partition + ' ' + r.offset + ' ' + decoder.decode(r.value));
}
await consumer.close();
console.log(lines.join('\\n'));
`;

/** A record as compared: everything but the timestamp, as strings. */
interface Seen {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
  readonly headers: string;
}

const text = (b: Uint8Array | null): string => (b === null ? '<null>' : decoder.decode(b));
function seen(r: ConsumerRecord): Seen {
  return { partition: r.partition, offset: Number(r.offset), key: text(r.key), value: text(r.value), headers: r.headers.map((h) => `${h.key}=${text(h.value)}`).join(',') };
}
const order = (a: Seen, b: Seen): number => a.partition - b.partition || a.offset - b.offset;
const sorted = (list: readonly Seen[]): Seen[] => [...list].sort(order);

/** Reads `count` records (and then `settleMs` more, to catch extras) or fails at the deadline. */
async function collect(consumer: Consumer, count: number, timeoutMs = 20_000, settleMs = 300): Promise<{ records: Seen[]; timestamps: number[] }> {
  const records: Seen[] = [];
  const timestamps: number[] = [];
  const take = async (signal: AbortSignal): Promise<void> => {
    const batch = await consumer.next({ signal });
    for (const r of batch.records) {
      records.push(seen(r));
      timestamps.push(r.timestamp);
    }
  };
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    while (records.length < count) await take(deadline);
  } catch (error) {
    if (deadline.aborted) throw new Error(`read ${records.length} of ${count} records in ${timeoutMs} ms`);
    throw error;
  }
  const settle = AbortSignal.timeout(settleMs);
  try {
    for (;;) await take(settle);
  } catch (error) {
    if (!settle.aborted) throw error;
  }
  return { records, timestamps };
}

for (const runtime of RUNTIMES) {
  describe(`@samsa/client Consumer against the ${runtime} broker, reading what kcat wrote`, () => {
    const dir = tempDir(`client-consumer-${runtime}`);
    let broker: BrokerProcess;
    const consumers: Consumer[] = [];
    let file = 0;

    const consumer = (options: Partial<ConsumerOptions> = {}): Consumer => {
      const c = new Consumer({ ...nodeRuntime(), bootstrap: [broker.bootstrap], clientId: `conformance-consumer-${runtime}`, fetchMaxWaitMs: 100, ...options });
      consumers.push(c);
      return c;
    };

    /** kcat -P: `lines` as key:value, in order, with `-z codec` and the headers; resolves the wall-clock window it ran in. */
    async function produce(topic: string, lines: readonly string[], codec: string, headers: readonly string[]): Promise<{ before: number; after: number }> {
      const path = join(dir.path, `in-${++file}.txt`);
      writeFileSync(path, lines.join('\n') + '\n');
      const before = Date.now();
      expectOk(
        await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':', '-z', codec, ...headers.flatMap((h) => ['-H', h]), '-X', 'linger.ms=5', '-l', path]),
        `kcat -P -z ${codec}`,
      );
      return { before, after: Date.now() };
    }

    /** What kcat -C reads back: partition, offset, key, value, headers. */
    async function kcatRead(topic: string): Promise<Seen[]> {
      const out = expectOk(await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%h\\t%s\\n']), `kcat -C ${topic}`);
      return out.stdout.toString('utf8').split('\n').filter((l) => l.length > 0).map((line) => {
        const [p, o, k, h, ...v] = line.split('\t');
        return { partition: Number(p), offset: Number(o), key: k!, headers: h!, value: v.join('\t') };
      });
    }

    /** kcat runs `runs` (codec and headers each) of PER_RUN keyed records, values `${prefix}-${run}-${i}`. */
    async function produceRuns(topic: string, prefix: string, runs: readonly (typeof RUNS)[number][]): Promise<{ values: string[]; windows: { before: number; after: number }[] }> {
      const values: string[] = [];
      const windows: { before: number; after: number }[] = [];
      for (const [r, { codec, headers }] of runs.entries()) {
        const lines = Array.from({ length: PER_RUN }, (_, i) => {
          values.push(`${prefix}-${r}-${i}`);
          return `key-${(r * 7 + i) % KEYS}:${prefix}-${r}-${i}`;
        });
        windows.push(await produce(topic, lines, codec, headers));
      }
      return { values, windows };
    }

    /** The expected headers of a value produced by produceRuns (its run's headers, as kcat -C prints them). */
    const headersOf = (runs: readonly (typeof RUNS)[number][], value: string): string => runs[Number(value.split('-')[1])]!.headers.join(',');

    /** kcat -C's view agrees with what was produced: every value once, its run's headers, each key in one partition, file order per partition. */
    function checkKcatView(read: readonly Seen[], values: readonly string[], runs: readonly (typeof RUNS)[number][]): void {
      expect(read.map((r) => r.value).sort()).toEqual([...values].sort());
      for (const r of read) {
        expect(r.headers).toBe(headersOf(runs, r.value));
        expect(r.key).toBe(`key-${(Number(r.value.split('-')[1]) * 7 + Number(r.value.split('-')[2])) % KEYS}`);
      }
      expect(new Set(read.map((r) => r.partition)).size, 'the keys spread over several partitions').toBeGreaterThan(1);
    }

    /** Per partition, offsets ascend with the produced order (values.indexOf). */
    function checkPartitionOrder(records: readonly Seen[], values: readonly string[]): void {
      for (let p = 0; p < PARTITIONS; p++) {
        const mine = records.filter((r) => r.partition === p);
        const produced = mine.map((r) => values.indexOf(r.value));
        expect(produced, `partition ${p} in produced order`).toEqual([...produced].sort((a, b) => a - b));
        expect(mine.map((r) => r.offset), `partition ${p} delivered in offset order`).toEqual([...mine.map((r) => r.offset)].sort((a, b) => a - b));
      }
    }

    const allPartitions = (topic: string): TopicPartition[] => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime, overrides: OVERRIDES });
    }, 60_000);

    afterAll(async () => {
      await Promise.allSettled(consumers.map((c) => c.close()));
      await broker?.stop();
      dir.remove();
    });

    it('assign-only: every record kcat wrote in snappy/zstd/lz4/gzip, once, with key, value, headers, partition and order; seek by offset re-reads a tail', async () => {
      const topic = 'kcat-to-consumer-assign';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      const { values, windows } = await produceRuns(topic, 'a', RUNS);
      const expected = await kcatRead(topic);
      checkKcatView(expected, values, RUNS);

      const c = consumer();
      c.assign(allPartitions(topic).map((tp) => ({ ...tp, offset: 0n })));
      const { records, timestamps } = await collect(c, values.length);
      expect(sorted(records)).toEqual(sorted(expected));
      checkPartitionOrder(records, values);
      // CreateTime stamped by librdkafka while kcat ran.
      for (const t of timestamps) {
        expect(t).toBeGreaterThanOrEqual(windows[0]!.before - 1_000);
        expect(t).toBeLessThanOrEqual(windows[windows.length - 1]!.after + 1_000);
      }
      for (const tp of allPartitions(topic)) expect(c.position(tp)).toBe(BigInt(expected.filter((r) => r.partition === tp.partition).length));

      // Seek by offset: the partition with most records, back to the middle.
      const counts = allPartitions(topic).map((tp) => expected.filter((r) => r.partition === tp.partition).length);
      const p = counts.indexOf(Math.max(...counts));
      const from = Math.floor(counts[p]! / 2);
      c.seek({ topic, partition: p, offset: BigInt(from) });
      const tail = await collect(c, counts[p]! - from);
      expect(sorted(tail.records)).toEqual(sorted(expected.filter((r) => r.partition === p && r.offset >= from)));
      await c.close();
    }, 60_000);

    it('group: reads all, commits on close; a fresh member of the group reads only what kcat wrote after', async () => {
      const topic = 'kcat-to-consumer-group';
      const groupId = `kcat-group-${runtime}`;
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      const first = await produceRuns(topic, 'g', RUNS.slice(0, 2));
      const expectedFirst = await kcatRead(topic);
      checkKcatView(expectedFirst, first.values, RUNS.slice(0, 2));

      const groupOptions = { groupId, autoOffsetReset: 'earliest', heartbeatIntervalMs: 300, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 } as const;
      const one = consumer(groupOptions);
      one.subscribe([topic]);
      const read1 = await collect(one, first.values.length);
      expect(sorted(read1.records)).toEqual(sorted(expectedFirst));
      expect(one.assignment().map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
      checkPartitionOrder(read1.records, first.values);
      await one.close();

      // More from kcat, in all four codecs.
      const second = await produceRuns(topic, 'h', RUNS);
      const secondRuns = RUNS;
      const all = await kcatRead(topic);
      const firstKeys = new Set(expectedFirst.map((r) => `${r.partition}:${r.offset}`));
      const expectedSecond = all.filter((r) => !firstKeys.has(`${r.partition}:${r.offset}`));
      checkKcatView(expectedSecond, second.values, secondRuns);

      const two = consumer(groupOptions);
      two.subscribe([topic]);
      const read2 = await collect(two, second.values.length, 20_000, 500);
      expect(sorted(read2.records), 'only the records after the committed offsets').toEqual(sorted(expectedSecond));
      checkPartitionOrder(read2.records, second.values);
      await two.commit();
      const committed = await two.committed(allPartitions(topic));
      for (const tp of allPartitions(topic)) {
        expect(committed.get(`${topic}\u0000${tp.partition}`)?.offset, `committed offset of partition ${tp.partition}`).toBe(BigInt(all.filter((r) => r.partition === tp.partition).length));
      }
      await two.close();
    }, 60_000);

    it('a plain Deno script with only --allow-net reads 3,000 × 1 KiB records kcat wrote, byte for byte (responses read in place)', async () => {
      const topic = 'kcat-to-deno-script';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      const path = join(dir.path, 'deno-in.txt');
      writeFileSync(path, Array.from({ length: DENO_RECORDS }, (_, i) => `${String(i).padStart(6, '0')}-${'abcdefghij'.repeat(102)}`.slice(0, 1024)).join('\n') + '\n');
      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-X', 'linger.ms=5', '-l', path]), 'kcat -P');
      const script = join(dir.path, 'consume.ts');
      writeFileSync(script, DENO_CONSUMER_SCRIPT);
      const out = expectOk(
        await run(DENO_BIN, ['run', '--allow-net=127.0.0.1', '--no-prompt', '--config', join(REPO_ROOT, 'deno.json'), script, broker.bootstrap, topic, String(PARTITIONS), String(DENO_RECORDS)], { timeoutMs: 120_000, cwd: REPO_ROOT }),
        'deno run --allow-net',
      );
      const got = out.stdout.toString().trim().split('\n').sort();
      const want = (await kcatReadAll(broker.bootstrap, topic)).map((l) => `${l.partition} ${l.offset} ${l.value}`).sort();
      expect(want).toHaveLength(DENO_RECORDS);
      expect(got.length).toBe(want.length);
      expect(got.every((line, i) => line === want[i])).toBe(true);
    }, 150_000);

    it('seekToTimestamp between two kcat runs reads exactly the second run', async () => {
      const topic = 'kcat-to-consumer-time';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      await produceRuns(topic, 'e', RUNS.slice(0, 1));
      await sleep(50);
      const boundary = Date.now();
      await sleep(50);
      const late = await produceRuns(topic, 'l', RUNS.slice(1, 2));
      const all = await kcatRead(topic);
      const expectedLate = all.filter((r) => r.value.startsWith('l-'));
      expect(expectedLate.map((r) => r.value).sort()).toEqual([...late.values].sort());

      const c = consumer();
      c.assign(allPartitions(topic).map((tp) => ({ ...tp, offset: 0n })));
      c.seekToTimestamp(allPartitions(topic), boundary);
      const { records, timestamps } = await collect(c, late.values.length);
      expect(sorted(records)).toEqual(sorted(expectedLate));
      for (const t of timestamps) expect(t).toBeGreaterThanOrEqual(boundary);
      await c.close();
    }, 60_000);
  });
}
