/**
 * Errors of @samsa/log: one class per expected failure, each with a stable `code`.
 *
 * Programmer errors (an offset that is not a safe integer, a call after close) are
 * assertions ({@link LogAssertionError}); everything a caller can cause with valid use
 * (bad batches, offsets out of range, I/O failures) is a typed {@link LogError} subclass.
 * The broker maps `code` to a Kafka error code; these are never thrown across the wire.
 */
import { FileSystemError } from '@samsa/runtime';

export type LogErrorCode =
  | 'invalid-record-batch'
  | 'invalid-record'
  | 'record-too-large'
  | 'record-batch-too-large'
  | 'offset-out-of-range'
  | 'non-contiguous-offset'
  | 'log-offline'
  | 'log-closed'
  | 'storage-error'
  | 'no-space'
  | 'corrupt-index'
  | 'corrupt-checkpoint'
  | 'too-many-waiters'
  | 'invalid-argument'
  | 'segments-changed'
  | 'stale-leader-epoch';

export class LogError extends Error {
  override readonly name: string = 'LogError';
  readonly code: LogErrorCode;
  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A batch failed validation (framing, magic, CRC-32C, record count...). Nothing was appended. */
export class InvalidRecordBatchError extends LogError {
  override readonly name = 'InvalidRecordBatchError';
  /** The codec's reason (e.g. "bad-crc", "truncated"). */
  readonly reason: string;
  /** Byte position of the offending batch within the appended buffer. */
  readonly position: number;
  constructor(reason: string, position: number, detail?: string) {
    super('invalid-record-batch', `invalid record batch at byte ${position}: ${reason}${detail ? ` (${detail})` : ''}`);
    this.reason = reason;
    this.position = position;
  }
}

/** One record a leader refuses, by its index in its batch (Kafka's RecordError). */
export interface RecordRejection {
  readonly batchIndex: number;
  readonly message: string;
}

/**
 * Well-formed records the log refuses (Kafka INVALID_RECORD with record errors), such as a
 * record without a key on a compacted log. Nothing was appended. `recordErrors` lists
 * every refused record of the first batch that had any (bounded by that batch's records).
 */
export class InvalidRecordError extends LogError {
  override readonly name = 'InvalidRecordError';
  /** Byte position of the offending batch within the appended buffer. */
  readonly position: number;
  readonly recordErrors: readonly RecordRejection[];
  constructor(position: number, recordErrors: readonly RecordRejection[]) {
    const shown = recordErrors.slice(0, 3).map((e) => `record ${e.batchIndex}: ${e.message}`).join('; ');
    super('invalid-record', `${recordErrors.length} record(s) of the batch at byte ${position} refused (${shown}${recordErrors.length > 3 ? '; …' : ''})`);
    this.position = position;
    this.recordErrors = recordErrors;
  }
}

/** A single batch is larger than `maxMessageBytes` (Kafka RECORD_TOO_LARGE). */
export class RecordTooLargeError extends LogError {
  override readonly name = 'RecordTooLargeError';
  constructor(sizeBytes: number, maxBytes: number) {
    super('record-too-large', `record batch of ${sizeBytes} bytes exceeds max.message.bytes ${maxBytes}`);
  }
}

/** One append is larger than a whole segment (Kafka RECORD_BATCH_TOO_LARGE). */
export class RecordBatchTooLargeError extends LogError {
  override readonly name = 'RecordBatchTooLargeError';
  constructor(sizeBytes: number, maxBytes: number) {
    super('record-batch-too-large', `append of ${sizeBytes} bytes exceeds segment.bytes ${maxBytes}`);
  }
}

export class OffsetOutOfRangeError extends LogError {
  override readonly name = 'OffsetOutOfRangeError';
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  constructor(offset: number, logStartOffset: number, logEndOffset: number) {
    super('offset-out-of-range', `offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`);
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** A follower append whose offsets do not continue the log end offset (or go backwards). */
export class NonContiguousOffsetError extends LogError {
  override readonly name = 'NonContiguousOffsetError';
  constructor(message: string) {
    super('non-contiguous-offset', message);
  }
}

/** The log hit a storage error earlier and refuses writes until reopened (Kafka's offline log dir). */
export class LogOfflineError extends LogError {
  override readonly name = 'LogOfflineError';
  constructor(dir: string, options?: { cause?: unknown }) {
    super('log-offline', `log ${dir} is offline after a storage error; reopen it`, options);
  }
}

export class LogClosedError extends LogError {
  override readonly name = 'LogClosedError';
  constructor(dir: string) {
    super('log-closed', `log ${dir} is closed`);
  }
}

/**
 * A log opened on a clean-shutdown marker trusted its checkpointed end, and the active
 * segment's files say otherwise (a marker or checkpoint written by a process whose view was
 * stale, or files changed by hand). Not a LogError on purpose: the log that sees it goes
 * offline like on any storage failure, as a LogStorageError whose `cause` is this error;
 * LogManager.getOrCreateLog recovers such a log from its files instead.
 */
export class CleanShutdownMismatchError extends Error {
  override readonly name = 'CleanShutdownMismatchError';
  readonly code = 'clean-shutdown-mismatch';
  readonly path: string;
  readonly expectedNextOffset: number;
  readonly actualNextOffset: number;
  constructor(path: string, expectedNextOffset: number, actualNextOffset: number) {
    super(`segment ${path} ends before offset ${actualNextOffset}, but the clean-shutdown checkpoint said ${expectedNextOffset}; the log is recovered from its files at the next open`);
    this.path = path;
    this.expectedNextOffset = expectedNextOffset;
    this.actualNextOffset = actualNextOffset;
  }
}

/** A file-system operation failed; the log that saw it goes offline. `cause` is the FileSystemError. */
export class LogStorageError extends LogError {
  override readonly name = 'LogStorageError';
  readonly dir: string;
  constructor(dir: string, operation: string, options?: { cause?: unknown }) {
    const causeMessage = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('storage-error', `storage error in ${dir} during ${operation}${causeMessage}`, options);
    this.dir = dir;
  }
}

/**
 * A write failed because the file system is full ('no-space'), and the log undid it: the
 * bytes of a half-written batch were cut off again, a half-made segment removed. Nothing
 * of this call was appended; the log stays online, readable and writable once space
 * returns. `cause` is the FileSystemError. (When the undo itself fails the log goes
 * offline and the caller gets LogStorageError instead.)
 */
export class LogNoSpaceError extends LogError {
  override readonly name = 'LogNoSpaceError';
  readonly dir: string;
  constructor(dir: string, operation: string, options?: { cause?: unknown }) {
    super('no-space', `no space left for ${dir} during ${operation}; nothing was written`, options);
    this.dir = dir;
  }
}

export class CorruptIndexError extends LogError {
  override readonly name = 'CorruptIndexError';
  constructor(path: string, detail: string) {
    super('corrupt-index', `corrupt index ${path}: ${detail}`);
  }
}

export class CorruptCheckpointError extends LogError {
  override readonly name = 'CorruptCheckpointError';
  constructor(path: string, detail: string) {
    super('corrupt-checkpoint', `corrupt checkpoint ${path}: ${detail}`);
  }
}

/** More concurrent `waitForData` callers than `waitersMax`. */
export class TooManyWaitersError extends LogError {
  override readonly name = 'TooManyWaitersError';
  constructor(waitersMax: number) {
    super('too-many-waiters', `more than ${waitersMax} waiters on one log`);
  }
}

export class InvalidArgumentError extends LogError {
  override readonly name = 'InvalidArgumentError';
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/**
 * A compaction pass went stale: a segment it cleaned left the log (truncation, retention,
 * another swap) while it worked. Nothing was swapped; the cleaner drops its output.
 */
export class SegmentsChangedError extends LogError {
  override readonly name = 'SegmentsChangedError';
  constructor(baseOffset: number) {
    super('segments-changed', `segment ${baseOffset} is no longer in the log; compaction pass abandoned`);
  }
}

/**
 * A leader append stamped with an epoch older than the latest the log holds: a leader
 * that was replaced (a newer epoch's records are already in this log) must not write.
 * Accepting it would also rewrite the epoch history backwards (the cache drops every
 * newer entry to stay monotonic). Nothing was appended; the broker answers
 * NOT_LEADER_OR_FOLLOWER.
 */
export class StaleLeaderEpochError extends LogError {
  override readonly name = 'StaleLeaderEpochError';
  readonly leaderEpoch: number;
  readonly latestEpoch: number;
  constructor(leaderEpoch: number, latestEpoch: number) {
    super('stale-leader-epoch', `append stamped with leader epoch ${leaderEpoch}, but the log already holds epoch ${latestEpoch}`);
    this.leaderEpoch = leaderEpoch;
    this.latestEpoch = latestEpoch;
  }
}

/** True for a full file system: a FileSystemError 'no-space' (ENOSPC, EDQUOT) or a LogNoSpaceError. */
export function isNoSpace(e: unknown): boolean {
  return (e instanceof FileSystemError && e.code === 'no-space') || e instanceof LogNoSpaceError;
}

/**
 * Awaits `work`: true when it completed, false when it failed on a full disk (isNoSpace);
 * any other failure rejects. For writes a full disk may skip (checkpoints kept for later).
 */
export async function completedUnlessNoSpace(work: Promise<unknown>): Promise<boolean> {
  try {
    await work;
    return true;
  } catch (e) {
    if (!isNoSpace(e)) throw e;
    return false;
  }
}

/** A broken invariant: a bug in the caller or in this package, never an expected failure. */
export class LogAssertionError extends Error {
  override readonly name = 'LogAssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new LogAssertionError(message);
}

/** Offsets and timestamps are numbers inside the engine; anything beyond 2^53 is a bug. */
export function assertSafeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new LogAssertionError(`${what} must be a safe integer, got ${value}`);
}
