/**
 * ProducerStateTable: per-partition idempotent-producer state (Kafka's ProducerStateManager,
 * reduced to what a non-transactional idempotent producer needs).
 *
 * For each producerId it keeps the current epoch and the metadata of the last
 * `BATCHES_KEPT` (5, Kafka's max.in.flight for idempotence) appended batches: first/last
 * sequence and first/last offset. Before an append the broker calls `check`:
 *   - producerId < 0 (not idempotent)                  → ok, nothing tracked
 *   - epoch < current epoch                             → INVALID_PRODUCER_EPOCH
 *   - same epoch, (firstSeq, lastSeq) of a cached batch → duplicate: answer its offsets
 *   - same epoch, firstSeq ≠ lastSeq+1 (wrapping)       → OUT_OF_ORDER_SEQUENCE_NUMBER
 *   - new (higher) epoch with firstSeq ≠ 0              → OUT_OF_ORDER_SEQUENCE_NUMBER
 *   - unknown producer                                  → any sequence accepted (Kafka does
 *     the same: its state may have been removed by retention or DeleteRecords)
 *   - a batch after a refused head (below)              → the head's retriable error
 * After the append succeeds the broker calls `record`.
 *
 * Refused heads. A batch refused before the append with a retriable error
 * (NOT_ENOUGH_REPLICAS, NOT_LEADER_OR_FOLLOWER, a low disk's KAFKA_STORAGE_ERROR) is noted
 * with `noteRefused` when it is the producer's next expected batch (or the producer is
 * unknown). Until that producer appends again, a later batch of the same epoch that does not
 * start at the refused sequence gets the head's error instead of OUT_OF_ORDER_SEQUENCE_NUMBER.
 * Why: a producer pipelines up to five batches, and the state that refused the first can
 * change before the second is checked (the ISR grows back between two requests). Kafka
 * answers that second batch OUT_OF_ORDER_SEQUENCE_NUMBER; librdkafka then bumps the
 * producer epoch and renumbers every unacknowledged message on every partition, including
 * ones an earlier attempt already appended, and those are appended a second time (seen in
 * the chaos suite's majority-minority scenario). A retriable answer makes the client
 * retry the batches in order instead, as it does when both are refused alike.
 *
 * The table is rebuilt on open by calling `record` for every batch header in the log (see
 * partition.ts).
 * `activeProducers` lists what is tracked, with each producer's newest batch's last
 * sequence and max timestamp (DescribeProducers).
 *
 * Bounded: at most `producersMax` producer ids per partition; the least recently written
 * one is evicted (Kafka expires by producer.id.expiration.ms; a count bound is simpler and
 * keeps memory fixed).
 */

export const BATCHES_KEPT = 5;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** LogAppendTime stamped on the batch, or -1 (returned again for a duplicate). */
  readonly logAppendTimeMs: number;
  /** The batch's max timestamp as appended (the append time on LogAppendTime topics): DescribeProducers' lastTimestamp. */
  readonly maxTimestampMs: number;
}

/** One producer as DescribeProducers reports it (Kafka's ProducerStateEntry, non-transactional). */
export interface ActiveProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Last sequence of the newest appended batch. */
  readonly lastSequence: number;
  /** Max timestamp of the newest appended batch. */
  readonly lastTimestampMs: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
}

export type SequenceCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'invalid-epoch' }
  | { readonly kind: 'out-of-order'; readonly expectedSeq: number }
  | { readonly kind: 'after-refused-head'; readonly errorCode: number; readonly refusedSeq: number };

/** A producer's next expected batch, refused before the append with a retriable error. */
interface RefusedHead {
  readonly epoch: number;
  readonly firstSeq: number;
  readonly errorCode: number;
}

const OK: SequenceCheck = { kind: 'ok' };

export class ProducerStateTable {
  readonly #producers = new Map<number, ProducerEntry>();
  /** At most `producersMax` entries, oldest note evicted first (see "Refused heads"). */
  readonly #refusedHeads = new Map<number, RefusedHead>();
  readonly #producersMax: number;

  constructor(producersMax = 10_000) {
    this.#producersMax = producersMax;
  }

  get size(): number {
    return this.#producers.size;
  }

  epochOf(producerId: number): number | null {
    return this.#producers.get(producerId)?.epoch ?? null;
  }

  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    if (producerId < 0) return OK;
    const entry = this.#producers.get(producerId);
    if (entry && epoch < entry.epoch) return { kind: 'invalid-epoch' };
    if (entry && epoch === entry.epoch) {
      const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
      if (dup) return { kind: 'duplicate', batch: dup };
    }
    const refused = this.#refusedHeads.get(producerId);
    if (refused !== undefined && refused.epoch === epoch && refused.firstSeq !== firstSeq) {
      return { kind: 'after-refused-head', errorCode: refused.errorCode, refusedSeq: refused.firstSeq };
    }
    if (!entry) return OK;
    if (epoch > entry.epoch) return firstSeq === 0 ? OK : { kind: 'out-of-order', expectedSeq: 0 };
    const expected = this.#expectedSeq(entry);
    return expected === null || firstSeq === expected ? OK : { kind: 'out-of-order', expectedSeq: expected };
  }

  /**
   * Notes a batch refused before the append with a retriable `errorCode`, when it is the
   * producer's next expected batch (or the producer is unknown here); an earlier note of the
   * same epoch stands. See "Refused heads" above.
   */
  noteRefused(producerId: number, epoch: number, firstSeq: number, errorCode: number): void {
    if (producerId < 0 || firstSeq < 0) return;
    const noted = this.#refusedHeads.get(producerId);
    if (noted !== undefined && noted.epoch === epoch) return;
    const entry = this.#producers.get(producerId);
    if (entry !== undefined) {
      if (epoch < entry.epoch) return;
      const expected = epoch > entry.epoch ? 0 : this.#expectedSeq(entry);
      if (expected !== null && firstSeq !== expected) return;
    }
    this.#refusedHeads.delete(producerId);
    if (this.#refusedHeads.size >= this.#producersMax) {
      const oldest = this.#refusedHeads.keys().next().value;
      if (oldest !== undefined) this.#refusedHeads.delete(oldest);
    }
    this.#refusedHeads.set(producerId, { epoch, firstSeq, errorCode });
  }

  /** The sequence a producer's next batch must start at, or null when it has no batch kept. */
  #expectedSeq(entry: ProducerEntry): number | null {
    const last = entry.batches[entry.batches.length - 1];
    if (!last) return null;
    return last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1;
  }

  /** Records an appended batch. A higher epoch resets the producer's batch history. */
  record(producerId: number, epoch: number, batch: BatchMetadata): void {
    if (producerId < 0) return;
    this.#refusedHeads.delete(producerId);
    let entry = this.#producers.get(producerId);
    if (entry) {
      this.#producers.delete(producerId); // re-insert: Map order is our LRU order
    } else if (this.#producers.size >= this.#producersMax) {
      const oldest = this.#producers.keys().next().value;
      if (oldest !== undefined) this.#producers.delete(oldest);
    }
    if (!entry || epoch > entry.epoch) entry = { epoch, batches: [] };
    entry.batches.push(batch);
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift();
    this.#producers.set(producerId, entry);
  }

  /** Every producer tracked now, by producer id (at most `producersMax`). */
  activeProducers(): ActiveProducer[] {
    const out: ActiveProducer[] = [];
    for (const [producerId, entry] of this.#producers) {
      const last = entry.batches[entry.batches.length - 1];
      // `record` always leaves a batch behind; an entry without one is never stored.
      if (!last) throw new Error(`producer ${producerId} has no batch`);
      out.push({ producerId, producerEpoch: entry.epoch, lastSequence: last.lastSeq, lastTimestampMs: last.maxTimestampMs });
    }
    return out.sort((a, b) => a.producerId - b.producerId);
  }

  /** Forgets producers whose every kept batch lies below `offset` (after DeleteRecords/retention). */
  truncateHead(offset: number): void {
    for (const [pid, entry] of this.#producers) {
      const last = entry.batches[entry.batches.length - 1];
      if (last && last.lastOffset < offset) {
        this.#producers.delete(pid);
        this.#refusedHeads.delete(pid);
      }
    }
  }

  clear(): void {
    this.#producers.clear();
    this.#refusedHeads.clear();
  }
}
