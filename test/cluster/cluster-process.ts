/**
 * The real-process cluster harness for the cluster suites: one etcd (1 or 3 members) and N
 * brokers (Node or Deno), ready once each listens and etcd holds N registrations; brokers
 * can be SIGKILLed, SIGTERMed and restarted; `stop()` (call it in afterEach/finally) ends
 * every process group and removes the temp dir.
 *
 * The implementation is @samsa/bench's (apps/bench/src/cluster-process.ts), shared with the
 * cluster benches (bench/cluster), which may not import from test/. This file adds what only
 * the suites use: kcat's view of the cluster, KafkaJS admin over the running brokers, the
 * leaders every broker agrees on, and the partition records in etcd.
 */
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { etcdRange, expectOk, fetchMetadata, kcat, leadersOf, pollUntil } from '@samsa/bench';
import type { Cluster } from '@samsa/bench';

export {
  etcdLeaderIndex,
  etcdPut,
  etcdRange,
  fetchMetadata,
  findCoordinator,
  leadersOf,
  PollAborted,
  pollUntil,
  processGroupAlive,
  SESSION_TIMEOUT_MS_DEFAULT,
  startCluster,
} from '@samsa/bench';
export type { BrokerMetadata, Cluster, ClusterBroker, ClusterOptions, EtcdEntry, ExitInfo, MetadataPartition, MetadataTopic } from '@samsa/bench';

export interface KcatMetadata {
  readonly brokers: readonly { readonly id: number; readonly name: string }[];
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly leader: number; readonly replicas: readonly number[] }[] }[];
}

interface KcatJson {
  brokers?: { id: number; name: string }[];
  topics?: { topic: string; partitions?: { partition: number; leader: number; replicas?: { id: number }[] }[] }[];
}

/** `kcat -L -J -b <bootstrap>`: brokers by id and each topic's partitions by number. */
export async function kcatMetadata(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const args = ['-L', '-J', '-b', bootstrap, '-m', '10', ...(topic === undefined ? [] : ['-t', topic])];
  const json = JSON.parse(expectOk(await kcat(args, { timeoutMs: 30_000 }), `kcat -L -b ${bootstrap}`).stdout.toString('utf8')) as KcatJson;
  return {
    brokers: (json.brokers ?? []).map((b) => ({ id: b.id, name: b.name })).sort((a, b) => a.id - b.id),
    topics: (json.topics ?? [])
      .map((t) => ({
        topic: t.topic,
        partitions: (t.partitions ?? []).map((p) => ({ partition: p.partition, leader: p.leader, replicas: (p.replicas ?? []).map((r) => r.id) })).sort((a, b) => a.partition - b.partition),
      }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0)),
  };
}

/** A KafkaJS admin bootstrapped from the running brokers (or `bootstrap`), disconnected after `body`. */
export async function withAdmin<T>(cluster: Cluster, body: (admin: Admin) => Promise<T>, bootstrap?: string): Promise<T> {
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({ brokers: (bootstrap ?? cluster.bootstrap()).split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } }).admin();
  await admin.connect();
  try {
    return await body(admin);
  } finally {
    await admin.disconnect();
  }
}

/** CreateTopics through KafkaJS sent to `bootstrap` (one broker: it forwards to the controller if it is not). */
export async function createClusterTopic(cluster: Cluster, bootstrap: string, topic: string, numPartitions: number, replicationFactor = 1): Promise<void> {
  const created = await withAdmin(cluster, (admin) => admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor }], waitForLeaders: false }), bootstrap);
  if (!created) throw new Error(`topic ${topic} already existed`);
}

/**
 * Polls until every running broker's own Metadata shows `topic` with `partitions`
 * partitions, each with a leader, and the same leaders on every broker; returns them.
 */
export async function waitForSameLeaders(cluster: Cluster, topic: string, partitions: number, timeoutMs = 30_000): Promise<number[]> {
  let leaders: number[] = [];
  let seen = '';
  await pollUntil(`the same ${partitions} leaders of ${topic} on every broker`, timeoutMs, async () => {
    const views = await Promise.all(cluster.brokers.filter((b) => b.running).map(async (b) => leadersOf(await fetchMetadata(b.port, [topic]), topic)));
    seen = JSON.stringify(views);
    const first = views[0];
    if (first === null || first === undefined || first.length !== partitions || first.some((l) => l < 0)) return false;
    if (!views.every((v) => v !== null && v.join(',') === first.join(','))) return false;
    leaders = first;
    return true;
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last views: ${seen}`);
  });
  return leaders;
}

export interface EtcdPartition {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/** The partition records of `topic` in etcd (the controller's decisions), by partition. */
export async function etcdPartitions(cluster: Cluster, topic: string): Promise<EtcdPartition[]> {
  const { entries } = await etcdRange(cluster.etcd.endpoints, `${cluster.keysRoot}partitions/${topic}/`);
  return entries
    .map((e) => JSON.parse(e.value) as EtcdPartition)
    .map((r) => ({ partition: r.partition, leader: r.leader, leaderEpoch: r.leaderEpoch, replicas: r.replicas, isr: r.isr }))
    .sort((a, b) => a.partition - b.partition);
}
