/**
 * The controller state machine's inputs (requests) and outputs (actions, replies).
 *
 * A `txn` action is a store transaction to run as is; its compares always begin with the
 * fence (controller key createRevision and value). `probe` says how to learn the fate of
 * a txn that ended `unknown-outcome`: it was applied iff key `probe.key` now holds exactly
 * `probe.value` (null: the key is absent). A txn without a probe is idempotent: the state
 * machine re-issues it when its outcome is unknown. The driver feeds each txn's outcome
 * back with `txnCompleted(txnId, outcome)`; every txnId gets exactly one.
 *
 * Every request gets exactly one reply, with a Kafka error name or none.
 */
import type { Txn, TxnOpResult } from '../metadata/metadata-store.ts';

export interface CreateTopicRequest {
  readonly name: string;
  /** -1 or absent: the default (only without an assignment). */
  readonly partitionCount?: number;
  /** -1 or absent: the default (only without an assignment). */
  readonly replicationFactor?: number;
  /** Replica lists by partition (CreateTopics `assignments`); null or absent: assign. */
  readonly assignment?: readonly (readonly number[])[] | null;
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreatePartitionsRequest {
  readonly topic: string;
  /** The new total partition count. */
  readonly totalCount: number;
  /** Replica lists of the new partitions only; null or absent: assign. */
  readonly assignment?: readonly (readonly number[])[] | null;
}

/** `broker-default`: the cluster-wide default broker configs (Kafka's broker resource named ""). */
export type ConfigResource =
  | { readonly type: 'topic'; readonly name: string }
  | { readonly type: 'broker'; readonly brokerId: number }
  | { readonly type: 'broker-default' };

export interface AlterConfigsRequest {
  readonly resource: ConfigResource;
  /** `replace`: the overrides become exactly `configs` (AlterConfigs); `incremental`: set, or delete where null (IncrementalAlterConfigs). */
  readonly mode: 'replace' | 'incremental';
  readonly configs: Readonly<Record<string, string | null>>;
}

/**
 * AlterPartition (KIP-497/KIP-841): the leader of a partition proposes a new ISR, based on
 * the partition state it saw (`leaderEpoch`, `partitionEpoch`). Accepted: written with
 * partitionEpoch + 1, and the reply carries the new state.
 */
export interface AlterPartitionRequest {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  /** The proposer: must be the partition's leader. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** Distinct replicas, the leader among them. */
  readonly newIsr: readonly number[];
  /**
   * KIP-903: the broker epoch (registration createRevision) the leader knows for each
   * `newIsr` member, in the same order; -1 = unknown (not checked). A member whose
   * registration has another epoch (it restarted) is INELIGIBLE_REPLICA. Absent: not checked.
   */
  readonly newIsrBrokerEpochs?: readonly number[];
}

/** What AlterPartition answers (Kafka's AlterPartition response fields). */
export interface PartitionState {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** ElectLeaders: `preferred` moves leadership to the first replica; `unclean` elects a leader for an offline partition, outside the ISR if need be. */
export interface ElectLeadersRequest {
  readonly type: 'preferred' | 'unclean';
  /** null: every partition (then only the partitions an election was tried for are answered). */
  readonly partitions: readonly TopicPartitionRef[] | null;
}

/** AlterPartitionReassignments: per partition, the target replicas, or null to cancel the ongoing reassignment. */
export interface ReassignPartitionsRequest {
  readonly partitions: readonly (TopicPartitionRef & { readonly replicas: readonly number[] | null })[];
}

/** ListPartitionReassignments: null lists every partition being reassigned. */
export interface ListReassignmentsRequest {
  readonly partitions: readonly TopicPartitionRef[] | null;
}

/** A per-partition answer (ElectLeaders, AlterPartitionReassignments): error null = done. */
export interface PartitionResult extends TopicPartitionRef {
  readonly error: ControllerErrorCode | null;
  readonly message: string | null;
}

export interface OngoingReassignment extends TopicPartitionRef {
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export type ControllerErrorCode =
  | 'NOT_CONTROLLER'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_REPLICATION_FACTOR'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'INVALID_CONFIG'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'BROKER_NOT_AVAILABLE'
  | 'REQUEST_TIMED_OUT'
  | 'INVALID_REQUEST'
  // issue 14: AlterPartition, ElectLeaders, reassignments
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'FENCED_LEADER_EPOCH'
  | 'INVALID_UPDATE_VERSION'
  | 'INELIGIBLE_REPLICA'
  | 'UNKNOWN_TOPIC_ID'
  | 'ELECTION_NOT_NEEDED'
  | 'PREFERRED_LEADER_NOT_AVAILABLE'
  | 'ELIGIBLE_LEADERS_NOT_AVAILABLE'
  | 'NO_REASSIGNMENT_IN_PROGRESS';

export type ControllerReply =
  | {
      readonly ok: true;
      readonly topicId?: string;
      /** AlterPartition: the partition's new state. */
      readonly partition?: PartitionState;
      /** ElectLeaders, AlterPartitionReassignments: one result per partition. */
      readonly partitions?: readonly PartitionResult[];
      /** ListPartitionReassignments. */
      readonly reassignments?: readonly OngoingReassignment[];
    }
  | { readonly ok: false; readonly code: ControllerErrorCode; readonly message: string };

export interface Probe {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/**
 * What became of a txn: `applied`; `failed` (a compare did not hold: `results` are the
 * failure branch's); `unknown` (refused after the driver's retries, or timed out and the
 * probe could not tell): not known to be applied, safe to issue again.
 */
export type TxnOutcome =
  | { readonly status: 'applied' }
  | { readonly status: 'failed'; readonly results: readonly TxnOpResult[] }
  | { readonly status: 'unknown' };

export type ControllerAction =
  | { readonly type: 'txn'; readonly txnId: number; readonly txn: Txn; readonly probe: Probe | null }
  | { readonly type: 'reply'; readonly requestId: number; readonly reply: ControllerReply };

export interface ControllerConfig {
  /** `num.partitions`: partitions of a topic created without a count. Default 1. */
  readonly defaultPartitionCount?: number;
  /** `default.replication.factor`. Default 1. */
  readonly defaultReplicationFactor?: number;
  /** Partition puts per txn (etcd allows 128 ops). Default 100. */
  readonly partitionsPerTxnMax?: number;
  /** Partition state changes per txn (each is a compare and a put). Default 60. */
  readonly changesPerTxnMax?: number;
  /** Controller txns in flight at once (requests beyond wait in the queue). Default 64. */
  readonly txnsInFlightMax?: number;
  /** Requests waiting (in flight or queued). Default 10_000. */
  readonly requestsMax?: number;
  /** `unclean.leader.election.enable` for topics without the override. Default false. */
  readonly uncleanLeaderElectionEnable?: boolean;
  /** `auto.leader.rebalance.enable`. Default true (the driver times the checks). */
  readonly autoLeaderRebalanceEnable?: boolean;
  /** `leader.imbalance.per.broker.percentage`. Default 10. */
  readonly leaderImbalancePerBrokerPercentage?: number;
}
