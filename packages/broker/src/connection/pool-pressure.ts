/**
 * PoolPressure: keeps clients that stall from pinning the request memory pool
 * (`queued.max.request.bytes`), so that connections waiting for it are served in bounded time.
 *
 * Without it, a client that pipelines requests and never reads the responses keeps its
 * queued frames' reservations for good (the session stops handling once 16 MiB of
 * responses are unread), and so does a client that announces a big frame and then sends
 * nothing or trickles it: about 32 such connections hold the default 512 MiB, and every
 * other client then waits for memory forever. Kafka is not exposed the same way (it reads
 * no pipelined frame while a request is in flight), and against the trickle it has only
 * connections.max.idle.ms, which every byte received restarts.
 *
 * Rule: while the pool has waiters, the connections whose session reports a stall
 * (`ConnectionSession.stall`: for ≥ CLIENT_STALL_MIN_MS, responses undrained of which less
 * than FRAME_PROGRESS_BYTES drained, or a reserved frame being read that got less than that)
 * are closed, the one holding the most pool bytes outside the handler first, until nobody
 * waits or none is left. Closing a session releases those bytes at once, which grants the
 * waiters in FIFO order. Checked on a timer: at once when a waiter is queued, then every
 * PRESSURE_CHECK_MS while anyone waits; no timer runs while nobody waits. A check that
 * fires more than PRESSURE_CHECK_MS late closes nothing (it only re-arms): after the event
 * loop was blocked, timers run before the socket events that arrived meanwhile, so the
 * sessions' view of their clients' progress is stale.
 *
 * No shutdown hook: the timer runs only while someone waits, and during shutdown every
 * session is finishing (no stall) and gives its bytes back, so it stops by itself.
 *
 * Invariants: a connection is closed only while someone waits and only if it stalled for
 * ≥ CLIENT_STALL_MIN_MS holding bytes that closing it frees; a request in the handler (a long
 * poll) alone never makes it a candidate; one pass is O(connections).
 * So a waiter is granted within about CLIENT_STALL_MIN_MS + PRESSURE_CHECK_MS of the pool
 * being pinned, unless the holders keep making progress (then their bytes come back as their
 * frames are handled).
 */
import type { Clock, TimerHandle } from '@samsa/runtime';
import type { AttachedConnection } from './attach.ts';
import type { StallReason } from './connection-session.ts';
import type { RequestMemoryPool } from './request-memory-pool.ts';

/** A client must stall at least this long (responses unread, or its frame not arriving) to be closed under pressure. */
export const CLIENT_STALL_MIN_MS = 5_000;
/** How often stalls are looked for while someone waits for request memory. */
export const PRESSURE_CHECK_MS = 1_000;

export interface PoolPressureOptions {
  readonly pool: RequestMemoryPool;
  readonly clock: Clock;
  /** The open connections. */
  readonly connections: () => Iterable<AttachedConnection>;
  /** Closes one stalled connection (logs and counts it; ending its session releases its bytes). */
  readonly close: (connection: AttachedConnection, reason: StallReason) => void;
}

export class PoolPressure {
  readonly #opts: PoolPressureOptions;
  #timer: TimerHandle | null = null;
  #dueMs = 0;

  constructor(options: PoolPressureOptions) {
    this.#opts = options;
  }

  /** A connection began waiting for request memory: look for stalls soon (never inside the caller). */
  waiting(): void {
    if (this.#timer === null) this.#arm(0);
  }

  /** Closes stalled connections, largest holder first, while anyone waits; returns how many. */
  relieve(): number {
    const { pool, clock } = this.#opts;
    if (pool.waiterCount === 0) return 0;
    const now = clock.monotonicMs();
    const stalled: Array<{ connection: AttachedConnection; reason: StallReason; bytes: number }> = [];
    for (const connection of this.#opts.connections()) {
      const reason = connection.session.stall(now, CLIENT_STALL_MIN_MS);
      if (reason !== null) stalled.push({ connection, reason, bytes: connection.session.reservedUnhandledBytes });
    }
    stalled.sort((a, b) => b.bytes - a.bytes);
    let closed = 0;
    for (const s of stalled) {
      if (pool.waiterCount === 0) break;
      this.#opts.close(s.connection, s.reason);
      closed++;
    }
    return closed;
  }

  #arm(delayMs: number): void {
    this.#dueMs = this.#opts.clock.monotonicMs() + delayMs;
    this.#timer = this.#opts.clock.setTimeout(() => this.#tick(), delayMs);
  }

  #tick(): void {
    this.#timer = null;
    if (this.#opts.clock.monotonicMs() - this.#dueMs <= PRESSURE_CHECK_MS) this.relieve();
    if (this.#opts.pool.waiterCount > 0) this.#arm(PRESSURE_CHECK_MS);
  }
}
