/**
 * SIGTERM a broker of a three-broker cluster (a topic with replication factor 3, so every
 * partition has other ISR members to move to):
 * - it exits 0, and at the moment it has exited etcd already names another leader for every
 *   partition it led (with a higher leader epoch): the moves happened before the exit, not
 *   through its lease expiring afterwards (that would take the session timeout);
 * - its registration key goes away, and the other brokers' Metadata no longer lists it nor
 *   names it leader of anything;
 * - restarted, it registers again (a new lease) and every broker's Metadata lists it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterTopic, etcdPartitions, fetchMetadata, leadersOf, pollUntil, startCluster, waitForSameLeaders } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

const SESSION_TIMEOUT_MS = 3000;
const SLACK_MS = 5000;

describe('SIGTERM a broker: controlled shutdown', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_TIMEOUT_MS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('moves its leaderships before it exits, leaves, and rejoins after a restart', async () => {
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'moving', 6, 3);
    const leadersBefore = await waitForSameLeaders(cluster, 'moving', 6);
    const controller = await cluster.controller();
    // A broker that leads something and is not the controller (the controller's own
    // shutdown is the failover test's business).
    const victim = cluster.brokers.find((b) => b.nodeId !== controller?.brokerId && leadersBefore.includes(b.nodeId))!;
    expect(victim).toBeDefined();
    const led = leadersBefore.flatMap((l, p) => (l === victim.nodeId ? [p] : []));
    const epochsBefore = (await etcdPartitions(cluster, 'moving')).map((p) => p.leaderEpoch);

    const exit = await victim.stop(30_000);
    expect(exit, victim.output().slice(-4000)).toEqual({ code: 0, signal: null });
    const afterExit = await etcdPartitions(cluster, 'moving');
    for (const p of led) {
      expect(afterExit[p]!.leader, `partition ${p} right after the exit`).not.toBe(victim.nodeId);
      expect(afterExit[p]!.leader, `partition ${p} right after the exit`).toBeGreaterThanOrEqual(0);
      expect(afterExit[p]!.leaderEpoch).toBeGreaterThan(epochsBefore[p]!);
    }
    expect(afterExit.some((p) => p.leader === victim.nodeId)).toBe(false);

    await pollUntil(`broker ${victim.nodeId}'s registration key goes away`, SESSION_TIMEOUT_MS + SLACK_MS, async () => !(await cluster.registeredBrokerIds()).includes(victim.nodeId));
    const others = cluster.brokers.filter((b) => b !== victim);
    for (const b of others) {
      await pollUntil(`broker ${b.nodeId} neither lists broker ${victim.nodeId} nor names it leader`, 15_000, async () => {
        const m = await fetchMetadata(b.port, ['moving']);
        const leaders = leadersOf(m, 'moving');
        return !m.brokers.some((x) => x.nodeId === victim.nodeId) && leaders !== null && leaders.length === 6 && leaders.every((l) => l >= 0 && l !== victim.nodeId);
      });
    }

    await victim.restart();
    expect(await cluster.registeredBrokerIds()).toEqual([1, 2, 3]);
    for (const b of cluster.brokers) {
      await pollUntil(`broker ${b.nodeId} lists the restarted broker ${victim.nodeId}`, 15_000, async () => (await fetchMetadata(b.port)).brokers.some((x) => x.nodeId === victim.nodeId && x.port === victim.port));
    }
    await waitForSameLeaders(cluster, 'moving', 6);
  });
});
