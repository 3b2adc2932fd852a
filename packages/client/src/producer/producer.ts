/**
 * Producer: the public producer. `send()` places each record in a partition, waits (at
 * most `maxBlockMs`) for metadata and buffer room, appends it to its partition's batch and
 * resolves with the record's offset once the broker acknowledged it (`acks`), or rejects
 * with a typed error: KafkaError (a non-retriable answer), KafkaTimeoutError (maxBlockMs
 * or deliveryTimeoutMs), KafkaAbortError, RecordTooLargeError, KafkaStateError (closed).
 *
 * Ordering: records of one partition are acknowledged in `send` order; with idempotence
 * (the default) retries keep that order and the broker drops duplicates by sequence.
 * AbortSignal: aborts the waiting for metadata and buffer room; records already appended to
 * a batch are still delivered (their bytes may be on the wire), and the send's promise
 * follows them.
 * Bounded: buffer memory, requests in flight per partition and per connection, topics tracked.
 */
import { initCompression, RECORD_BATCH_HEADER_BYTES } from '@samsa/codec/wire';
import type { RecordInput } from '@samsa/codec/wire';
import type { Cluster } from '../cluster/cluster.ts';
import { clusterFromOptions } from '../cluster/client-options.ts';
import { abortErrorOf, KafkaStateError, RecordTooLargeError } from '../errors.ts';
import { defaultPartitioner } from '../partitioners/index.ts';
import type { Partitioner } from '../partitioners/index.ts';
import { BufferMemory } from './buffer-memory.ts';
import { estimateRecordBytes, SendResults } from './producer-batch.ts';
import type { RecordMetadata } from './producer-batch.ts';
import { resolveProducerOptions } from './producer-options.ts';
import type { ProducerOptions, ResolvedProducerOptions } from './producer-options.ts';
import { RecordAccumulator } from './record-accumulator.ts';
import { Sender } from './sender.ts';

export interface ProducerRecord {
  readonly key?: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly { readonly key: string; readonly value: Uint8Array | null }[];
  /** Explicit partition: overrides the partitioner. */
  readonly partition?: number;
  /** CreateTime in epoch ms; default the Clock's wall time at `send`. */
  readonly timestamp?: number;
}

export interface SendRequest {
  readonly topic: string;
  readonly messages: readonly ProducerRecord[];
}

export interface SendOptions {
  readonly signal?: AbortSignal;
}

export class Producer {
  readonly options: ResolvedProducerOptions;
  readonly cluster: Cluster;
  readonly #partitioner: Partitioner;
  readonly #memory: BufferMemory;
  readonly #accumulator = new RecordAccumulator();
  readonly #sender: Sender;
  #closing: Promise<void> | null = null;
  #compressionReady: Promise<void> | null = null;

  constructor(options: ProducerOptions) {
    this.options = resolveProducerOptions(options);
    this.cluster = clusterFromOptions(options, {
      requestTimeoutMs: this.options.requestTimeoutMs,
      retryBackoffMs: this.options.retryBackoffMs,
      ...(options.allowAutoTopicCreation === undefined ? {} : { allowAutoTopicCreation: options.allowAutoTopicCreation }),
    });
    this.#partitioner = options.partitioner ?? defaultPartitioner(options.random);
    this.#memory = new BufferMemory(this.options.bufferMemoryBytes, options.clock);
    this.#sender = new Sender(this.options, this.cluster, this.#accumulator, this.#memory);
  }

  /** The producer id and epoch in use (-1 before the first idempotent send). */
  get identity(): { producerId: number; producerEpoch: number } {
    return this.#sender.identity;
  }

  /** Buffer memory in use, in estimated bytes. */
  get bufferedBytes(): number {
    return this.#memory.usedBytes;
  }

  /**
   * Sends the records to `topic`; resolves with one RecordMetadata per record, in order.
   * The whole array takes its buffer memory at once when there is room; only when the
   * buffer is full does it wait, record by record (backpressure, bounded by maxBlockMs).
   * Each record is encoded into its partition's batch here; the send's promise settles
   * once every batch it went to is done (one settlement per batch, not per record).
   */
  async send(request: SendRequest, options: SendOptions = {}): Promise<RecordMetadata[]> {
    this.#checkOpen();
    const o = this.options;
    const clock = this.cluster.clock;
    const signal = options.signal;
    const deadlineMs = clock.monotonicMs() + o.maxBlockMs;
    if (o.compression === 'zstd') await (this.#compressionReady ??= initCompression());
    const topicName = request.topic;
    const topic = await this.cluster.topic(topicName, { deadlineMs, ...(signal === undefined ? {} : { signal }) });
    this.#checkOpen();
    if (signal?.aborted === true) throw abortErrorOf(signal);

    // Pass 1: every record's input and size, checked before any is appended.
    const messages = request.messages;
    const n = messages.length;
    const recordBytesMax = Math.min(o.maxRequestSizeBytes, o.bufferMemoryBytes) - RECORD_BATCH_HEADER_BYTES;
    const wallMs = clock.wallMs();
    const records = new Array<RecordInput>(n);
    const sizes = new Array<number>(n);
    let totalBytes = 0;
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      const timestampMs = m.timestamp ?? wallMs;
      if (!Number.isSafeInteger(timestampMs)) throw new RangeError(`record ${i}: timestamp ${timestampMs} is not a safe integer (epoch ms)`);
      const record: RecordInput = m.headers === undefined ? { key: m.key ?? null, value: m.value, timestampMs } : { key: m.key ?? null, value: m.value, headers: m.headers, timestampMs };
      const recordBytes = estimateRecordBytes(record);
      if (recordBytes > recordBytesMax) throw new RecordTooLargeError(`a record of about ${recordBytes} bytes is over maxRequestSizeBytes/bufferMemoryBytes`);
      records[i] = record;
      sizes[i] = recordBytes;
      totalBytes += recordBytes;
    }

    // Pass 2: buffer memory for the whole send at once if there is room, else record by record (waiting).
    const results = new SendResults(n);
    const whole = this.#memory.tryReserve(totalBytes);
    /** Reserved and not yet handed to a batch: given back if this send stops half-way. */
    let reserved = whole ? totalBytes : 0;
    const numPartitions = topic.partitions.length;
    let available: readonly number[] | null = null;
    let nowMs = clock.monotonicMs();
    try {
      for (let i = 0; i < n; i++) {
        const recordBytes = sizes[i]!;
        if (!whole) {
          if (!this.#memory.tryReserve(recordBytes)) {
            this.#sender.wakeup(); // full batches go out while this send waits
            await this.#memory.reserve(recordBytes, deadlineMs, signal);
            reserved += recordBytes;
            this.#checkOpen();
            available = null;
            nowMs = clock.monotonicMs();
          } else {
            reserved += recordBytes;
          }
        }
        const record = records[i]!;
        available ??= this.cluster.metadata.availablePartitions(topicName);
        const partition = this.#partitionFor(topicName, messages[i]!.partition, record, recordBytes, numPartitions, available);
        const batch = this.#accumulator.append(topicName, partition, record, recordBytes, o.batchSizeBytes, nowMs, results, i);
        reserved -= recordBytes;
        batch.reservedBytes += recordBytes;
      }
    } finally {
      if (reserved > 0) this.#memory.release(reserved);
      this.#sender.wakeup();
    }
    return results.promise();
  }

  /** Resolves once every record sent before the call is acknowledged or failed (linger is skipped). */
  async flush(): Promise<void> {
    const pending = this.#accumulator.pending().map((b) => b.done);
    const end = this.#sender.beginFlush();
    try {
      await Promise.all(pending);
    } finally {
      end();
    }
  }

  /** Stops taking records, delivers what is buffered (each batch within its delivery timeout), closes connections. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#sender.stop();
      await this.cluster.close();
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new KafkaStateError('the producer is closed');
    const fatal = this.#sender.fatalError;
    if (fatal !== null) throw fatal;
  }

  /** The partitioner's choice; a keyless record that would open a new batch lets the sticky partitioner move first (KIP-480). */
  #partitionFor(topic: string, explicit: number | undefined, record: RecordInput, recordBytes: number, numPartitions: number, available: readonly number[]): number {
    const key = record.key ?? null;
    let partition = explicit ?? this.#partitioner.partition({ topic, key, value: record.value, numPartitions, availablePartitions: available });
    if (explicit === undefined && key === null && this.#accumulator.wouldStartBatch(topic, partition, recordBytes, this.options.batchSizeBytes)) {
      this.#partitioner.onNewBatch?.(topic, partition, numPartitions, available);
      partition = this.#partitioner.partition({ topic, key, value: record.value, numPartitions, availablePartitions: available });
    }
    if (!(Number.isInteger(partition) && partition >= 0 && partition < numPartitions)) {
      throw new RangeError(`partition ${partition} of ${topic} is not in [0, ${numPartitions})`);
    }
    return partition;
  }
}
