/**
 * Conformance with kcat (librdkafka 2.0.x, Debian's /usr/bin/kcat): metadata (-L), a
 * 100,000-record keyed produce read back exactly and in order per partition, offsets for
 * a timestamp (-Q), and every compression codec.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byPartition, createTopic, expectOk, kcat, kcatReadAll, sleep, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const RECORDS = 100_000;
const KEYS = 97;
const PARTITIONS = 4;

for (const runtime of RUNTIMES) {
  describe(`kcat (librdkafka 2.0.x) on ${runtime}`, () => {
    const dir = tempDir(`kcat-${runtime}`);
    let broker: BrokerProcess;

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
    });

    afterAll(async () => {
      await broker?.stop();
      dir.remove();
    });

    it('-L lists the broker and the topics', async () => {
      await createTopic(broker.bootstrap, 'meta-topic', 3);
      const result = expectOk(await kcat(['-L', '-J', '-b', broker.bootstrap], { timeoutMs: 20_000 }), 'kcat -L');
      const metadata = JSON.parse(result.stdout.toString('utf8')) as {
        brokers: Array<{ id: number; name: string }>;
        topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
      };
      expect(metadata.brokers).toHaveLength(1);
      expect(metadata.brokers[0]!.name).toBe(`127.0.0.1:${broker.port}`);
      const topic = metadata.topics.find((t) => t.topic === 'meta-topic');
      expect(topic).toBeDefined();
      expect(topic!.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
      for (const p of topic!.partitions) {
        expect(p.leader).toBe(metadata.brokers[0]!.id);
        expect(p.replicas.map((r) => r.id)).toEqual([p.leader]);
        expect(p.isrs.map((r) => r.id)).toEqual([p.leader]);
      }
    });

    it(`-P ${RECORDS} keyed records, then -C -e reads them back exactly, in order per partition`, async () => {
      const topic = 'keyed';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      const file = join(dir.path, 'keyed.txt');
      const lines: string[] = [];
      for (let i = 0; i < RECORDS; i++) lines.push(`key-${i % KEYS}:value-${i}`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const started = performance.now();
      expectOk(
        await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':', '-l', file, '-X', 'linger.ms=20'], { timeoutMs: 120_000 }),
        'kcat -P',
      );
      const produceMs = performance.now() - started;
      const consumed = await kcatReadAll(broker.bootstrap, topic, 120_000);
      expect(consumed).toHaveLength(RECORDS);
      const partitions = byPartition(consumed);
      // Collect violations and assert once: 100,000 expect() calls would dominate the run.
      const problems: string[] = [];
      const note = (problem: string): void => {
        if (problems.length < 1_000) problems.push(problem);
      };
      const keyPartition = new Map<string, number>();
      const seen = new Set<number>();
      for (const [partition, list] of partitions) {
        if (partition < 0 || partition >= PARTITIONS) note(`unknown partition ${partition}`);
        let previous = -1;
        list.forEach((line, index) => {
          const i = Number(line.value.slice('value-'.length));
          if (line.offset !== index) note(`p${partition}: offset ${line.offset} at position ${index}`);
          if (line.key !== `key-${i % KEYS}`) note(`p${partition}@${line.offset}: key ${line.key} for value ${line.value}`);
          if (!(i > previous)) note(`p${partition}@${line.offset}: value-${i} after value-${previous}`);
          if (seen.has(i)) note(`value-${i} read twice`);
          const earlier = keyPartition.get(line.key);
          if (earlier !== undefined && earlier !== partition) note(`${line.key} in partitions ${earlier} and ${partition}`);
          previous = i;
          seen.add(i);
          keyPartition.set(line.key, partition);
        });
      }
      expect(problems.slice(0, 20)).toEqual([]);
      expect(seen.size).toBe(RECORDS);
      expect(keyPartition.size).toBe(KEYS);
      expect(partitions.size).toBeGreaterThan(1);
      console.log(`kcat -P ${RECORDS} records: ${produceMs.toFixed(0)} ms`);
    });

    it('-Q answers offsets for a timestamp', async () => {
      const topic = 'by-time';
      await createTopic(broker.bootstrap, topic, 1);
      const produce = (from: number) =>
        kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], {
          input: Array.from({ length: 10 }, (_, i) => `m-${from + i}`).join('\n') + '\n',
          timeoutMs: 20_000,
        });
      expectOk(await produce(0), 'kcat -P first batch');
      await sleep(50);
      const between = Date.now();
      await sleep(50);
      expectOk(await produce(10), 'kcat -P second batch');
      const query = async (ts: number): Promise<number> => {
        const result = expectOk(await kcat(['-Q', '-b', broker.bootstrap, '-t', `${topic}:0:${ts}`], { timeoutMs: 20_000 }), `kcat -Q ${ts}`);
        const m = /\[0\]\s+offset\s+(-?\d+)/.exec(result.stdout.toString('utf8'));
        if (!m) throw new Error(`unexpected kcat -Q output: ${result.stdout.toString('utf8')}`);
        return Number(m[1]);
      };
      expect(await query(between)).toBe(10);
      expect(await query(1)).toBe(0);
      expect(await query(Date.now() + 3_600_000)).toBe(-1);
    });

    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      it(`round-trips records compressed with ${codec}`, async () => {
        const topic = `z-${codec}`;
        await createTopic(broker.bootstrap, topic, 2);
        const values = Array.from({ length: 2_000 }, (_, i) => `${codec} record ${i} ${'x'.repeat(i % 50)}`);
        expectOk(
          await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-z', codec, '-K', ':', '-X', 'linger.ms=20'], {
            input: values.map((v, i) => `k${i % 7}:${v}`).join('\n') + '\n',
            timeoutMs: 30_000,
          }),
          `kcat -P -z ${codec}`,
        );
        const consumed = await kcatReadAll(broker.bootstrap, topic);
        expect(consumed.map((c) => c.value).sort()).toEqual([...values].sort());
      });
    }

    it('-G balanced consumer: reads everything, commits on exit, and the next member resumes after the commits', async () => {
      const topic = 'grouped';
      await createTopic(broker.bootstrap, topic, 3);
      const produce = async (prefix: string, count: number): Promise<void> => {
        const input = Array.from({ length: count }, (_, i) => `k${i % 13}:${prefix}-${i}`).join('\n') + '\n';
        expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':'], { input, timeoutMs: 60_000 }), 'kcat -P');
      };
      const groupRead = async (): Promise<string[]> => {
        const result = expectOk(
          await kcat(['-b', broker.bootstrap, '-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\\n', topic], { timeoutMs: 60_000 }),
          'kcat -G',
        );
        return result.stdout.toString('utf8').split('\n').filter((l) => l.length > 0).sort();
      };
      const expected = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`).sort();
      await produce('first', 500);
      expect(await groupRead()).toEqual(expected('first', 500));
      await produce('second', 200);
      expect(await groupRead()).toEqual(expected('second', 200));
    });
  });
}
