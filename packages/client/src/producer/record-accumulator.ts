/**
 * RecordAccumulator: the producer's per-partition queues of batches and the rules that
 * decide which batch goes out when (Kafka's RecordAccumulator, reduced).
 *
 * Per partition: `queued` (waiting: retries first, in sequence order, then new batches in
 * append order; only the last may be open) and `inFlight` (sent, unanswered, in send order).
 *
 * A partition's head batch is drained when all of these hold:
 * - it is due: full (another batch waits behind it, or it reached `batchSizeBytes`),
 *   lingered (`lingerMs` since its first record), a retry, or a flush/close is under way;
 * - it is past its retry backoff;
 * - fewer than `inFlightMax` batches of the partition are in flight, and for a retry none
 *   is: retries go one at a time, so the broker sees sequences in order again (ordering
 *   kept across retries, as the Java client's idempotent producer does);
 * - its leader is known.
 * One batch per partition per drain; batches for one leader share one request, up to
 * `requestBytesMax` (always at least one batch).
 *
 * Sequences (idempotent producer): a batch gets `nextSequence` of its partition when first
 * drained; the counter wraps at 2^31 like Kafka's. `resequence` (after an epoch bump)
 * restarts every partition at 0 and renumbers the batches still queued in their order.
 */
import type { RecordInput } from '@samsa/codec/wire';
import { ProducerBatch } from './producer-batch.ts';
import type { SendResults } from './producer-batch.ts';

export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly queued: ProducerBatch[] = [];
  readonly inFlight: ProducerBatch[] = [];
  nextSequence = 0;
  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get isEmpty(): boolean {
    return this.queued.length === 0 && this.inFlight.length === 0;
  }

  /** The lowest sequence not yet acknowledged, or null when none is outstanding. */
  firstUnackedSequence(): number | null {
    let first: number | null = null;
    for (const list of [this.inFlight, this.queued]) {
      for (const b of list) if (b.baseSequence !== null && (first === null || b.baseSequence < first)) first = b.baseSequence;
    }
    return first;
  }

  /** Puts a batch back for a retry, before every batch with a higher or no sequence. */
  requeue(batch: ProducerBatch): void {
    const at = this.inFlight.indexOf(batch);
    if (at >= 0) this.inFlight.splice(at, 1);
    let i = 0;
    while (i < this.queued.length && precedes(this.queued[i]!, batch)) i++;
    this.queued.splice(i, 0, batch);
  }

  removeInFlight(batch: ProducerBatch): void {
    const at = this.inFlight.indexOf(batch);
    if (at >= 0) this.inFlight.splice(at, 1);
  }
}

/** Whether `a` stays before `b` (a retry) in the queue. */
function precedes(a: ProducerBatch, b: ProducerBatch): boolean {
  if (a.baseSequence !== null && b.baseSequence !== null) return a.baseSequence < b.baseSequence;
  if (b.baseSequence !== null) return false;
  return a.attempts > 0 && b.attempts > 0;
}

export interface DrainOptions {
  readonly nowMs: number;
  readonly lingerMs: number;
  readonly batchSizeBytes: number;
  readonly inFlightMax: number;
  readonly requestBytesMax: number;
  readonly flushing: boolean;
  readonly leaderFor: (topic: string, partition: number) => number | undefined;
  /** Called for a batch about to leave for the first time (sequence, bytes). */
  readonly prepare: (queue: PartitionQueue, batch: ProducerBatch) => void;
}

export interface Drained {
  /** Leader broker id → batches for one request. */
  readonly byLeader: Map<number, ProducerBatch[]>;
  /** Earliest monotonic ms at which a waiting batch becomes due, or Infinity. */
  readonly nextDueMs: number;
  /** Some due batch has no known leader. */
  readonly leaderMissing: boolean;
}

export const SEQUENCE_MODULO = 2 ** 31;

/** Topics whose buffer size hint is kept (beyond: forgotten, and relearned). */
const BUFFER_HINTS_MAX = 10_000;

export class RecordAccumulator {
  /**
   * Per topic, where a new batch's buffer starts: what the last drained batch of the topic
   * needed (see ProducerBatch.nextBufferBytes). Per topic, not per queue: a queue is pruned
   * whenever it empties, which a sticky producer's partitions do between their batches.
   */
  readonly #bufferHints = new Map<string, number>();
  /** Every queue, in creation order (drain order). */
  readonly #queues = new Map<string, PartitionQueue>();
  /** The same queues by topic, then partition: the append path's lookup, without a string key per record. */
  readonly #byTopic = new Map<string, (PartitionQueue | undefined)[]>();

  queue(topic: string, partition: number): PartitionQueue {
    let partitions = this.#byTopic.get(topic);
    if (partitions === undefined) {
      partitions = [];
      this.#byTopic.set(topic, partitions);
    }
    let q = partitions[partition];
    if (q === undefined) {
      q = new PartitionQueue(topic, partition);
      partitions[partition] = q;
      this.#queues.set(`${partition}:${topic}`, q);
    }
    return q;
  }

  queues(): IterableIterator<PartitionQueue> {
    return this.#queues.values();
  }

  /** True when appending `recordBytes` to the partition would start a new batch. */
  wouldStartBatch(topic: string, partition: number, recordBytes: number, batchSizeBytes: number): boolean {
    const q = this.#byTopic.get(topic)?.[partition];
    const last = q === undefined ? undefined : q.queued[q.queued.length - 1];
    return last === undefined || !last.open || (last.recordCount > 0 && last.sizeBytes + recordBytes > batchSizeBytes);
  }

  /**
   * Encodes the record into the partition's open batch, or a new one; returns that batch.
   * `send`/`index`: the send the record belongs to and its place there (see SendResults).
   */
  append(topic: string, partition: number, record: RecordInput, recordBytes: number, batchSizeBytes: number, nowMs: number, send?: SendResults, index?: number): ProducerBatch {
    const q = this.queue(topic, partition);
    const last = q.queued[q.queued.length - 1];
    if (last !== undefined && last.tryAppend(record, recordBytes, batchSizeBytes, send, index)) return last;
    const batch = new ProducerBatch(topic, partition, nowMs, last === undefined ? this.#bufferHints.get(topic) : last.nextBufferBytes);
    if (!batch.tryAppend(record, recordBytes, batchSizeBytes, send, index)) throw new Error('a new batch refused its first record');
    if (last !== undefined) last.open = false;
    q.queued.push(batch);
    return batch;
  }

  /** Every batch not done: queued and in flight. */
  pending(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const q of this.#queues.values()) out.push(...q.inFlight, ...q.queued);
    return out;
  }

  get isEmpty(): boolean {
    for (const q of this.#queues.values()) if (!q.isEmpty) return false;
    return true;
  }

  get inFlightCount(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.inFlight.length;
    return n;
  }

  /** Takes the batches due now, grouped by leader (see the file comment). */
  drain(o: DrainOptions): Drained {
    const byLeader = new Map<number, ProducerBatch[]>();
    const bytesByLeader = new Map<number, number>();
    let nextDueMs = Number.POSITIVE_INFINITY;
    let leaderMissing = false;
    for (const q of this.#queues.values()) {
      const head = q.queued[0];
      if (head === undefined) continue;
      const isRetry = head.attempts > 0;
      if (q.inFlight.length >= o.inFlightMax || (isRetry && q.inFlight.length > 0)) continue;
      const full = q.queued.length > 1 || head.sizeBytes >= o.batchSizeBytes || !head.open;
      const dueMs = isRetry ? head.retryAtMs : full || o.flushing ? o.nowMs : head.createdMs + o.lingerMs;
      if (dueMs > o.nowMs) {
        nextDueMs = Math.min(nextDueMs, dueMs);
        continue;
      }
      const leader = o.leaderFor(q.topic, q.partition);
      if (leader === undefined) {
        leaderMissing = true;
        continue;
      }
      const size = head.bytes?.byteLength ?? head.sizeBytes;
      const used = bytesByLeader.get(leader) ?? 0;
      if (used > 0 && used + size > o.requestBytesMax) {
        nextDueMs = o.nowMs;
        continue;
      }
      q.queued.shift();
      head.open = false;
      if (this.#bufferHints.size >= BUFFER_HINTS_MAX && !this.#bufferHints.has(q.topic)) this.#bufferHints.clear();
      this.#bufferHints.set(q.topic, head.nextBufferBytes);
      o.prepare(q, head);
      q.inFlight.push(head);
      bytesByLeader.set(leader, used + (head.bytes?.byteLength ?? size));
      const list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, [head]);
      else list.push(head);
    }
    return { byLeader, nextDueMs, leaderMissing };
  }

  /** After an epoch bump: every partition restarts at sequence 0; sequenced queued batches are renumbered and rebuilt. */
  resequence(): void {
    for (const q of this.#queues.values()) {
      if (q.inFlight.length > 0) throw new Error(`resequence with ${q.inFlight.length} batches in flight on ${q.topic}-${q.partition}`);
      q.nextSequence = 0;
      for (const b of q.queued) {
        if (b.baseSequence === null) continue;
        b.baseSequence = q.nextSequence;
        b.bytes = null;
        q.nextSequence = (q.nextSequence + b.recordCount) % SEQUENCE_MODULO;
      }
    }
  }

  /** Drops the queues that hold nothing (bounded by the partitions written to lately). */
  prune(): void {
    for (const [key, q] of this.#queues) {
      if (!(q.isEmpty && q.nextSequence === 0)) continue;
      this.#queues.delete(key);
      const partitions = this.#byTopic.get(q.topic)!;
      partitions[q.partition] = undefined;
      if (partitions.every((x) => x === undefined)) this.#byTopic.delete(q.topic);
    }
  }
}
