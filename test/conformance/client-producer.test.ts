/**
 * @samsa/client's producer against the broker process on Node and on Deno, read back by
 * kcat (librdkafka, a client nobody here wrote) — issue 17:
 *   - keyed records in every compression codec, acks=all with idempotence (the default):
 *     kcat reads each record exactly once, every key in one partition, per partition in
 *     send order, and each key in the partition librdkafka's murmur2_random partitioner
 *     (the Java client's) puts the same key in;
 *   - acks=1 and acks=0 sends arrive too;
 *   - the client in a plain Deno script with only `--allow-net` (DenoTransport), read back
 *     by kcat.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../packages/client/src/index.ts';
import { nodeRuntime } from '../../packages/runtime/src/node/index.ts';
import { byPartition, createTopic, DENO_BIN, expectOk, kcat, kcatReadAll, REPO_ROOT, run, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const PARTITIONS = 5;
const KEYS = 40;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const encoder = new TextEncoder();

/** A Deno script producing `count` records with @samsa/client over DenoTransport (argv: bootstrap topic count). */
const DENO_SCRIPT = `
import { Producer } from '@samsa/client';
import { denoRuntime } from '@samsa/runtime/deno';
const [bootstrap, topic, count] = Deno.args;
const producer = new Producer({ ...denoRuntime(), bootstrap: [bootstrap], clientId: 'samsa-deno-script' });
const encoder = new TextEncoder();
const sent = await producer.send({ topic, messages: Array.from({ length: Number(count) }, (_, i) => ({ key: encoder.encode('dk' + (i % 3)), value: encoder.encode('deno-' + i) })) });
await producer.close();
console.log(JSON.stringify(sent.map((m) => [m.partition, Number(m.offset)])));
`;

for (const runtime of RUNTIMES) {
  describe(`@samsa/client producer against the ${runtime} broker, read by kcat`, () => {
    const dir = tempDir(`client-producer-${runtime}`);
    let broker: BrokerProcess;

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
    });

    afterAll(async () => {
      await broker?.stop();
      dir.remove();
    });

    it('keyed records in every codec, idempotent acks=all: each read once, in order, each key where librdkafka murmur2_random puts it', async () => {
      const topic = 'client-keyed';
      const reference = 'client-keyed-librdkafka';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      await createTopic(broker.bootstrap, reference, PARTITIONS);
      const sentValues: string[] = [];
      for (const compression of CODECS) {
        const producer = new Producer({ ...nodeRuntime(), bootstrap: [broker.bootstrap], clientId: `conformance-${compression}`, compression });
        try {
          const messages = Array.from({ length: 60 }, (_, i) => {
            const value = `${compression}-${i}`;
            sentValues.push(value);
            return { key: encoder.encode(`key-${i % KEYS}`), value: encoder.encode(value) };
          });
          const sent = await producer.send({ topic, messages });
          expect(sent).toHaveLength(60);
          expect(producer.identity.producerId, 'idempotence is on by default').toBeGreaterThanOrEqual(0);
        } finally {
          await producer.close();
        }
      }
      const read = await kcatReadAll(broker.bootstrap, topic);
      expect(read.map((l) => l.value).sort()).toEqual([...sentValues].sort());
      // Send order per partition: the codec rounds ran one after another, and within one
      // send the records of a partition keep their order.
      for (const lines of byPartition(read).values()) {
        const order = lines.map((l) => sentValues.indexOf(l.value));
        expect(order, 'partition order follows send order').toEqual([...order].sort((a, b) => a - b));
      }
      const partitionOfKey = new Map<string, number>();
      for (const l of read) {
        expect(partitionOfKey.get(l.key) ?? l.partition, `key ${l.key} in one partition`).toBe(l.partition);
        partitionOfKey.set(l.key, l.partition);
      }
      // The same keys through librdkafka's Java-compatible partitioner.
      const file = join(dir.path, 'keys.txt');
      writeFileSync(file, Array.from({ length: KEYS }, (_, i) => `key-${i}:v${i}`).join('\n') + '\n');
      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', reference, '-K', ':', '-X', 'partitioner=murmur2_random', '-l', file]), 'kcat -P murmur2_random');
      const librdkafka = new Map((await kcatReadAll(broker.bootstrap, reference)).map((l) => [l.key, l.partition]));
      expect(librdkafka.size).toBe(KEYS);
      expect(new Set(librdkafka.values()).size, 'the keys spread over several partitions').toBeGreaterThan(1);
      expect(Object.fromEntries([...partitionOfKey].sort())).toEqual(Object.fromEntries([...librdkafka].sort()));
    }, 120_000);

    it('acks=1 and acks=0 sends arrive', async () => {
      const topic = 'client-acks';
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      for (const acks of [1, 0] as const) {
        const producer = new Producer({ ...nodeRuntime(), bootstrap: [broker.bootstrap], acks });
        try {
          const sent = await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ value: encoder.encode(`acks${acks}-${i}`) })) });
          expect(sent).toHaveLength(50);
          if (acks === 1) for (const m of sent) expect(Number(m.offset)).toBeGreaterThanOrEqual(0);
        } finally {
          await producer.close();
        }
      }
      const values = (await kcatReadAll(broker.bootstrap, topic)).map((l) => l.value);
      expect(values.sort()).toEqual([...Array.from({ length: 50 }, (_, i) => `acks1-${i}`), ...Array.from({ length: 50 }, (_, i) => `acks0-${i}`)].sort());
    }, 60_000);

    it('runs in a plain Deno script with only --allow-net', async () => {
      const topic = 'client-deno-script';
      await createTopic(broker.bootstrap, topic, 3);
      const script = join(dir.path, 'produce.ts');
      writeFileSync(script, DENO_SCRIPT);
      const out = expectOk(
        await run(DENO_BIN, ['run', '--allow-net=127.0.0.1', '--no-prompt', '--config', join(REPO_ROOT, 'deno.json'), script, broker.bootstrap, topic, '30'], { timeoutMs: 120_000, cwd: REPO_ROOT }),
        'deno run --allow-net',
      );
      const acked = JSON.parse(out.stdout.toString().trim().split('\n').pop()!) as [number, number][];
      expect(acked).toHaveLength(30);
      const read = await kcatReadAll(broker.bootstrap, topic);
      expect(read.map((l) => l.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `deno-${i}`).sort());
      // The offsets the script was acknowledged with are where kcat found its records.
      const found = new Set(read.map((l) => `${l.partition}:${l.offset}`));
      for (const [p, o] of acked) expect(found.has(`${p}:${o}`)).toBe(true);
    }, 150_000);
  });
}
