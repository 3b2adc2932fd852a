/**
 * Three brokers, two on Node and one on Deno, one etcd (issue 13 tests: bootstrap from any
 * broker; a Node and Deno mix):
 * - `kcat -L -b <broker>` against each broker lists all three brokers (ids and addresses)
 *   and the same leader for every partition, and each broker's own Metadata agrees;
 * - a 12-partition topic created with KafkaJS's admin against one broker spreads its
 *   leaders four per broker;
 * - every broker names the same controller, the one holding the controller key in etcd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterTopic, fetchMetadata, kcatMetadata, startCluster, waitForSameLeaders } from './cluster-process.ts';
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
});
