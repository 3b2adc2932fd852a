/**
 * ClusterView: one broker's immutable snapshot of the cluster's metadata, as of one store
 * revision. Every handler that answers about the cluster (Metadata, DescribeCluster,
 * FindCoordinator, leadership checks) reads the current view; a new view replaces the old
 * one as a whole whenever a watch batch has been applied (never a half-applied batch).
 *
 * Built from the controller's `ClusterImage` (@samsa/coordinator) by `viewFromImage`:
 * - `brokers`: the registered (unfenced) brokers by id; a broker whose lease expired is gone.
 * - `controllerId`: the broker holding the controller key, -1 when none.
 * - `topics`: only topics whose topic record exists (the commit point of a creation), each
 *   with exactly `partitionCount` partitions; a partition record of another topic id (an
 *   older incarnation of the name) is not shown. A topic whose partition records are not
 *   all present is left out (it cannot happen for a committed topic; the guard keeps a
 *   malformed store from showing holes).
 * - `topicConfigs` / `brokerConfigs`: the overrides stored in etcd (AlterConfigs reaches
 *   every broker through them).
 * - `brokerDefaultConfigs`: the cluster-wide default broker configs (AlterConfigs on the
 *   broker resource ""); a broker's own `brokerConfigs` entry wins over them key by key.
 *   Optional for views built by hand (absent = none); `viewFromImage` always fills it.
 * Invariants: every `PartitionView.leader` is -1 or in its `isr`; `isr` ⊆ `replicas`.
 */
import { decodeControllerRecord, type ClusterImage } from '@samsa/coordinator';

export interface BrokerView {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** The registration key's createRevision: a new one per (re)registration. */
  readonly epoch: number;
  /** The port of its replica-fetch listener (issue 14; same host); absent when it registered none. */
  readonly replicationPort?: number;
}

export interface PartitionView {
  readonly topic: string;
  readonly partition: number;
  /** -1: offline (no ISR member is alive). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /**
   * The store revision of the partition record (absent in views built by hand). A record
   * older than its leader's registration (`BrokerView.epoch`) was written for an earlier
   * incarnation of that broker: the restarted broker does not lead it (see
   * `leadsInThisIncarnation`); the controller elects it again in a new epoch.
   */
  readonly modRevision?: number;
}

/**
 * True when `nodeId`, the partition's leader in `view`, may act as leader: it is registered
 * in the view and its current registration is not newer than the partition record. A
 * broker that crashed and re-registered before the controller noticed would otherwise lead
 * again in the epoch its previous incarnation led — with a high watermark from its
 * checkpoint and unsynced writes lost — which breaks "one leader per epoch" and can make
 * followers truncate acknowledged records. The controller treats such a broker as
 * restarted (controller-state.ts `removedForRecord`) and writes a new leader epoch; until
 * then nobody leads. A broker whose registration is gone from the store (its lease expired
 * there, even while its own keepalive clock still counts it valid) does not lead either:
 * the next registration it makes is newer than every record, so it then waits for the
 * controller's new epoch like any restarted broker. Views built by hand (no `modRevision`)
 * skip the check.
 */
export function leadsInThisIncarnation(view: ClusterView, pv: PartitionView, nodeId: number): boolean {
  if (pv.leader !== nodeId) return false;
  if (pv.modRevision === undefined) return true;
  const registered = view.brokers.get(nodeId)?.epoch;
  return registered !== undefined && registered <= pv.modRevision;
}

export interface TopicView {
  readonly name: string;
  /** Kafka uuid text form (22 chars base64url). */
  readonly topicId: string;
  /** Index = partition number. */
  readonly partitions: readonly PartitionView[];
}

export interface ClusterView {
  /** The store revision this view reflects (0: nothing read yet). */
  readonly revision: number;
  readonly clusterId: string;
  /** -1 when no broker holds the controller key. */
  readonly controllerId: number;
  /** The controller key's createRevision (the controller epoch); 0 when none. */
  readonly controllerEpoch: number;
  readonly brokers: ReadonlyMap<number, BrokerView>;
  readonly topics: ReadonlyMap<string, TopicView>;
  readonly topicsById: ReadonlyMap<string, TopicView>;
  readonly topicConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly brokerConfigs: ReadonlyMap<number, Readonly<Record<string, string>>>;
  readonly brokerDefaultConfigs?: Readonly<Record<string, string>>;
}

export function emptyClusterView(clusterId: string): ClusterView {
  return { revision: 0, clusterId, controllerId: -1, controllerEpoch: 0, brokers: new Map(), topics: new Map(), topicsById: new Map(), topicConfigs: new Map(), brokerConfigs: new Map(), brokerDefaultConfigs: {} };
}

/** A snapshot of `image` (copied: later changes to the image do not show through). */
export function viewFromImage(image: ClusterImage, clusterId: string): ClusterView {
  const brokers = new Map<number, BrokerView>();
  for (const [id, b] of image.brokers) brokers.set(id, { nodeId: id, host: b.record.host, port: b.record.port, rack: b.record.rack, epoch: b.createRevision, ...(b.record.replicationPort === undefined ? {} : { replicationPort: b.record.replicationPort }) });
  const topics = new Map<string, TopicView>();
  const topicsById = new Map<string, TopicView>();
  for (const [name, t] of image.topics) {
    const records = image.partitionsOf(name);
    if (records.size !== t.record.partitionCount) continue;
    const partitions: PartitionView[] = [];
    for (let p = 0; p < t.record.partitionCount; p++) {
      const versioned = records.get(p)!;
      const r = versioned.record;
      partitions.push({ topic: name, partition: p, leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch, replicas: [...r.replicas], isr: [...r.isr], modRevision: versioned.modRevision });
    }
    const view: TopicView = { name, topicId: t.record.topicId, partitions };
    topics.set(name, view);
    topicsById.set(t.record.topicId, view);
  }
  const topicConfigs = new Map<string, Readonly<Record<string, string>>>();
  for (const [name, c] of image.topicConfigs) topicConfigs.set(name, { ...c.record.configs });
  const brokerConfigs = new Map<number, Readonly<Record<string, string>>>();
  for (const [id, c] of image.brokerConfigs) brokerConfigs.set(id, { ...c.record.configs });
  const brokerDefaultConfigs = { ...(image.brokerDefaultConfig?.record.configs ?? {}) };
  let controllerId = -1;
  let controllerEpoch = 0;
  if (image.controller) {
    try {
      controllerId = decodeControllerRecord(image.controller.value).brokerId;
      controllerEpoch = image.controller.createRevision;
    } catch {
      // A malformed controller record names no controller.
    }
  }
  return { revision: image.revision, clusterId, controllerId, controllerEpoch, brokers, topics, topicsById, topicConfigs, brokerConfigs, brokerDefaultConfigs };
}
