/**
 * FollowerReplica: one partition this broker follows, for one (leader, leader epoch)
 * (Kafka's fetcher-thread partition state). Pure: it decides the next fetch and turns each
 * response into log actions; the broker performs them, in order, before asking for the
 * next fetch. It reads the local log (end offset, epochs) through `FollowerLogView`, so it
 * always sees what the broker has applied.
 *
 * Invariants:
 * - at most one fetch in flight; a response is accepted only for it and only while the
 *   local log still ends at its fetch offset (anything else is stale and dropped);
 * - truncation follows KIP-320: a diverging epoch {E, end} from the leader truncates to
 *   min(local end offset of E, end, LEO) when the local cache knows E, else to
 *   min(local end of the largest epoch below E, LEO), and the next fetch asks again;
 *   each such step removes the latest local epoch, so the exchange ends;
 * - the high watermark is min(leader HW, local LEO); the log start offset only rises;
 * - errors: FENCED_LEADER_EPOCH (this follower's epoch is old) → wait for new metadata;
 *   OFFSET_OUT_OF_RANGE → truncate fully and start at the leader's log start;
 *   anything else (UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, transport failure, an
 *   invalid response) → back off `fetchBackoffMs`, then fetch again.
 *
 * Why no OffsetsForLeaderEpoch round trip: both sides are ours, so every fetch carries the
 * last fetched epoch and the leader checks it (KIP-320's diverging epoch); the separate
 * request Kafka keeps for old brokers would only add a second path to the same answer.
 */
import { ErrorCode } from '@samsa/codec';
import type { EpochHistory } from './epoch-history.ts';
import type { FetchedRecords, ReplicaFetchRequest, ReplicaFetchResponse } from './replica-fetch.ts';

export const DEFAULT_REPLICA_FETCH_BACKOFF_MS = 1000;
/**
 * Back-off after the leader answered that it is not (yet) the leader of this epoch —
 * NOT_LEADER_OR_FOLLOWER or UNKNOWN_LEADER_EPOCH: the follower learned of the election
 * before the new leader set itself up, which takes milliseconds. Waiting the whole
 * `replica.fetch.backoff.ms` there added a second to every failover (acks=all waits for
 * this follower); a wrong leader is corrected by the next metadata instead.
 */
export const LEADER_NOT_READY_BACKOFF_MS = 50;

/** The local log as the follower reads it (the broker's adapter over its log). */
export interface FollowerLogView extends EpochHistory {
  logEndOffset(): number;
  logStartOffset(): number;
  highWatermark(): number;
}

export interface FollowerReplicaInit {
  readonly localBrokerId: number;
  readonly localIncarnation?: string | null;
  readonly topic: string;
  readonly partition: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly log: FollowerLogView;
  /** `replica.fetch.backoff.ms`. Default 1000. */
  readonly fetchBackoffMs?: number;
  /**
   * TEST ONLY: plants a known bug so the property tests can show they catch it.
   * `skip-truncation`: a diverging epoch is ignored (no truncation; later fetches omit the
   * last fetched epoch, so the leader cannot notice again).
   */
  readonly plantedBug?: 'skip-truncation';
}

export type FollowerAction =
  /** Truncate the log to `offset` (and drop epoch entries starting at or after it, even when offset = LEO). */
  | { readonly type: 'truncateTo'; readonly offset: number }
  /** Empty the log; it starts again at `startOffset`. */
  | { readonly type: 'truncateFully'; readonly startOffset: number }
  /** Append the response's batches as follower (their offsets and epochs kept); the log then ends at lastOffset + 1. */
  | { readonly type: 'append'; readonly fromOffset: number; readonly lastOffset: number }
  | { readonly type: 'updateHighWatermark'; readonly highWatermark: number }
  | { readonly type: 'advanceLogStart'; readonly logStartOffset: number }
  /** No fetch before `untilMs`. */
  | { readonly type: 'backoff'; readonly untilMs: number; readonly reason: string }
  /** No fetch until the broker replaces this replica with one for a newer leader epoch. */
  | { readonly type: 'awaitMetadata'; readonly reason: string };

interface InFlight {
  readonly fetchId: number;
  readonly fetchOffset: number;
}

export class FollowerReplica {
  readonly localBrokerId: number;
  readonly topic: string;
  readonly partition: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly #incarnation: string | null;
  readonly #log: FollowerLogView;
  readonly #fetchBackoffMs: number;
  readonly #plantedBug: FollowerReplicaInit['plantedBug'];
  #inFlight: InFlight | null = null;
  #nextFetchId = 1;
  #backoffUntilMs = 0;
  #awaitingMetadata = false;
  #omitLastFetchedEpoch = false;

  constructor(init: FollowerReplicaInit) {
    if (init.leaderId === init.localBrokerId) throw new Error(`broker ${init.localBrokerId} cannot follow itself`);
    if (!Number.isSafeInteger(init.leaderId) || init.leaderId < 0) throw new RangeError(`no leader to follow (${init.leaderId})`);
    if (!Number.isSafeInteger(init.leaderEpoch) || init.leaderEpoch < 0) throw new RangeError(`invalid leader epoch ${init.leaderEpoch}`);
    this.localBrokerId = init.localBrokerId;
    this.topic = init.topic;
    this.partition = init.partition;
    this.leaderId = init.leaderId;
    this.leaderEpoch = init.leaderEpoch;
    this.#incarnation = init.localIncarnation ?? null;
    this.#log = init.log;
    this.#fetchBackoffMs = init.fetchBackoffMs ?? DEFAULT_REPLICA_FETCH_BACKOFF_MS;
    this.#plantedBug = init.plantedBug;
  }

  get inFlight(): boolean {
    return this.#inFlight !== null;
  }
  get awaitingMetadata(): boolean {
    return this.#awaitingMetadata;
  }
  /** The time before which `nextFetch` answers null (0: no backoff). */
  get backoffUntilMs(): number {
    return this.#backoffUntilMs;
  }

  /** The next fetch to send, or null while one is in flight, backing off or waiting for metadata. */
  nextFetch(nowMs: number): ReplicaFetchRequest | null {
    if (this.#awaitingMetadata || this.#inFlight !== null || nowMs < this.#backoffUntilMs) return null;
    const fetchOffset = this.#log.logEndOffset();
    const fetchId = this.#nextFetchId++;
    this.#inFlight = { fetchId, fetchOffset };
    return {
      fetchId,
      topic: this.topic,
      partition: this.partition,
      replicaId: this.localBrokerId,
      replicaIncarnation: this.#incarnation,
      fetchOffset,
      lastFetchedEpoch: this.#omitLastFetchedEpoch ? null : this.#log.latestEpoch(),
      currentLeaderEpoch: this.leaderEpoch,
      logStartOffset: this.#log.logStartOffset(),
    };
  }

  /** The fetch `fetchId` failed without a response (transport error, timeout). */
  fetchFailed(fetchId: number, nowMs: number): FollowerAction[] {
    if (this.#inFlight?.fetchId !== fetchId) return [];
    this.#inFlight = null;
    return [this.#backoff(nowMs, 'fetch failed')];
  }

  handleResponse(fetchId: number, response: ReplicaFetchResponse, nowMs: number): FollowerAction[] {
    const inFlight = this.#inFlight;
    if (inFlight?.fetchId !== fetchId) return [];
    this.#inFlight = null;
    if (this.#log.logEndOffset() !== inFlight.fetchOffset) return [];
    switch (response.errorCode) {
      case ErrorCode.NONE:
        return this.#handleData(inFlight.fetchOffset, response, nowMs);
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        if (!isOffset(response.logStartOffset)) return [this.#backoff(nowMs, 'offset out of range without the leader log start')];
        return [{ type: 'truncateFully', startOffset: response.logStartOffset }];
      case ErrorCode.FENCED_LEADER_EPOCH:
        this.#awaitingMetadata = true;
        return [{ type: 'awaitMetadata', reason: `leader epoch ${this.leaderEpoch} is fenced` }];
      case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      case ErrorCode.UNKNOWN_LEADER_EPOCH:
        return [this.#backoff(nowMs, `the leader is not ready (error ${response.errorCode})`, Math.min(this.#fetchBackoffMs, LEADER_NOT_READY_BACKOFF_MS))];
      default:
        return [this.#backoff(nowMs, `fetch error ${response.errorCode}`)];
    }
  }

  #handleData(fetchOffset: number, response: ReplicaFetchResponse, nowMs: number): FollowerAction[] {
    if (response.divergingEpoch !== null) {
      if (response.records !== null) return [this.#backoff(nowMs, 'diverging epoch with records')];
      return this.#truncateOnDivergence(response.divergingEpoch.epoch, response.divergingEpoch.endOffset, nowMs);
    }
    const invalid = this.#invalid(fetchOffset, response.records, response);
    if (invalid !== null) return [this.#backoff(nowMs, invalid)];
    const actions: FollowerAction[] = [];
    let logEndOffset = fetchOffset;
    if (response.records !== null) {
      actions.push({ type: 'append', fromOffset: fetchOffset, lastOffset: response.records.lastOffset });
      logEndOffset = response.records.lastOffset + 1;
    }
    const highWatermark = Math.min(response.highWatermark, logEndOffset);
    if (highWatermark !== this.#log.highWatermark()) actions.push({ type: 'updateHighWatermark', highWatermark });
    // Never past the HW (as Kafka's maybeIncrementLogStartOffset), never back.
    const logStartOffset = Math.min(response.logStartOffset, highWatermark);
    if (logStartOffset > this.#log.logStartOffset()) actions.push({ type: 'advanceLogStart', logStartOffset });
    return actions;
  }

  #invalid(fetchOffset: number, records: FetchedRecords | null, response: ReplicaFetchResponse): string | null {
    if (!isOffset(response.highWatermark) || !isOffset(response.logStartOffset)) return 'invalid high watermark or log start';
    if (records === null) return null;
    // The first batch may start after the fetch offset: a compacted leader log has gaps
    // (Kafka's followers accept them too); it may not end before it.
    if (!isOffset(records.firstOffset) || !isOffset(records.lastOffset) || records.lastOffset < fetchOffset || records.firstOffset > records.lastOffset) {
      return `records ${records.firstOffset}..${records.lastOffset} do not continue the log at ${fetchOffset}`;
    }
    if (records.maxLeaderEpoch > this.leaderEpoch) return `records of epoch ${records.maxLeaderEpoch} from a leader at epoch ${this.leaderEpoch}`;
    return null;
  }

  #truncateOnDivergence(epoch: number, endOffset: number, nowMs: number): FollowerAction[] {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !isOffset(endOffset)) return [this.#backoff(nowMs, 'invalid diverging epoch')];
    if (this.#plantedBug === 'skip-truncation') {
      this.#omitLastFetchedEpoch = true;
      return [];
    }
    const leo = this.#log.logEndOffset();
    const local = this.#log.endOffsetFor(epoch);
    let offset: number;
    if (local === null) offset = Math.min(endOffset, leo);
    else if (local.epoch !== epoch) offset = Math.min(local.endOffset, leo);
    else offset = Math.min(local.endOffset, endOffset, leo);
    return [{ type: 'truncateTo', offset }];
  }

  #backoff(nowMs: number, reason: string, delayMs = this.#fetchBackoffMs): FollowerAction {
    this.#backoffUntilMs = nowMs + delayMs;
    return { type: 'backoff', untilMs: this.#backoffUntilMs, reason };
  }
}

function isOffset(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
