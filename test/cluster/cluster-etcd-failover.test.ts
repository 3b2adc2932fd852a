/**
 * A three-member etcd cluster under three brokers (each given all three endpoints); the
 * etcd raft leader is SIGKILLed:
 * - the brokers keep serving Metadata (three brokers, the existing topic's leaders);
 * - for twice the session timeout after the kill, every broker stays registered with the
 *   lease it had (its keepalives fail over to the surviving members, so nothing is fenced);
 * - a new topic can be created, and every broker shows its leaders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterTopic, etcdLeaderIndex, fetchMetadata, pollUntil, startCluster, waitForSameLeaders } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

const SESSION_TIMEOUT_MS = 3000;

describe('etcd loses its leader', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'node'], etcdMembers: 3, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('brokers keep serving Metadata, stay registered, and a new topic can be created', async () => {
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'before', 3);
    const leadersBefore = await waitForSameLeaders(cluster, 'before', 3);
    const leases = await Promise.all(cluster.brokers.map((b) => cluster.registrationLease(b.nodeId)));
    expect(leases.every((l) => l !== null)).toBe(true);

    let leader = -1;
    await pollUntil('an etcd leader', 10_000, async () => (leader = await etcdLeaderIndex(cluster.etcd.endpoints)) >= 0);
    await cluster.etcd.members[leader]!.kill();

    // Serving: every broker answers Metadata with the whole cluster right after the kill.
    for (const b of cluster.brokers) {
      const m = await fetchMetadata(b.port, ['before']);
      expect(m.brokers.map((x) => x.nodeId)).toEqual([1, 2, 3]);
    }
    expect(await waitForSameLeaders(cluster, 'before', 3)).toEqual(leadersBefore);

    // Nobody is fenced: watch the registrations for twice the session timeout. A read may
    // fail while etcd elects its new leader; every read that answers must show the same leases.
    await pollUntil('etcd elects a new leader', 10_000, async () => (await etcdLeaderIndex(cluster.etcd.endpoints)) >= 0);
    const until = performance.now() + 2 * SESSION_TIMEOUT_MS;
    let answered = 0;
    while (performance.now() < until) {
      const now = await Promise.all(cluster.brokers.map((b) => cluster.registrationLease(b.nodeId))).catch(() => null);
      if (now !== null) {
        answered += 1;
        expect(now).toEqual(leases);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(answered).toBeGreaterThan(0);

    await createClusterTopic(cluster, cluster.broker(2).bootstrap, 'after', 6);
    const leadersAfter = await waitForSameLeaders(cluster, 'after', 6);
    expect(new Set(leadersAfter)).toEqual(new Set([1, 2, 3]));
  });
});
