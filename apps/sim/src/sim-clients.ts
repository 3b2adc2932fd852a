/**
 * The simulated clients: a producer and a consumer speaking the Kafka protocol to the
 * brokers over the simulated network, as real clients do — bootstrap Metadata from any
 * broker, send to the partition leader, refresh the metadata on NOT_LEADER_OR_FOLLOWER
 * (and every retriable error), bounded retries with backoff. Each runs as a simulated
 * process (its own NodeClock and NodeTransport) and reports what it observed to the
 * Invariants and the trace.
 *
 * - SimProducer: idempotent (InitProducerId, then a sequence per partition); batches of
 *   1..3 records with unique values; acks=1 or acks=all by the Random. A batch is retried
 *   with the same sequence up to `produceAttemptsMax` times; a batch whose outcome stays
 *   unknown, or a sequence error, makes it start over with a new producer id.
 * - SimConsumer: reads every partition from its leader, in order, naming the leader epoch
 *   its metadata holds (`currentLeaderEpoch`: the broker answers FENCED_LEADER_EPOCH or
 *   UNKNOWN_LEADER_EPOCH when its own differs, so an answer without error comes from the
 *   leader of that epoch), checking on each read that offsets follow one another without
 *   gaps below the high watermark, and reports each record and each answered high
 *   watermark (with its epoch) to the Invariants. `readAll` is the final read: every
 *   partition from its start to its high watermark.
 */
import {
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  InitProducerIdRequestCodec,
  InitProducerIdResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
  buildRecordBatch,
  iterateRecords,
  splitRecordBatches,
  ZERO_UUID,
  ApiKey,
  type FetchResponse,
} from '@samsa/codec';
import type { Random } from '@samsa/runtime';
import type { Invariants } from './invariants.ts';
import type { NodeClock } from './sim-clock.ts';
import type { Trace } from './trace.ts';
import { WireClient, type Endpoint } from './wire-client.ts';

export const produceAttemptsMax = 6;
export const requestTimeoutMs = 5000;
export const fetchBytesMax = 256 * 1024;
/** Share of acks=1 batches on a replicated partition (the rest acks=all). */
export const acksOneShareReplicated = 0.2;
/** Share of batches that go to the replicated topic (the main data topic), when there is one. */
export const replicatedTopicShare = 0.5;
const METADATA_VERSION = 12;
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const INIT_PRODUCER_ID_VERSION = 4;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export interface PartitionLeader {
  readonly leader: number;
  readonly leaderEpoch: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`;

/** What every client shares: the process, the wire, the metadata cache. */
class ClusterClient {
  readonly name: string;
  readonly clock: NodeClock;
  readonly random: Random;
  readonly wire: WireClient;
  readonly trace: Trace;
  readonly bootstrap: readonly Endpoint[];
  readonly topics: ReadonlyMap<string, number>;
  brokers = new Map<number, Endpoint>();
  leaders = new Map<string, PartitionLeader>();
  stopped = false;

  constructor(o: { name: string; clock: NodeClock; random: Random; wire: WireClient; trace: Trace; bootstrap: readonly Endpoint[]; topics: ReadonlyMap<string, number> }) {
    this.name = o.name;
    this.clock = o.clock;
    this.random = o.random;
    this.wire = o.wire;
    this.trace = o.trace;
    this.bootstrap = o.bootstrap;
    this.topics = o.topics;
  }

  /** Metadata from a random bootstrap broker; false when it failed. */
  async refreshMetadata(): Promise<boolean> {
    const endpoint = this.bootstrap[this.random.int(0, this.bootstrap.length)]!;
    try {
      const res = await this.wire.request(endpoint, ApiKey.Metadata, METADATA_VERSION, MetadataRequestCodec, {
        topics: [...this.topics.keys()].map((name) => ({ topicId: ZERO_UUID, name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }, MetadataResponseCodec, requestTimeoutMs);
      this.brokers = new Map(res.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
      for (const t of res.topics) {
        if (t.errorCode !== ErrorCode.NONE || t.name === null) continue;
        for (const p of t.partitions) this.leaders.set(tpKey(t.name, p.partitionIndex), { leader: p.errorCode === ErrorCode.NONE ? p.leaderId : -1, leaderEpoch: p.leaderEpoch });
      }
      return true;
    } catch {
      return false;
    }
  }

  leaderEndpoint(tp: string): Endpoint | null {
    const leader = this.leaders.get(tp)?.leader ?? -1;
    return leader < 0 ? null : (this.brokers.get(leader) ?? null);
  }

  backoff(attempt: number): Promise<void> {
    return this.clock.sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + this.random.next()));
  }
}

export class SimProducer extends ClusterClient {
  readonly #invariants: Invariants;
  #producerId = -1;
  #producerEpoch = -1;
  readonly #sequences = new Map<string, number>();
  #next = 0;
  acked = 0;
  abandoned = 0;

  constructor(o: ConstructorParameters<typeof ClusterClient>[0] & { invariants: Invariants }) {
    super(o);
    this.#invariants = o.invariants;
  }

  /** Produces until stopped. */
  async run(): Promise<void> {
    for (let round = 0; !this.stopped; round++) {
      if (this.#producerId < 0 && !(await this.#initProducerId())) {
        await this.backoff(3);
        continue;
      }
      const [topic, partitions] = this.#pickTopic();
      await this.#produceOne(topic, this.random.int(0, partitions));
      await this.clock.sleep(5 + this.random.next() * 45);
    }
  }

  /** The replicated topic half of the time, else any topic. */
  #pickTopic(): [string, number] {
    const topics = [...this.topics];
    const replicated = topics.find(([topic]) => this.#invariants.replicated(tpKey(topic, 0)));
    if (replicated !== undefined && this.random.next() < replicatedTopicShare) return replicated;
    return topics[this.random.int(0, topics.length)]!;
  }

  async #initProducerId(): Promise<boolean> {
    const endpoint = this.bootstrap[this.random.int(0, this.bootstrap.length)]!;
    try {
      const res = await this.wire.request(endpoint, ApiKey.InitProducerId, INIT_PRODUCER_ID_VERSION, InitProducerIdRequestCodec, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, InitProducerIdResponseCodec, requestTimeoutMs);
      if (res.errorCode !== ErrorCode.NONE) return false;
      this.#producerId = res.producerId;
      this.#producerEpoch = res.producerEpoch;
      this.#sequences.clear();
      this.trace.event(`${this.name} producer id ${res.producerId} epoch ${res.producerEpoch}`);
      return true;
    } catch {
      return false;
    }
  }

  async #produceOne(topic: string, partition: number): Promise<void> {
    const tp = tpKey(topic, partition);
    const count = 1 + this.random.int(0, 3);
    const values = Array.from({ length: count }, () => `${this.name}:${this.#next++}`);
    // Replicated partitions get mostly acks=all (their promise), some acks=1.
    const acks = this.random.next() < (this.#invariants.replicated(tp) ? acksOneShareReplicated : 0.5) ? 1 : -1;
    const baseSequence = this.#sequences.get(tp) ?? 0;
    const records = buildRecordBatch(
      values.map((v) => ({ key: null, value: utf8.encode(v), timestampMs: this.clock.wallMs() })),
      { producerId: this.#producerId, producerEpoch: this.#producerEpoch, baseSequence },
    );
    for (let attempt = 0; attempt < produceAttemptsMax && !this.stopped; attempt++) {
      if (attempt > 0) await this.backoff(attempt);
      const endpoint = this.leaderEndpoint(tp);
      if (endpoint === null) {
        await this.refreshMetadata();
        continue;
      }
      let errorCode: number;
      let baseOffset = -1;
      try {
        const res = await this.wire.request(endpoint, ApiKey.Produce, PRODUCE_VERSION, ProduceRequestCodec, { transactionalId: null, acks, timeoutMs: 3000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, ProduceResponseCodec, requestTimeoutMs);
        const p = res.responses[0]?.partitionResponses[0];
        errorCode = p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        baseOffset = p?.baseOffset ?? -1;
      } catch {
        await this.refreshMetadata();
        continue; // the outcome is unknown: the same sequence again is deduplicated
      }
      if (errorCode === ErrorCode.NONE) {
        this.#sequences.set(tp, baseSequence + count);
        this.acked += count;
        this.trace.event(`${this.name} acked ${tp}@${baseOffset} x${count} acks=${acks}`);
        for (let i = 0; i < count; i++) this.#invariants.onAck(tp, baseOffset + i, values[i]!, acks);
        return;
      }
      if (errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        // Written by an earlier attempt whose answer was lost; its offsets are unknown.
        this.#sequences.set(tp, baseSequence + count);
        this.trace.event(`${this.name} duplicate ${tp} seq ${baseSequence}`);
        return;
      }
      if (errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || errorCode === ErrorCode.UNKNOWN_PRODUCER_ID || errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) break;
      this.trace.event(`${this.name} produce ${tp} error ${errorCode}`);
      await this.refreshMetadata();
    }
    // Unknown outcome or a sequence the broker no longer follows: start over with a new id.
    this.abandoned += count;
    this.trace.event(`${this.name} abandoned ${tp} seq ${baseSequence} x${count}`);
    this.#producerId = -1;
  }
}

export class SimConsumer extends ClusterClient {
  readonly #invariants: Invariants;
  readonly #processOf: (nodeId: number) => string;
  readonly #positions = new Map<string, number>();
  read = 0;

  /** `processOf`: the broker process (name#incarnation) serving as node `nodeId` now — the one whose answer just arrived (a dead process's connections reset at once). */
  constructor(o: ConstructorParameters<typeof ClusterClient>[0] & { invariants: Invariants; processOf: (nodeId: number) => string }) {
    super(o);
    this.#invariants = o.invariants;
    this.#processOf = o.processOf;
  }

  /** Reads every partition until stopped. */
  async run(): Promise<void> {
    while (!this.stopped) {
      await this.pollOnce(this.#positions);
      await this.clock.sleep(20 + this.random.next() * 180);
    }
  }

  /** The final read: every partition from offset 0 up to its high watermark; false if some partition could not be read. */
  async readAll(attemptsMax: number): Promise<boolean> {
    const positions = new Map<string, number>();
    const done = new Set<string>();
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      const finished = await this.pollOnce(positions, done);
      for (const tp of finished) done.add(tp);
      if (done.size === this.#allPartitions().length) return true;
      await this.clock.sleep(100);
    }
    return false;
  }

  #allPartitions(): string[] {
    const out: string[] = [];
    for (const [topic, n] of this.topics) for (let p = 0; p < n; p++) out.push(tpKey(topic, p));
    return out;
  }

  /** One fetch round to every leader; resolves the partitions whose position reached the HW. */
  async pollOnce(positions: Map<string, number>, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
    const byLeader = new Map<number, Array<{ topic: string; partition: number }>>();
    let stale = false;
    for (const [topic, n] of this.topics) {
      for (let partition = 0; partition < n; partition++) {
        if (skip.has(tpKey(topic, partition))) continue;
        const leader = this.leaders.get(tpKey(topic, partition))?.leader ?? -1;
        if (leader < 0 || !this.brokers.has(leader)) {
          stale = true;
          continue;
        }
        const list = byLeader.get(leader) ?? [];
        list.push({ topic, partition });
        byLeader.set(leader, list);
      }
    }
    const reached: string[] = [];
    const rounds = [...byLeader].map(async ([leader, parts]) => {
      // The epochs this request names (the metadata may change while it is in flight).
      const epochs = new Map(parts.map(({ topic, partition }) => [tpKey(topic, partition), this.leaders.get(tpKey(topic, partition))?.leaderEpoch ?? -1]));
      try {
        const res = await this.#fetch(this.brokers.get(leader)!, parts, positions, epochs);
        if (!this.#apply(res, positions, reached, epochs, this.#processOf(leader))) stale = true;
      } catch {
        stale = true;
      }
    });
    await Promise.all(rounds);
    if (stale) await this.refreshMetadata();
    return reached;
  }

  #fetch(endpoint: Endpoint, parts: ReadonlyArray<{ topic: string; partition: number }>, positions: Map<string, number>, epochs: ReadonlyMap<string, number>): Promise<FetchResponse> {
    const topics = new Map<string, number[]>();
    for (const { topic, partition } of parts) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    return this.wire.request(endpoint, ApiKey.Fetch, FETCH_VERSION, FetchRequestCodec, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: fetchBytesMax,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics].map(([topic, ps]) => ({
        topic,
        topicId: ZERO_UUID,
        partitions: ps.map((partition) => ({ partition, currentLeaderEpoch: epochs.get(tpKey(topic, partition)) ?? -1, fetchOffset: positions.get(tpKey(topic, partition)) ?? 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: fetchBytesMax, replicaDirectoryId: ZERO_UUID })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    }, FetchResponseCodec, requestTimeoutMs);
  }

  /** Checks and records a fetch response; false when some partition needs fresh metadata. */
  #apply(res: FetchResponse, positions: Map<string, number>, reached: string[], epochs: ReadonlyMap<string, number>, process: string): boolean {
    let fresh = true;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const tp = tpKey(t.topic, p.partitionIndex);
        const checked = this.#invariants.dataChecked(tp);
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          // Only a partition whose unsynced tail was lost in a crash may shrink under a reader.
          if (checked && this.#invariants.fsyncsEachMessage(tp)) this.#invariants.fail('consumer-order', `${this.name}: ${tp} position ${positions.get(tp) ?? 0} is out of range on a partition that fsyncs every message`);
          positions.set(tp, 0);
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) {
          fresh = false;
          continue;
        }
        let position = positions.get(tp) ?? 0;
        const hw = p.highWatermark;
        this.#invariants.onHighWatermark(this.name, tp, epochs.get(tp) ?? -1, process, hw);
        if (p.records !== null && p.records.byteLength > 0) {
          for (const batch of splitRecordBatches(p.records).batches) {
            for (const r of iterateRecords(batch, 0)) {
              if (r.offset < position) continue;
              if (checked && r.offset !== position) this.#invariants.fail('consumer-order', `${this.name}: ${tp} read offset ${r.offset} after ${position - 1} (a gap below the HW ${hw})`);
              if (checked && r.offset >= hw) this.#invariants.fail('consumer-order', `${this.name}: ${tp} read offset ${r.offset} at or above the HW ${hw}`);
              const value = r.value === null ? '' : fromUtf8.decode(r.value);
              this.#invariants.onRead(tp, r.offset, value);
              this.read++;
              position = r.offset + 1;
            }
          }
          this.trace.event(`${this.name} read ${tp} to ${position} hw ${hw}`);
        }
        positions.set(tp, position);
        if (position >= hw) reached.push(tp);
      }
    }
    return fresh;
  }
}
