/**
 * What `samsa cluster` shows: the brokers, the controller, and the partitions that need an
 * operator's eye, computed the same way whether the facts come from etcd (a `ClusterView`
 * built from the store's records) or from a broker's Metadata answer (describe-topics.ts).
 *
 * - fenced brokers: ids named as a replica of some partition but not registered (their lease
 *   expired, or they never came back); ascending.
 * - offline partitions: leader -1 (no ISR member is alive).
 * - under-replicated partitions: an ISR smaller than the replica set.
 * Partitions are listed by topic name, then partition number. Pure: no I/O here.
 */
import type { ClusterView } from '@samsa/broker';

export interface StatusBroker {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface StatusPartition {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface ClusterStatus {
  /** Where the facts came from: `etcd` (endpoints) or `kafka` (a bootstrap broker). */
  readonly source: { readonly kind: 'etcd' | 'kafka'; readonly address: string; readonly revision: number | null };
  readonly clusterId: string | null;
  /** null when no broker holds the controller key; epoch null when the source does not say. */
  readonly controller: { readonly id: number; readonly epoch: number | null } | null;
  readonly brokers: readonly StatusBroker[];
  readonly topicCount: number;
  readonly partitionCount: number;
  readonly fencedBrokers: readonly number[];
  readonly offlinePartitions: readonly StatusPartition[];
  readonly underReplicatedPartitions: readonly StatusPartition[];
}

export interface StatusInput {
  readonly source: ClusterStatus['source'];
  readonly clusterId: string | null;
  readonly controller: ClusterStatus['controller'];
  readonly brokers: readonly StatusBroker[];
  readonly topicCount: number;
  readonly partitions: readonly StatusPartition[];
}

const byTopicThenPartition = (a: StatusPartition, b: StatusPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

export function clusterStatus(input: StatusInput): ClusterStatus {
  const registered = new Set(input.brokers.map((b) => b.id));
  const fenced = new Set<number>();
  const offline: StatusPartition[] = [];
  const underReplicated: StatusPartition[] = [];
  for (const p of input.partitions) {
    for (const r of p.replicas) if (!registered.has(r)) fenced.add(r);
    if (p.leader === -1) offline.push(p);
    if (p.isr.length < p.replicas.length) underReplicated.push(p);
  }
  return {
    source: input.source,
    clusterId: input.clusterId,
    controller: input.controller,
    brokers: [...input.brokers].sort((a, b) => a.id - b.id),
    topicCount: input.topicCount,
    partitionCount: input.partitions.length,
    fencedBrokers: [...fenced].sort((a, b) => a - b),
    offlinePartitions: offline.sort(byTopicThenPartition),
    underReplicatedPartitions: underReplicated.sort(byTopicThenPartition),
  };
}

/** The status of a view read from the metadata store. */
export function statusFromView(view: ClusterView, address: string): ClusterStatus {
  const partitions: StatusPartition[] = [];
  for (const t of view.topics.values()) for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr });
  return clusterStatus({
    source: { kind: 'etcd', address, revision: view.revision },
    clusterId: view.clusterId,
    controller: view.controllerId === -1 ? null : { id: view.controllerId, epoch: view.controllerEpoch },
    brokers: [...view.brokers.values()].map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    topicCount: view.topics.size,
    partitions,
  });
}

const ids = (list: readonly number[]): string => `[${list.join(',')}]`;

function partitionLines(title: string, list: readonly StatusPartition[]): string[] {
  if (list.length === 0) return [`${title}: none`];
  return [`${title} (${list.length}):`, ...list.map((p) => `\t${p.topic}-${p.partition}\tleader ${p.leader}\treplicas ${ids(p.replicas)}\tisr ${ids(p.isr)}`)];
}

/** The text `samsa cluster` prints (ends with a newline). */
export function formatClusterStatus(s: ClusterStatus): string {
  const from = s.source.kind === 'etcd' ? `etcd ${s.source.address}${s.source.revision === null ? '' : `, revision ${s.source.revision}`}` : `broker ${s.source.address}`;
  const controller = s.controller === null ? 'none' : `${s.controller.id}${s.controller.epoch === null ? '' : ` (epoch ${s.controller.epoch})`}`;
  const lines = [
    `Cluster: ${s.clusterId ?? 'unknown'} (from ${from})`,
    `Controller: ${controller}`,
    `Brokers (${s.brokers.length}):`,
    ...s.brokers.map((b) => `\t${b.id}\t${b.host}:${b.port}${b.rack === null ? '' : `\track ${b.rack}`}`),
    `Topics: ${s.topicCount}, partitions: ${s.partitionCount}`,
    `Fenced brokers: ${s.fencedBrokers.length === 0 ? 'none' : s.fencedBrokers.join(', ')}`,
    ...partitionLines('Offline partitions', s.offlinePartitions),
    ...partitionLines('Under-replicated partitions', s.underReplicatedPartitions),
  ];
  return `${lines.join('\n')}\n`;
}
