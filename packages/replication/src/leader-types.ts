/**
 * The LeaderReplica's inputs and outputs besides the partition state: its config, the
 * decision on a follower's fetch, the actions it asks the broker to carry out, and the
 * outcomes of its ISR proposals (Kafka's AlterPartition).
 */
import type { EpochEndOffset, EpochHistory } from './epoch-history.ts';
import type { PartitionState } from './partition-state.ts';

export interface LeaderReplicaConfig {
  /** `replica.lag.time.max.ms`: an ISR follower not caught up for longer is proposed out. Default 30_000. */
  readonly replicaLagTimeMaxMs?: number;
  /** acks=all produce requests waiting for the high watermark at once. Default 10_000. */
  readonly waitersMax?: number;
  /** After a proposal ended not applied or unknown: no new or repeated proposal for this long. Default 500. */
  readonly isrProposalBackoffMs?: number;
  /**
   * TEST ONLY: plants a known bug so the property tests can show they catch it. Never set
   * it outside tests. `hw-is-leader-leo`: the high watermark follows the leader's log end
   * offset, ignoring the followers; `shrink-without-lag`: an ISR follower missing any
   * record is proposed out at once, without waiting `replicaLagTimeMaxMs`.
   */
  readonly plantedBug?: 'hw-is-leader-leo' | 'shrink-without-lag';
}

export interface LeaderReplicaInit {
  readonly localBrokerId: number;
  /** The state that made this broker leader: `state.leader` must be `localBrokerId`. */
  readonly state: PartitionState;
  /** The local log at become-leader. Its epoch cache already holds `state.leaderEpoch` at `logEndOffset`. */
  readonly logEndOffset: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** The local log's epoch cache, read when checking a follower's last fetched epoch. */
  readonly epochHistory: EpochHistory;
  readonly nowMs: number;
  readonly config?: LeaderReplicaConfig;
}

/** A follower's fetch as the leader sees it (the fields of ReplicaFetchRequest it needs). */
export interface FollowerFetch {
  readonly replicaId: number;
  readonly replicaIncarnation: string | null;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number | null;
  readonly currentLeaderEpoch: number;
  readonly logStartOffset: number;
}

/**
 * How to answer a follower's fetch. errorCode 0 and divergingEpoch null: read records from
 * the fetch offset and answer with them. Otherwise answer without records. The broker
 * fills the response's high watermark from `highWatermark` (read it again if the answer
 * waits in a long poll).
 */
export interface LeaderFetchDecision {
  readonly errorCode: number;
  readonly divergingEpoch: EpochEndOffset | null;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface IsrProposal {
  readonly proposalId: number;
  /** Compare-and-set base: the proposal applies only while the partition is at these epochs. */
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
  /** Incarnations the members presented in their latest fetch (KIP-903); absent: not fetched in this epoch. */
  readonly incarnations: Readonly<Record<number, string>>;
}

export type LeaderAction =
  /** The high watermark rose: the broker sets it on the log and wakes consumers' long polls. */
  | { readonly type: 'hwAdvanced'; readonly highWatermark: number }
  /** Send the proposal to the controller (AlterPartition); report its fate with `alterPartitionCompleted`. */
  | { readonly type: 'proposeIsr'; readonly proposal: IsrProposal }
  /** Answer the waiting produce request (Kafka error code, 0 = success). */
  | { readonly type: 'completeWaiter'; readonly requestId: number; readonly errorCode: number }
  /** The state names another leader or epoch: this replica is done; the broker replaces it. */
  | { readonly type: 'resigned'; readonly state: PartitionState };

/**
 * What became of a proposal:
 * - `applied`: the controller wrote it; `state` is the new partition state;
 * - `not-applied`: the controller is certain it was not and never will be written
 *   (ineligible replica, operation not attempted): the leader forgets it;
 * - `stale`: the compare-and-set failed (a newer partition or leader epoch exists): the
 *   leader keeps counting the proposed members until a newer state arrives, since an
 *   earlier attempt of the same proposal may have been applied;
 * - `unknown`: no answer (timeout, transport, controller moved): likewise kept, and sent
 *   again after `isrProposalBackoffMs`.
 */
export type AlterPartitionResult =
  | { readonly outcome: 'applied'; readonly state: PartitionState }
  | { readonly outcome: 'not-applied' | 'stale' | 'unknown' };
