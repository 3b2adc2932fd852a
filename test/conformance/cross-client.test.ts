/**
 * Cross-client: what one client produced with gzip, snappy, lz4 or zstd, another reads.
 *   kcat (librdkafka) → python3-confluent-kafka, for every codec;
 *   python3-confluent-kafka → kcat, for every codec;
 *   KafkaJS → kcat and kcat → KafkaJS, for every codec (KafkaJS ships only gzip; the CLI
 *   registers @samsa/codec's compressors into it, see ./kafkajs-client.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, compressionFor } from './kafkajs-client.ts';
import { createTopic, expectOk, kcat, kcatReadAll, python, startBroker, tempDir } from './harness.ts';
import { readAllPartitions } from './kafkajs-reader.ts';
import type { BrokerProcess } from './harness.ts';
import { PY_CONSUME, PY_PRODUCE, lastJson } from './python-scripts.ts';
import type { ConsumeReport, ProduceReport } from './python-scripts.ts';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const COUNT = 1_000;

describe('cross-client compression', () => {
  const dir = tempDir('cross');
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await startBroker({ dataDir: join(dir.path, 'data') });
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  for (const codec of CODECS) {
    it(`kcat produces ${codec}, python3-confluent-kafka reads it`, async () => {
      const topic = `kcat-to-py-${codec}`;
      await createTopic(broker.bootstrap, topic, 2);
      const values = Array.from({ length: COUNT }, (_, i) => `from-kcat-${codec}-${i}-${'y'.repeat(i % 80)}`);
      expectOk(
        await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-z', codec, '-K', ':', '-X', 'linger.ms=20'], {
          input: values.map((v, i) => `k${i % 5}:${v}`).join('\n') + '\n',
          timeoutMs: 30_000,
        }),
        `kcat -P -z ${codec}`,
      );
      const consumed = lastJson<ConsumeReport>(expectOk(await python(PY_CONSUME, [broker.bootstrap, topic, '2', String(COUNT)]), 'python consume').stdout);
      expect(consumed.errors).toEqual([]);
      expect(consumed.records.map((r) => r[3]).sort()).toEqual([...values].sort());
    });

    it(`python3-confluent-kafka produces ${codec}, kcat reads it`, async () => {
      const topic = `py-to-kcat-${codec}`;
      await createTopic(broker.bootstrap, topic, 2);
      const produced = lastJson<ProduceReport>(
        expectOk(await python(PY_PRODUCE, [broker.bootstrap, topic, String(COUNT), codec, '1']), `python produce ${codec}`).stdout,
      );
      expect(produced.errors).toEqual([]);
      expect(produced.delivered).toBe(COUNT);
      const consumed = await kcatReadAll(broker.bootstrap, topic);
      expect(consumed.map((c) => c.value).sort()).toEqual(Array.from({ length: COUNT }, (_, i) => `py-${i}`).sort());
    });
  }

  for (const codec of CODECS) {
    it(`KafkaJS produces ${codec}, kcat reads it`, async () => {
      const topic = `kafkajs-to-kcat-${codec}`;
      await createTopic(broker.bootstrap, topic, 2);
      const producer = createKafka({ bootstrap: broker.bootstrap }).producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const values = Array.from({ length: COUNT }, (_, i) => `from-kafkajs-${codec}-${i}`);
      try {
        for (let start = 0; start < COUNT; start += 250) {
          await producer.send({
            topic,
            acks: -1,
            compression: compressionFor(codec),
            messages: values.slice(start, start + 250).map((value, j) => ({ key: `k${(start + j) % 9}`, value })),
          });
        }
      } finally {
        await producer.disconnect();
      }
      const consumed = await kcatReadAll(broker.bootstrap, topic);
      expect(consumed.map((c) => c.value).sort()).toEqual([...values].sort());
    });
  }

  for (const codec of CODECS) {
    it(`kcat produces ${codec}, KafkaJS reads it`, async () => {
      const topic = `kcat-to-kafkajs-${codec}`;
      await createTopic(broker.bootstrap, topic, 2);
      const values = Array.from({ length: COUNT }, (_, i) => `from-kcat-${codec}-${i}-${'z'.repeat(i % 60)}`);
      expectOk(
        await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-z', codec, '-K', ':', '-X', 'linger.ms=20'], {
          input: values.map((v, i) => `k${i % 5}:${v}`).join('\n') + '\n',
          timeoutMs: 30_000,
        }),
        `kcat -P -z ${codec}`,
      );
      const read = await readAllPartitions(broker.bootstrap, topic, 2);
      const got = [...read.values()].flat().map((r) => r.value);
      expect(got.sort()).toEqual([...values].sort());
    });
  }
});
