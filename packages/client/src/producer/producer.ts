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
import { KafkaStateError, RecordTooLargeError } from '../errors.ts';
import { defaultPartitioner } from '../partitioners/index.ts';
import type { Partitioner } from '../partitioners/index.ts';
import { BufferMemory } from './buffer-memory.ts';
import { estimateRecordBytes } from './producer-batch.ts';
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

  /** Sends the records to `topic`; resolves with one RecordMetadata per record, in order. */
  async send(request: SendRequest, options: SendOptions = {}): Promise<RecordMetadata[]> {
    this.#checkOpen();
    const clock = this.cluster.clock;
    const deadlineMs = clock.monotonicMs() + this.options.maxBlockMs;
    if (this.options.compression === 'zstd') await (this.#compressionReady ??= initCompression());
    const topic = await this.cluster.topic(request.topic, { deadlineMs, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    const results: Promise<RecordMetadata>[] = [];
    for (const message of request.messages) {
      this.#checkOpen();
      const record: RecordInput = {
        key: message.key ?? null,
        value: message.value,
        ...(message.headers === undefined ? {} : { headers: message.headers }),
        timestampMs: message.timestamp ?? clock.wallMs(),
      };
      const recordBytes = estimateRecordBytes(record);
      if (recordBytes + RECORD_BATCH_HEADER_BYTES > Math.min(this.options.maxRequestSizeBytes, this.options.bufferMemoryBytes)) {
        throw new RecordTooLargeError(`a record of about ${recordBytes} bytes is over maxRequestSizeBytes/bufferMemoryBytes`);
      }
      await this.#memory.reserve(recordBytes, deadlineMs, options.signal);
      const partition = this.#partitionFor(request.topic, message, record, recordBytes, topic.partitions.length);
      const { result, batch } = this.#accumulator.append(request.topic, partition, record, recordBytes, this.options.batchSizeBytes, clock.monotonicMs());
      batch.reservedBytes += recordBytes;
      results.push(result);
      if (batch.sizeBytes >= this.options.batchSizeBytes || this.options.lingerMs === 0) this.#sender.wakeup();
    }
    this.#sender.wakeup();
    return Promise.all(results);
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
  #partitionFor(topic: string, message: ProducerRecord, record: RecordInput, recordBytes: number, numPartitions: number): number {
    const available = this.cluster.metadata.availablePartitions(topic);
    const ask = (): number =>
      message.partition ?? this.#partitioner.partition({ topic, key: record.key ?? null, value: record.value, numPartitions, availablePartitions: available });
    let partition = ask();
    if (message.partition === undefined && record.key == null && this.#accumulator.wouldStartBatch(topic, partition, recordBytes, this.options.batchSizeBytes)) {
      this.#partitioner.onNewBatch?.(topic, partition, numPartitions, available);
      partition = ask();
    }
    if (!(Number.isInteger(partition) && partition >= 0 && partition < numPartitions)) {
      throw new RangeError(`partition ${partition} of ${topic} is not in [0, ${numPartitions})`);
    }
    return partition;
  }
}
