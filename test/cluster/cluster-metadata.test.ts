/**
 * Three brokers, two on Node and one on Deno, one etcd (issue 13 tests: bootstrap from any
 * broker; a Node and Deno mix):
 * - `kcat -L -b <broker>` against each broker lists all three brokers (ids and addresses)
 *   and the same leader for every partition, and each broker's own Metadata agrees;
 * - a 12-partition topic created with KafkaJS's admin against one broker spreads its
 *   leaders four per broker;
 * - every broker names the same controller, the one holding the controller key in etcd;
 * - a topic config changed through one broker (AlterConfigs, stored in etcd by the
 *   controller) is enforced by the leaders on every broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { createClusterTopic, fetchMetadata, kcatMetadata, pollUntil, startCluster, waitForSameLeaders, withAdmin } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

describe('a Node, Node, Deno cluster serves the whole cluster from every broker', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'deno'] });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a 12-partition topic spreads four leaders per broker, and every broker reports the same leaders', async () => {
    // Bootstrapped from the Deno broker (KafkaJS sends CreateTopics to the controller its Metadata names).
    await createClusterTopic(cluster, cluster.broker(3).bootstrap, 'spread', 12);
    const leaders = await waitForSameLeaders(cluster, 'spread', 12);
    const perBroker = new Map<number, number>();
    for (const l of leaders) perBroker.set(l, (perBroker.get(l) ?? 0) + 1);
    expect([...perBroker.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
  });

  it('kcat -L against each broker lists all three brokers and the same leaders', async () => {
    const leaders = await waitForSameLeaders(cluster, 'spread', 12);
    const expectedBrokers = cluster.brokers.map((b) => ({ id: b.nodeId, name: b.bootstrap }));
    for (const b of cluster.brokers) {
      const seen = await kcatMetadata(b.bootstrap, 'spread');
      expect(seen.brokers, `kcat -L -b ${b.bootstrap}`).toEqual(expectedBrokers);
      const topic = seen.topics.find((t) => t.topic === 'spread');
      expect(topic?.partitions.map((p) => p.leader), `leaders from ${b.bootstrap}`).toEqual(leaders);
    }
  });

  it('every broker names the controller that holds the controller key', async () => {
    const controller = await cluster.controller();
    expect(controller).not.toBeNull();
    for (const b of cluster.brokers) {
      const metadata = await fetchMetadata(b.port);
      expect(metadata.controllerId, `controller according to broker ${b.nodeId}`).toBe(controller!.brokerId);
      expect(metadata.brokers.map((x) => x.nodeId)).toEqual([1, 2, 3]);
    }
  });

  it('a topic config altered through one broker is enforced by the leaders on every broker', async () => {
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'configured', 3);
    const leaders = await waitForSameLeaders(cluster, 'configured', 3);
    expect(new Set(leaders).size).toBe(3); // one partition led by each broker
    await withAdmin(
      cluster,
      (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'configured', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] }),
      cluster.broker(2).bootstrap,
    );
    const kafka = new kafkajs.Kafka({ brokers: cluster.bootstrap().split(','), logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      for (let partition = 0; partition < 3; partition++) {
        await pollUntil(`partition ${partition} (led by broker ${leaders[partition]}) refuses a 2,000-byte record`, 30_000, async () => {
          try {
            await producer.send({ topic: 'configured', acks: -1, messages: [{ partition, value: 'x'.repeat(2000) }] });
            return false;
          } catch (error) {
            return String((error as { type?: string }).type ?? error).includes('MESSAGE_TOO_LARGE');
          }
        });
        await producer.send({ topic: 'configured', acks: -1, messages: [{ partition, value: 'small' }] });
      }
    } finally {
      await producer.disconnect();
    }
  });
});
