/**
 * SIGKILL the controller of a three-broker cluster (broker.session.timeout.ms = 3000):
 * - another broker holds the controller key within the session timeout plus slack (lease
 *   TTLs are whole seconds in etcd, and expiry is checked periodically), with a higher
 *   epoch (the key's createRevision);
 * - the survivors' Metadata names the new controller and no longer lists the dead broker;
 * - the dead broker's partitions (replication factor 1: no other ISR member) are offline
 *   (leader -1) in the survivors' views, the others keep their leaders;
 * - restarted, it registers again and leads its partitions again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterTopic, etcdPartitions, fetchMetadata, leadersOf, pollUntil, startCluster, waitForSameLeaders } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

const SESSION_TIMEOUT_MS = 3000;
/** etcd rounds a lease TTL up to whole seconds and checks expiry about every 500 ms; a loaded machine adds more. */
const SLACK_MS = 5000;

describe('SIGKILL the controller', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_TIMEOUT_MS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('another broker takes over within the session timeout; survivors show it; the victim rejoins after a restart', async () => {
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'ctl', 6);
    const leadersBefore = await waitForSameLeaders(cluster, 'ctl', 6);
    const before = await cluster.controller();
    expect(before).not.toBeNull();
    const victim = cluster.broker(before!.brokerId);
    const survivors = cluster.brokers.filter((b) => b !== victim);

    const killedAt = performance.now();
    await victim.kill();
    let after: { brokerId: number; epoch: number } | null = null;
    await pollUntil('another broker holds the controller key', SESSION_TIMEOUT_MS + SLACK_MS, async () => {
      after = await cluster.controller();
      return after !== null && after.brokerId !== victim.nodeId;
    });
    const takeoverMs = performance.now() - killedAt;
    expect(takeoverMs).toBeLessThan(SESSION_TIMEOUT_MS + SLACK_MS);
    expect(after!.epoch).toBeGreaterThan(before!.epoch);
    expect(await cluster.registeredBrokerIds()).toEqual(survivors.map((b) => b.nodeId));

    const expectedLeaders = leadersBefore.map((l) => (l === victim.nodeId ? -1 : l));
    for (const b of survivors) {
      await pollUntil(`broker ${b.nodeId} shows controller ${after!.brokerId}, two brokers, and the victim's partitions offline`, 15_000, async () => {
        const m = await fetchMetadata(b.port, ['ctl']);
        return m.controllerId === after!.brokerId && m.brokers.length === 2 && !m.brokers.some((x) => x.nodeId === victim.nodeId) && leadersOf(m, 'ctl')?.join(',') === expectedLeaders.join(',');
      });
    }
    expect((await etcdPartitions(cluster, 'ctl')).map((p) => p.leader)).toEqual(expectedLeaders);

    await victim.restart();
    expect(await cluster.registeredBrokerIds()).toEqual([1, 2, 3]);
    expect(await waitForSameLeaders(cluster, 'ctl', 6)).toEqual(leadersBefore);
  });
});
