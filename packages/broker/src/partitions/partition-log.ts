/**
 * PartitionLog: the narrow slice of a @samsa/log `Log` the broker calls through a
 * partition (`Partition`, the Fetch/ListOffsets handlers, metrics and Metadata through
 * `partition.log`, the registry closing it). The signatures and result types are the
 * log's own (one `AppendResult`, one `ReadResult`, one `TimestampAndOffset`), so `Log`
 * satisfies the interface structurally (checked at compile time below); the store hands
 * out a thin adapter over it (samsa-log-store.ts) that stamps the leader epoch, closes
 * through the LogManager and runs retention on the manager's per-log chain. Tests run on
 * that store too, over the memory file system.
 *
 * Contract:
 *   - `append(bytes, { leaderEpoch })` takes validated record batches whose offsets it
 *     assigns in place, and stamps `leaderEpoch` (the partition's, 0 when omitted) into
 *     each batch's partitionLeaderEpoch; resolves once the batch is durable under the
 *     log's flush policy. An epoch below the latest the log holds is refused
 *     (StaleLeaderEpochError → NOT_LEADER_OR_FOLLOWER), nothing written. Throws
 *     @samsa/log's LogError subclasses, which Partition maps by class and typed `code`
 *     (InvalidRecordBatchError → CORRUPT_MESSAGE, RecordTooLargeError →
 *     MESSAGE_TOO_LARGE, a full disk → retriable KAFKA_STORAGE_ERROR, anything else,
 *     whatever it looks like, → KAFKA_STORAGE_ERROR). Never by message text.
 *   - `read(offset, maxBytes)` returns whole batches from `offset` (at least one batch,
 *     even if larger than maxBytes); throws OffsetOutOfRangeError when offset ∉ [start, end].
 *   - `waitForData(offset, timeoutMs, { signal, watermark })` is the one long-poll
 *     mechanism: true once the watermark passes `offset`; false on timeout, abort or
 *     close; rejects TooManyWaitersError past the log's `waitersMax` (the caller answers
 *     at once instead of parking).
 *   - offsets are JS numbers.
 */
import type { AppendEvent, AppendOptions, AppendResult, EpochEndOffset, FollowerAppendOptions, Log, ReadOptions, ReadResult, SegmentInfo, TimestampAndOffset, Watermark } from '@samsa/log';

export interface WaitForDataOptions {
  readonly signal?: AbortSignal;
  readonly watermark?: Watermark;
}

export interface PartitionLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** What consumers may read up to (the log end on this single node). */
  readonly highWatermark: number;
  readonly sizeBytes: number;
  /** True once a storage error (not a full disk) took the log offline: no reads or writes until a restart. */
  readonly isOffline: boolean;
  append(batches: Uint8Array, options?: AppendOptions): Promise<AppendResult>;
  /** Whole batches from `offset`; empty when offset === logEndOffset. */
  read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult>;
  /** ListOffsets: -2 earliest, -1 latest, -3 max timestamp, else first offset with timestamp ≥ ts; null when none. */
  offsetForTimestamp(timestampMs: number): Promise<TimestampAndOffset | null>;
  /** Every segment's base offset, size and last modification time, oldest first (ListOffsets v0). */
  segmentInfos(): Promise<readonly SegmentInfo[]>;
  /**
   * OffsetsForLeaderEpoch (KIP-101/279, @samsa/log's `Log.endOffsetForEpoch`): the largest
   * epoch ≤ `leaderEpoch` the log holds and where it ends (the next epoch's start offset,
   * or the log end for the latest); (-1, -1) for an epoch newer than any it holds.
   */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset;
  /**
   * Removes every batch at or beyond `offset` (a batch holding it goes whole) and the
   * leader epochs that start there; durable when it resolves. False when nothing was
   * removed. Callers go through `Partition.truncateTo`, which also fixes producer state.
   */
  truncateTo(offset: number): Promise<boolean>;
  /**
   * Replication (issue 14), the follower's write: batches copied from the leader, their
   * offsets and leader epochs kept (`allowGaps` for a compacted leader log); the epoch
   * cache learns each new epoch from the batches. Callers go through
   * `Partition.appendReplicated`, which also keeps producer state.
   */
  appendAsFollower(batches: Uint8Array, options?: FollowerAppendOptions): Promise<AppendResult>;
  /**
   * Replication: moves the high watermark (clamped to [logStartOffset, logEndOffset]) and
   * wakes long polls waiting on it; returns the value set. Only meaningful on a log opened
   * with a manual high watermark (a cluster broker's): a single broker's follows its end.
   */
  updateHighWatermark(offset: number): number;
  /** Replication, become-leader: the new leader epoch starts at `startOffset` (the log end). Checkpointed. */
  assignEpochStartOffset(epoch: number, startOffset: number): Promise<void>;
  /** Replication: the latest leader epoch in the epoch cache; null when it is empty. */
  latestEpoch(): number | null;
  /** Replication: empties the log and restarts it at `offset` (a follower below the leader's log start). Durable when it resolves. */
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /** Calls `listener` synchronously after every append (leader or follower); returns the unsubscribe function. */
  onAppend(listener: (event: AppendEvent) => void): () => void;
  /** Moves the log start offset forward (DeleteRecords); returns the new start. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /** Long poll: see the contract above. */
  waitForData(offset: number, timeoutMs: number, options?: WaitForDataOptions): Promise<boolean>;
  close(): Promise<void>;
}

/** Compile-time check: @samsa/log's Log is a PartitionLog as it is (no look-alike types in between). */
type Holds<T extends true> = T;
export type LogIsPartitionLog = Holds<Log extends PartitionLog ? true : false>;

/** Opens and deletes partition logs (the LogManager adapter). */
export interface RemoveOptions {
  /** Remove the files before resolving instead of after the delete delay (a full disk needs the space now). */
  readonly immediately?: boolean;
}

export interface PartitionLogStore {
  open(topic: string, partition: number, config: PartitionLogConfig): Promise<PartitionLog>;
  /** Deletes the partition's directory (after its log was closed). */
  remove(topic: string, partition: number, options?: RemoveOptions): Promise<void>;
  /** Applies changed topic configs to an open log, if the store supports it. */
  reconfigure?(log: PartitionLog, config: PartitionLogConfig): void;
  /** Flushes and closes every log it opened (the registry does not close them one by one), then whatever else it holds. */
  close(): Promise<void>;
}

/** What the broker knows about a topic's storage settings (from EffectiveTopicConfig). */
export interface PartitionLogConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly segmentIndexBytes: number;
  readonly indexIntervalBytes: number;
  readonly maxMessageBytes: number;
  readonly logAppendTime: boolean;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly cleanupPolicy: readonly string[];
  /** Compaction settings (EffectiveTopicConfig has them; absent → the log's defaults). */
  readonly deleteRetentionMs?: number;
  readonly minCompactionLagMs?: number;
  readonly minCleanableDirtyRatio?: number;
  readonly fileDeleteDelayMs?: number;
}
