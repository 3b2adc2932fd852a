/**
 * The real-process cluster harness for the cluster suites: one etcd (1 or 3 members) and N
 * brokers (Node or Deno), ready once each listens and etcd holds N registrations; brokers
 * can be SIGKILLed, SIGTERMed and restarted; `stop()` (call it in afterEach/finally) ends
 * every process group and removes the temp dir.
 *
 * The implementation is @samsa/bench's (apps/bench/src/cluster-process.ts), shared with the
 * cluster benches (bench/cluster), which may not import from test/. This file adds what only
 * the suites use: kcat's view of the cluster.
 */
import { expectOk, kcat } from '@samsa/bench';

export {
  etcdLeaderIndex,
  etcdPut,
  etcdRange,
  fetchMetadata,
  leadersOf,
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
