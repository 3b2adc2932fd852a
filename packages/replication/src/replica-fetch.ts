/**
 * The replica fetch as plain data: what a follower asks its leader for one partition and
 * what it needs back. The transport (msgpackr frames, long polling, byte limits) has its
 * own wire types; the broker maps between the two. Records never enter the state
 * machines: a response describes its record batches by offsets only, and the broker keeps
 * the bytes to append.
 *
 * Conventions: offsets are non-negative safe integers; "no epoch" is null (the wire's -1).
 */
import type { EpochEndOffset } from './epoch-history.ts';

export interface ReplicaFetchRequest {
  /** Identifies the fetch within its FollowerReplica: a response is only accepted for the fetch in flight. */
  readonly fetchId: number;
  readonly topic: string;
  readonly partition: number;
  readonly replicaId: number;
  /**
   * The follower's registration incarnation (KIP-903's broker epoch): the leader passes it
   * on in ISR proposals so the controller refuses to add a replica that restarted since.
   */
  readonly replicaIncarnation: string | null;
  /** The follower's log end offset: it has every record below. */
  readonly fetchOffset: number;
  /** Epoch of the follower's last record (its epoch cache's latest); null with an empty cache. */
  readonly lastFetchedEpoch: number | null;
  /** The leader epoch the follower believes in; the leader fences any other. */
  readonly currentLeaderEpoch: number;
  readonly logStartOffset: number;
}

/** The record batches of a response, described by offsets (the bytes stay with the broker). */
export interface FetchedRecords {
  /** Base offset of the first batch (may be below the fetch offset only at a mid-batch log start). */
  readonly firstOffset: number;
  /** Last offset of the last batch: the follower's log end offset becomes lastOffset + 1. */
  readonly lastOffset: number;
  readonly sizeBytes: number;
  /** Highest partition leader epoch stamped in the batches (never above the leader's epoch). */
  readonly maxLeaderEpoch: number;
}

export interface ReplicaFetchResponse {
  /** A Kafka error code (ErrorCode from @samsa/codec); 0 = none. */
  readonly errorCode: number;
  /** Leader's high watermark (-1 when errorCode ≠ 0 and unknown). */
  readonly highWatermark: number;
  /** Leader's log start offset (-1 when unknown); also sent with OFFSET_OUT_OF_RANGE. */
  readonly logStartOffset: number;
  /** KIP-320: the follower's last fetched epoch ends earlier on the leader (no records then). */
  readonly divergingEpoch: EpochEndOffset | null;
  readonly records: FetchedRecords | null;
}
