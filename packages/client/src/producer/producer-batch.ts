/**
 * ProducerBatch: the records bound for one partition that travel as one record batch v2.
 *
 * Layout on the wire (built by the codec's buildRecordBatch, 61-byte header first):
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 = 2 |
 *   crc uint32 (CRC-32C of attributes..end) | attributes int16 (compression in bits 0-2) |
 *   lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 | producerId int64 |
 *   producerEpoch int16 | baseSequence int32 | recordCount int32 | records…
 *
 * Life: open (appends allowed, size estimated) → drained (closed to appends; for an
 * idempotent producer a producer id, epoch and base sequence are fixed and the bytes built
 * once) → in flight → done (every record's promise settled, exactly once) or back in the
 * queue for a retry, where it is sent again with the same bytes (the broker deduplicates
 * by sequence) unless an epoch bump gave it a new sequence (the bytes are then rebuilt).
 *
 * Size estimate (Kafka's upper bound): 61 header bytes, plus per record its key, value and
 * headers and at most 21 bytes of varints and attributes. `sizeBytes` never shrinks.
 */
import { buildRecordBatch, RECORD_BATCH_HEADER_BYTES } from '@samsa/codec/wire';
import type { CompressionType, RecordInput } from '@samsa/codec/wire';

export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset; -1 when unknown (acks=0, or a duplicate the broker no longer had offsets for). */
  readonly offset: number;
  /** The broker's LogAppendTime, or -1 for CreateTime topics and acks=0. */
  readonly logAppendTimeMs: number;
}

/** Kafka's bound on a record's framing: length, attributes, deltas, key and value lengths, header count. */
export const RECORD_OVERHEAD_BYTES_MAX = 21;
const utf8 = new TextEncoder();

/** Upper bound of the bytes one record adds to a batch. */
export function estimateRecordBytes(record: RecordInput): number {
  let n = RECORD_OVERHEAD_BYTES_MAX + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  for (const h of record.headers ?? []) n += 10 + utf8.encode(h.key).byteLength + (h.value?.byteLength ?? 0);
  return n;
}

interface RecordWaiter {
  resolve(metadata: RecordMetadata): void;
  reject(error: Error): void;
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  /** Monotonic ms of the first append: linger and delivery timeout count from here. */
  readonly createdMs: number;
  readonly records: RecordInput[] = [];
  readonly #waiters: RecordWaiter[] = [];
  /** Estimated encoded size, header included. */
  sizeBytes = RECORD_BATCH_HEADER_BYTES;
  /** Buffer memory held for this batch, released once when it is done. */
  reservedBytes = 0;
  open = true;
  /** Sends so far. */
  attempts = 0;
  /** Monotonic ms before which a retry is not sent. */
  retryAtMs = 0;
  producerId = -1;
  producerEpoch = -1;
  /** Sequence of the first record, or null until drained by an idempotent producer. */
  baseSequence: number | null = null;
  /** The encoded batch, built at the first drain and kept for retries. */
  bytes: Uint8Array | null = null;
  #done = false;
  readonly done: Promise<void>;
  #markDone!: () => void;

  constructor(topic: string, partition: number, createdMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.createdMs = createdMs;
    this.done = new Promise((resolve) => (this.#markDone = resolve));
  }

  get recordCount(): number {
    return this.records.length;
  }

  get isDone(): boolean {
    return this.#done;
  }

  /** Adds a record if the batch is open and (when not empty) stays within `batchSizeBytes`; null otherwise. */
  tryAppend(record: RecordInput, recordBytes: number, batchSizeBytes: number): Promise<RecordMetadata> | null {
    if (!this.open) return null;
    if (this.records.length > 0 && this.sizeBytes + recordBytes > batchSizeBytes) return null;
    this.records.push(record);
    this.sizeBytes += recordBytes;
    return new Promise<RecordMetadata>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The bytes to send, built once per (producer id, epoch, sequence). */
  encode(compression: CompressionType): Uint8Array {
    this.bytes ??= buildRecordBatch(this.records, {
      compression,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.baseSequence ?? -1,
    });
    return this.bytes;
  }

  /** Resolves every record: offsets baseOffset, baseOffset+1, … (-1 stays -1). */
  complete(baseOffset: number, logAppendTimeMs: number): void {
    if (this.#finish()) {
      this.#waiters.forEach((w, i) =>
        w.resolve({ topic: this.topic, partition: this.partition, offset: baseOffset < 0 ? -1 : baseOffset + i, logAppendTimeMs }),
      );
    }
  }

  fail(error: Error): void {
    if (this.#finish()) for (const w of this.#waiters) w.reject(error);
  }

  #finish(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.open = false;
    this.#markDone();
    return true;
  }
}
