/**
 * The fault suite's workloads (issue 15) against a 3-broker cluster on one etcd member, a
 * topic with replication factor 3 and min.insync.replicas=2, no faults: the librdkafka
 * producer and consumer-group member and the KafkaJS workload run side by side for a few
 * seconds, each consumer group reads everything, then the final read; smoke-check.ts
 * checks all histories against it (every ok send once at its acknowledged offset, every
 * polled record in the log, invokes paired with completions, all sends and commits ok).
 *
 * Every process is stopped in afterAll/afterEach, also on failure; every wait is bounded.
 * Figures are printed as one JSON line.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil, startCluster, tempDir } from '@samsa/bench';
import type { Cluster } from '@samsa/bench';
import { waitForSameLeaders, withAdmin } from '../../cluster/cluster-process.ts';
import { checkHistory, readFinal, readHistory } from './smoke-check.ts';
import { finalRead, startWorkload } from './workload-process.ts';
import type { Workload } from './workload-process.ts';

const PARTITIONS = 3;
const RATE_PER_S = 80;
const PRODUCE_SECONDS = 5;
const RUN_SECONDS = 90;
const CATCH_UP_TIMEOUT_MS = 60_000;

let cluster: Cluster;
let dir: { path: string; remove: () => void };
const running: Workload[] = [];

beforeAll(async () => {
  dir = tempDir('chaos-workloads-cluster');
  cluster = await startCluster({ brokers: ['node', 'node', 'node'], etcdMembers: 1 });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.kill()));
});
afterAll(async () => {
  await cluster?.stop();
  dir?.remove();
});

function polledValues(path: string): Set<string> {
  return new Set(readHistory(path).flatMap((e) => (e.f === 'poll' ? (e.records ?? []).map((r) => r[2] ?? '') : [])));
}

describe('workloads against 3 brokers, RF 3, min.insync.replicas=2', () => {
  it('librdkafka and KafkaJS workloads side by side: histories match the final read', { timeout: 180_000 }, async () => {
    const topic = 'workloads-rf3';
    const created = await withAdmin(cluster, (admin) =>
      admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] }),
    );
    expect(created).toBe(true);
    await waitForSameLeaders(cluster, topic, PARTITIONS);
    const started = performance.now();
    const common = { bootstrap: cluster.bootstrap(), topic, partitions: PARTITIONS, rate: RATE_PER_S };
    const path = (name: string): string => join(dir.path, `${name}.jsonl`);
    const pyProducer = startWorkload({ ...common, kind: 'py-producer', seconds: PRODUCE_SECONDS, name: 'py-producer-1', historyPath: path('py-producer-1'), seed: 1 });
    const pyConsumer = startWorkload({ ...common, kind: 'py-consumer', seconds: RUN_SECONDS, name: 'py-consumer-1', historyPath: path('py-consumer-1'), seed: 2 });
    const kafkajsProducer = startWorkload({ ...common, kind: 'kafkajs', seconds: PRODUCE_SECONDS, name: 'kafkajs-p', historyPath: path('kafkajs-p'), seed: 3, consumer: false });
    const kafkajsConsumer = startWorkload({ ...common, kind: 'kafkajs', seconds: RUN_SECONDS, name: 'kafkajs-c', historyPath: path('kafkajs-c'), seed: 4, producer: false });
    running.push(pyProducer, pyConsumer, kafkajsProducer, kafkajsConsumer);

    for (const producer of [pyProducer, kafkajsProducer]) {
      await pollUntil('the producers to finish', CATCH_UP_TIMEOUT_MS, () => !producer.running());
      const exit = await producer.exited;
      expect(exit.code, exit.output).toBe(0);
    }
    const producerHistory = [...readHistory(path('py-producer-1')), ...readHistory(path('kafkajs-p'))];
    const acked = producerHistory.filter((e) => e.f === 'send' && e.type === 'ok').map((e) => e.value!);
    expect(acked.length).toBeGreaterThan(RATE_PER_S * PRODUCE_SECONDS * 0.5);
    await pollUntil('both consumer groups to read every acknowledged value', CATCH_UP_TIMEOUT_MS, () => {
      const py = polledValues(path('py-consumer-1'));
      const js = polledValues(path('kafkajs-c'));
      return acked.every((v) => py.has(v) && js.has(v));
    });
    for (const consumer of [pyConsumer, kafkajsConsumer]) {
      const exit = await consumer.stop();
      expect(exit.code, exit.output).toBe(0);
    }

    const finalPath = join(dir.path, 'final.json');
    await finalRead(cluster.bootstrap(), topic, finalPath);
    const final = readFinal(finalPath);
    // Each consumer group is checked with the producers' histories (their polls name the same log).
    for (const consumer of ['py-consumer-1', 'kafkajs-c']) {
      expect(checkHistory([...producerHistory, ...readHistory(path(consumer))], final, { complete: true, allOk: true }), consumer).toEqual([]);
    }
    console.log(JSON.stringify({ test: 'workloads-rf3', acked: acked.length, ms: Math.round(performance.now() - started) }));
  });
});
