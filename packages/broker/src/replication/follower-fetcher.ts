/**
 * FollowerFetcher: one follower fetch loop — Kafka's ReplicaFetcherThread — for the
 * partitions this broker follows whose leader is one broker and whose fetcher index
 * (`fetcherIndexOf(topicId, partition, num.replica.fetchers)`) is one value. It owns one
 * `ReplicaFetcherConnection` of the pool, so at most one fetch is outstanding per loop.
 *
 * Each round:
 *   1. asks every partition's FollowerReplica for its next fetch (`nextFetch`: null while
 *      one is in flight, backing off or awaiting metadata) — none ready: sleeps until the
 *      earliest back-off ends or `wake()` (a partition joined), at most `IDLE_WAIT_MS`;
 *   2. sends them as ONE ReplicaFetchRequest (long poll: `replica.fetch.wait.max.ms`,
 *      `replica.fetch.min.bytes`, `replica.fetch.response.max.bytes`,
 *      `replica.fetch.max.bytes` per partition) with this broker's current broker epoch;
 *   3. hands each partition's answer to its FollowerReplica and carries out the actions it
 *      returns, in order (truncate, append as follower, move the high watermark and log
 *      start), partitions concurrently (their logs are independent). A transport failure
 *      is `fetchFailed` for every partition of the request (they back off).
 *
 * A partition's slot is `closed` the moment it stops following this leader (the replica
 * manager replaced it); no action of a closed slot is carried out after that point, and
 * an action already on the partition's append chain finishes first (the next role's work
 * queues behind it). An action that fails (a storage error, a batch the log refuses)
 * pauses that partition for `replica.fetch.backoff.ms` and is logged, rate-limited; its
 * log is unchanged, so the next fetch starts from its log end again, losing nothing.
 *
 * The record bytes of a response are the received frame's views; they are appended as
 * they came (never re-encoded). Bounded: partitions per loop are those of one leader
 * (≤ the partitions of the cluster), one request and one response in memory at a time.
 */
import { batchBaseOffset, batchLastOffsetDelta, batchPartitionLeaderEpoch, ErrorCode, forEachBatch } from '@samsa/codec';
import type { FollowerAction, FollowerReplica, ReplicaFetchRequest as MachineFetch, ReplicaFetchResponse as MachineResponse } from '@samsa/replication';
import type { Clock, TimerHandle } from '@samsa/runtime';
import { RateLimitedLog, type Logger } from '../observability/logger.ts';
import type { Partition } from '../partitions/partition.ts';
import type { ReplicaFetchConfig } from './replica-fetch-config.ts';
import type { ReplicaFetchPartitionResponse, ReplicaFetchResponse } from './replica-fetch-messages.ts';
import type { ReplicaFetcherConnection } from './replica-fetcher-connection.ts';

/** Longest idle sleep between two looks at the partitions (a back-off or wake ends it earlier). */
export const IDLE_WAIT_MS = 1000;

/** One followed partition as the fetch loop sees it (the replica manager creates and closes it). */
export interface FollowerSlot {
  readonly partition: Partition;
  readonly topicId: string;
  readonly replica: FollowerReplica;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** Set by the replica manager when the partition stops following this leader and epoch. */
  closed: boolean;
  /** No fetch before this time (after a failed action). */
  pausedUntilMs: number;
}

export interface FollowerFetcherOptions {
  readonly leaderId: number;
  readonly fetcherIndex: number;
  readonly localBrokerId: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: ReplicaFetchConfig;
  /** The connection to use now (null: the leader has no replica-fetch endpoint in the view). */
  readonly connection: () => ReplicaFetcherConnection | null;
  /** This broker's current broker epoch (its registration's createRevision), -1 when unknown. */
  readonly brokerEpoch: () => number;
}

export class FollowerFetcher {
  readonly #o: FollowerFetcherOptions;
  readonly #slots = new Set<FollowerSlot>();
  readonly #rateLimited = new RateLimitedLog(5000);
  #wakeIdle: (() => void) | null = null;
  #running: Promise<void> | null = null;
  #closed = false;
  /** Fetch rounds answered (tests, metrics). */
  rounds = 0;

  constructor(options: FollowerFetcherOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Starts following `slot`'s partition in this loop (starts the loop on first use). */
  add(slot: FollowerSlot): void {
    if (this.#closed) return;
    this.#slots.add(slot);
    this.#running ??= this.#run();
    this.wake();
  }

  /** Stops fetching for `slot` (it is closed by the caller). */
  remove(slot: FollowerSlot): void {
    this.#slots.delete(slot);
  }

  /** Ends an idle sleep now. */
  wake(): void {
    const w = this.#wakeIdle;
    this.#wakeIdle = null;
    w?.();
  }

  /** Stops the loop; resolves once its round in progress (if any) finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.wake();
    await this.#running;
  }

  async #run(): Promise<void> {
    // Ends when no partition is left (`add` starts it again) or on close.
    while (!this.#closed && this.#slots.size > 0) {
      try {
        await this.#round();
      } catch (e) {
        // Not expected (every step catches its own); never let the loop die silently.
        this.#warn('round', { err: e }, 'replica fetch round failed');
        await this.#idle(this.#o.config.backoffMs);
      }
    }
    this.#running = null;
  }

  async #round(): Promise<void> {
    const now = this.#o.clock.monotonicMs();
    const ready: Array<{ slot: FollowerSlot; fetch: MachineFetch }> = [];
    let nextAtMs = now + IDLE_WAIT_MS;
    for (const slot of this.#slots) {
      if (slot.closed) {
        this.#slots.delete(slot);
        continue;
      }
      if (now < slot.pausedUntilMs) {
        nextAtMs = Math.min(nextAtMs, slot.pausedUntilMs);
        continue;
      }
      const fetch = slot.replica.nextFetch(now);
      if (fetch !== null) ready.push({ slot, fetch });
      else if (!slot.replica.awaitingMetadata && slot.replica.backoffUntilMs > now) nextAtMs = Math.min(nextAtMs, slot.replica.backoffUntilMs);
    }
    if (ready.length === 0) {
      if (this.#slots.size > 0) await this.#idle(Math.max(1, nextAtMs - now));
      return;
    }
    const connection = this.#o.connection();
    if (connection === null) {
      for (const r of ready) r.slot.replica.fetchFailed(r.fetch.fetchId, now);
      this.#warn('endpoint', { leaderId: this.#o.leaderId }, 'replica fetch: the leader has no replica-fetch endpoint in the cluster view; backing off');
      return;
    }
    const c = this.#o.config;
    let response: ReplicaFetchResponse;
    try {
      response = await connection.fetch({
        replicaId: this.#o.localBrokerId,
        brokerEpoch: this.#o.brokerEpoch(),
        maxWaitMs: c.waitMaxMs,
        minBytes: c.minBytes,
        maxBytes: c.responseMaxBytes,
        partitions: ready.map(({ slot, fetch }) => ({
          topicId: slot.topicId,
          topic: fetch.topic,
          partition: fetch.partition,
          fetchOffset: fetch.fetchOffset,
          lastFetchedEpoch: fetch.lastFetchedEpoch ?? -1,
          currentLeaderEpoch: fetch.currentLeaderEpoch,
          logStartOffset: fetch.logStartOffset,
          partitionMaxBytes: c.fetchMaxBytes,
        })),
      });
    } catch (e) {
      const failedAt = this.#o.clock.monotonicMs();
      for (const r of ready) r.slot.replica.fetchFailed(r.fetch.fetchId, failedAt);
      this.#warn('fetch', { leaderId: this.#o.leaderId, err: e }, 'replica fetch failed; backing off');
      return;
    }
    this.rounds++;
    const answeredAt = this.#o.clock.monotonicMs();
    if (response.errorCode !== ErrorCode.NONE) {
      for (const r of ready) r.slot.replica.fetchFailed(r.fetch.fetchId, answeredAt);
      this.#warn('refused', { leaderId: this.#o.leaderId, errorCode: response.errorCode }, 'replica fetch refused by the leader; backing off');
      return;
    }
    await Promise.all(
      ready.map(async ({ slot, fetch }, i) => {
        // The leader answers the partitions in request order (leader-fetch-handler.ts); an
        // answer for another partition at this place is a bad response for this one.
        const candidate = response.partitions[i];
        const answer = candidate !== undefined && candidate.topic === fetch.topic && candidate.partition === fetch.partition ? candidate : undefined;
        const mapped = answer === undefined ? null : machineResponse(answer);
        if (slot.closed) return;
        if (mapped === null) {
          slot.replica.fetchFailed(fetch.fetchId, answeredAt);
          if (answer !== undefined) this.#warn('bad-records', { topic: fetch.topic, partition: fetch.partition }, 'replica fetch: the leader sent records that are not whole batches; backing off');
          return;
        }
        if (mapped.errorCode === ErrorCode.NONE && mapped.highWatermark >= 0) slot.partition.leaderHighWatermark = mapped.highWatermark;
        const actions = slot.replica.handleResponse(fetch.fetchId, mapped, answeredAt);
        await this.#apply(slot, actions, answer!.records);
      }),
    );
  }

  /** Carries out a FollowerReplica's actions in order; stops at a closed slot or a failure. */
  async #apply(slot: FollowerSlot, actions: readonly FollowerAction[], records: Uint8Array): Promise<void> {
    const p = slot.partition;
    for (const a of actions) {
      if (slot.closed) return;
      try {
        switch (a.type) {
          case 'truncateTo': {
            const endBefore = p.log.logEndOffset;
            if (await p.truncateTo(a.offset)) this.#o.logger.info({ topic: p.topic, partition: p.index, leaderId: this.#o.leaderId, leaderEpoch: slot.leaderEpoch, offset: a.offset, logEndOffsetBefore: endBefore }, 'follower: truncated the log to the leader');
            break;
          }
          case 'truncateFully':
            this.#o.logger.info({ topic: p.topic, partition: p.index, leaderId: this.#o.leaderId, leaderEpoch: slot.leaderEpoch, startOffset: a.startOffset, logEndOffsetBefore: p.log.logEndOffset }, 'follower: emptied the log to restart at the leader');
            await p.truncateFully(a.startOffset);
            break;
          case 'append':
            await this.#append(p, records);
            break;
          case 'updateHighWatermark':
            p.log.updateHighWatermark(a.highWatermark);
            break;
          case 'advanceLogStart':
            if (a.logStartOffset > p.log.logStartOffset && a.logStartOffset <= p.log.highWatermark) await p.deleteRecordsBefore(a.logStartOffset);
            break;
          case 'backoff':
          case 'awaitMetadata':
            break;
        }
      } catch (e) {
        slot.pausedUntilMs = this.#o.clock.monotonicMs() + this.#o.config.backoffMs;
        this.#warn(`apply:${p.topic}-${p.index}`, { topic: p.topic, partition: p.index, action: a.type, err: e }, 'replica fetch: applying the leader answer failed; pausing the partition');
        return;
      }
    }
  }

  /**
   * Appends the leader's batches. A first batch that starts below this log's end can only
   * follow `truncateFully` at a log start inside a batch (the leader's DeleteRecords cut
   * it): the empty log then restarts at that batch's base offset.
   */
  async #append(p: Partition, records: Uint8Array): Promise<void> {
    const base = batchBaseOffset(records, 0);
    if (base < p.log.logEndOffset) {
      if (p.log.logStartOffset !== p.log.logEndOffset) throw new Error(`the leader's batch at ${base} starts below the log end ${p.log.logEndOffset}`);
      await p.truncateFully(base);
    }
    await p.appendReplicated(records);
  }

  #idle(delayMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (): void => {
        timer?.cancel();
        if (this.#wakeIdle === done) this.#wakeIdle = null;
        resolve();
      };
      this.#wakeIdle = done;
      timer = this.#o.clock.setTimeout(done, Math.min(delayMs, IDLE_WAIT_MS));
    });
  }

  #warn(key: string, fields: object, message: string): void {
    this.#rateLimited.maybeLog(key, this.#o.clock.monotonicMs(), (dropped) => this.#o.logger.warn({ ...fields, leaderId: this.#o.leaderId, fetcher: this.#o.fetcherIndex, ...(dropped > 0 ? { dropped } : {}) }, message));
  }
}

/**
 * The wire answer for one partition as the FollowerReplica's plain data; null when its
 * records are not whole batches (the fetch is then treated as failed).
 */
export function machineResponse(p: ReplicaFetchPartitionResponse): MachineResponse | null {
  let records: MachineResponse['records'] = null;
  const bytes = p.records;
  if (bytes.byteLength > 0) {
    // One pass over the batch headers, no per-batch views (this runs for every answer).
    let maxLeaderEpoch = -1;
    let lastPos = -1;
    const truncatedBytes = forEachBatch(bytes, (pos) => {
      maxLeaderEpoch = Math.max(maxLeaderEpoch, batchPartitionLeaderEpoch(bytes, pos));
      lastPos = pos;
    });
    if (truncatedBytes > 0 || lastPos < 0) return null;
    records = { firstOffset: batchBaseOffset(bytes, 0), lastOffset: batchBaseOffset(bytes, lastPos) + batchLastOffsetDelta(bytes, lastPos), sizeBytes: bytes.byteLength, maxLeaderEpoch };
  }
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, divergingEpoch: p.divergingEpoch === null ? null : { epoch: p.divergingEpoch.epoch, endOffset: p.divergingEpoch.endOffset }, records };
}
