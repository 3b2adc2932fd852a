/**
 * FetchSessionCache: the broker's live fetch sessions, bounded (Kafka's
 * `FetchSessionCache`, one shard).
 *
 * Bounds: at most `slotsMax` sessions (`max.incremental.fetch.session.cache.slots`, 0 turns
 * sessions off) of at most `partitionsPerSessionMax` partitions each.
 *
 * Expiry: a session unused for more than `evictionMs`
 * (`min.incremental.fetch.session.eviction.ms`) is stale. Kafka keeps a stale session
 * until a newcomer needs its slot; Samsa drops it at the next cache operation (`get`
 * never returns one, `maybeCreateSession` sweeps them first), so a client that went quiet
 * holds no memory, and on its return gets FETCH_SESSION_ID_NOT_FOUND and opens a new
 * session with a full fetch, exactly as after an eviction.
 *
 * A full cache and a newcomer (Kafka's `tryEvict`): the newcomer takes the slot of
 *   1. a stale session (none are left after the sweep, kept for fidelity), else
 *   2. the least valuable evictable session, ordered by (privileged, size, id), if the
 *      newcomer is worth more: privileged over not, then more partitions. A session is
 *      evictable once it is older than `evictionMs` (a fresh session cannot be pushed out
 *      before it was of use); for a privileged newcomer every unprivileged session is
 *      evictable as well.
 * Otherwise no session is created: the caller answers the fetch without one (session id 0).
 *
 * Time is the caller's `nowMs` (the broker's Clock, monotonic); ids come from the injected
 * Random: uniform in [1, 2^31 - 1), unique among live sessions. `#byLastUsed` is kept in
 * touch order, which is last-used order because `nowMs` never goes back (asserted).
 */
import type { Random } from '@samsa/runtime';
import type { CachedPartition } from './cached-partition.ts';
import { FetchSession } from './fetch-session.ts';
import { INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch } from './session-epoch.ts';

export interface FetchSessionCacheOptions {
  readonly slotsMax: number;
  readonly evictionMs: number;
  readonly partitionsPerSessionMax: number;
  readonly random: Random;
}

const SESSION_ID_END = 0x7fff_ffff;
/** New-id draws before giving up: with ≤ 100,000 live ids of 2^31, 64 misses in a row do not happen. */
const SESSION_ID_ATTEMPTS_MAX = 64;

export class FetchSessionCache {
  readonly slotsMax: number;
  readonly evictionMs: number;
  readonly partitionsPerSessionMax: number;
  readonly #random: Random;
  readonly #sessions = new Map<number, FetchSession>();
  /** The same sessions, least recently used first. */
  readonly #byLastUsed = new Map<number, FetchSession>();
  /** Each session's size as of its last touch (what `partitionsCached` sums). */
  readonly #cachedSize = new Map<number, number>();
  #partitionsCached = 0;
  #lastNowMs = -Infinity;
  #evictions = 0;
  #expirations = 0;

  constructor(options: FetchSessionCacheOptions) {
    if (!(Number.isInteger(options.slotsMax) && options.slotsMax >= 0)) throw new Error(`slotsMax must be a non-negative integer, not ${options.slotsMax}`);
    if (!(options.evictionMs >= 0)) throw new Error(`evictionMs must be ≥ 0, not ${options.evictionMs}`);
    if (!(Number.isInteger(options.partitionsPerSessionMax) && options.partitionsPerSessionMax >= 1)) throw new Error(`partitionsPerSessionMax must be ≥ 1, not ${options.partitionsPerSessionMax}`);
    this.slotsMax = options.slotsMax;
    this.evictionMs = options.evictionMs;
    this.partitionsPerSessionMax = options.partitionsPerSessionMax;
    this.#random = options.random;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Partitions held by all sessions (as of each one's last touch). */
  get partitionsCached(): number {
    return this.#partitionsCached;
  }

  /** Sessions pushed out for a newcomer. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Sessions dropped for being unused longer than `evictionMs`. */
  get expirations(): number {
    return this.#expirations;
  }

  /** The live session `id`; undefined when there is none (or it just expired). */
  get(id: number, nowMs: number): FetchSession | undefined {
    this.#expireStale(nowMs);
    return this.#sessions.get(id);
  }

  /**
   * Creates a session of `partitions` (their answers already remembered) when there is a
   * slot or one can be freed; returns its id, or INVALID_SESSION_ID (0) when not.
   */
  maybeCreateSession(nowMs: number, privileged: boolean, usesTopicIds: boolean, partitions: readonly CachedPartition[]): number {
    if (partitions.length > this.partitionsPerSessionMax) return INVALID_SESSION_ID;
    this.#expireStale(nowMs);
    if (this.#sessions.size >= this.slotsMax && !this.#tryEvict(privileged, partitions.length, nowMs)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.#newSessionId(), privileged, usesTopicIds, nowMs, nextEpoch(INITIAL_EPOCH), partitions);
    this.#sessions.set(session.id, session);
    this.touch(session, nowMs);
    if (this.#sessions.size > this.slotsMax) throw new Error(`fetch session cache holds ${this.#sessions.size} sessions, bound ${this.slotsMax}`);
    return session.id;
  }

  /** Marks `session` used now and takes note of its size. */
  touch(session: FetchSession, nowMs: number): void {
    this.#advance(nowMs);
    if (this.#sessions.get(session.id) !== session) return;
    session.lastUsedMs = nowMs;
    this.#byLastUsed.delete(session.id);
    this.#byLastUsed.set(session.id, session);
    this.#partitionsCached += session.size - (this.#cachedSize.get(session.id) ?? 0);
    this.#cachedSize.set(session.id, session.size);
  }

  /** Removes session `id`; true when it was live. */
  remove(id: number): boolean {
    const session = this.#sessions.get(id);
    if (!session) return false;
    this.#sessions.delete(id);
    this.#byLastUsed.delete(id);
    this.#partitionsCached -= this.#cachedSize.get(id) ?? 0;
    this.#cachedSize.delete(id);
    return true;
  }

  #advance(nowMs: number): void {
    if (nowMs < this.#lastNowMs) throw new Error(`fetch session clock went back: ${nowMs} < ${this.#lastNowMs}`);
    this.#lastNowMs = nowMs;
  }

  #isStale(session: FetchSession, nowMs: number): boolean {
    return nowMs - session.lastUsedMs > this.evictionMs;
  }

  /** Drops the stale sessions, oldest first (they lead `#byLastUsed`). */
  #expireStale(nowMs: number): void {
    this.#advance(nowMs);
    for (const session of this.#byLastUsed.values()) {
      if (!this.#isStale(session, nowMs)) break;
      this.remove(session.id);
      this.#expirations++;
    }
  }

  #tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    const oldest = this.#byLastUsed.values().next();
    if (oldest.done) return false;
    if (this.#isStale(oldest.value, nowMs)) {
      this.remove(oldest.value.id);
      this.#evictions++;
      return true;
    }
    let victim: FetchSession | null = null;
    for (const s of this.#sessions.values()) {
      const old = nowMs - s.creationMs > this.evictionMs;
      const evictable = old || (privileged && !s.privileged);
      if (evictable && (victim === null || compareEvictable(s.privileged, this.#cachedSize.get(s.id)!, s.id, victim.privileged, this.#cachedSize.get(victim.id)!, victim.id) < 0)) victim = s;
    }
    // The newcomer's key has id 0, below every live id: an equal (privileged, size) does not evict.
    if (victim === null || compareEvictable(privileged, size, 0, victim.privileged, this.#cachedSize.get(victim.id)!, victim.id) < 0) return false;
    this.remove(victim.id);
    this.#evictions++;
    return true;
  }

  #newSessionId(): number {
    for (let i = 0; i < SESSION_ID_ATTEMPTS_MAX; i++) {
      const id = this.#random.int(1, SESSION_ID_END);
      if (id !== INVALID_SESSION_ID && !this.#sessions.has(id)) return id;
    }
    throw new Error(`no free fetch session id after ${SESSION_ID_ATTEMPTS_MAX} draws (${this.#sessions.size} live sessions)`);
  }
}

/** Kafka's EvictableKey order: (privileged, size, id), unprivileged first. */
function compareEvictable(aPrivileged: boolean, aSize: number, aId: number, bPrivileged: boolean, bSize: number, bId: number): number {
  if (aPrivileged !== bPrivileged) return aPrivileged ? 1 : -1;
  if (aSize !== bSize) return aSize - bSize;
  return aId - bId;
}
