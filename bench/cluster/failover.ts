/**
 * cluster-failover (issue 13 figure): time from a broker's death to its partitions' new
 * leaders being visible on every surviving broker, over FAILOVER_BENCH_KILLS (20) SIGKILLs,
 * p50 / p99, next to the configured `broker.session.timeout.ms` (the reference: a dead
 * broker is only noticed when its lease expires, so the figure is the session timeout plus
 * the controller's and the watches' work).
 *
 *   npm run bench -- cluster-failover
 *
 * Env: FAILOVER_BENCH_KILLS (default 20), FAILOVER_BENCH_SESSION_MS (default 3000).
 *
 * Three Node brokers and one etcd (the cluster harness of @samsa/bench). Each round creates
 * a fresh topic (3 partitions, replication factor 3, through KafkaJS's admin), so every
 * partition has a full ISR: without replication (the next issue) a fenced broker leaves the
 * ISR and never rejoins it, so an old topic would run out of candidates. Then it SIGKILLs the
 * leader of partition 0 and measures until every survivor's own Metadata (raw socket) names
 * a live leader for every partition the victim led; the victim is restarted (and registered
 * again) before the next round. Rounds where the victim was also the controller are counted.
 */
import kafkajs from 'kafkajs';
import { fetchMetadata, leadersOf, startCluster } from '@samsa/bench';
import type { Cluster } from '@samsa/bench';
import { percentile, visibleEverywhere } from './visible-everywhere.ts';

const KILLS = Number(process.env.FAILOVER_BENCH_KILLS ?? 20);
const SESSION_MS = Number(process.env.FAILOVER_BENCH_SESSION_MS ?? 3000);
const PARTITIONS = 3;
const VISIBLE_TIMEOUT_MS = 10 * SESSION_MS + 30_000;

async function createTopic(cluster: Cluster, topic: string): Promise<void> {
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({ brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: false });
  } finally {
    await admin.disconnect();
  }
}

async function round(cluster: Cluster, n: number): Promise<{ ms: number; wasController: boolean; led: number }> {
  const topic = `failover-${n}`;
  await createTopic(cluster, topic);
  const ports = cluster.brokers.map((b) => b.port);
  await visibleEverywhere(ports, [topic], (m) => leadersOf(m, topic)?.length === PARTITIONS && leadersOf(m, topic)!.every((l) => l >= 0), VISIBLE_TIMEOUT_MS);
  const leaders = leadersOf(await fetchMetadata(ports[0]!, [topic]), topic)!;
  const victim = cluster.broker(leaders[0]!);
  const led = leaders.flatMap((l, p) => (l === victim.nodeId ? [p] : []));
  const wasController = (await cluster.controller())?.brokerId === victim.nodeId;
  const survivors = cluster.brokers.filter((b) => b !== victim).map((b) => b.port);

  const killedAt = performance.now();
  await victim.kill();
  await visibleEverywhere(survivors, [topic], (m) => {
    const now = leadersOf(m, topic);
    return now !== null && led.every((p) => now[p]! >= 0 && now[p] !== victim.nodeId);
  }, VISIBLE_TIMEOUT_MS);
  const ms = performance.now() - killedAt;

  await victim.restart();
  await visibleEverywhere(ports, undefined, (m) => m.brokers.length === cluster.brokers.length, VISIBLE_TIMEOUT_MS);
  return { ms, wasController, led: led.length };
}

async function main(): Promise<void> {
  console.log(`cluster-failover: 3 Node brokers + etcd, broker.session.timeout.ms=${SESSION_MS}, ${KILLS} SIGKILLs of a partition leader`);
  const cluster = await startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_MS });
  const times: number[] = [];
  let controllerKills = 0;
  try {
    for (let n = 1; n <= KILLS; n++) {
      const r = await round(cluster, n);
      times.push(r.ms);
      if (r.wasController) controllerKills += 1;
      console.log(`  kill ${String(n).padStart(2)}: ${r.ms.toFixed(0).padStart(6)} ms  (${r.led} partition(s) moved${r.wasController ? ', victim was the controller' : ''})`);
    }
  } finally {
    await cluster.stop();
  }
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  console.log(`death → new leaders visible on every survivor: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
  console.log(`reference: broker.session.timeout.ms ${SESSION_MS} ms (p50 ${(p50 / SESSION_MS).toFixed(2)}×, p99 ${(p99 / SESSION_MS).toFixed(2)}×); ${controllerKills} of ${KILLS} kills also took the controller`);
}

await main();
