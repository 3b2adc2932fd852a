/**
 * PartitionStates: the consumer's per-partition bookkeeping (Java's SubscriptionState).
 * Pure: no I/O; time is passed in.
 *
 * Each assigned partition is in one phase:
 *   'fetching'            position known (≥ 0), fetched when not paused/backing off/busy;
 *   'awaiting-reset'      no valid position: ListOffsets by `reset` (earliest, latest, a time);
 *   'awaiting-validation' the leader changed since `positionEpoch` was seen: OffsetForLeaderEpoch
 *                         must confirm the position before fetching again (KIP-320);
 *   'failed'              an error the application must see (auto.offset.reset=none, a
 *                         truncation without reset); delivered once by `takeError`, then
 *                         the partition waits in 'awaiting-reset' with no strategy until a seek.
 *
 * Two positions per partition (librdkafka's app offset and fetch offset):
 *   `position`       the next offset to deliver: what commits, `position()` and KIP-320
 *                    validation use;
 *   `fetchPosition`  the next offset to fetch, ≥ position: the batches in between are
 *                    buffered (`bufferedBatches` of them), fetched ahead while the
 *                    application works (prefetch, bounded by the fetch buffer's bytes).
 *
 * Invariants:
 * - `fetchable()` lists only 'fetching' partitions that are not paused, not in flight and
 *   have no backoff pending: at most one fetch per partition at a time, always from
 *   `fetchPosition`, so the buffered batches of a partition are consecutive and in order
 *   (each one's fetch offset is the previous one's next offset).
 * - A seek, a reset result, a validation, a pause or a divergence (`rewind`) forgets the
 *   buffered batches: `fetchPosition` comes back to `position` and `seekEpoch` is bumped,
 *   so a fetch answer or buffered batch from before is recognised as stale and dropped
 *   (`isCurrentFetch`, `isCurrent`).
 * - Positions only move through `seek`, `advance` (delivery of the batch fetched at the
 *   current position), `fetched` (the fetch position) and resets/validations.
 * Bounded by the assignment (at most `partitionsMax`).
 */
import type { KafkaClientError } from '../errors.ts';
import { partitionKey } from './consumer-record.ts';
import type { TopicPartition } from './consumer-record.ts';

export type ResetTarget = 'earliest' | 'latest' | { readonly timestampMs: number };
export type PartitionPhase = 'fetching' | 'awaiting-reset' | 'awaiting-validation' | 'failed';

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  phase: PartitionPhase;
  /** Next offset to deliver; -1 while unknown. */
  position: number;
  /** Leader epoch of the record before `position` (-1 unknown): what KIP-320 validates. */
  positionEpoch: number;
  /** Next offset to fetch (≥ position once known); -1 while unknown. */
  fetchPosition: number;
  /** Leader epoch of the record before `fetchPosition` (-1 unknown): Fetch's lastFetchedEpoch. */
  fetchEpoch: number;
  /** The leader epoch the metadata last showed for this partition (-1 unknown). */
  leaderEpoch: number;
  reset: ResetTarget | null;
  paused: boolean;
  inFlight: boolean;
  /** Batches fetched and not yet delivered (those between position and fetchPosition). */
  bufferedBatches: number;
  backoffUntilMs: number;
  seekEpoch: number;
  error: KafkaClientError | null;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

export const PARTITIONS_MAX_DEFAULT = 100_000;

export class PartitionStates {
  readonly #states = new Map<string, PartitionState>();
  readonly #partitionsMax: number;

  constructor(partitionsMax = PARTITIONS_MAX_DEFAULT) {
    this.#partitionsMax = partitionsMax;
  }

  get size(): number {
    return this.#states.size;
  }

  all(): PartitionState[] {
    return [...this.#states.values()];
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.#states.get(partitionKey(topic, partition));
  }

  /** The state, or a RangeError naming a partition that is not assigned (a programmer error). */
  require(tp: TopicPartition): PartitionState {
    const s = this.get(tp.topic, tp.partition);
    if (s === undefined) throw new RangeError(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    return s;
  }

  /** Adds `tp` (kept as it is when already assigned); a new partition awaits a reset by `reset`. */
  add(tp: TopicPartition, reset: ResetTarget | null): PartitionState {
    const key = partitionKey(tp.topic, tp.partition);
    const existing = this.#states.get(key);
    if (existing !== undefined) return existing;
    if (this.#states.size >= this.#partitionsMax) throw new RangeError(`more than ${this.#partitionsMax} partitions assigned`);
    const s: PartitionState = {
      topic: tp.topic, partition: tp.partition, key, phase: 'awaiting-reset', position: -1, positionEpoch: -1, fetchPosition: -1, fetchEpoch: -1,
      leaderEpoch: -1, reset, paused: false, inFlight: false, bufferedBatches: 0, backoffUntilMs: 0, seekEpoch: 0, error: null,
      highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
    };
    this.#states.set(key, s);
    return s;
  }

  remove(tp: TopicPartition): boolean {
    return this.#states.delete(partitionKey(tp.topic, tp.partition));
  }

  /** Moves the position to `offset` (epoch unknown unless given) and forgets anything fetched before. */
  seek(s: PartitionState, offset: number, epoch = -1): void {
    if (!(Number.isSafeInteger(offset) && offset >= 0)) throw new RangeError(`offset ${offset} must be a safe integer >= 0`);
    s.phase = 'fetching';
    s.position = offset;
    s.positionEpoch = epoch;
    s.error = null;
    this.#invalidate(s);
  }

  /** Forgets the position: the next fetch round asks ListOffsets for `target`. */
  requestReset(s: PartitionState, target: ResetTarget | null): void {
    s.phase = 'awaiting-reset';
    s.reset = target;
    this.#invalidate(s);
  }

  /** Records a failure the application must see; the partition stops until a seek. */
  fail(s: PartitionState, error: KafkaClientError): void {
    s.phase = 'failed';
    s.error = error;
    s.reset = null;
    this.#invalidate(s);
  }

  /** The first failed partition's error, once; the partition then waits for a seek. */
  takeError(): KafkaClientError | null {
    for (const s of this.#states.values()) {
      if (s.phase !== 'failed' || s.error === null) continue;
      const error = s.error;
      s.error = null;
      s.phase = 'awaiting-reset';
      return error;
    }
    return null;
  }

  /**
   * Folds in the leader epoch the metadata shows. A newer epoch than the one the position
   * was read under sends a 'fetching' partition to validation (KIP-320) when its
   * position's epoch is known; an unknown position epoch has nothing to validate.
   */
  updateLeaderEpoch(s: PartitionState, epoch: number): void {
    if (epoch <= s.leaderEpoch) return;
    const changed = s.leaderEpoch >= 0;
    s.leaderEpoch = epoch;
    if (changed && s.phase === 'fetching' && s.positionEpoch >= 0) {
      s.phase = 'awaiting-validation';
      this.#invalidate(s);
    }
  }

  /**
   * A fetch answer at `fetchPosition` landed: the fetch position moves to `nextOffset`;
   * `buffered` when it left a batch in the fetch buffer.
   */
  fetched(s: PartitionState, nextOffset: number, epoch: number, buffered: boolean): void {
    if (nextOffset < s.fetchPosition) throw new Error(`fetch position of ${s.topic}-${s.partition} would go back from ${s.fetchPosition} to ${nextOffset}`);
    s.fetchPosition = nextOffset;
    if (epoch >= 0) s.fetchEpoch = epoch;
    if (buffered) s.bufferedBatches++;
  }

  /**
   * Delivery of the batch fetched at the current position (or, with nothing buffered, of
   * an answer that held nothing to deliver): the position moves past it.
   */
  advance(s: PartitionState, nextOffset: number, epoch: number, fromBuffer: boolean): void {
    if (nextOffset < s.position) throw new Error(`position of ${s.topic}-${s.partition} would go back from ${s.position} to ${nextOffset}`);
    s.position = nextOffset;
    if (epoch >= 0) s.positionEpoch = epoch;
    if (fromBuffer && s.bufferedBatches > 0) s.bufferedBatches--;
    if (s.fetchPosition < s.position) {
      s.fetchPosition = s.position;
      s.fetchEpoch = s.positionEpoch;
    }
  }

  /** Forgets the buffered batches and any fetch in flight: fetching starts again at the position. */
  rewind(s: PartitionState): void {
    this.#invalidate(s);
  }

  /** True when a buffered batch fetched at (`seekEpoch`, `fetchOffset`) is the next to deliver. */
  isCurrent(s: PartitionState, seekEpoch: number, fetchOffset: number): boolean {
    return this.#states.get(s.key) === s && s.seekEpoch === seekEpoch && s.phase === 'fetching' && s.position === fetchOffset;
  }

  /** True when a fetch sent at (`seekEpoch`, `fetchOffset`) still applies: nothing moved the fetch position meanwhile. */
  isCurrentFetch(s: PartitionState, seekEpoch: number, fetchOffset: number): boolean {
    return this.#states.get(s.key) === s && s.seekEpoch === seekEpoch && s.phase === 'fetching' && s.fetchPosition === fetchOffset;
  }

  fetchable(nowMs: number): PartitionState[] {
    const out: PartitionState[] = [];
    for (const s of this.#states.values()) {
      if (s.phase === 'fetching' && !s.paused && !s.inFlight && s.backoffUntilMs <= nowMs) out.push(s);
    }
    return out;
  }

  inPhase(phase: PartitionPhase, nowMs: number): PartitionState[] {
    return [...this.#states.values()].filter((s) => s.phase === phase && !s.inFlight && s.backoffUntilMs <= nowMs && (phase !== 'awaiting-reset' || s.reset !== null));
  }

  #invalidate(s: PartitionState): void {
    s.bufferedBatches = 0;
    s.fetchPosition = s.position;
    s.fetchEpoch = s.positionEpoch;
    s.seekEpoch++;
  }
}
