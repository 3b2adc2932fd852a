/**
 * The one module that owns file naming in a log directory (Kafka's `LogFileUtils`).
 *
 * Layout under a log dir (one of `log.dirs`):
 * ```
 * <logDir>/recovery-point-offset-checkpoint     per-dir checkpoints (see checkpoint-file.ts)
 * <logDir>/log-start-offset-checkpoint
 * <logDir>/replication-offset-checkpoint
 * <logDir>/<topic>-<partition>/                  one directory per partition log
 *     00000000000000000000.log                   record batches v2, exactly Kafka's bytes
 *     00000000000000000000.index                 offset index (8-byte slots)
 *     00000000000000000000.timeindex             time index (12-byte slots)
 *     leader-epoch-checkpoint
 *     .samsa_cleanshutdown                       present only while the log is closed cleanly
 * ```
 * Segment files are named by their base offset padded to 20 digits so `ls` sorts them.
 * A suffix after the extension marks a file in transit: `.deleted` (scheduled for async
 * removal), `.cleaned` (cleaner output being written), `.swap` (cleaner output complete,
 * replacing older segments). `.tmp` marks a checkpoint being written.
 */

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const DELETED_FILE_SUFFIX = '.deleted';
export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';
export const TEMP_FILE_SUFFIX = '.tmp';

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
/** Kafka's per-log-dir clean-shutdown marker (for a LogManager that owns a whole dir). */
export const LOG_DIR_CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Samsa's per-partition clean-shutdown marker, written by `Log.close()` of a standalone log. */
export const LOG_CLEAN_SHUTDOWN_FILE = '.samsa_cleanshutdown';

export type SegmentFileKind = 'log' | 'index' | 'timeindex';
const KIND_SUFFIX: Record<SegmentFileKind, string> = { log: LOG_FILE_SUFFIX, index: INDEX_FILE_SUFFIX, timeindex: TIME_INDEX_FILE_SUFFIX };

/** "00000000000000000042" for 42. */
export function offsetFileStem(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad base offset ${offset}`);
  return String(offset).padStart(20, '0');
}

/** File name (no directory) of a segment file, with an optional in-transit suffix (`.swap`...). */
export function segmentFileName(baseOffset: number, kind: SegmentFileKind, transitSuffix = ''): string {
  return offsetFileStem(baseOffset) + KIND_SUFFIX[kind] + transitSuffix;
}

export function joinDir(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function segmentFilePath(dir: string, baseOffset: number, kind: SegmentFileKind, transitSuffix = ''): string {
  return joinDir(dir, segmentFileName(baseOffset, kind, transitSuffix));
}

export interface ParsedSegmentFileName {
  readonly baseOffset: number;
  readonly kind: SegmentFileKind;
  /** '' for a live file, else '.deleted' | '.cleaned' | '.swap'. */
  readonly transitSuffix: '' | typeof DELETED_FILE_SUFFIX | typeof CLEANED_FILE_SUFFIX | typeof SWAP_FILE_SUFFIX;
}

const SEGMENT_FILE_RE = /^(\d{20})\.(log|index|timeindex)(\.deleted|\.cleaned|\.swap)?$/;

/** Parses a segment file name; null for anything else (checkpoints, markers, stray files). */
export function parseSegmentFileName(name: string): ParsedSegmentFileName | null {
  const m = SEGMENT_FILE_RE.exec(name);
  if (!m) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: m[2] as SegmentFileKind, transitSuffix: (m[3] ?? '') as ParsedSegmentFileName['transitSuffix'] };
}

/** `<topic>-<partition>`: the partition directory's name. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Splits `<topic>-<partition>` at the last dash; null when it does not parse (Kafka rejects such dirs). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const partitionText = name.slice(dash + 1);
  if (!/^\d+$/.test(partitionText)) return null;
  const partition = Number(partitionText);
  if (!Number.isSafeInteger(partition) || partition > 0x7fffffff) return null;
  return { topic: name.slice(0, dash), partition };
}

/** Parent directory of a path (`/a/b` → `/a`). */
export function parentDir(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : trimmed.slice(0, i);
}

/** Last path segment. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
