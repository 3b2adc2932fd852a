/**
 * FetchSession: one incremental fetch session (KIP-227) — its id, its epoch and the
 * partitions it caches, in fetch order (Kafka's `FetchSession`).
 *
 * - `epoch` is the epoch the *next* request must carry: 1 when created, then
 *   `nextEpoch` after each accepted request (session-epoch.ts).
 * - `update` applies an incremental request: its partitions are added (at the end) or
 *   have their request fields replaced (keeping their place), then its forgotten
 *   partitions are removed.
 * - `rotate` moves a partition that returned records to the end, so the next fetch reads
 *   the others first and a partition that always has data cannot starve the rest of the
 *   response budget (Kafka does the same).
 * - At most `partitionsMax` partitions: the cache refuses to create or keep a larger
 *   session (the fetch is then answered without one).
 * - `usesTopicIds`: created by Fetch v13+ (partitions keyed by topic id) or by v7–v12
 *   (keyed by name); requests of the other kind get FETCH_SESSION_TOPIC_ID_ERROR.
 * - `privileged`: created by a follower (Kafka's replica fetchers). Samsa's followers
 *   fetch over their own protocol, so Fetch sessions are consumers' (false) — kept for
 *   the eviction order, which is Kafka's.
 * Single-threaded like everything in the broker: no locks; the epoch check at response
 * time (fetch-session-manager.ts) catches a request that raced another on the session.
 */
import { CachedPartition } from './cached-partition.ts';
import { partitionKey, type SessionPartition, type SessionPartitionKey } from './session-partition.ts';

export class FetchSession {
  readonly id: number;
  readonly privileged: boolean;
  readonly usesTopicIds: boolean;
  readonly creationMs: number;
  lastUsedMs: number;
  epoch: number;
  readonly #partitions = new Map<string, CachedPartition>();

  constructor(id: number, privileged: boolean, usesTopicIds: boolean, nowMs: number, epoch: number, partitions: readonly CachedPartition[]) {
    this.id = id;
    this.privileged = privileged;
    this.usesTopicIds = usesTopicIds;
    this.creationMs = nowMs;
    this.lastUsedMs = nowMs;
    this.epoch = epoch;
    for (const p of partitions) this.#partitions.set(partitionKey(p.topic, p.partition), p);
  }

  get size(): number {
    return this.#partitions.size;
  }

  get(topic: string, partition: number): CachedPartition | undefined {
    return this.#partitions.get(partitionKey(topic, partition));
  }

  /** The cached partitions in fetch order. */
  partitions(): CachedPartition[] {
    return [...this.#partitions.values()];
  }

  /** Adds or updates `fetched`, then removes `forgotten`. */
  update(fetched: readonly SessionPartition[], forgotten: readonly SessionPartitionKey[]): void {
    for (const p of fetched) {
      const cached = this.#partitions.get(partitionKey(p.topic, p.partition));
      if (cached) cached.params = p.params;
      else this.#partitions.set(partitionKey(p.topic, p.partition), new CachedPartition(p));
    }
    for (const f of forgotten) this.#partitions.delete(partitionKey(f.topic, f.partition));
  }

  /** Moves a partition to the end of the fetch order (it just returned records). */
  rotate(cached: CachedPartition): void {
    const key = partitionKey(cached.topic, cached.partition);
    if (this.#partitions.get(key) !== cached) return;
    this.#partitions.delete(key);
    this.#partitions.set(key, cached);
  }
}
