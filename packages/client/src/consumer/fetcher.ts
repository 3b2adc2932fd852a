/**
 * Fetcher: the consumer's background loop. Each round it
 *   1. makes sure the metadata knows every assigned topic and folds the partitions'
 *      leader epochs into the states (a newer epoch sends a partition to validation);
 *   2. resolves positions: ListOffsets for partitions awaiting a reset, OffsetForLeaderEpoch
 *      for partitions awaiting validation (KIP-320), both at the leaders;
 *   3. sends one Fetch to every leader broker that has fetchable partitions and no Fetch
 *      outstanding, while the buffer has room. Partitions are fetched from their fetch
 *      position, ahead of what the application took (prefetch): an answer's batch headers
 *      are scanned (scanPartitionRecords), the fetch position moves, and the next Fetch can
 *      leave at once; records are decoded only when the application takes the batch, so
 *      the broker serves the next Fetch while this client decodes the last one.
 * It then sleeps until woken: a Fetch answered, `wakeup()` (assign, seek, resume, a batch
 * taken), or the earliest backoff expiring (Clock timer).
 *
 * Invariants:
 * - At most one Fetch in flight per broker; each partition is in at most one (states.inFlight).
 * - Fetch asks for ≤ fetchMaxBytes in all and ≤ maxPartitionFetchBytes per partition; no
 *   new Fetch starts while the buffer holds ≥ bufferedBytesMax (backpressure).
 * - An answer for a partition that was sought, paused, revoked or reset meanwhile is
 *   dropped (states.isCurrent), never delivered.
 * - Retriable partition errors (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC…,
 *   a lost connection) refresh the metadata and back the partition off retryBackoffMs;
 *   OFFSET_OUT_OF_RANGE resets by autoOffsetReset, or fails the partition when 'none'.
 * - Truncation (KIP-320): a diverging epoch in a Fetch answer (v12+) or an
 *   OffsetForLeaderEpoch end offset below the position moves the position back to the
 *   leader's end offset, or, with autoOffsetReset 'none', fails the partition with
 *   LogTruncationError. A broker without OffsetForLeaderEpoch skips validation.
 * Time from the Clock; sockets through the Cluster; nothing else from the runtime.
 */
import { ErrorCode, FetchRequestCodec, FetchResponseCodec, ZERO_UUID } from '@samsa/codec/wire';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '@samsa/codec/wire';
import type { Clock, TimerHandle } from '@samsa/runtime';
import type { Cluster } from '../cluster/cluster.ts';
import { KafkaClientError, KafkaError, UnsupportedVersionError } from '../errors.ts';
import { LogTruncationError, noOffsetError } from './consumer-errors.ts';
import type { ResolvedConsumerOptions } from './consumer-options.ts';
import { scanPartitionRecords } from './decode-partition-records.ts';
import type { ScannedRecords } from './decode-partition-records.ts';
import type { FetchBuffer } from './fetch-buffer.ts';
import { endOffsetsForEpochs, LIST_OFFSETS_EARLIEST, LIST_OFFSETS_LATEST, listOffsets } from './leader-requests.ts';
import type { PartitionStates, PartitionState, ResetTarget } from './partition-states.ts';

const fetchApi = { request: FetchRequestCodec, response: FetchResponseCodec };
/** First Fetch versions with: current leader epoch, diverging epoch, topic ids (KIP-320/516). */
const V_CURRENT_LEADER_EPOCH = 9;
const V_DIVERGING_EPOCH = 12;
const V_TOPIC_IDS = 13;
const CONSUMER_REPLICA_ID = -1;
/** Sessionless full fetches (KIP-227: id 0, epoch -1). */
const SESSION_ID_NONE = 0;
const SESSION_EPOCH_FINAL = -1;

const RETRIABLE_FETCH_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE, ErrorCode.INCONSISTENT_TOPIC_ID,
]);

interface Sent {
  readonly state: PartitionState;
  readonly seekEpoch: number;
  readonly fetchOffset: number;
}

export class Fetcher {
  readonly #cluster: Cluster;
  readonly #states: PartitionStates;
  readonly #buffer: FetchBuffer;
  readonly #options: ResolvedConsumerOptions;
  readonly #clock: Clock;
  readonly #busyBrokers = new Set<number>();
  readonly #knownTopics = new Set<string>();
  #wake: (() => void) | null = null;
  #woken = false;
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(cluster: Cluster, states: PartitionStates, buffer: FetchBuffer, options: ResolvedConsumerOptions) {
    this.#cluster = cluster;
    this.#states = states;
    this.#buffer = buffer;
    this.#options = options;
    this.#clock = cluster.clock;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  wakeup(): void {
    this.#woken = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.wakeup();
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#woken = false;
      try {
        await this.#round();
      } catch (error) {
        // A round never throws on purpose; an unexpected failure backs the whole loop off.
        if (!(error instanceof KafkaClientError)) throw error;
        await this.#clock.sleep(this.#options.retryBackoffMs);
      }
      if (this.#stopped) break;
      if (!this.#woken) await this.#sleep();
    }
    this.#timer?.cancel();
  }

  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      const nowMs = this.#clock.monotonicMs();
      const waits = this.#states.all().map((s) => s.backoffUntilMs - nowMs).filter((ms) => ms > 0 && Number.isFinite(ms));
      this.#timer?.cancel();
      this.#timer = waits.length === 0 ? null : this.#clock.setTimeout(() => this.wakeup(), Math.min(...waits));
    });
  }

  async #round(): Promise<void> {
    await this.#maybeRefreshMetadata();
    const nowMs = this.#clock.monotonicMs();
    const resets = this.#states.inPhase('awaiting-reset', nowMs);
    const validations = this.#states.inPhase('awaiting-validation', nowMs);
    await Promise.all([resets.length > 0 ? this.#reset(resets) : null, validations.length > 0 ? this.#validate(validations) : null]);
    this.#maybeReportErrors();
    this.#startFetches();
  }

  /** Wakes the application's waiters when a partition failed, so `next()` throws it. */
  #maybeReportErrors(): void {
    if (this.#states.all().some((s) => s.phase === 'failed')) this.#buffer.wakeAll();
  }

  async #maybeRefreshMetadata(): Promise<void> {
    const states = this.#states.all();
    const topics = new Set(states.map((s) => s.topic));
    const missing = [...topics].filter((t) => !this.#knownTopics.has(t));
    for (const topic of missing) {
      await this.#cluster.topic(topic, { deadlineMs: this.#clock.monotonicMs() }).catch(() => undefined);
      this.#knownTopics.add(topic);
    }
    const leaderless = states.some((s) => this.#cluster.leaderFor(s.topic, s.partition) === undefined);
    if (leaderless) await this.#cluster.refreshMetadata().catch(() => undefined);
    for (const s of states) {
      const info = this.#cluster.metadata.topic(s.topic)?.partitions[s.partition];
      if (info !== undefined && info.leaderId >= 0) this.#states.updateLeaderEpoch(s, info.leaderEpoch);
    }
  }

  #backOff(s: PartitionState, refresh: boolean): void {
    s.backoffUntilMs = this.#clock.monotonicMs() + this.#options.retryBackoffMs;
    if (refresh) this.#cluster.requestRefresh();
    if (refresh) this.#knownTopics.delete(s.topic);
  }

  async #reset(states: PartitionState[]): Promise<void> {
    const items = states.map((state) => ({ state, timestamp: timestampOf(state.reset!), seekEpoch: state.seekEpoch }));
    for (const item of items) item.state.inFlight = true;
    const answers = await listOffsets(this.#cluster, items, this.#options.isolationLevel, this.#options.requestTimeoutMs).finally(() => {
      for (const item of items) item.state.inFlight = false;
    });
    for (const item of items) {
      const s = item.state;
      if (this.#states.get(s.topic, s.partition) !== s || s.seekEpoch !== item.seekEpoch || s.phase !== 'awaiting-reset') continue;
      const answer = answers.get(s.key)!;
      if (answer instanceof KafkaClientError) {
        if (answer.retriable) this.#backOff(s, true);
        else this.#states.fail(s, answer);
        continue;
      }
      if (answer.offset < 0) {
        // offsetsForTimes found no record at or after the time: the end, as Java seeks.
        s.reset = 'latest';
        continue;
      }
      this.#states.seek(s, answer.offset, -1);
    }
  }

  async #validate(states: PartitionState[]): Promise<void> {
    const seekEpochs = new Map(states.map((s) => [s.key, s.seekEpoch]));
    for (const s of states) s.inFlight = true;
    const answers = await endOffsetsForEpochs(this.#cluster, states).finally(() => {
      for (const s of states) s.inFlight = false;
    });
    for (const s of states) {
      if (this.#states.get(s.topic, s.partition) !== s || s.seekEpoch !== seekEpochs.get(s.key) || s.phase !== 'awaiting-validation') continue;
      const answer = answers.get(s.key)!;
      if (answer instanceof UnsupportedVersionError) {
        s.phase = 'fetching'; // the broker cannot validate (no OffsetForLeaderEpoch): go on, as Java does
        continue;
      }
      if (answer instanceof KafkaClientError) {
        if (answer.retriable) this.#backOff(s, true);
        else this.#states.fail(s, answer);
        continue;
      }
      this.#applyEpochEnd(s, answer.leaderEpoch, answer.offset);
    }
  }

  /**
   * Applies a leader's "epoch E ends at offset O" to a partition whose position was read
   * under `positionEpoch` (Java's SubscriptionState.maybeCompleteValidation): unknown
   * epoch → offset out of range; O < position → truncation; else the position stands.
   */
  #applyEpochEnd(s: PartitionState, epoch: number, endOffset: number): void {
    if (epoch < 0 || endOffset < 0) return this.#outOfRange(s, `the leader knows no epoch at or before ${s.positionEpoch}`);
    if (endOffset < s.position) {
      const what = `${s.topic}-${s.partition}: the log was truncated at ${endOffset} (epoch ${epoch}) below position ${s.position} (epoch ${s.positionEpoch})`;
      if (this.#options.autoOffsetReset === 'none') {
        return this.#states.fail(s, new LogTruncationError([{ topic: s.topic, partition: s.partition, offset: BigInt(endOffset), leaderEpoch: epoch }], what));
      }
      return this.#states.seek(s, endOffset, epoch);
    }
    s.phase = 'fetching';
  }

  #outOfRange(s: PartitionState, why: string): void {
    const strategy = this.#options.autoOffsetReset;
    if (strategy === 'none') this.#states.fail(s, noOffsetError(s.topic, s.partition, why));
    else this.#states.requestReset(s, strategy);
  }

  #startFetches(): void {
    if (!this.#buffer.hasRoom()) return;
    const byLeader = new Map<number, PartitionState[]>();
    for (const s of this.#states.fetchable(this.#clock.monotonicMs())) {
      const leader = this.#cluster.leaderFor(s.topic, s.partition);
      if (leader === undefined) {
        this.#backOff(s, true);
        continue;
      }
      if (this.#busyBrokers.has(leader)) continue;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), s]);
    }
    for (const [leader, states] of byLeader) {
      const sent = states.map((state) => ({ state, seekEpoch: state.seekEpoch, fetchOffset: state.fetchPosition }));
      this.#busyBrokers.add(leader);
      for (const s of states) s.inFlight = true;
      void this.#fetch(leader, sent).finally(() => {
        this.#busyBrokers.delete(leader);
        for (const item of sent) item.state.inFlight = false;
        this.#maybeReportErrors();
        this.wakeup();
      });
    }
  }

  async #fetch(leader: number, sent: Sent[]): Promise<void> {
    let response: FetchResponse;
    let version: number;
    try {
      const connection = await this.#cluster.connection(leader);
      version = connection.versionOf(FetchRequestCodec.meta.apiKey) ?? -1;
      const timeoutMs = this.#options.requestTimeoutMs + this.#options.fetchMaxWaitMs;
      response = await connection.request(fetchApi, (v) => this.#fetchBody(v, sent), { timeoutMs });
    } catch (error) {
      const retriable = !(error instanceof KafkaClientError) || error.retriable;
      for (const item of sent) {
        if (!this.#states.isCurrentFetch(item.state, item.seekEpoch, item.fetchOffset)) continue;
        if (retriable) this.#backOff(item.state, true);
        else this.#states.fail(item.state, error as KafkaClientError);
      }
      return;
    }
    if (response.errorCode !== ErrorCode.NONE) {
      for (const item of sent) this.#backOff(item.state, false);
      return;
    }
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const item = sent.find((x) => (version >= V_TOPIC_IDS ? this.#topicId(x.state.topic) === t.topicId : x.state.topic === t.topic) && x.state.partition === p.partitionIndex);
        // Answers for partitions sought, reset, revoked or paused meanwhile are dropped (Java's rule).
        if (item === undefined || item.state.paused || !this.#states.isCurrentFetch(item.state, item.seekEpoch, item.fetchOffset)) continue;
        this.#onPartition(item, p);
      }
    }
  }

  #fetchBody(version: number, sent: readonly Sent[]): FetchRequest {
    const topics = new Map<string, Sent[]>();
    for (const item of sent) topics.set(item.state.topic, [...(topics.get(item.state.topic) ?? []), item]);
    const o = this.#options;
    return {
      clusterId: null,
      replicaId: CONSUMER_REPLICA_ID,
      replicaState: { replicaId: CONSUMER_REPLICA_ID, replicaEpoch: -1 },
      maxWaitMs: o.fetchMaxWaitMs,
      minBytes: o.fetchMinBytes,
      maxBytes: o.fetchMaxBytes,
      isolationLevel: o.isolationLevel === 'read_committed' ? 1 : 0,
      sessionId: SESSION_ID_NONE,
      sessionEpoch: SESSION_EPOCH_FINAL,
      topics: [...topics].map(([topic, items]) => ({
        topic,
        topicId: version >= V_TOPIC_IDS ? this.#topicId(topic) : ZERO_UUID,
        partitions: items.map((item) => ({
          partition: item.state.partition,
          currentLeaderEpoch: version >= V_CURRENT_LEADER_EPOCH ? item.state.leaderEpoch : -1,
          fetchOffset: item.fetchOffset,
          lastFetchedEpoch: version >= V_DIVERGING_EPOCH ? item.state.fetchEpoch : -1,
          logStartOffset: -1,
          partitionMaxBytes: o.maxPartitionFetchBytes,
          replicaDirectoryId: ZERO_UUID,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  #topicId(topic: string): string {
    return this.#cluster.metadata.topic(topic)?.topicId ?? ZERO_UUID;
  }

  #onPartition(item: Sent, p: FetchResponsePartitionData): void {
    const s = item.state;
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return this.#outOfRange(s, `offset ${item.fetchOffset} is out of range`);
    if (p.errorCode !== ErrorCode.NONE) {
      if (RETRIABLE_FETCH_ERRORS.has(p.errorCode) || new KafkaError(p.errorCode).retriable) return this.#backOff(s, true);
      return this.#states.fail(s, new KafkaError(p.errorCode, `${s.topic}-${s.partition}: Fetch at ${item.fetchOffset}`));
    }
    s.highWatermark = p.highWatermark;
    s.lastStableOffset = p.lastStableOffset;
    s.logStartOffset = p.logStartOffset;
    if (p.divergingEpoch.epoch >= 0 && p.divergingEpoch.endOffset >= 0) return this.#onDiverging(s, p.divergingEpoch.epoch, p.divergingEpoch.endOffset);
    let scan: ScannedRecords;
    try {
      scan = scanPartitionRecords({
        topic: s.topic, partition: s.partition, records: p.records, fetchOffset: item.fetchOffset,
        abortedTransactions: this.#options.isolationLevel === 'read_committed' ? (p.abortedTransactions ?? []) : null,
      });
    } catch (error) {
      return this.#states.fail(s, new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${s.topic}-${s.partition} at ${item.fetchOffset}: ${String(error)}`));
    }
    const end = this.#options.isolationLevel === 'read_committed' ? p.lastStableOffset : p.highWatermark;
    const deliverable = scan.batchPositions.length > 0;
    if (!deliverable && s.bufferedBatches === 0) {
      // Only control or aborted records, nothing ahead of them: move past them without bothering the application.
      this.#states.fetched(s, scan.nextOffset, scan.lastEpoch, false);
      if (scan.nextOffset > s.position) this.#states.advance(s, scan.nextOffset, scan.lastEpoch, false);
      return;
    }
    if (scan.nextOffset === item.fetchOffset) return; // nothing complete in the answer
    // Batches behind others (or holding nothing to deliver) still queue, so positions move in order.
    this.#states.fetched(s, scan.nextOffset, scan.lastEpoch, true);
    this.#buffer.push({
      key: s.key,
      fetchOffset: item.fetchOffset,
      seekEpoch: item.seekEpoch,
      scan,
      highWatermark: p.highWatermark,
      lag: Math.max(0, end - scan.nextOffset),
    });
    this.#cluster.observer.fetchedRecords({
      topic: s.topic,
      partition: s.partition,
      records: scan.recordCountEstimate,
      bytes: scan.sizeBytes,
      lagRecords: Math.max(0, end - scan.nextOffset),
    });
  }

  /**
   * A Fetch at the fetch position answered "your last fetched epoch ends at `endOffset`"
   * (KIP-320). Below the delivered position the log lost records the application saw:
   * truncation, as validation handles it. At or above it only buffered, undelivered
   * records may be gone: they are dropped and fetching starts again at the position.
   */
  #onDiverging(s: PartitionState, epoch: number, endOffset: number): void {
    if (endOffset < s.position) return this.#applyEpochEnd(s, epoch, endOffset);
    this.#states.rewind(s);
  }
}

function timestampOf(target: ResetTarget): number {
  if (target === 'earliest') return LIST_OFFSETS_EARLIEST;
  if (target === 'latest') return LIST_OFFSETS_LATEST;
  return target.timestampMs;
}

