/**
 * RequestMemoryPool: the broker-wide bound on request bytes held in memory
 * (`queued.max.request.bytes`), Kafka's MemoryPool for the network layer.
 *
 * A connection reserves a frame's declared length as soon as the frame's 4-byte length
 * prefix is in, before any byte of its payload is buffered; it releases the reservation
 * when the request's handler is done with the frame (or the connection ends). A
 * connection whose reservation is not granted stops reading (its socket is paused) and
 * waits in FIFO order; `release` grants waiters in that order.
 *
 * Invariants:
 *   - reservedBytes ≤ capacityBytes, except for a single frame larger than the whole
 *     pool (still allowed by socket.request.max.bytes): it is granted when nothing else
 *     is reserved, so reservedBytes ≤ max(capacityBytes, largest frame). Kafka's broker
 *     pool is looser (non-strict: it grants any size while one byte is free, so it may
 *     reach capacity + socket.request.max.bytes).
 *   - Waiters are granted in arrival order: a large frame is not starved by small ones
 *     arriving after it (a newcomer waits while anyone waits).
 *   - No deadlock: a reservation is only ever waited for by a connection that holds no
 *     unfinished frame it still needs to read; frames already granted finish and release.
 *   - No pinning: connections whose clients stall while holding bytes (responses unread, a
 *     frame not arriving) are closed by the broker's PoolPressure while anyone waits;
 *     `onWait` (a waiter was queued) is how it learns of waiters.
 * capacityBytes = Infinity is the unbounded pool (Kafka's `queued.max.request.bytes=-1`).
 * Single-threaded (one event loop); a grant callback runs synchronously inside `release`.
 */

/** A pending reservation; `cancel()` withdraws it (the connection ended). */
export interface PoolWaiter {
  cancel(): void;
}

interface Waiting {
  readonly bytes: number;
  readonly onGranted: () => void;
  cancelled: boolean;
}

export class RequestMemoryPool {
  readonly capacityBytes: number;
  #reservedBytes = 0;
  #peakReservedBytes = 0;
  #waiting: Waiting[] = [];
  readonly #onWait: (() => void) | undefined;

  /** `onWait` runs synchronously whenever a waiter is queued (it must not reserve or release). */
  constructor(capacityBytes: number, onWait?: () => void) {
    if (!(capacityBytes > 0)) throw new RangeError(`capacityBytes must be > 0 (Infinity for unbounded), got ${capacityBytes}`);
    this.capacityBytes = capacityBytes;
    this.#onWait = onWait;
  }

  get reservedBytes(): number {
    return this.#reservedBytes;
  }

  /** Most bytes ever reserved at once (tests and metrics). */
  get peakReservedBytes(): number {
    return this.#peakReservedBytes;
  }

  /** Connections waiting for a grant. */
  get waiterCount(): number {
    return this.#waiting.length;
  }

  /** Reserves `bytes` now if possible (nobody waits and they fit, or the pool is empty). */
  tryReserve(bytes: number): boolean {
    if (this.#waiting.length > 0 || !this.#fits(bytes)) return false;
    this.#grant(bytes);
    return true;
  }

  /** Queues a reservation of `bytes`; `onGranted` runs once they are reserved (inside a later `release`). */
  wait(bytes: number, onGranted: () => void): PoolWaiter {
    const waiting: Waiting = { bytes, onGranted, cancelled: false };
    this.#waiting.push(waiting);
    this.#onWait?.();
    return {
      cancel: () => {
        if (waiting.cancelled) return;
        waiting.cancelled = true;
        this.#waiting = this.#waiting.filter((w) => w !== waiting);
        this.#grantWaiters();
      },
    };
  }

  release(bytes: number): void {
    if (bytes === 0) return;
    if (bytes < 0 || bytes > this.#reservedBytes) throw new Error(`release(${bytes}) with ${this.#reservedBytes} bytes reserved`);
    this.#reservedBytes -= bytes;
    this.#grantWaiters();
  }

  #fits(bytes: number): boolean {
    return this.#reservedBytes === 0 || this.#reservedBytes + bytes <= this.capacityBytes;
  }

  #grant(bytes: number): void {
    this.#reservedBytes += bytes;
    if (this.#reservedBytes > this.#peakReservedBytes) this.#peakReservedBytes = this.#reservedBytes;
  }

  #grantWaiters(): void {
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.bytes)) {
      const next = this.#waiting.shift()!;
      this.#grant(next.bytes);
      next.cancelled = true;
      next.onGranted();
    }
  }
}
