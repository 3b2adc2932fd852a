/**
 * The value types of the log's API (log.ts re-exports them): append options and results,
 * read options and results, append events, the ListOffsets special timestamps and the
 * bounds on queued writers and listeners. Types and constants only, no behaviour.
 */
import type { Clock, FileSystem } from '@samsa/runtime';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { LogConfig } from './log-config.ts';
import type { SegmentContext } from './log-segment.ts';
import type { LogLogger } from './logger.ts';
import type { SegmentSet } from './segment-set.ts';

/** ListOffsets special timestamps. */
export const LIST_OFFSETS_LATEST = -1;
export const LIST_OFFSETS_EARLIEST = -2;
export const LIST_OFFSETS_MAX_TIMESTAMP = -3;
export const LIST_OFFSETS_EARLIEST_LOCAL = -4;

/** Bound on queued writers and on onAppend listeners. */
export const WRITERS_QUEUED_MAX = 100_000;
export const APPEND_LISTENERS_MAX = 1024;

export interface AppendOptions {
  /** Leader epoch stamped into every batch (and assigned in the epoch cache). Default: keep the batch's. */
  readonly leaderEpoch?: number;
  /** Wait for a sync covering this append whatever the flush policy says. */
  readonly requireSync?: boolean;
}

export interface FollowerAppendOptions {
  /** Accept a gap before the first batch and between batches (compacted leader). Default false. */
  readonly allowGaps?: boolean;
  readonly requireSync?: boolean;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The broker's append time for log-append-time topics, else -1. */
  readonly logAppendTimeMs: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestamp: number;
  readonly batchCount: number;
  readonly recordCount: number;
  readonly sizeBytes: number;
  readonly logStartOffset: number;
  /** True when a sync covering this append completed before the promise resolved. */
  readonly synced: boolean;
}

export interface ReadOptions {
  /** Exclusive upper bound on offsets returned (e.g. the high watermark). Default: log end offset. */
  readonly maxOffset?: number;
  /** Return the first batch even when it is larger than maxBytes (Kafka's default). Default true. */
  readonly minOneMessage?: boolean;
  /**
   * Read into this buffer when it is large enough (the result is then a view of it, valid
   * until the caller reuses it). Saves the zero-fill of a fresh buffer per read.
   */
  readonly scratch?: Uint8Array;
}

export interface ReadResult {
  /** Whole record batches (possibly none). The first batch may start before `fromOffset`. */
  readonly records: Uint8Array;
  readonly fromOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

export interface AppendEvent {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly logEndOffset: number;
}

export type Watermark = 'log-end' | 'high-watermark';

/** What a segment summary holds for retention planning (see retention/retention-plan.ts). */
export interface SegmentInfo {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  readonly largestTimestampMs: number;
  readonly lastModifiedMs: number;
}

export interface LogState {
  readonly segments: SegmentSet;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly recoveryPoint: number;
  readonly highWatermark: number;
}

/** The offsets a log's checkpoint files record (a Log has them). */
export interface CheckpointedOffsets {
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** Hooks into the owner (standalone open-log or a LogManager) for checkpoints. */
export interface LogHost {
  /** Called after changes a restart must not lose: log start offset moved, truncation. */
  readonly persistCheckpoints: (log: CheckpointedOffsets) => Promise<void>;
  /** Writes the clean-shutdown marker after a clean close (may do nothing). */
  readonly onCleanClose: (log: CheckpointedOffsets) => Promise<void>;
}

export interface LogParams {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly config: LogConfig;
  readonly logger: LogLogger;
  readonly ctx: SegmentContext;
  readonly epochCache: LeaderEpochCache;
  readonly state: LogState;
  /** 'log-end': the high watermark follows the log end (no replication). 'manual': `updateHighWatermark`. */
  readonly highWatermarkMode: 'log-end' | 'manual';
  readonly host: LogHost;
}
