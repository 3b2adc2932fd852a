/**
 * ConsumerOffsetsAppender: carries out the coordinator's `append` actions, coalescing the
 * ones for the same `__consumer_offsets` partition.
 *
 * Per partition, at most ONE write is in flight. Append actions that arrive while it is
 * in flight are queued; when it resolves, everything queued goes out as one record batch
 * in one `write`, and every contained completion is completed with that write's outcome,
 * in the order the coordinator emitted them. So under a stream of pipelined commits the
 * broker pays one file write per batch instead of one per commit, and the records in the
 * log keep the coordinator's emission order. A failed write fails exactly the completions
 * it carried.
 *
 * Bound (per partition, counting only queued records, not the in-flight write): at most
 * `queuedRecordsMax` records and `queuedBytesMax` estimated batch bytes (key + value +
 * RECORD_OVERHEAD_BYTES per record). An append that does not fit is NOT queued: it is
 * failed with COORDINATOR_NOT_AVAILABLE (the coordinator hands that to an OffsetCommit
 * as-is, and Kafka clients retry it after rediscovering the coordinator). The failure is
 * still delivered in emission order — the append keeps a records-free place in the queue
 * and is completed with the next flush — because the coordinator requires appends of one
 * partition to complete in the order it emitted them. An append alone larger than the
 * bound is accepted into an empty queue and goes out alone (as before coalescing; the
 * partition's max.message.bytes check then decides). The byte bound stays well under the
 * default max.message.bytes (1 MiB + 12), so a coalesced batch is never refused for a size
 * its parts would each have passed.
 *
 * Replication (a cluster): a write is in flight until it is in the leader's log AND
 * replicated (bounded by `offsets.commit.timeout.ms`, see ./consumer-offsets-log.ts). A
 * write may call its `appended` callback once the batch is in the log and only replication
 * is awaited; the next write then goes out meanwhile, so commits queued behind a slow
 * replication still reach the log in emission order without waiting for it. Completions stay
 * in emission order: a write's completions run only after its own outcome AND after every
 * earlier write's completions ran (one completion chain per partition). At most
 * `REPLICATING_WRITES_MAX` writes per partition wait for replication at once; a next write
 * waits for the chain to drain before going out (appends keep queuing, bounded as above).
 * A write that never calls `appended` (the single broker: no replication) behaves exactly
 * as before: the next write waits for its completions.
 *
 * `idle(partition)` resolves once nothing is queued or in flight for the partition (a
 * cluster's GroupService waits for it before replaying a partition it leads again, so the
 * replay sees every write that reached the log). At most `IDLE_WAITERS_MAX` wait per
 * partition.
 *
 * Single-threaded (one event loop); `write` and `complete` are the caller's.
 */
import { ErrorCode } from '@samsa/codec';
import type { RawRecord } from '@samsa/coordinator';

/** Upper bound of a record's framing inside a batch (length, attributes, deltas, key/value lengths, headers count). */
export const RECORD_OVERHEAD_BYTES = 32;
export const QUEUED_RECORDS_MAX = 4096;
export const QUEUED_BYTES_MAX = 512 * 1024;
/** What an append refused by the bound completes with. */
export const QUEUE_FULL_ERROR_CODE = ErrorCode.COORDINATOR_NOT_AVAILABLE;
/** Callers waiting on `idle` of one partition (one per load of it; loads of a partition do not overlap by much). */
export const IDLE_WAITERS_MAX = 1024;
/** Writes of one partition in the log and waiting for replication at once (see the file comment). */
export const REPLICATING_WRITES_MAX = 64;

export interface ConsumerOffsetsAppenderOptions {
  /**
   * Appends `records` (one batch) to `partition`; resolves a Kafka error code (0 = written,
   * and replicated where that is awaited). May call `appended()` once the batch is in the log
   * and only its replication is awaited: the next write then starts. Must not reject.
   */
  write(partition: number, records: readonly RawRecord[], appended: () => void): Promise<number>;
  /** Completes one coordinator append (called in emission order per partition). */
  complete(completionId: number, errorCode: number): void;
  readonly queuedRecordsMax?: number;
  readonly queuedBytesMax?: number;
}

interface Queued {
  readonly completionId: number;
  /** null: refused by the bound, completes with QUEUE_FULL_ERROR_CODE. */
  readonly records: readonly RawRecord[] | null;
}

interface PartitionQueue {
  /** A flush loop runs: a write is on its way into the log (or waits for room among the replicating ones). */
  inFlight: boolean;
  /** Writes out of the queue whose completions have not run yet. */
  unsettled: number;
  /** Resolves once every taken write's completions ran, in order (the completion chain). */
  completed: Promise<void>;
  queue: Queued[];
  queuedRecords: number;
  queuedBytes: number;
  /** `idle` callers, resolved when the queue drains. */
  idleWaiters: (() => void)[];
}

export interface ConsumerOffsetsAppenderStats {
  /** Append actions received. */
  readonly appendsReceived: number;
  /** Writes issued (each one record batch). */
  readonly writes: number;
  /** Append actions refused by the queue bound. */
  readonly refused: number;
}

export class ConsumerOffsetsAppender {
  readonly #write: ConsumerOffsetsAppenderOptions['write'];
  readonly #complete: ConsumerOffsetsAppenderOptions['complete'];
  readonly #recordsMax: number;
  readonly #bytesMax: number;
  readonly #partitions = new Map<number, PartitionQueue>();
  #appendsReceived = 0;
  #writes = 0;
  #refused = 0;

  constructor(options: ConsumerOffsetsAppenderOptions) {
    this.#write = options.write;
    this.#complete = options.complete;
    this.#recordsMax = options.queuedRecordsMax ?? QUEUED_RECORDS_MAX;
    this.#bytesMax = options.queuedBytesMax ?? QUEUED_BYTES_MAX;
  }

  get stats(): ConsumerOffsetsAppenderStats {
    return { appendsReceived: this.#appendsReceived, writes: this.#writes, refused: this.#refused };
  }

  /** Queues one coordinator append action; starts a write unless one is in flight for the partition. */
  append(partition: number, completionId: number, records: readonly RawRecord[]): void {
    this.#appendsReceived++;
    let q = this.#partitions.get(partition);
    if (q === undefined) {
      q = { inFlight: false, unsettled: 0, completed: Promise.resolve(), queue: [], queuedRecords: 0, queuedBytes: 0, idleWaiters: [] };
      this.#partitions.set(partition, q);
    }
    const bytes = estimatedBytes(records);
    const fits = q.queuedRecords === 0 || (q.queuedRecords + records.length <= this.#recordsMax && q.queuedBytes + bytes <= this.#bytesMax);
    if (fits) {
      q.queue.push({ completionId, records });
      q.queuedRecords += records.length;
      q.queuedBytes += bytes;
    } else {
      this.#refused++;
      q.queue.push({ completionId, records: null });
    }
    if (!q.inFlight) void this.#flush(partition, q);
  }

  /**
   * Writes everything queued as one batch, repeats while more was queued meanwhile. Each
   * write's completions join the partition's completion chain; the loop goes on to the next
   * write once this one's completions ran or it reported `appended`, whichever is first.
   */
  async #flush(partition: number, q: PartitionQueue): Promise<void> {
    q.inFlight = true;
    // Each pass takes a non-empty queue; the passes are as many as the caller's appends allow.
    while (q.queue.length > 0) {
      if (q.unsettled >= REPLICATING_WRITES_MAX) await q.completed;
      const taken = q.queue;
      q.queue = [];
      q.queuedRecords = 0;
      q.queuedBytes = 0;
      const records: RawRecord[] = [];
      for (const t of taken) if (t.records !== null) for (const r of t.records) records.push(r);
      let inLog!: () => void;
      const appended = new Promise<void>((resolve) => (inLog = resolve));
      let outcome: Promise<number> = Promise.resolve(ErrorCode.NONE);
      if (records.length > 0) {
        this.#writes++;
        try {
          outcome = this.#write(partition, records, () => inLog()).catch(() => ErrorCode.KAFKA_STORAGE_ERROR);
        } catch {
          outcome = Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
        }
      }
      q.unsettled++;
      const earlier = q.completed;
      const done = this.#completeAfter(earlier, outcome, taken).then(() => {
        q.unsettled--;
        this.#maybeIdle(partition, q);
      });
      q.completed = done;
      // Completions may emit new appends for this partition: they queue behind (inFlight).
      await Promise.race([done, appended]);
    }
    q.inFlight = false;
    this.#maybeIdle(partition, q);
  }

  /** Completes `taken` with the write's outcome, after the earlier writes' completions ran. */
  async #completeAfter(earlier: Promise<void>, outcome: Promise<number>, taken: readonly Queued[]): Promise<void> {
    const code = await outcome;
    await earlier;
    for (const t of taken) {
      try {
        this.#complete(t.completionId, t.records === null ? QUEUE_FULL_ERROR_CODE : code);
      } catch {
        // the caller logs its own failures; the remaining completions must still run
      }
    }
  }

  /** Forgets the partition and wakes its `idle` callers once nothing is queued, in flight or unsettled. */
  #maybeIdle(partition: number, q: PartitionQueue): void {
    if (q.inFlight || q.unsettled > 0 || q.queue.length > 0) return;
    if (this.#partitions.get(partition) === q) this.#partitions.delete(partition);
    for (const resolve of q.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once `partition` has no write in flight and nothing queued. */
  idle(partition: number): Promise<void> {
    const q = this.#partitions.get(partition);
    if (q === undefined) return Promise.resolve();
    if (q.idleWaiters.length >= IDLE_WAITERS_MAX) return Promise.reject(new RangeError(`more than ${IDLE_WAITERS_MAX} waiting for __consumer_offsets partition ${partition} to go idle`));
    return new Promise((resolve) => q.idleWaiters.push(resolve));
  }
}

function estimatedBytes(records: readonly RawRecord[]): number {
  let n = 0;
  for (const r of records) n += r.key.byteLength + (r.value?.byteLength ?? 0) + RECORD_OVERHEAD_BYTES;
  return n;
}
