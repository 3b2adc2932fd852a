/**
 * Partition: one local replica of a topic-partition — its log and its idempotent-producer
 * state. The single-node broker is always the leader (`isLeader` true, `leaderEpoch` 0),
 * the ISR is {this node}, and the high watermark (the log's) equals the log end offset.
 * In a cluster the topic registry sets `isLeader` and `leaderEpoch` from each applied
 * view (topic-registry.ts `applyView`); the handlers refuse client reads and writes on a
 * replica that is not the leader (handlers/leadership.ts), not this class. Every append
 * is stamped with `leaderEpoch` as it is then (the log refuses an epoch older than the
 * latest it holds: NOT_LEADER_OR_FOLLOWER).
 *
 * Long polls wait on the log (`waitForData` on the high watermark), the one mechanism:
 * the log wakes them when data arrives. The partition only holds the AbortController of
 * each parked poll, so shutdown (`endPolls`) and close can end them. Past the log's waiter
 * bound `waitForData` rejects (TooManyWaitersError) and the caller answers at once with
 * what it has.
 *
 * Appends are serialized per partition (a promise chain), because the producer-state
 * check and the append must be atomic: two pipelined batches of one producer must not
 * both pass the sequence check before either is appended. Reads are not serialized.
 *
 * Produce validation (nothing is appended on failure): exactly one batch (Produce v3+
 * rule) → size ≤ max.message.bytes → magic 2 → producer sequence/epoch check → the log's
 * append, which validates framing, CRC-32C and the records' framing before writing
 * (InvalidRecordBatchError → CORRUPT_MESSAGE, or INVALID_RECORD for record-level
 * framing), and applies the leader checks with the topic's current config (the registry
 * hands every config change to the log before the next append): a record without a key
 * on a compacted topic → INVALID_RECORD with one record error per keyless record
 * (InvalidRecordError); on CreateTime topics a wrong header maxTimestamp is corrected.
 * A compressed payload is decompressed once for those checks (as Kafka's LogValidator).
 *
 * Log errors cross into Kafka error codes by class (@samsa/log's LogError subclasses and
 * their typed `code`), never by message or by a look-alike `code` property: anything else
 * thrown by the log is KAFKA_STORAGE_ERROR.
 */
import {
  batchBaseOffset,
  batchBaseSequence,
  batchLastOffsetDelta,
  batchMagic,
  batchMaxTimestamp,
  batchProducerEpoch,
  batchProducerId,
  batchRecordCount,
  batchTimestampType,
  ErrorCode,
  forEachBatch,
  RECORD_BATCH_HEADER_BYTES,
  splitRecordBatches,
} from '@samsa/codec';
import { InvalidRecordBatchError, InvalidRecordError, isNoSpace, LogClosedError, LogError, OffsetOutOfRangeError } from '@samsa/log';
import type { AppendResult } from '@samsa/log';
import type { EffectiveTopicConfig } from '../config/topic-config.ts';
import { ProducerStateTable } from '../producer/producer-state.ts';
import type { PartitionLog } from './partition-log.ts';
import { wholeBatchesWithin } from './whole-batches.ts';

export interface ProduceOutcome {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly baseOffset: number;
  /** Offset of the batch's last record (-1 on error); a duplicate's is the original's. acks=all waits for the HW past it. */
  readonly lastOffset: number;
  readonly logAppendTimeMs: number;
  readonly logStartOffset: number;
  /** Produce v8+: which records (by index in the batch) were bad. */
  readonly recordErrors: ReadonlyArray<{ readonly batchIndex: number; readonly batchIndexErrorMessage: string | null }>;
  /** Records appended (0 on error or duplicate). */
  readonly recordCount: number;
}

export interface FetchOutcome {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: Uint8Array | null;
}

const REBUILD_READ_BYTES = 1024 * 1024;
/**
 * Producer state is rebuilt from at most the last this-many offsets of the log. A producer
 * whose batches all lie further back is simply unknown after a restart, and Kafka accepts
 * any sequence from an unknown producer — so the bound costs duplicate detection only for
 * batches far older than any retry, and keeps startup time bounded on big logs.
 */
export const PRODUCER_REBUILD_OFFSETS_MAX = 500_000;
const SEQUENCE_MAX = 0x7fffffff;

export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: PartitionLog;
  readonly producers = new ProducerStateTable();
  /** True while this broker leads the partition (always on a single broker). */
  isLeader = true;
  /** The leader epoch of the last applied view (0 on a single broker). */
  leaderEpoch = 0;
  /**
   * Replication (cluster mode): false until the replica manager has set this replica up as
   * leader for `leaderEpoch` (the epoch's start offset assigned, its LeaderReplica built),
   * and again from the moment it resigns. Appends need `isLeader && writable` when they
   * reach the front of the append chain, so nothing is written in an epoch the replication
   * layer does not track, nor by a replica that just became a follower. Always true on a
   * single broker.
   */
  writable = true;
  /**
   * Replication (cluster mode), on a follower: the leader's high watermark in its latest
   * fetch answer (what this replica's lag is measured against, DescribeLogDirs
   * `offsetLag`); null while leading or before the first answer.
   */
  leaderHighWatermark: number | null = null;
  #config: EffectiveTopicConfig;
  #appendChain: Promise<unknown> = Promise.resolve();
  /**
   * The long polls parked on the log, kept only so shutdown and close can end them (the
   * log wakes them on data). Each leaves the set when its wait settles; at most the log's
   * waiter bound of them are parked.
   */
  readonly #parked = new Set<AbortController>();
  #pollsEnded = false;
  #closed = false;

  constructor(topic: string, index: number, log: PartitionLog, config: EffectiveTopicConfig) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.#config = config;
  }

  get config(): EffectiveTopicConfig {
    return this.#config;
  }

  set config(config: EffectiveTopicConfig) {
    this.#config = config;
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  /** Validates, checks producer state and appends one Produce partition's records. */
  produce(records: Uint8Array | null): Promise<ProduceOutcome> {
    const rejected = this.#validate(records);
    if (rejected) return Promise.resolve(rejected);
    const batch = records!;
    const run = this.#appendChain.then(() => this.#appendValidated(batch));
    this.#appendChain = run.catch(() => {});
    return run;
  }

  /**
   * A batch the broker refused before the append with the retriable `errorCode` (min ISR,
   * leadership, low disk): noted in producer state on the append chain, after every append
   * queued before it, so the producer's pipelined later batches get the same retriable
   * answer instead of OUT_OF_ORDER_SEQUENCE_NUMBER (producer-state.ts, "Refused heads").
   */
  noteRefused(records: Uint8Array | null, errorCode: number): void {
    if (records === null || records.byteLength < RECORD_BATCH_HEADER_BYTES || batchMagic(records, 0) !== 2) return;
    const producerId = batchProducerId(records, 0);
    if (producerId < 0) return;
    const epoch = batchProducerEpoch(records, 0);
    const firstSeq = batchBaseSequence(records, 0);
    const run = this.#appendChain.then(() => this.producers.noteRefused(producerId, epoch, firstSeq, errorCode));
    this.#appendChain = run.catch(() => {});
  }

  #outcome(errorCode: number, errorMessage: string | null, extra: Partial<ProduceOutcome> = {}): ProduceOutcome {
    return {
      errorCode,
      errorMessage,
      baseOffset: -1,
      lastOffset: -1,
      logAppendTimeMs: -1,
      logStartOffset: this.log.logStartOffset,
      recordErrors: [],
      recordCount: 0,
      ...extra,
    };
  }

  #validate(records: Uint8Array | null): ProduceOutcome | null {
    if (records === null || records.byteLength === 0) return this.#outcome(ErrorCode.INVALID_RECORD, 'Produce request carries no record batch');
    const { batches, truncatedBytes } = splitRecordBatches(records);
    if (truncatedBytes > 0 || batches.length === 0) return this.#outcome(ErrorCode.CORRUPT_MESSAGE, 'Record batch is truncated');
    if (batches.length !== 1) return this.#outcome(ErrorCode.INVALID_RECORD, 'Produce requests v3+ must carry exactly one record batch per partition');
    if (records.byteLength > this.#config.maxMessageBytes) {
      return this.#outcome(ErrorCode.MESSAGE_TOO_LARGE, `Record batch of ${records.byteLength} bytes exceeds max.message.bytes ${this.#config.maxMessageBytes}`);
    }
    // Framing, CRC-32C and the records' own framing are checked by the log's append,
    // before anything is written (one pass over the bytes, not two).
    if (records.byteLength < RECORD_BATCH_HEADER_BYTES || batchMagic(records, 0) !== 2) {
      return this.#outcome(ErrorCode.CORRUPT_MESSAGE, 'Record batch header is not magic v2');
    }
    return null;
  }

  async #appendValidated(batch: Uint8Array): Promise<ProduceOutcome> {
    if (this.#closed) return this.#outcome(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'Partition is closing');
    const producerId = batchProducerId(batch, 0);
    const epoch = batchProducerEpoch(batch, 0);
    const firstSeq = batchBaseSequence(batch, 0);
    if (!this.isLeader || !this.writable) {
      this.producers.noteRefused(producerId, epoch, firstSeq, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return this.#outcome(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'This broker does not lead the partition now');
    }
    const lastSeq = lastSequenceOf(firstSeq, batchLastOffsetDelta(batch, 0));
    const check = this.producers.check(producerId, epoch, firstSeq, lastSeq);
    switch (check.kind) {
      case 'duplicate':
        return this.#outcome(ErrorCode.NONE, null, { baseOffset: check.batch.firstOffset, lastOffset: check.batch.lastOffset, logAppendTimeMs: check.batch.logAppendTimeMs });
      case 'invalid-epoch':
        return this.#outcome(ErrorCode.INVALID_PRODUCER_EPOCH, `Producer epoch ${epoch} is older than the current epoch ${this.producers.epochOf(producerId)}`);
      case 'out-of-order':
        return this.#outcome(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `Out of order sequence number for producer ${producerId}: ${firstSeq}, expected ${check.expectedSeq}`);
      case 'after-refused-head':
        return this.#outcome(check.errorCode, `Producer ${producerId}'s batch at sequence ${check.refusedSeq} was refused (error ${check.errorCode}); this later batch waits for it to be retried`);
      case 'ok':
        break;
    }
    let appended;
    try {
      // Stamped with this replica's leader epoch (the log writes it in place, outside the CRC).
      appended = await this.log.append(batch, { leaderEpoch: this.leaderEpoch });
    } catch (e) {
      const [code, message] = appendErrorCode(e);
      return this.#outcome(code, message, { recordErrors: code === ErrorCode.INVALID_RECORD ? recordErrorsOf(e, message) : [] });
    }
    this.producers.record(producerId, epoch, {
      firstSeq,
      lastSeq,
      firstOffset: appended.baseOffset,
      lastOffset: appended.lastOffset,
      logAppendTimeMs: appended.logAppendTimeMs,
      maxTimestampMs: appended.maxTimestamp,
    });
    return this.#outcome(ErrorCode.NONE, null, {
      baseOffset: appended.baseOffset,
      lastOffset: appended.lastOffset,
      logAppendTimeMs: appended.logAppendTimeMs,
      recordCount: batchRecordCount(batch, 0),
    });
  }

  /**
   * Reads whole batches from `offset` below the high watermark, at most `maxBytes` unless
   * `minOneBatch`. With `scratch` (large enough for the read), the records are a view of it.
   */
  async fetch(offset: number, maxBytes: number, minOneBatch: boolean, scratch?: Uint8Array): Promise<FetchOutcome> {
    const start = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    const hw = this.log.highWatermark;
    const base = { highWatermark: hw, lastStableOffset: hw, logStartOffset: start };
    // Closed: the topic was deleted under a long poll (shutdown wakes polls before closing).
    if (this.#closed) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, records: null };
    if (offset < start || offset > end) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: null };
    if (offset >= hw || (maxBytes <= 0 && !minOneBatch)) return { ...base, errorCode: ErrorCode.NONE, records: new Uint8Array(0) };
    let bytes: Uint8Array;
    try {
      bytes = (await this.log.read(offset, Math.max(maxBytes, 1), { maxOffset: hw, ...(scratch === undefined ? {} : { scratch }) })).records;
    } catch (e) {
      if (e instanceof OffsetOutOfRangeError) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: null };
      return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: null };
    }
    return { ...base, errorCode: ErrorCode.NONE, records: minOneBatch ? bytes : wholeBatchesWithin(bytes, maxBytes) };
  }

  /**
   * Long poll on the log: true once the high watermark passes `offset`; false after
   * `timeoutMs`, when the caller aborts `poll`, or when polls end here (shutdown, close).
   * Rejects (TooManyWaitersError) when the log holds its bound of waiters: answer without
   * waiting. `poll` is the caller's, one per call: a signal shared by many waiters would
   * collect a listener per waiter.
   */
  async waitForData(offset: number, timeoutMs: number, poll: AbortController): Promise<boolean> {
    if (this.#pollsEnded || poll.signal.aborted) return false;
    this.#parked.add(poll);
    try {
      return await this.log.waitForData(offset, timeoutMs, { signal: poll.signal, watermark: 'high-watermark' });
    } finally {
      this.#parked.delete(poll);
    }
  }

  /** Long polls parked on this partition's log now (for tests and gauges). */
  get waiterCount(): number {
    return this.#parked.size;
  }

  /**
   * Wakes the long polls parked now (they resolve false and re-read); later ones park as
   * usual. For a leader that became a follower: its polls would wait for data that no
   * longer comes, the re-read answers NOT_LEADER_OR_FOLLOWER at once.
   */
  wakePolls(): void {
    for (const poll of this.#parked) poll.abort();
  }

  /** Ends every long poll parked on this partition, and any later one at once (shutdown). */
  endPolls(): void {
    this.#pollsEnded = true;
    for (const poll of this.#parked) poll.abort();
  }

  /** Rebuilds producer state from the batch headers in the log's tail (on open). */
  async rebuildProducerState(): Promise<void> {
    this.producers.clear();
    const end = this.log.logEndOffset;
    let offset = Math.max(this.log.logStartOffset, end - PRODUCER_REBUILD_OFFSETS_MAX);
    // Each read advances at least one batch, so this loop ends within (end - start) reads.
    while (offset < end) {
      const bytes = (await this.log.read(offset, REBUILD_READ_BYTES)).records;
      if (bytes.byteLength === 0) break;
      const next = this.#recordProducerBatches(bytes);
      if (next <= offset) break;
      offset = next;
    }
  }

  /** Records every idempotent batch of `bytes` (whole batches) in producer state; returns the offset after the last batch. */
  #recordProducerBatches(bytes: Uint8Array): number {
    let next = -1;
    forEachBatch(bytes, (pos) => {
      const pid = batchProducerId(bytes, pos);
      const lastDelta = batchLastOffsetDelta(bytes, pos);
      const base = batchBaseOffset(bytes, pos);
      next = base + lastDelta + 1;
      if (pid < 0) return;
      const firstSeq = batchBaseSequence(bytes, pos);
      this.producers.record(pid, batchProducerEpoch(bytes, pos), {
        firstSeq,
        lastSeq: lastSequenceOf(firstSeq, lastDelta),
        firstOffset: base,
        lastOffset: base + lastDelta,
        logAppendTimeMs: batchTimestampType(bytes, pos) === 'log-append' ? batchMaxTimestamp(bytes, pos) : -1,
        maxTimestampMs: batchMaxTimestamp(bytes, pos),
      });
    });
    return next;
  }

  /**
   * Replication, the follower's write: appends batches copied from the leader as they are
   * (offsets and leader epochs kept; gaps allowed, as a compacted leader log has them) and
   * records their producers, so a follower that becomes leader deduplicates an idempotent
   * producer's retry exactly as the old leader would have. Runs on the append chain.
   */
  appendReplicated(batches: Uint8Array): Promise<AppendResult> {
    const run = this.#appendChain.then(async () => {
      if (this.#closed) throw new LogClosedError(`${this.topic}-${this.index}`);
      const appended = await this.log.appendAsFollower(batches, { allowGaps: true });
      this.#recordProducerBatches(batches);
      return appended;
    });
    this.#appendChain = run.catch(() => {});
    return run;
  }

  /**
   * Replication, become-leader: records that leader epoch `epoch` starts at the log end
   * offset (checkpointed), on the append chain so no append of the old epoch lands after it,
   * then calls `started` in the same chain step: what it sets up (the leader replica, the
   * `writable` flag) is in place before any append queued behind it runs, so produce
   * requests see the epoch start as one step, in their arrival order. Resolves the epoch's
   * start offset.
   */
  startLeaderEpoch(epoch: number, started?: () => void): Promise<number> {
    const run = this.#appendChain.then(async () => {
      const start = this.log.logEndOffset;
      await this.log.assignEpochStartOffset(epoch, start);
      started?.();
      return start;
    });
    this.#appendChain = run.catch(() => {});
    return run;
  }

  /**
   * Replication: a follower whose log is behind the leader's log start (or that found its
   * log inconsistent) empties its log and restarts at `startOffset`; producer state goes
   * with the records.
   */
  truncateFully(startOffset: number): Promise<void> {
    const run = this.#appendChain.then(async () => {
      await this.log.truncateFullyAndStartAt(startOffset);
      this.producers.clear();
    });
    this.#appendChain = run.catch(() => {});
    return run;
  }

  /**
   * Follower truncation (KIP-101 / KIP-279: to the end of the last epoch it shares with the
   * leader): removes every record at or above `offset` (whole batches), the leader epochs
   * starting there, and the producer state those records made — rebuilt from the log's
   * tail as after a restart, so a producer's retry of a truncated batch is appended again
   * instead of being answered as a duplicate at an offset that no longer exists. Runs on
   * the append chain (no append interleaves). Resolves false when nothing was removed.
   */
  async truncateTo(offset: number): Promise<boolean> {
    const run = this.#appendChain.then(async () => {
      const truncated = await this.log.truncateTo(offset);
      if (truncated) await this.rebuildProducerState();
      return truncated;
    });
    this.#appendChain = run.catch(() => {});
    return run;
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    const run = this.#appendChain.then(async () => {
      const start = await this.log.deleteRecordsBefore(offset);
      this.producers.truncateHead(start);
      return start;
    });
    this.#appendChain = run.catch(() => {});
    return run;
  }

  /**
   * Retention (the LogManager's task, with the topic's current config) deleted the log's
   * oldest segments: producer state below the new log start goes, as after DeleteRecords.
   */
  afterRetention(logStartOffset: number): void {
    if (this.#closed) return;
    this.producers.truncateHead(logStartOffset);
  }

  /** Stops accepting appends, waits for the in-flight one, ends long polls. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#appendChain;
    this.endPolls();
  }
}

function lastSequenceOf(firstSeq: number, lastOffsetDelta: number): number {
  if (firstSeq < 0) return firstSeq;
  const last = firstSeq + lastOffsetDelta;
  return last > SEQUENCE_MAX ? last - SEQUENCE_MAX - 1 : last;
}

/** Produce v8 record errors: the log's per-record rejections, else the whole batch as record 0. */
function recordErrorsOf(e: unknown, message: string): ProduceOutcome['recordErrors'] {
  if (!(e instanceof InvalidRecordError) || e.recordErrors.length === 0) return [{ batchIndex: 0, batchIndexErrorMessage: message }];
  return e.recordErrors.map((r) => ({ batchIndex: r.batchIndex, batchIndexErrorMessage: r.message }));
}

function appendErrorCode(e: unknown): [number, string] {
  const message = e instanceof Error ? e.message : String(e);
  // The log undid the write and stays online: retriable, like Kafka's storage error.
  if (isNoSpace(e)) return [ErrorCode.KAFKA_STORAGE_ERROR, `Disk full, nothing was appended (retriable): ${message}`];
  if (e instanceof InvalidRecordBatchError) {
    // Bad record framing inside a batch with a good CRC is INVALID_RECORD (v8 record errors).
    const recordLevel = e.reason === 'bad-record-framing' || e.reason === 'bad-record-count' || e.reason === 'bad-offsets';
    return [recordLevel ? ErrorCode.INVALID_RECORD : ErrorCode.CORRUPT_MESSAGE, message];
  }
  if (!(e instanceof LogError)) return [ErrorCode.KAFKA_STORAGE_ERROR, message];
  switch (e.code) {
    case 'invalid-record':
      return [ErrorCode.INVALID_RECORD, message];
    case 'record-too-large':
      return [ErrorCode.MESSAGE_TOO_LARGE, message];
    case 'record-batch-too-large':
      return [ErrorCode.RECORD_LIST_TOO_LARGE, message];
    case 'log-closed':
    case 'stale-leader-epoch':
      return [ErrorCode.NOT_LEADER_OR_FOLLOWER, message];
    default:
      return [ErrorCode.KAFKA_STORAGE_ERROR, message];
  }
}
