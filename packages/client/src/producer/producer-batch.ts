/**
 * ProducerBatch: the records bound for one partition that travel as one record batch v2.
 *
 * Layout on the wire (61-byte header first):
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 = 2 |
 *   crc uint32 (CRC-32C of attributes..end) | attributes int16 (compression in bits 0-2) |
 *   lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 | producerId int64 |
 *   producerEpoch int16 | baseSequence int32 | recordCount int32 | records…
 *
 * Records are encoded at append, straight into one growing buffer behind room for the
 * header (record v2: length, attributes, timestamp delta from the first record, offset
 * delta = index in the batch, key, value, headers), so a batch keeps bytes, not record
 * objects, while it lingers. Draining writes the header and CRC in place (uncompressed: no
 * copy) or compresses the records section once.
 *
 * Life: open (appends allowed, size estimated) → drained (closed to appends; for an
 * idempotent producer a producer id, epoch and base sequence are fixed and the header
 * written) → in flight → done (every send that appended to it told, exactly once) or back
 * in the queue for a retry, where it is sent again with the same bytes (the broker
 * deduplicates by sequence) unless an epoch bump gave it a new sequence (the header is then
 * rewritten; the records stay).
 *
 * Outcome: no promise per record. Each `send()` call has one SendResults; the batch keeps
 * the runs ("segments") of consecutive records that one send appended and, at completion,
 * writes each record's RecordMetadata (offset = the batch's base offset + its index) into
 * that send's array, then tells the send one segment settled.
 *
 * Size estimate (Kafka's upper bound): 61 header bytes, plus per record its key, value and
 * headers and at most 21 bytes of varints and attributes. `sizeBytes` never shrinks and is
 * never below the encoded size.
 */
import {
  BATCH_OFFSETS as O,
  compress,
  crc32c,
  MAGIC_V2,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
  varintBytes,
  varlongBytes,
  writeVarint,
  writeVarlong,
} from '@samsa/codec/wire';
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
/** Timestamp deltas are kept within ±2^51, as the codec's batch builder does (exact varlongs). */
const TIMESTAMP_DELTA_MAX = 2 ** 51;
/** First buffer of a partition's first batch; later batches start at the size the previous one reached. */
const INITIAL_BUFFER_BYTES = 1024;
const utf8 = new TextEncoder();

/** Upper bound of the bytes one record adds to a batch. */
export function estimateRecordBytes(record: RecordInput): number {
  let n = RECORD_OVERHEAD_BYTES_MAX + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  const headers = record.headers;
  if (headers !== undefined) for (const h of headers) n += 10 + utf8.encode(h.key).byteLength + (h.value?.byteLength ?? 0);
  return n;
}

/**
 * The outcome of one `send()` call: one RecordMetadata per record, filled in by the batches
 * the records went to; settles once every segment settled (or at the first failure) and
 * `promise()` was asked for.
 */
export class SendResults {
  readonly metadata: RecordMetadata[];
  #pending = 0;
  #error: Error | null = null;
  #resolve: ((metadata: RecordMetadata[]) => void) | null = null;
  #reject: ((error: Error) => void) | null = null;

  constructor(count: number) {
    this.metadata = new Array<RecordMetadata>(count);
  }

  /** A batch took a run of this send's records. */
  hold(): void {
    this.#pending++;
  }

  /** A run's metadata is written. */
  settle(): void {
    this.#pending--;
    this.#finish();
  }

  fail(error: Error): void {
    this.#pending--;
    this.#error ??= error;
    this.#finish();
  }

  /** The send's promise; asked for once, after the last append. */
  promise(): Promise<RecordMetadata[]> {
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#finish();
    });
  }

  #finish(): void {
    if (this.#resolve === null) return;
    if (this.#error !== null) this.#reject!(this.#error);
    else if (this.#pending === 0) this.#resolve(this.metadata);
    else return;
    this.#resolve = null;
    this.#reject = null;
  }
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  /** Monotonic ms of the first append: linger and delivery timeout count from here. */
  readonly createdMs: number;
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
  /** The encoded batch, built at the first drain; kept for retries, reset (null) when the sequence changes. */
  bytes: Uint8Array | null = null;

  /** Header room, then the encoded records up to #end. */
  #buffer: Uint8Array;
  #end = RECORD_BATCH_HEADER_BYTES;
  #count = 0;
  #baseTimestamp = 0;
  #maxTimestamp = 0;
  /** The whole batch once the records are final: #buffer's view (uncompressed) or header + compressed records. */
  #wire: Uint8Array | null = null;
  /** nextBufferBytes, fixed when the records buffer is dropped (compressed batches). */
  #nextBufferBytes: number | null = null;
  /** Segments: sends[i] took this batch's records from[i]..from[i+1]-1, its own indexes at[i]… */
  readonly #sends: SendResults[] = [];
  readonly #from: number[] = [];
  readonly #at: number[] = [];
  #done = false;
  #donePromise: Promise<void> | null = null;
  #markDone: (() => void) | null = null;

  constructor(topic: string, partition: number, createdMs: number, initialBufferBytes = INITIAL_BUFFER_BYTES) {
    this.topic = topic;
    this.partition = partition;
    this.createdMs = createdMs;
    this.#buffer = new Uint8Array(Math.max(RECORD_BATCH_HEADER_BYTES + 64, initialBufferBytes));
  }

  get recordCount(): number {
    return this.#count;
  }

  /** What the next batch of the partition should start its buffer at: this one's, unless it is mostly unused. */
  get nextBufferBytes(): number {
    return this.#nextBufferBytes ?? Math.min(this.#buffer.length, 2 * this.#end);
  }

  get isDone(): boolean {
    return this.#done;
  }

  /** Resolves once the batch is done (acknowledged or failed). */
  get done(): Promise<void> {
    if (this.#done) return Promise.resolve();
    return (this.#donePromise ??= new Promise<void>((resolve) => (this.#markDone = resolve)));
  }

  /**
   * Encodes the record into the batch if it is open and (when not empty) stays within
   * `batchSizeBytes`; false otherwise. `send`/`index`: whose record it is (its place in that
   * send's results). Throws RangeError for a timestamp that is not a safe integer or is too
   * far from the batch's first (nothing appended then).
   */
  tryAppend(record: RecordInput, recordBytes: number, batchSizeBytes: number, send?: SendResults, index = 0): boolean {
    if (!this.open) return false;
    const n = this.#count;
    if (n > 0 && this.sizeBytes + recordBytes > batchSizeBytes) return false;
    const ts = record.timestampMs ?? (n === 0 ? -1 : this.#baseTimestamp);
    if (!Number.isSafeInteger(ts)) throw new RangeError(`record timestamp ${ts} is not a safe integer`);
    const delta = n === 0 ? 0 : ts - this.#baseTimestamp;
    if (!(Math.abs(delta) <= TIMESTAMP_DELTA_MAX)) throw new RangeError(`record timestamp ${ts} is too far from the batch's ${this.#baseTimestamp}`);

    const key = record.key;
    const value = record.value;
    const headers = record.headers;
    let body = 1 + varlongBytes(delta) + varintBytes(n) + (key == null ? 1 : varintBytes(key.length) + key.length) + (value === null ? 1 : varintBytes(value.length) + value.length);
    let headerKeys: Uint8Array[] | null = null;
    if (headers === undefined || headers.length === 0) {
      body += 1;
    } else {
      headerKeys = [];
      body += varintBytes(headers.length);
      for (const h of headers) {
        const k = utf8.encode(h.key);
        headerKeys.push(k);
        body += varintBytes(k.length) + k.length + (h.value === null ? 1 : varintBytes(h.value.length) + h.value.length);
      }
    }
    const need = this.#end + varintBytes(body) + body;
    if (need > this.#buffer.length) this.#grow(need, batchSizeBytes);

    const out = this.#buffer;
    let p = writeVarint(out, this.#end, body);
    out[p++] = 0; // attributes
    p = delta === 0 ? ((out[p] = 0), p + 1) : writeVarlong(out, p, delta);
    p = n < 64 ? ((out[p] = n << 1), p + 1) : writeVarint(out, p, n);
    p = writeBytesField(out, p, key);
    p = writeBytesField(out, p, value);
    if (headerKeys === null) {
      out[p++] = 0;
    } else {
      p = writeVarint(out, p, headers!.length);
      headers!.forEach((h, i) => {
        p = writeBytesField(out, p, headerKeys[i]);
        p = writeBytesField(out, p, h.value);
      });
    }
    this.#end = p;

    if (n === 0) this.#baseTimestamp = this.#maxTimestamp = ts;
    else if (ts > this.#maxTimestamp) this.#maxTimestamp = ts;
    this.#count = n + 1;
    this.sizeBytes += recordBytes;
    if (send !== undefined) {
      const last = this.#sends.length - 1;
      if (last < 0 || this.#sends[last] !== send || this.#at[last]! + (n - this.#from[last]!) !== index) {
        this.#sends.push(send);
        this.#from.push(n);
        this.#at.push(index);
        send.hold();
      }
    }
    return true;
  }

  /** The bytes to send: the header (producer id, epoch, sequence) is written once per sequence, the records once. */
  encode(compression: CompressionType): Uint8Array {
    if (this.bytes !== null) return this.bytes;
    if (this.#count === 0) throw new RangeError('a record batch needs at least one record');
    let wire = this.#wire;
    if (wire === null) {
      if (compression === 0) {
        wire = this.#buffer.subarray(0, this.#end);
      } else {
        const compressed = compress(compression, this.#buffer.subarray(RECORD_BATCH_HEADER_BYTES, this.#end));
        wire = new Uint8Array(RECORD_BATCH_HEADER_BYTES + compressed.length);
        wire.set(compressed, RECORD_BATCH_HEADER_BYTES);
        this.#nextBufferBytes = this.nextBufferBytes;
        this.#buffer = wire;
      }
      this.#wire = wire;
    }
    this.#writeHeader(wire, compression);
    this.bytes = wire;
    return wire;
  }

  /** Every record's metadata: offsets baseOffset, baseOffset+1, … (-1 stays -1). */
  complete(baseOffset: number, logAppendTimeMs: number): void {
    if (!this.#finish()) return;
    const sends = this.#sends;
    for (let s = 0; s < sends.length; s++) {
      const send = sends[s]!;
      const from = this.#from[s]!;
      const to = s + 1 < sends.length ? this.#from[s + 1]! : this.#count;
      const metadata = send.metadata;
      let at = this.#at[s]!;
      for (let i = from; i < to; i++) {
        metadata[at++] = { topic: this.topic, partition: this.partition, offset: baseOffset < 0 ? -1 : baseOffset + i, logAppendTimeMs };
      }
      send.settle();
    }
  }

  fail(error: Error): void {
    if (this.#finish()) for (const send of this.#sends) send.fail(error);
  }

  #finish(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.open = false;
    this.#markDone?.();
    return true;
  }

  /** Doubles the buffer (at least to `need`; at most to what a full batch needs, unless one record is larger). */
  #grow(need: number, batchSizeBytes: number): void {
    const size = Math.max(need, Math.min(this.#buffer.length * 2, batchSizeBytes));
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#end));
    this.#buffer = grown;
  }

  #writeHeader(out: Uint8Array, compression: CompressionType): void {
    writeInt32(out, O.baseOffset, 0);
    writeInt32(out, O.baseOffset + 4, 0);
    writeInt32(out, O.batchLength, out.length - RECORD_BATCH_LOG_OVERHEAD_BYTES);
    writeInt32(out, O.partitionLeaderEpoch, -1);
    out[O.magic] = MAGIC_V2;
    out[O.attributes] = 0;
    out[O.attributes + 1] = compression;
    writeInt32(out, O.lastOffsetDelta, this.#count - 1);
    writeInt64(out, O.baseTimestamp, this.#baseTimestamp);
    writeInt64(out, O.maxTimestamp, this.#maxTimestamp);
    writeInt64(out, O.producerId, this.producerId);
    out[O.producerEpoch] = this.producerEpoch >>> 8;
    out[O.producerEpoch + 1] = this.producerEpoch;
    writeInt32(out, O.baseSequence, this.baseSequence ?? -1);
    writeInt32(out, O.recordCount, this.#count);
    writeInt32(out, O.crc, crc32c(out, O.attributes, out.length));
  }
}

function writeBytesField(out: Uint8Array, p: number, v: Uint8Array | null | undefined): number {
  if (v == null) {
    out[p] = 1; // zigzag(-1)
    return p + 1;
  }
  p = writeVarint(out, p, v.length);
  if (v.length > 0) out.set(v, p);
  return p + v.length;
}

function writeInt32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

/** A safe integer as big-endian int64 (two's complement for negatives). */
function writeInt64(b: Uint8Array, p: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  writeInt32(b, p, hi | 0);
  writeInt32(b, p + 4, (v - hi * 4294967296) >>> 0);
}
