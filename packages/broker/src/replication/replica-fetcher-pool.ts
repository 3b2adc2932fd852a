/**
 * ReplicaFetcherPool: the fetcher connections of one follower broker, `num.replica.fetchers`
 * per leader broker, with each partition pinned to one of them by a hash of its topic id
 * and partition index (Kafka spreads partitions over fetcher threads the same way), so a
 * partition's fetches are always sequential on one connection and a slow partition only
 * holds up the partitions that share its fetcher.
 *
 * Invariants:
 * - `fetcherIndexOf` is a pure function of (topicId, partition, fetchers): every broker and
 *   every restart agrees on it, and it is in [0, fetchers).
 * - A leader's connections are created on first use and replaced when its endpoint
 *   (host/port) changes, e.g. after it restarted on a new port; `closeLeader` drops them
 *   when it stops leading anything here. At most LEADERS_MAX leaders are held.
 */
import type { ReplicaFetchPartitionRequest } from './replica-fetch-messages.ts';
import { ReplicaFetcherConnection, type LeaderEndpoint, type ReplicaFetcherConnectionOptions } from './replica-fetcher-connection.ts';

/** Leader brokers one follower can hold connections to (a cluster has far fewer brokers). */
export const LEADERS_MAX = 4096;

export interface ReplicaFetcherPoolOptions extends Omit<ReplicaFetcherConnectionOptions, 'leader'> {
  /** num.replica.fetchers: connections per leader broker, ≥ 1. */
  readonly fetchers: number;
}

/** FNV-1a over the topic id's UTF-16 units and the partition index: stable across processes. */
export function fetcherIndexOf(topicId: string, partition: number, fetchers: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < topicId.length; i++) h = Math.imul(h ^ topicId.charCodeAt(i), 0x01000193);
  for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((partition >>> shift) & 0xff), 0x01000193);
  return (h >>> 0) % fetchers;
}

/** Splits partitions by the fetcher each is pinned to: index i holds fetcher i's partitions, in input order. */
export function partitionsByFetcher<P extends Pick<ReplicaFetchPartitionRequest, 'topicId' | 'partition'>>(partitions: readonly P[], fetchers: number): P[][] {
  const groups: P[][] = Array.from({ length: fetchers }, () => []);
  for (const p of partitions) groups[fetcherIndexOf(p.topicId, p.partition, fetchers)]!.push(p);
  return groups;
}

export class ReplicaFetcherPool {
  readonly fetchers: number;
  readonly #o: ReplicaFetcherPoolOptions;
  readonly #byLeader = new Map<number, ReplicaFetcherConnection[]>();
  #closed = false;

  constructor(options: ReplicaFetcherPoolOptions) {
    if (!Number.isSafeInteger(options.fetchers) || options.fetchers < 1 || options.fetchers > 64) throw new RangeError(`fetchers must be an integer in [1, 64], got ${options.fetchers}`);
    this.#o = options;
    this.fetchers = options.fetchers;
  }

  get leaderCount(): number {
    return this.#byLeader.size;
  }

  /** The connection that carries fetches of (topicId, partition) from `leader`. */
  connectionFor(leader: LeaderEndpoint, topicId: string, partition: number): ReplicaFetcherConnection {
    return this.connectionsOf(leader)[fetcherIndexOf(topicId, partition, this.fetchers)]!;
  }

  /** All `fetchers` connections to `leader` (created on first use, replaced if its endpoint changed). */
  connectionsOf(leader: LeaderEndpoint): readonly ReplicaFetcherConnection[] {
    if (this.#closed) throw new Error('the fetcher pool is closed');
    const held = this.#byLeader.get(leader.brokerId);
    if (held !== undefined && held[0]!.leader.host === leader.host && held[0]!.leader.port === leader.port) return held;
    if (held !== undefined) void this.closeLeader(leader.brokerId);
    else if (this.#byLeader.size >= LEADERS_MAX) throw new RangeError(`connections to more than ${LEADERS_MAX} leaders`);
    const created = Array.from({ length: this.fetchers }, () => new ReplicaFetcherConnection({ ...this.#o, leader }));
    this.#byLeader.set(leader.brokerId, created);
    return created;
  }

  /** Drops the connections to one leader (running fetches reject with 'closed'). */
  async closeLeader(brokerId: number): Promise<void> {
    const held = this.#byLeader.get(brokerId);
    if (held === undefined) return;
    this.#byLeader.delete(brokerId);
    await Promise.all(held.map((c) => c.close()));
  }

  /** Drops every connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#byLeader.keys()].map((id) => this.closeLeader(id)));
  }
}
