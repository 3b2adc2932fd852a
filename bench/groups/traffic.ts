/**
 * Steady produce + fetch traffic on one partition, measured in windows, for
 * bench/groups/commits-vs-traffic.ts.
 *
 * Producer: one connection, Produce v7 acks=1, one 100 B record per request, paced at
 * `produceRate` requests/s (1 ms pacer; at most `PRODUCE_IN_FLIGHT_MAX` awaiting an ack,
 * sends held back by that are made up later). Each record's value starts with its send
 * time (`performance.now()`, float64 big-endian), so delivery latency needs no clock
 * other than this process's.
 * Fetcher: another connection, Fetch v11 long polls (max wait 500 ms, min bytes 1) from
 * the next offset, one at a time.
 *
 * A TrafficWindow, recorded in one or more segments (`record` … `pause`), collects:
 * produce latency (send → ack) of requests sent inside a segment, fetch delivery latency
 * (send → the fetch response carrying the record) of records sent inside a segment, and
 * the largest gap between consecutive produce acks and between consecutive fetch
 * responses inside a segment (the "stall").
 */
import {
  buildRecordBatch,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  iterateRecords,
  ProduceRequestCodec,
  ProduceResponseCodec,
  splitRecordBatches,
  ZERO_UUID,
} from '@samsa/codec';
import type { FetchRequest } from '@samsa/codec';
import { GapTracker, Samples } from './samples.ts';
import type { LatencySummary } from './samples.ts';
import { WireClient } from './wire-client.ts';

const PRODUCE_IN_FLIGHT_MAX = 64;
const PRODUCE_VERSION = 7;
const FETCH_VERSION = 11;
const FETCH_MAX_WAIT_MS = 500;
const RECORD_BYTES = 100;
const PACE_INTERVAL_MS = 1;
/** Sample capacity per window: far above rate × window length for the rates used here. */
const SAMPLES_MAX = 200_000;
const STOP_TIMEOUT_MS = 5_000;

export interface TrafficSummary {
  readonly seconds: number;
  readonly produced: number;
  readonly produceErrors: number;
  readonly fetchedRecords: number;
  readonly produce: LatencySummary;
  readonly fetch: LatencySummary;
  readonly produceStallMs: number;
  readonly fetchStallMs: number;
}

/**
 * Measurements of one phase, which may be recorded in several segments (`Traffic.record`
 * … `Traffic.pause`); the gaps are tracked inside each segment only.
 */
export class TrafficWindow {
  readonly produce = new Samples(SAMPLES_MAX);
  readonly fetch = new Samples(SAMPLES_MAX);
  produceErrors = 0;
  segmentStartMs = 0;
  produceGaps = new GapTracker(0);
  fetchGaps = new GapTracker(0);
  #seconds = 0;
  #produceStallMs = 0;
  #fetchStallMs = 0;

  begin(nowMs: number): void {
    this.segmentStartMs = nowMs;
    this.produceGaps = new GapTracker(nowMs);
    this.fetchGaps = new GapTracker(nowMs);
  }

  end(nowMs: number): void {
    this.#seconds += (nowMs - this.segmentStartMs) / 1000;
    this.#produceStallMs = Math.max(this.#produceStallMs, this.produceGaps.largestMs(nowMs));
    this.#fetchStallMs = Math.max(this.#fetchStallMs, this.fetchGaps.largestMs(nowMs));
  }

  summary(): TrafficSummary {
    return {
      seconds: this.#seconds,
      produced: this.produce.count,
      produceErrors: this.produceErrors,
      fetchedRecords: this.fetch.count,
      produce: this.produce.summary(),
      fetch: this.fetch.summary(),
      produceStallMs: this.#produceStallMs,
      fetchStallMs: this.#fetchStallMs,
    };
  }
}

export class Traffic {
  readonly #producer: WireClient;
  readonly #fetcher: WireClient;
  readonly #topic: string;
  readonly #produceRate: number;
  readonly #payload = new Uint8Array(RECORD_BYTES);
  #window: TrafficWindow | null = null;
  #pacer: ReturnType<typeof setInterval> | null = null;
  #fetching: Promise<void> | null = null;
  #running = false;
  #fetchOffset = 0;
  #fetchError: Error | null = null;

  private constructor(producer: WireClient, fetcher: WireClient, topic: string, produceRate: number) {
    this.#producer = producer;
    this.#fetcher = fetcher;
    this.#topic = topic;
    this.#produceRate = produceRate;
    this.#payload.fill(0x78);
  }

  static async connect(port: number, topic: string, produceRate: number): Promise<Traffic> {
    const producer = await WireClient.connect('127.0.0.1', port, 'bench-producer', PRODUCE_IN_FLIGHT_MAX);
    const fetcher = await WireClient.connect('127.0.0.1', port, 'bench-fetcher', 1);
    return new Traffic(producer, fetcher, topic, produceRate);
  }

  /** Starts producing and fetching (runs until `stop`). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const startMs = performance.now();
    let sent = 0;
    this.#pacer = setInterval(() => {
      const due = Math.floor(((performance.now() - startMs) * this.#produceRate) / 1000) - sent;
      const n = Math.min(due, PRODUCE_IN_FLIGHT_MAX - this.#producer.inFlight);
      for (let i = 0; i < n; i++, sent++) this.#produceOne();
    }, PACE_INTERVAL_MS);
    this.#fetching = this.#fetchLoop();
  }

  /** Stops producing, lets the fetcher catch up (bounded), then stops it. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    if (this.#pacer !== null) clearInterval(this.#pacer);
    this.#pacer = null;
    const deadline = performance.now() + STOP_TIMEOUT_MS;
    while (this.#producer.inFlight > 0 && performance.now() < deadline) await sleep(5);
    this.#running = false;
    await this.#fetching;
    if (this.#fetchError) throw this.#fetchError;
  }

  close(): void {
    this.#producer.close();
    this.#fetcher.close();
  }

  /** Records into `window` from now until `pause`. */
  record(window: TrafficWindow): void {
    if (this.#window !== null) throw new Error('already recording');
    window.begin(performance.now());
    this.#window = window;
  }

  pause(): void {
    this.#window?.end(performance.now());
    this.#window = null;
  }

  #produceOne(): void {
    const sentAtMs = performance.now();
    new DataView(this.#payload.buffer).setFloat64(0, sentAtMs);
    const records = buildRecordBatch([{ value: this.#payload, timestampMs: Date.now() }]);
    const body = { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: this.#topic, partitionData: [{ index: 0, records }] }] };
    this.#producer.request(0, PRODUCE_VERSION, ProduceRequestCodec, body, ProduceResponseCodec).then(
      (res) => {
        const w = this.#window;
        if (w === null || sentAtMs < w.segmentStartMs) return;
        const nowMs = performance.now();
        w.produceGaps.mark(nowMs);
        if ((res.responses[0]?.partitionResponses[0]?.errorCode ?? -1) !== ErrorCode.NONE) w.produceErrors++;
        else w.produce.add(nowMs - sentAtMs);
      },
      () => {
        if (this.#window) this.#window.produceErrors++;
      },
    );
  }

  async #fetchLoop(): Promise<void> {
    try {
      while (this.#running) {
        const res = await this.#fetcher.request(1, FETCH_VERSION, FetchRequestCodec, this.#fetchBody(), FetchResponseCodec);
        const nowMs = performance.now();
        const p = res.responses[0]?.partitions[0];
        if (res.errorCode !== ErrorCode.NONE || p === undefined || p.errorCode !== ErrorCode.NONE) {
          throw new Error(`fetch failed: ${res.errorCode}/${p?.errorCode}`);
        }
        const w = this.#window;
        w?.fetchGaps.mark(nowMs);
        if (p.records === null || p.records.length === 0) continue;
        for (const batch of splitRecordBatches(p.records).batches) {
          for (const r of iterateRecords(batch, 0)) {
            this.#fetchOffset = r.offset + 1;
            if (w === null || r.value === null || r.value.length < 8) continue;
            const sentAtMs = new DataView(r.value.buffer, r.value.byteOffset, 8).getFloat64(0);
            if (sentAtMs >= w.segmentStartMs) w.fetch.add(nowMs - sentAtMs);
          }
        }
      }
    } catch (e) {
      this.#fetchError = e instanceof Error ? e : new Error(String(e));
    }
  }

  #fetchBody(): FetchRequest {
    return {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: FETCH_MAX_WAIT_MS,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: this.#topic,
          topicId: ZERO_UUID,
          partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: this.#fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
