/**
 * Offline partitions of the whole cluster, as Kafka's controller gauge
 * OfflinePartitionsCount counts them: a partition is offline when it has no leader (-1,
 * no ISR member was alive to lead it and unclean election is off) or its leader is not a
 * registered broker any more (the broker's lease expired and the controller has not yet
 * moved the leadership). Pure: a function of one ClusterView; O(partitions).
 *
 * Meant for the controller broker's /metrics (`samsa_offline_partitions_count`): only the
 * controller reports it, so a scrape of every broker does not count each partition once
 * per broker; other brokers report nothing (see `offlinePartitionsGauge`).
 */
import type { ClusterView, PartitionView } from './cluster-view.ts';

export function isPartitionOffline(view: ClusterView, p: PartitionView): boolean {
  return p.leader < 0 || !view.brokers.has(p.leader);
}

/** The partitions of every topic in `view` that are offline (see the file comment). */
export function offlinePartitionCount(view: ClusterView): number {
  let count = 0;
  for (const topic of view.topics.values()) for (const p of topic.partitions) if (isPartitionOffline(view, p)) count++;
  return count;
}

/** The gauge's value on broker `nodeId`: the count when it is the view's controller, else null (not reported). */
export function offlinePartitionsGauge(view: ClusterView, nodeId: number): number | null {
  return view.controllerId === nodeId ? offlinePartitionCount(view) : null;
}
