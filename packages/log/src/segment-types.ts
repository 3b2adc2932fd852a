/**
 * The value types of a segment's API (log-segment.ts re-exports them): the context a
 * segment is built with, open and recovery options, read and recovery results. Types only.
 */
import type { Clock, FileSystem } from '@samsa/runtime';
import type { LogConfig } from './log-config.ts';

export interface SegmentContext {
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** The owning log's config; `Log.updateConfig` replaces it (segmentIndexBytes never changes). */
  config: LogConfig;
  /** The partition directory. */
  readonly dir: string;
  /** Reports indices rebuilt at load time. */
  readonly onIndexRebuilt?: (baseOffset: number, reason: string) => void;
}

export interface SegmentOpenOptions {
  /** '' (live) or a transit suffix such as '.cleaned' / '.swap'. */
  readonly suffix?: string;
  /** The active segment keeps its index files preallocated. */
  readonly active?: boolean;
}

/** Where a batch holding an offset lies in the file. */
export interface BatchPosition {
  readonly position: number;
  readonly sizeBytes: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface SegmentRead {
  /** Whole batches: a fresh buffer, or a view of the caller's scratch buffer when one was given and large enough. */
  readonly records: Uint8Array;
  /** File position of the first batch. */
  readonly position: number;
  readonly firstBatchBaseOffset: number;
}

export interface TimestampAndOffset {
  readonly timestamp: number;
  readonly offset: number;
  /** The batch's partition leader epoch (-1 when none). */
  readonly leaderEpoch: number;
}

export interface RecoverOptions {
  /** Offsets below it were synced (the recovery point). Default: the base offset (nothing trusted). */
  readonly syncedBelowOffset?: number;
  /**
   * Start from the offset-index entry at the recovery point instead of the segment start.
   * Only for the log's last segment (whose index files are written in pairs, synced; see
   * segment-indexes.ts) and with the leader epochs below the recovery point on disk.
   */
  readonly fromIndexEntry?: boolean;
  /** The first offset re-read, before any `onBatch` (the epoch cache truncates there). */
  readonly onScanStart?: (offset: number) => void;
  readonly onBatch?: (leaderEpoch: number, baseOffset: number) => void;
}

export interface RecoverResult {
  readonly truncatedBytes: number;
  /** Why the scan stopped before the end (validation reason), or null when it did not. */
  readonly reason: string | null;
  /** Last offset + 1 of the last valid batch, or the base offset when none. */
  readonly nextOffset: number;
  /** The file position recovery started reading at (0 unless it started from an index entry). */
  readonly scanStartPosition: number;
}

/** Statistics of the batches of one append, computed by the log while it validated them. */
export interface AppendStats {
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly offsetOfMaxTimestamp: number;
}
