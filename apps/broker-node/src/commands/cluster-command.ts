/**
 * `samsa cluster`: the brokers, the controller, fenced brokers (replicas of some partition
 * that are not registered), offline partitions (leader -1) and under-replicated partitions
 * (ISR smaller than the replicas); `--json` prints the same as JSON (cluster-status.ts).
 *
 * Two sources:
 * - `--metadata etcd://host:port[,…]` (with `--cluster-id`, default `samsa`): straight from
 *   the cluster's metadata store, no broker needed (cluster-from-etcd.ts); the controller's
 *   epoch is shown.
 * - otherwise a broker over the Kafka protocol (Metadata v4 of every topic, raw —
 *   describe-topics.ts `metadataFrom` —, `--bootstrap`): what that broker's view says; no
 *   controller epoch.
 */
import { Command } from 'commander';
import { bootstrapFrom } from './parse-flags.ts';
import { clusterStatus, formatClusterStatus } from './cluster-status.ts';
import type { ClusterStatus, StatusPartition } from './cluster-status.ts';

const CLUSTER_ID_DEFAULT = 'samsa';

interface ClusterOptions {
  bootstrap?: string;
  metadata?: string;
  clusterId?: string;
  json?: boolean;
}

async function statusFromBroker(bootstrap: string): Promise<ClusterStatus> {
  // Metadata asked of one broker on its own (describe-topics.ts `metadataFrom`), so a partition
  // without a leader — the offline partitions this command exists to show — is reported, not retried.
  const { metadataFrom } = await import('./describe-topics.ts');
  const md = await metadataFrom(bootstrap, null);
  const partitions: StatusPartition[] = [];
  for (const t of md.topics) for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr });
  return clusterStatus({
    source: { kind: 'kafka', address: bootstrap, revision: null },
    clusterId: md.clusterId,
    controller: md.controllerId < 0 ? null : { id: md.controllerId, epoch: null },
    brokers: md.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: null })),
    topicCount: md.topics.length,
    partitions,
  });
}

export function clusterCommand(): Command {
  return new Command('cluster')
    .description('show the brokers, the controller, fenced brokers and offline partitions')
    .option('-b, --bootstrap <host:port>', 'broker to ask over the Kafka protocol (env SAMSA_BOOTSTRAP)')
    .option('--metadata <etcd://host:port,...>', 'read the cluster straight from its etcd instead of a broker')
    .option('--cluster-id <id>', `cluster.id of the cluster in etcd (with --metadata; default ${CLUSTER_ID_DEFAULT})`)
    .option('--json', 'print JSON')
    .action(async (o: ClusterOptions) => {
      let status: ClusterStatus;
      if (o.metadata !== undefined) {
        const { parseMetadataUrl, readClusterFromEtcd } = await import('./cluster-from-etcd.ts');
        status = await readClusterFromEtcd(parseMetadataUrl(o.metadata), o.clusterId ?? CLUSTER_ID_DEFAULT);
      } else {
        status = await statusFromBroker(bootstrapFrom(o));
      }
      process.stdout.write(o.json ? `${JSON.stringify(status, null, 2)}\n` : formatClusterStatus(status));
    });
}
