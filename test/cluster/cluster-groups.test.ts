/**
 * Consumer groups across a three-broker cluster, with KafkaJS and with librdkafka
 * (python3-confluent-kafka): produce 30 records, consume them in a group and commit, then
 * restart the broker that coordinates the group (found with FindCoordinator; SIGTERM, then
 * start again). Once it is back (every broker names the same coordinator, the group's
 * offsets are readable again), 30 more records are produced and a new consumer in the same
 * group reads exactly those: nothing before the committed offsets again, nothing skipped.
 * Consumers start from the earliest offset when they have no commit, so lost commits show up
 * as re-read records.
 *
 * `__consumer_offsets` is replicated (RF min(3, brokers)), so the coordinator moves while the
 * broker is down and the offsets move with it; consuming through a SIGKILLed coordinator
 * is test/cluster/replication-groups.test.ts.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, run } from '@samsa/bench';
import { createClusterTopic, findCoordinator, pollUntil, startCluster, waitForSameLeaders, withAdmin } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

const PYTHON = '/usr/bin/python3';
const PARTITIONS = 3;
const BATCH = 30;
const { Kafka, logLevel } = kafkajs;

/** argv: bootstrap topic group expected. Subscribes, reads `expected` records, commits synchronously, closes. */
const PY_GROUP_CONSUME = `
import json, sys, time
from confluent_kafka import Consumer
bootstrap, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'fetch.wait.max.ms': 100,
              'topic.metadata.refresh.interval.ms': 1000})
c.subscribe([topic])
values, errors = [], []
deadline = time.time() + 60
while len(values) < expected and time.time() < deadline:
    for m in c.consume(num_messages=100, timeout=0.5):
        if m.error() is not None:
            errors.append(str(m.error()))
            continue
        values.append(m.value().decode())
committed = []
if values:
    for tp in c.commit(asynchronous=False):
        committed.append([tp.partition, tp.offset])
c.close()
print(json.dumps({'values': values, 'errors': errors, 'committed': committed}))
`;

async function produce(cluster: Cluster, topic: string, from: number, count: number): Promise<void> {
  const producer = new Kafka({ brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } }).producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v-${from + i}` }));
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

const values = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `v-${from + i}`).sort();

/** The coordinator every running broker names for `group` (polls until they agree and none errs). */
async function agreedCoordinator(cluster: Cluster, group: string): Promise<number> {
  let nodeId = -1;
  await pollUntil(`every broker names one coordinator for ${group}`, 30_000, async () => {
    const answers = await Promise.all(cluster.brokers.filter((b) => b.running).map((b) => findCoordinator(b.port, group)));
    nodeId = answers[0]!.nodeId;
    return answers.every((a) => a.errorCode === 0 && a.nodeId === nodeId && a.nodeId >= 0);
  });
  return nodeId;
}

/** SIGTERM the group's coordinator, start it again, wait until the group is served again. */
async function restartCoordinator(cluster: Cluster, group: string, topic: string, committed: number): Promise<void> {
  const coordinator = cluster.broker(await agreedCoordinator(cluster, group));
  expect(await coordinator.stop(30_000)).toEqual({ code: 0, signal: null });
  await coordinator.restart();
  await waitForSameLeaders(cluster, topic, PARTITIONS);
  await agreedCoordinator(cluster, group);
  await pollUntil(`${group}'s committed offsets are readable again`, 30_000, async () => {
    const offsets = await withAdmin(cluster, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] }));
    return offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === committed;
  });
}

describe('consumer groups resume with their committed offsets when their coordinator restarts', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'node'] });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('KafkaJS', async () => {
    const topic = 'grp-kafkajs';
    const group = 'kafkajs-group';
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, topic, PARTITIONS);
    await waitForSameLeaders(cluster, topic, PARTITIONS);
    await produce(cluster, topic, 0, BATCH);

    const consumeBatch = async (): Promise<string[]> => {
      const kafka = new Kafka({ brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
      const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
      const seen: string[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
        await pollUntil(`${BATCH} records through KafkaJS group ${group}`, 60_000, () => seen.length >= BATCH);
        // Commit what was read: the next offset of every partition, from the log ends.
        const ends = await withAdmin(cluster, (admin) => admin.fetchTopicOffsets(topic));
        await consumer.commitOffsets(ends.map((e) => ({ topic, partition: e.partition, offset: e.high })));
      } finally {
        await consumer.disconnect();
      }
      return seen.sort();
    };

    expect(await consumeBatch()).toEqual(values(0, BATCH));
    await restartCoordinator(cluster, group, topic, BATCH);
    await produce(cluster, topic, BATCH, BATCH);
    expect(await consumeBatch()).toEqual(values(BATCH, BATCH));
  });

  it('librdkafka (python3-confluent-kafka)', async () => {
    const topic = 'grp-librdkafka';
    const group = 'librdkafka-group';
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, topic, PARTITIONS);
    await waitForSameLeaders(cluster, topic, PARTITIONS);
    await produce(cluster, topic, 0, BATCH);

    const consumeBatch = async (): Promise<string[]> => {
      const result = expectOk(await run(PYTHON, ['-c', PY_GROUP_CONSUME, cluster.bootstrap(), topic, group, String(BATCH)], { timeoutMs: 90_000 }), 'python group consumer');
      const report = JSON.parse(result.stdout.toString('utf8').trim().split('\n').pop()!) as { values: string[]; committed: [number, number][] };
      expect(report.committed.length).toBeGreaterThan(0);
      return report.values.sort();
    };

    expect(await consumeBatch()).toEqual(values(0, BATCH));
    await restartCoordinator(cluster, group, topic, BATCH);
    await produce(cluster, topic, BATCH, BATCH);
    expect(await consumeBatch()).toEqual(values(BATCH, BATCH));
  });
});
