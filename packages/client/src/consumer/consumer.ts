/**
 * Consumer: the public consumer, in assign-only mode (`assign`) or as a member of a
 * classic consumer group (`subscribe`, group-member.ts).
 *
 * Flow: the Fetcher (fetcher.ts) fetches every fetchable partition ahead of the
 * application into the FetchBuffer (answers scanned, not decoded); `next()` (and so
 * `for await … of consumer` and `run`) takes one partition's batch, decodes its records,
 * moves that partition's position past it and wakes the fetcher. The buffer's byte bound
 * is the backpressure: a consumer that stops taking stops fetching.
 *
 * Invariants:
 * - A batch is delivered only if its partition is still assigned, not paused, and its
 *   position is still where the fetch began (no seek/reset since): positions only move
 *   forward by delivery, or wherever a seek/reset puts them.
 * - "Processed" (what auto-commit, rebalances and close commit) is every delivered batch
 *   except the one the application holds: a batch counts as processed once the
 *   application asks for the next one (or `eachBatch` resolves, or it leaves the loop).
 *   A rebalance waits (at most rebalanceTimeoutMs) until no batch is held, so revoked
 *   partitions are committed exactly up to what was processed.
 * - Errors the application must see (autoOffsetReset 'none', LogTruncationError, a fatal
 *   group error) are thrown by the next `next()`, once.
 * - After `close()` every call throws KafkaStateError.
 * Single event loop; any number of concurrent `next()` callers are served in turn.
 */
import type { Cluster } from '../cluster/cluster.ts';
import { clusterFromOptions } from '../cluster/client-options.ts';
import { ErrorCode } from '@samsa/codec/wire';
import { KafkaError, KafkaStateError } from '../errors.ts';
import { raceAbort } from '../signals/race-abort.ts';
import { CONSUMER_API_VERSIONS } from './consumer-api-versions.ts';
import { noOffsetError } from './consumer-errors.ts';
import { resolveConsumerOptions } from './consumer-options.ts';
import type { ConsumerOptions, ResolvedConsumerOptions } from './consumer-options.ts';
import { partitionKey } from './consumer-record.ts';
import type { ConsumerBatch, TopicPartition, TopicPartitionOffset } from './consumer-record.ts';
import { recordsOfScan } from './decode-partition-records.ts';
import { FetchBuffer } from './fetch-buffer.ts';
import type { BufferedBatch } from './fetch-buffer.ts';
import { Fetcher } from './fetcher.ts';
import { GroupMember } from './group-member.ts';
import type { RebalanceListener } from './group-member.ts';
import { PartitionStates } from './partition-states.ts';
import type { ResetTarget } from './partition-states.ts';

export interface AssignedPartition extends TopicPartition {
  /** Where to start; omitted: the committed offset (with a groupId), else autoOffsetReset. */
  readonly offset?: bigint;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface RunOptions extends CallOptions {
  /** Called once per batch, awaited before the next one; the batch counts as processed when it resolves. */
  readonly eachBatch: (batch: ConsumerBatch) => Promise<void> | void;
}

export class Consumer implements AsyncIterable<ConsumerBatch> {
  readonly options: ResolvedConsumerOptions;
  readonly cluster: Cluster;
  readonly #states: PartitionStates;
  readonly #buffer: FetchBuffer;
  readonly #fetcher: Fetcher;
  readonly #group: GroupMember | null;
  #mode: 'none' | 'assign' | 'subscribe' = 'none';
  #held: BufferedBatch | null = null;
  #idleWaiters: (() => void)[] = [];
  #closing: Promise<void> | null = null;

  constructor(options: ConsumerOptions) {
    this.options = resolveConsumerOptions(options);
    this.cluster = clusterFromOptions(options, {
      requestTimeoutMs: this.options.requestTimeoutMs,
      retryBackoffMs: this.options.retryBackoffMs,
      clientApiVersions: CONSUMER_API_VERSIONS,
    });
    this.#states = new PartitionStates();
    this.#buffer = new FetchBuffer(this.options.bufferedBytesMax);
    this.#fetcher = new Fetcher(this.cluster, this.#states, this.#buffer, this.options);
    this.#group = this.options.groupId === null ? null : new GroupMember(this.cluster, this.options, {
      assigned: (tps, committed) => this.#addAssigned(tps, committed),
      revoked: (tps) => this.#removeAssigned(tps),
      processed: () => this.#processedOffsets(),
      idle: () => this.#whenIdle(),
      wake: () => this.#buffer.wakeAll(),
    });
  }

  /** Assign-only mode: consume exactly these partitions (replacing any earlier assign). */
  assign(partitions: readonly AssignedPartition[]): void {
    this.#checkOpen();
    if (this.#mode === 'subscribe') throw new KafkaStateError('assign() after subscribe(): a consumer is either in a group or assigns itself');
    this.#mode = 'assign';
    const wanted = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)));
    this.#removeAssigned(this.#states.all().filter((s) => !wanted.has(s.key)));
    const committedWanted = partitions.filter((p) => p.offset === undefined && this.#group !== null);
    for (const p of partitions) {
      const s = this.#states.add(p, this.options.autoOffsetReset === 'none' ? null : this.options.autoOffsetReset);
      if (p.offset !== undefined) this.#states.seek(s, toOffset(p.offset));
      else if (this.#group === null && this.options.autoOffsetReset === 'none') this.#states.fail(s, noOffsetError(p.topic, p.partition, 'no offset was given'));
    }
    if (committedWanted.length > 0) {
      for (const p of committedWanted) this.#states.get(p.topic, p.partition)!.backoffUntilMs = Number.POSITIVE_INFINITY;
      void this.#group!.fetchCommitted(committedWanted).then(
        (committed) => this.#applyCommitted(committedWanted, committed),
        () => this.#applyCommitted(committedWanted, new Map()),
      );
    }
    this.#fetcher.start();
    this.#fetcher.wakeup();
  }

  /** Group mode: join `groupId` subscribed to `topics`; partitions come from the group's assignor. */
  subscribe(topics: readonly string[], listener: RebalanceListener = {}): void {
    this.#checkOpen();
    if (this.#group === null) throw new KafkaStateError('subscribe() needs a groupId');
    if (this.#mode === 'assign') throw new KafkaStateError('subscribe() after assign(): a consumer is either in a group or assigns itself');
    this.#mode = 'subscribe';
    this.#group.subscribe(topics, listener);
    this.#fetcher.start();
  }

  /** The partitions assigned now. */
  assignment(): TopicPartition[] {
    return this.#states.all().map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** The group generation and member id (group mode), for tests and tools. */
  get groupState(): { generationId: number; memberId: string; state: string } | null {
    return this.#group?.snapshot() ?? null;
  }

  /** The next offset to be delivered, or undefined while unknown (awaiting a reset). */
  position(tp: TopicPartition): bigint | undefined {
    const s = this.#states.require(tp);
    return s.position >= 0 && s.phase !== 'awaiting-reset' ? BigInt(s.position) : undefined;
  }

  seek(target: TopicPartitionOffset): void {
    this.#checkOpen();
    const s = this.#states.require(target);
    this.#states.seek(s, toOffset(target.offset), target.leaderEpoch ?? -1);
    this.#afterMove([s.key]);
  }

  seekToBeginning(tps: readonly TopicPartition[] = this.assignment()): void {
    this.#resetTo(tps, 'earliest');
  }

  seekToEnd(tps: readonly TopicPartition[] = this.assignment()): void {
    this.#resetTo(tps, 'latest');
  }

  /** Moves each partition to the first offset with a timestamp ≥ `timestampMs` (ListOffsets), or the end. */
  seekToTimestamp(tps: readonly TopicPartition[], timestampMs: number): void {
    if (!(Number.isSafeInteger(timestampMs) && timestampMs >= 0)) throw new RangeError(`timestampMs must be an integer >= 0, got ${timestampMs}`);
    this.#resetTo(tps, { timestampMs });
  }

  pause(tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.#states.require(tp).paused = true;
    const keys = new Set(tps.map((tp) => partitionKey(tp.topic, tp.partition)));
    this.#dropBuffered(keys);
  }

  resume(tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.#states.require(tp).paused = false;
    this.#fetcher.wakeup();
  }

  paused(): TopicPartition[] {
    return this.#states.all().filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Bytes fetched and not yet delivered. */
  get bufferedBytes(): number {
    return this.#buffer.usedBytes;
  }

  /**
   * The next batch of one partition. The batch handed out before (if any) counts as
   * processed from now on. Throws the errors described in the file comment.
   */
  async next(options: CallOptions = {}): Promise<ConsumerBatch> {
    this.#release();
    for (;;) {
      this.#checkOpen();
      const error = this.#group?.takeFatalError() ?? this.#states.takeError();
      if (error !== null) throw error;
      const entry = this.#buffer.shift();
      if (entry === undefined) {
        await this.#buffer.waitForChange(options.signal);
        continue;
      }
      this.#fetcher.wakeup();
      const s = this.#states.get(entry.scan.topic, entry.scan.partition);
      if (s === undefined || s.key !== entry.key || s.paused || !this.#states.isCurrent(s, entry.seekEpoch, entry.fetchOffset)) {
        // Stale: a seek, reset, pause or divergence since its fetch already forgot it (rewind).
        if (s !== undefined && s.key === entry.key && s.seekEpoch === entry.seekEpoch) this.#states.rewind(s);
        continue;
      }
      let records;
      try {
        records = recordsOfScan(entry.scan);
      } catch (error) {
        this.#states.fail(s, new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${s.topic}-${s.partition} at ${entry.fetchOffset}: ${String(error)}`));
        continue;
      }
      this.#states.advance(s, entry.scan.nextOffset, entry.scan.lastEpoch, true);
      if (records.length === 0) continue; // batches compaction emptied below the fetch offset
      this.#held = entry;
      return {
        topic: s.topic,
        partition: s.partition,
        records,
        nextOffset: BigInt(entry.scan.nextOffset),
        highWatermark: BigInt(entry.highWatermark),
        lag: BigInt(entry.lag),
      };
    }
  }

  /** `for await (const batch of consumer)`: batches until close (or an error); leaving the loop marks the last batch processed. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerBatch> {
    return {
      next: async () => {
        if (this.#closing !== null) return { done: true, value: undefined };
        try {
          return { done: false, value: await this.next() };
        } catch (error) {
          if (this.#closing !== null && error instanceof KafkaStateError) return { done: true, value: undefined };
          throw error;
        }
      },
      return: async () => {
        this.#release();
        return { done: true, value: undefined };
      },
    };
  }

  /** Calls `eachBatch` for every batch until the signal fires or the consumer closes. */
  async run(options: RunOptions): Promise<void> {
    const stopped = (): boolean => this.#closing !== null || options.signal?.aborted === true;
    for (;;) {
      if (stopped()) return;
      let batch: ConsumerBatch;
      try {
        batch = await this.next(options);
      } catch (error) {
        if (stopped()) return;
        throw error;
      }
      await options.eachBatch(batch);
      this.#release();
    }
  }

  /** Commits every delivered position of the assigned partitions (Java's commitSync()). */
  commit(options: CallOptions = {}): Promise<void> {
    this.#checkOpen();
    const offsets = this.#states.all().filter((s) => s.position >= 0 && s.phase !== 'awaiting-reset').map((s) => ({ topic: s.topic, partition: s.partition, offset: BigInt(s.position), leaderEpoch: s.positionEpoch }));
    return this.commitOffsets(offsets, options);
  }

  /** Commits exactly these offsets (the next offset to read, per partition). */
  commitOffsets(offsets: readonly TopicPartitionOffset[], options: CallOptions = {}): Promise<void> {
    this.#checkOpen();
    if (this.#group === null) return Promise.reject(new KafkaStateError('commits need a groupId'));
    return raceAbort(this.#group.commit(offsets, options.signal), options.signal);
  }

  /** The group's committed offsets for `tps` (undefined: none committed). */
  async committed(tps: readonly TopicPartition[], options: CallOptions = {}): Promise<Map<string, TopicPartitionOffset | undefined>> {
    this.#checkOpen();
    if (this.#group === null) throw new KafkaStateError('committed offsets need a groupId');
    return raceAbort(this.#group.fetchCommitted(tps, options.signal), options.signal);
  }

  /** Commits processed offsets (auto-commit), leaves the group, stops fetching, closes connections. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#release();
      this.#buffer.wakeAll();
      try {
        await this.#group?.close();
      } finally {
        await this.#fetcher.stop();
        await this.cluster.close();
      }
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new KafkaStateError('the consumer is closed');
  }

  #resetTo(tps: readonly TopicPartition[], target: ResetTarget): void {
    this.#checkOpen();
    const states = tps.map((tp) => this.#states.require(tp));
    for (const s of states) this.#states.requestReset(s, target);
    this.#afterMove(states.map((s) => s.key));
  }

  #afterMove(keys: readonly string[]): void {
    this.#dropBuffered(new Set(keys));
    this.#fetcher.wakeup();
  }

  #dropBuffered(keys: ReadonlySet<string>): void {
    this.#buffer.removeWhere((e) => keys.has(e.key));
    for (const key of keys) {
      const s = this.#states.all().find((x) => x.key === key);
      if (s !== undefined) this.#states.rewind(s);
    }
    if (this.#held !== null && keys.has(this.#held.key)) this.#release();
  }

  #release(): void {
    this.#held = null;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #whenIdle(): Promise<void> {
    if (this.#held === null) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Per assigned partition with a position: the offset after the last processed record. */
  #processedOffsets(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const s of this.#states.all()) {
      if (s.position < 0 || s.phase === 'awaiting-reset') continue;
      const held = this.#held !== null && this.#held.key === s.key ? this.#held : null;
      const offset = held === null ? s.position : held.fetchOffset;
      out.push({ topic: s.topic, partition: s.partition, offset: BigInt(offset), leaderEpoch: s.positionEpoch });
    }
    return out;
  }

  #addAssigned(tps: readonly TopicPartition[], committed: ReadonlyMap<string, TopicPartitionOffset | undefined>): void {
    for (const tp of tps) this.#states.add(tp, this.options.autoOffsetReset === 'none' ? null : this.options.autoOffsetReset);
    this.#applyCommitted(tps, committed);
    this.#fetcher.wakeup();
  }

  #applyCommitted(tps: readonly TopicPartition[], committed: ReadonlyMap<string, TopicPartitionOffset | undefined>): void {
    for (const tp of tps) {
      const s = this.#states.get(tp.topic, tp.partition);
      if (s === undefined || s.phase !== 'awaiting-reset' || s.position >= 0) continue;
      s.backoffUntilMs = 0;
      const c = committed.get(partitionKey(tp.topic, tp.partition));
      if (c !== undefined && c.offset >= 0n) this.#states.seek(s, Number(c.offset), c.leaderEpoch ?? -1);
      else if (this.options.autoOffsetReset === 'none') this.#states.fail(s, noOffsetError(tp.topic, tp.partition, 'the group has no committed offset'));
    }
    this.#fetcher.wakeup();
  }

  #removeAssigned(tps: readonly TopicPartition[]): void {
    const keys = new Set(tps.map((tp) => partitionKey(tp.topic, tp.partition)));
    this.#dropBuffered(keys);
    for (const tp of tps) this.#states.remove(tp);
  }
}

function toOffset(offset: bigint): number {
  if (typeof offset !== 'bigint' || offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`offset ${String(offset)} must be a bigint in [0, 2^53)`);
  return Number(offset);
}
