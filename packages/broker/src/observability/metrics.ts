/**
 * Metrics: the hook the app implements (with prom-client in apps/broker-node).
 *
 * Counters and histograms are pushed by the broker as things happen. Gauges that are
 * expensive or naturally "current" (partitions, log sizes, end offsets) are pulled: the
 * app calls `broker.metricsSnapshot()` on scrape (see broker.ts) instead.
 * Every method must be cheap and must not throw.
 */
import type { FreeSpaceState } from '../partitions/free-space-guard.ts';

export interface Metrics {
  /** One request handled: API name (e.g. "Produce"), version, seconds from frame to response queued, error (true if the connection was closed for it). */
  requestCompleted(api: string, apiVersion: number, latencySeconds: number): void;
  /** Request bytes read from sockets (frames incl. the size prefix). */
  bytesIn(bytes: number): void;
  /** Response bytes queued for sockets. */
  bytesOut(bytes: number): void;
  /** Records appended, per topic. */
  recordsIn(topic: string, records: number): void;
  /** Records converted between message formats for an old client: `api` "Produce" (magic 0/1 → 2) or "Fetch" (2 → 0/1). */
  messageFormatConversions(api: string, records: number): void;
  /** A connection was accepted (+1) or closed (-1). */
  connectionsChanged(delta: number): void;
  /** A connection was refused or closed for a protocol violation; `reason` is a short stable code. */
  connectionRejected(reason: string): void;
  /** A request of `api` had `bytes` left after its body; they were ignored, as Kafka does. */
  requestTrailingBytes(api: string, bytes: number): void;
}

export const noopMetrics: Metrics = {
  requestCompleted: () => {},
  bytesIn: () => {},
  bytesOut: () => {},
  recordsIn: () => {},
  messageFormatConversions: () => {},
  connectionsChanged: () => {},
  connectionRejected: () => {},
  requestTrailingBytes: () => {},
};

/** What `broker.metricsSnapshot()` returns for the app's gauges. */
export interface PartitionGauge {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly sizeBytes: number;
}

/** The group coordinator's share of the snapshot: current groups by state, and monotonic counters. */
export interface GroupsGauge {
  /** Groups per state (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead); absent states are 0. */
  readonly byState: Readonly<Record<string, number>>;
  /** Join phases completed (each one a new generation). */
  readonly rebalancesTotal: number;
  /** Partition offsets acknowledged to committers (its rate is the commit rate). */
  readonly offsetCommitsTotal: number;
  /** Offsets removed by `offsets.retention.minutes`. */
  readonly offsetsExpiredTotal: number;
  /** Members removed because their session timed out. */
  readonly membersExpiredTotal: number;
  /** Members removed because they joined but sent no SyncGroup within the rebalance timeout. */
  readonly pendingSyncMembersRemovedTotal: number;
}

/** The log dir's space and the low-disk protection (partitions/free-space-guard.ts). */
export interface DiskGauge extends FreeSpaceState {
  /** Partitions whose log went offline after a storage error (not a full disk); they need a restart. */
  readonly offlinePartitions: number;
}

/** Replication (cluster mode only): Kafka's ReplicaManager gauges, from this broker's view. */
export interface ReplicationGauge {
  /** Partitions this broker leads with writes open. */
  readonly leaderPartitions: number;
  /** Partitions this broker follows (fetching from their leader). */
  readonly followerPartitions: number;
  /** Led partitions whose ISR is smaller than their replica set (Kafka's UnderReplicatedPartitions). */
  readonly underReplicatedPartitions: number;
  /** Led partitions whose ISR is smaller than their min.insync.replicas (acks=all refused). */
  readonly underMinIsrPartitions: number;
  /** ISR changes of led partitions since start (Kafka's IsrShrinksPerSec / IsrExpandsPerSec, as totals). */
  readonly isrShrinksTotal: number;
  readonly isrExpandsTotal: number;
  /** The controller only: partitions of the cluster without a live leader (Kafka's OfflinePartitionsCount). */
  readonly offlinePartitions?: number;
}

export interface MetricsSnapshot {
  readonly connections: number;
  readonly topics: number;
  readonly partitions: readonly PartitionGauge[];
  readonly groups: GroupsGauge;
  readonly disk: DiskGauge;
  /** Absent on a single broker. */
  readonly replication?: ReplicationGauge;
}
