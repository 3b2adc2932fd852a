/**
 * Sender: the producer's one background loop. Each turn it
 *   1. fails batches whose `deliveryTimeoutMs` passed while waiting (not those in flight:
 *      their answer or request timeout comes first),
 *   2. (idempotent) gets a producer id, or bumps the epoch once nothing is in flight,
 *   3. refreshes metadata when a leader is missing or an answer asked for it (at most once
 *      per `retryBackoffMs`),
 *   4. drains due batches (RecordAccumulator) and sends one Produce request per leader,
 *   5. sleeps on the Clock until the next batch is due or something wakes it.
 * Answers are handled as they come (produceOutcome decides: done, retry, fail, epoch bump)
 * and wake the loop. It stops once asked to and nothing is left.
 *
 * Produce request (v3-v11) as sent: transactionalId null, acks, timeoutMs = requestTimeoutMs,
 * topicData = [{ name, partitionData: [{ index, records: one record batch }] }], one batch
 * per partition per request, partitions grouped by leader.
 */
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec, ErrorCode, ProduceRequestCodec, ProduceResponseCodec, CompressionType } from '@samsa/codec/wire';
import type { ProduceRequest, ProduceResponse } from '@samsa/codec/wire';
import type { Clock, TimerHandle } from '@samsa/runtime';
import type { Cluster } from '../cluster/cluster.ts';
import { KafkaClientError, KafkaConnectionError, KafkaError, KafkaStateError, KafkaTimeoutError } from '../errors.ts';
import type { BufferMemory } from './buffer-memory.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ResolvedProducerOptions } from './producer-options.ts';
import { produceOutcome, transportFailureOutcome } from './produce-outcome.ts';
import type { ProduceOutcome } from './produce-outcome.ts';
import { SEQUENCE_MODULO } from './record-accumulator.ts';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator.ts';

const produceApi = { request: ProduceRequestCodec, response: ProduceResponseCodec };
const initProducerIdApi = { request: InitProducerIdRequestCodec, response: InitProducerIdResponseCodec };
/** InitProducerId v3+ carries the current id and epoch, so the broker can bump it (KIP-360). */
const INIT_PRODUCER_ID_BUMP_VERSION_MIN = 3;

export class Sender {
  readonly #o: ResolvedProducerOptions;
  readonly #cluster: Cluster;
  readonly #clock: Clock;
  readonly #accumulator: RecordAccumulator;
  readonly #memory: BufferMemory;
  #producerId = -1;
  #producerEpoch = -1;
  #bumpEpoch = false;
  #fatal: KafkaClientError | null = null;
  #refreshWanted = false;
  #lastRefreshMs = Number.NEGATIVE_INFINITY;
  #refreshing = false;
  #initializing = false;
  #initRetryAtMs = 0;
  #flushes = 0;
  #stopping = false;
  #wake: (() => void) | null = null;
  #woken = false;
  #timer: TimerHandle | null = null;
  #timerDueMs = Number.POSITIVE_INFINITY;
  readonly stopped: Promise<void>;

  constructor(options: ResolvedProducerOptions, cluster: Cluster, accumulator: RecordAccumulator, memory: BufferMemory) {
    this.#o = options;
    this.#cluster = cluster;
    this.#clock = cluster.clock;
    this.#accumulator = accumulator;
    this.#memory = memory;
    this.stopped = this.#run();
  }

  /** The producer id and epoch in use (-1 before the first InitProducerId). */
  get identity(): { producerId: number; producerEpoch: number } {
    return { producerId: this.#producerId, producerEpoch: this.#producerEpoch };
  }

  /** A fatal error that stopped the producer (a non-retriable InitProducerId answer), or null. */
  get fatalError(): KafkaClientError | null {
    return this.#fatal;
  }

  wakeup(): void {
    this.#woken = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Batches ignore linger until the returned function is called. */
  beginFlush(): () => void {
    this.#flushes++;
    this.wakeup();
    let ended = false;
    return () => {
      if (!ended) this.#flushes--;
      ended = true;
    };
  }

  /** Sends what is left (linger ignored), then stops. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.wakeup();
    return this.stopped;
  }

  async #run(): Promise<void> {
    for (;;) {
      const nowMs = this.#clock.monotonicMs();
      this.#expire(nowMs);
      if (this.#stopping && this.#accumulator.isEmpty) {
        this.#timer?.cancel();
        this.#timer = null;
        return;
      }
      let nextDueMs = Number.POSITIVE_INFINITY;
      if (this.#o.idempotent && !this.#accumulator.isEmpty && !this.#identityReady(nowMs)) {
        // Woken when an InitProducerId or an answer it waits for completes.
        if (!this.#initializing && this.#fatal === null) nextDueMs = this.#initRetryAtMs;
      } else {
        const drained = this.#accumulator.drain({
          nowMs,
          lingerMs: this.#o.lingerMs,
          batchSizeBytes: this.#o.batchSizeBytes,
          inFlightMax: this.#o.maxInFlightPerPartition,
          requestBytesMax: this.#o.maxRequestSizeBytes,
          flushing: this.#flushes > 0 || this.#stopping,
          leaderFor: (topic, partition) => this.#cluster.leaderFor(topic, partition),
          prepare: (q, b) => this.#prepare(q, b),
        });
        if (drained.leaderMissing) this.#refreshWanted = true;
        nextDueMs = drained.nextDueMs;
        for (const [leader, batches] of drained.byLeader) void this.#sendTo(leader, batches);
      }
      nextDueMs = Math.min(nextDueMs, this.#nextExpiryMs(), this.#maybeRefresh(nowMs));
      await this.#sleep(nextDueMs);
    }
  }

  /**
   * Sleeps until woken or the monotonic time `dueMs` (past: yields once). One timer stays
   * armed for the same due time across turns (a lingering batch keeps its due time while
   * sends wake the loop), so a busy producer does not set and clear a timer per turn.
   */
  async #sleep(dueMs: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      await Promise.resolve();
      return;
    }
    if (dueMs !== this.#timerDueMs) {
      this.#timer?.cancel();
      this.#timer = null;
      this.#timerDueMs = Number.POSITIVE_INFINITY;
      if (Number.isFinite(dueMs)) {
        this.#timerDueMs = dueMs;
        this.#timer = this.#clock.setTimeout(() => {
          this.#timer = null;
          this.#timerDueMs = Number.POSITIVE_INFINITY;
          this.wakeup();
        }, Math.max(0, dueMs - this.#clock.monotonicMs()));
      }
    }
    await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
    this.#woken = false;
  }

  /** Starts a metadata refresh when wanted and allowed; returns when the next one may start. */
  #maybeRefresh(nowMs: number): number {
    if (!this.#refreshWanted) return Number.POSITIVE_INFINITY;
    const allowedMs = this.#lastRefreshMs + this.#o.retryBackoffMs;
    if (this.#refreshing) return Number.POSITIVE_INFINITY;
    if (nowMs < allowedMs) return allowedMs;
    this.#refreshWanted = false;
    this.#refreshing = true;
    this.#lastRefreshMs = nowMs;
    this.#cluster
      .refreshMetadata()
      .catch(() => (this.#refreshWanted = true))
      .finally(() => {
        this.#refreshing = false;
        this.wakeup();
      });
    return Number.POSITIVE_INFINITY;
  }

  /** True when batches may be sent with the current producer id; else starts getting one. */
  #identityReady(nowMs: number): boolean {
    const needed = this.#producerId < 0 || this.#bumpEpoch;
    if (!needed) return true;
    if (this.#fatal !== null) return false;
    if (this.#bumpEpoch && this.#accumulator.inFlightCount > 0) return false; // wait for the answers first
    if (!this.#initializing && nowMs >= this.#initRetryAtMs) {
      this.#initializing = true;
      void this.#initProducerId().finally(() => {
        this.#initializing = false;
        this.wakeup();
      });
    }
    return false;
  }

  async #initProducerId(): Promise<void> {
    try {
      const brokers = this.#cluster.metadata.brokers();
      if (brokers.length === 0) await this.#cluster.refreshMetadata();
      const nodeId = this.#cluster.metadata.brokers()[0]?.nodeId;
      if (nodeId === undefined) throw new KafkaConnectionError('cluster', 'no broker known');
      const connection = await this.#cluster.connection(nodeId);
      const bump = this.#producerId >= 0;
      const response = await connection.request(initProducerIdApi, (version) => ({
        transactionalId: null,
        transactionTimeoutMs: -1,
        producerId: bump && version >= INIT_PRODUCER_ID_BUMP_VERSION_MIN ? this.#producerId : -1,
        producerEpoch: bump && version >= INIT_PRODUCER_ID_BUMP_VERSION_MIN ? this.#producerEpoch : -1,
      }));
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, 'InitProducerId');
      this.#producerId = response.producerId;
      this.#producerEpoch = response.producerEpoch;
      this.#bumpEpoch = false;
      this.#accumulator.resequence();
    } catch (error) {
      if (error instanceof KafkaClientError && error.retriable) {
        this.#initRetryAtMs = this.#clock.monotonicMs() + this.#o.retryBackoffMs;
        this.#refreshWanted = true;
        return;
      }
      this.#fatal = new KafkaStateError(`the producer could not get a producer id: ${String(error)}`, { cause: error });
      for (const b of this.#accumulator.pending()) this.#finishFailed(b, this.#fatal);
    }
  }

  /** Fixes a batch's producer id, epoch and sequence and builds its bytes (once per sequence). */
  #prepare(q: PartitionQueue, b: ProducerBatch): void {
    if (b.bytes !== null) return;
    if (this.#o.idempotent) {
      b.producerId = this.#producerId;
      b.producerEpoch = this.#producerEpoch;
      if (b.baseSequence === null) {
        b.baseSequence = q.nextSequence;
        q.nextSequence = (q.nextSequence + b.recordCount) % SEQUENCE_MODULO;
      }
    }
    b.encode(CompressionType[this.#o.compression]);
  }

  async #sendTo(leader: number, batches: ProducerBatch[]): Promise<void> {
    for (const b of batches) b.attempts++;
    let response: ProduceResponse | null;
    try {
      const connection = await this.#cluster.connection(leader);
      response = await connection.request(produceApi, this.#requestBody(batches), {
        expectResponse: this.#o.acks !== 0,
        timeoutMs: this.#o.requestTimeoutMs,
      });
    } catch (error) {
      const failure = error instanceof KafkaClientError ? error : new KafkaConnectionError(`node ${leader}`, String(error), { cause: error });
      this.#refreshWanted = true;
      for (const b of batches) this.#apply(b, transportFailureOutcome(this.#context(b)), failure);
      this.wakeup();
      return;
    }
    if (response === null) {
      for (const b of batches) this.#finishDone(b, -1, -1);
    } else {
      for (const b of batches) this.#handleAnswer(b, response);
    }
    this.wakeup();
  }

  #requestBody(batches: ProducerBatch[]): ProduceRequest {
    const byTopic = new Map<string, { index: number; records: Uint8Array }[]>();
    for (const b of batches) {
      const list = byTopic.get(b.topic) ?? [];
      list.push({ index: b.partition, records: b.bytes! });
      byTopic.set(b.topic, list);
    }
    return {
      transactionalId: null,
      acks: this.#o.acks,
      timeoutMs: this.#o.requestTimeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
    };
  }

  #handleAnswer(b: ProducerBatch, response: ProduceResponse): void {
    const answer = response.responses.find((t) => t.name === b.topic)?.partitionResponses.find((p) => p.index === b.partition);
    if (answer === undefined) {
      const error = new KafkaError(ErrorCode.NETWORK_EXCEPTION, `no answer for ${b.topic}-${b.partition}`);
      return this.#apply(b, transportFailureOutcome(this.#context(b)), error);
    }
    const outcome = produceOutcome(answer.errorCode, this.#context(b));
    if (outcome.kind === 'done') return this.#finishDone(b, outcome.offsetsKnown ? answer.baseOffset : -1, answer.logAppendTimeMs);
    this.#apply(b, outcome, new KafkaError(answer.errorCode, `${b.topic}-${b.partition}${answer.errorMessage === null ? '' : `: ${answer.errorMessage}`}`));
  }

  #context(b: ProducerBatch): { idempotent: boolean; firstUnacked: boolean; timeLeft: boolean } {
    const q = this.#accumulator.queue(b.topic, b.partition);
    return {
      idempotent: this.#o.idempotent,
      firstUnacked: b.baseSequence !== null && q.firstUnackedSequence() === b.baseSequence,
      timeLeft: this.#clock.monotonicMs() < b.createdMs + this.#o.deliveryTimeoutMs && this.#fatal === null,
    };
  }

  #apply(b: ProducerBatch, outcome: ProduceOutcome, error: KafkaClientError): void {
    if (outcome.kind === 'done') return this.#finishDone(b, -1, -1);
    if (outcome.bumpEpoch && this.#o.idempotent) this.#bumpEpoch = true;
    if (outcome.kind === 'fail') return this.#finishFailed(b, error);
    this.#refreshWanted = true;
    const backoffMs = Math.min(this.#o.retryBackoffMaxMs, this.#o.retryBackoffMs * 2 ** Math.max(0, b.attempts - 1));
    b.retryAtMs = this.#clock.monotonicMs() + backoffMs;
    this.#cluster.observer.log('debug', 'retrying a produce', { topic: b.topic, partition: b.partition, attempts: b.attempts, backoffMs, error: error.message });
    this.#accumulator.queue(b.topic, b.partition).requeue(b);
  }

  #finishDone(b: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void {
    this.#accumulator.queue(b.topic, b.partition).removeInFlight(b);
    b.complete(baseOffset, logAppendTimeMs);
    this.#observeBatch(b, 0);
    this.#release(b);
  }

  #finishFailed(b: ProducerBatch, error: Error): void {
    const q = this.#accumulator.queue(b.topic, b.partition);
    q.removeInFlight(b);
    const at = q.queued.indexOf(b);
    if (at >= 0) q.queued.splice(at, 1);
    b.fail(error);
    this.#observeBatch(b, error instanceof KafkaError ? error.errorCode : -1);
    this.#cluster.observer.log('warn', 'a produce failed', { topic: b.topic, partition: b.partition, records: b.recordCount, attempts: b.attempts, error: error.message });
    this.#release(b);
  }

  #observeBatch(b: ProducerBatch, errorCode: number): void {
    this.#cluster.observer.producedBatch({
      topic: b.topic,
      partition: b.partition,
      records: b.recordCount,
      bytes: b.sizeBytes,
      attempts: b.attempts,
      durationMs: this.#clock.monotonicMs() - b.createdMs,
      errorCode,
    });
  }

  #release(b: ProducerBatch): void {
    const bytes = b.reservedBytes;
    b.reservedBytes = 0;
    if (bytes > 0) this.#memory.release(bytes);
  }

  /** Fails waiting batches past their delivery timeout; a lost sequence asks for an epoch bump. */
  #expire(nowMs: number): void {
    const timeoutMs = this.#o.deliveryTimeoutMs;
    for (const q of this.#accumulator.queues()) {
      for (let i = 0; i < q.queued.length; ) {
        const b = q.queued[i]!;
        if (nowMs < b.createdMs + timeoutMs) {
          i++;
          continue;
        }
        if (b.baseSequence !== null) this.#bumpEpoch = true;
        this.#finishFailed(b, new KafkaTimeoutError(`${b.recordCount} record(s) for ${b.topic}-${b.partition} expired: deliveryTimeoutMs ${timeoutMs} passed`)); // takes it out of q.queued
      }
    }
    this.#accumulator.prune();
  }

  #nextExpiryMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const q of this.#accumulator.queues()) for (const b of q.queued) next = Math.min(next, b.createdMs + this.#o.deliveryTimeoutMs);
    return next;
  }
}
