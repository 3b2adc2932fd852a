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
  | 'INVALID_REQUEST';

export type ControllerReply =
  | { readonly ok: true; readonly topicId?: string }
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
}
