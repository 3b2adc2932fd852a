/**
 * Conformance with KafkaJS 2.2.4: admin createTopics/listTopics, a keyed producer (same
 * key → same partition; null keys spread over partitions), and reading everything back
 * partition by partition.
 *
 * KafkaJS's `consumer` only works through a consumer group (JoinGroup, SyncGroup, …),
 * which lands with the group issue; until then the read side is the CLI's group-less
 * reader, which sends KafkaJS's own Fetch request to the partition leader.
 */
import kafkajs from 'kafkajs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAllPartitions } from './kafkajs-reader.ts';
import { RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const { Kafka, logLevel } = kafkajs;

for (const runtime of RUNTIMES) {
  describe(`KafkaJS 2.2.4 on ${runtime}`, () => {
    const dir = tempDir(`kafkajs-${runtime}`);
    let broker: BrokerProcess;
    let kafka: InstanceType<typeof Kafka>;

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
      kafka = new Kafka({ clientId: 'conformance', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    });

    afterAll(async () => {
      await broker?.stop();
      dir.remove();
    });

    it('admin createTopics and listTopics', async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await admin.createTopics({ topics: [{ topic: 'kjs-a', numPartitions: 6 }, { topic: 'kjs-b', numPartitions: 1 }], waitForLeaders: true })).toBe(true);
        const topics = await admin.listTopics();
        expect(topics).toContain('kjs-a');
        expect(topics).toContain('kjs-b');
        // Creating an existing topic is not an error for KafkaJS: it answers false.
        expect(await admin.createTopics({ topics: [{ topic: 'kjs-a', numPartitions: 6 }] })).toBe(false);
        const metadata = await admin.fetchTopicMetadata({ topics: ['kjs-a'] });
        expect(metadata.topics[0]!.partitions).toHaveLength(6);
      } finally {
        await admin.disconnect();
      }
    });

    it('keyed records stay on one partition per key, null keys spread, and all read back', async () => {
      const topic = 'kjs-keys';
      const partitions = 6;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      await admin.disconnect();

      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const keyed = 3_000;
      const unkeyed = 600;
      try {
        for (let start = 0; start < keyed; start += 500) {
          await producer.send({
            topic,
            acks: -1,
            messages: Array.from({ length: 500 }, (_, j) => ({ key: `user-${(start + j) % 40}`, value: `k-${start + j}` })),
          });
        }
        // KafkaJS's default partitioner sends null-key records of one send() to one partition
        // chosen round-robin per call, so several small sends spread them.
        for (let start = 0; start < unkeyed; start += 50) {
          await producer.send({ topic, acks: 1, messages: Array.from({ length: 50 }, (_, j) => ({ value: `n-${start + j}` })) });
        }
      } finally {
        await producer.disconnect();
      }

      const read = await readAllPartitions(broker.bootstrap, topic, partitions);
      let total = 0;
      const keyPartition = new Map<string, number>();
      const nullKeyPartitions = new Set<number>();
      for (const [partition, list] of read) {
        total += list.length;
        let lastKeyed = -1;
        list.forEach((r, i) => {
          expect(r.offset).toBe(i);
          if (r.key === null) {
            nullKeyPartitions.add(partition);
            return;
          }
          const earlier = keyPartition.get(r.key);
          if (earlier !== undefined) expect(earlier).toBe(partition);
          keyPartition.set(r.key, partition);
          const n = Number(r.value.slice(2));
          expect(n).toBeGreaterThan(lastKeyed);
          lastKeyed = n;
        });
      }
      expect(total).toBe(keyed + unkeyed);
      expect(keyPartition.size).toBe(40);
      expect(new Set(keyPartition.values()).size).toBeGreaterThan(1);
      expect(nullKeyPartitions.size).toBeGreaterThan(1);
    });
  });
}
