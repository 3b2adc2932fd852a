/**
 * Group commit for record appends: appends that arrive while a write is in flight wait in
 * one pending group, and the next write takes the whole group as record batches in one
 * `Log.append` (one file write, and at most one sync for every `fsync` append in it).
 *
 * Offsets are handed out at enqueue time: this appender is the log's only writer, so the
 * n-th pending record gets `logEndOffset + n`. That lets a `durability: 'none'` append
 * resolve at once with its real offset. A failed write would make those promises wrong,
 * so any write failure fails the appender for good (every pending and later append
 * rejects with it); reopen the log to go on. This is how Kafka treats a failed log dir.
 *
 * Bounds: the pending group holds at most `pendingBytesMax` estimated bytes; an append
 * that does not fit waits (FIFO, at most `waitersMax` waiters) until a write frees room —
 * backpressure for a producer faster than the disk. One record larger than a batch may
 * hold (`batchBytesMax`) is refused.
 *
 * Invariants: writes never overlap; offsets are assigned in call order; each append's
 * records are contiguous and in one write; an append resolves only after the write that
 * holds it reached its durability (`none`: enqueued, `os`: written, `fsync`: synced).
 */
import { buildRecordBatch } from '@samsa/codec/wire';
import type { RecordInput } from '@samsa/codec/wire';
import type { Log } from '../log.ts';
import type { Durability } from './log-record.ts';

export interface GroupCommitOptions {
  /** Estimated bytes of one record batch; a group is written as several when larger. */
  readonly batchBytesMax: number;
  /** Estimated bytes waiting for the next write. */
  readonly pendingBytesMax: number;
  /** Appends waiting for room in the pending group. */
  readonly waitersMax: number;
}

interface PendingAppend {
  readonly records: readonly RecordInput[];
  readonly sizeBytes: number;
  readonly baseOffset: number;
  readonly durability: Durability;
  readonly resolve: (baseOffset: number) => void;
  readonly reject: (error: Error) => void;
}

interface RoomWaiter {
  readonly sizeBytes: number;
  readonly wake: () => void;
}

/** Kafka's per-record overhead bound in a v2 batch (length, attributes, deltas, counts). */
const RECORD_OVERHEAD_BYTES = 21;
const BATCH_HEADER_BYTES = 61;

export function estimateRecordBytes(r: RecordInput): number {
  let n = RECORD_OVERHEAD_BYTES + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers ?? []) n += 10 + h.key.length * 3 + (h.value?.length ?? 0);
  return n;
}

export class AppenderFailedError extends Error {
  constructor(cause: unknown) {
    super(`the record log failed to write and accepts no more appends (reopen it): ${String(cause)}`, { cause });
    this.name = 'AppenderFailedError';
  }
}

export class GroupCommitAppender {
  readonly #log: Log;
  readonly #options: GroupCommitOptions;
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  readonly #roomWaiters: RoomWaiter[] = [];
  #nextOffset: number;
  #writing: Promise<void> | null = null;
  #failure: AppenderFailedError | null = null;
  #closed = false;

  constructor(log: Log, options: GroupCommitOptions) {
    this.#log = log;
    this.#options = options;
    this.#nextOffset = log.logEndOffset;
  }

  /** The offset the next appended record will get. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** Resolves the base offset of `records` once they reached `durability`. */
  async append(records: readonly RecordInput[], durability: Durability): Promise<number> {
    if (records.length === 0) throw new RangeError('append needs at least one record');
    let sizeBytes = 0;
    for (const r of records) {
      const one = estimateRecordBytes(r);
      if (one + BATCH_HEADER_BYTES > this.#options.batchBytesMax) {
        throw new RangeError(`a record of about ${one} bytes does not fit in a batch of ${this.#options.batchBytesMax} bytes (maxMessageBytes)`);
      }
      sizeBytes += one;
    }
    this.#check();
    if (this.#pendingBytes > 0 && this.#pendingBytes + sizeBytes > this.#options.pendingBytesMax) await this.#waitForRoom(sizeBytes);
    this.#check();
    const baseOffset = this.#nextOffset;
    this.#nextOffset += records.length;
    const done = new Promise<number>((resolve, reject) => {
      this.#pending.push({ records, sizeBytes, baseOffset, durability, resolve, reject });
    });
    this.#pendingBytes += sizeBytes;
    this.#writing ??= this.#writeLoop();
    if (durability === 'none') {
      done.catch(() => {}); // the failure reaches the next caller through #check
      return baseOffset;
    }
    return done;
  }

  /** Resolves once everything appended so far is written (not synced). */
  async drain(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
    if (this.#failure !== null) throw this.#failure;
  }

  /** Drains, then refuses further appends. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.drain().catch(() => {});
  }

  #check(): void {
    if (this.#failure !== null) throw this.#failure;
    if (this.#closed) throw new Error('the record log is closed');
  }

  #waitForRoom(sizeBytes: number): Promise<void> {
    if (this.#roomWaiters.length >= this.#options.waitersMax) {
      return Promise.reject(new RangeError(`more than ${this.#options.waitersMax} appends are waiting for room in the log's pending group`));
    }
    return new Promise((resolve) => this.#roomWaiters.push({ sizeBytes, wake: resolve }));
  }

  #wakeWaiters(): void {
    while (this.#roomWaiters.length > 0) {
      const next = this.#roomWaiters[0]!;
      if (this.#pendingBytes > 0 && this.#pendingBytes + next.sizeBytes > this.#options.pendingBytesMax) return;
      this.#roomWaiters.shift();
      // Reserve nothing here: the woken append re-checks on its own turn; the pending group
      // may overshoot by one append, which keeps a large append from starving.
      next.wake();
    }
  }

  async #writeLoop(): Promise<void> {
    // One microtask of patience lets appends issued in the same synchronous run join the first group.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0 && this.#failure === null) {
        const group = this.#pending;
        this.#pending = [];
        const groupBytes = this.#pendingBytes;
        this.#pendingBytes = 0;
        this.#wakeWaiters();
        await this.#write(group, groupBytes);
      }
    } finally {
      this.#writing = null;
    }
  }

  async #write(group: readonly PendingAppend[], groupBytes: number): Promise<void> {
    const requireSync = group.some((a) => a.durability === 'fsync');
    try {
      const bytes = this.#encode(group, groupBytes);
      const expected = group[0]!.baseOffset;
      const result = await this.#log.append(bytes, { requireSync });
      if (result.baseOffset !== expected) throw new Error(`the log assigned base offset ${result.baseOffset}, expected ${expected}: another writer?`);
    } catch (error) {
      this.#failure = new AppenderFailedError(error);
      for (const a of group) a.reject(this.#failure);
      for (const a of this.#pending.splice(0)) a.reject(this.#failure);
      this.#pendingBytes = 0;
      for (const w of this.#roomWaiters.splice(0)) w.wake();
      return;
    }
    for (const a of group) a.resolve(a.baseOffset);
  }

  /** The group as consecutive record batches, each within `batchBytesMax`, one buffer. */
  #encode(group: readonly PendingAppend[], groupBytes: number): Uint8Array {
    if (groupBytes + BATCH_HEADER_BYTES <= this.#options.batchBytesMax) {
      return buildRecordBatch(group.length === 1 ? group[0]!.records : group.flatMap((a) => a.records));
    }
    const batches: Uint8Array[] = [];
    let records: RecordInput[] = [];
    let bytes = BATCH_HEADER_BYTES;
    for (const a of group) {
      for (const r of a.records) {
        const one = estimateRecordBytes(r);
        if (records.length > 0 && bytes + one > this.#options.batchBytesMax) {
          batches.push(buildRecordBatch(records));
          records = [];
          bytes = BATCH_HEADER_BYTES;
        }
        records.push(r);
        bytes += one;
      }
    }
    if (records.length > 0) batches.push(buildRecordBatch(records));
    let total = 0;
    for (const b of batches) total += b.length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const b of batches) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
}
