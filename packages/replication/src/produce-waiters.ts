/**
 * ProduceWaiters: acks=all produce requests waiting for the high watermark to reach their
 * required offset (the last offset they appended + 1), at most `waitersMax` at once.
 *
 * Kept sorted by required offset (ties in arrival order), so a high-watermark advance
 * takes waiters from the front only. Request ids are unique while waiting.
 */

export interface ProduceWaiter {
  readonly requestId: number;
  readonly requiredOffset: number;
  readonly minIsr: number;
}

export class ProduceWaiters {
  readonly waitersMax: number;
  readonly #sorted: ProduceWaiter[] = [];
  readonly #ids = new Set<number>();

  constructor(waitersMax: number) {
    this.waitersMax = waitersMax;
  }

  get size(): number {
    return this.#sorted.length;
  }

  has(requestId: number): boolean {
    return this.#ids.has(requestId);
  }

  /** False when full. Throws on a request id already waiting (a broker bug). */
  add(waiter: ProduceWaiter): boolean {
    if (this.#ids.has(waiter.requestId)) throw new Error(`produce request ${waiter.requestId} already waits`);
    if (this.#sorted.length >= this.waitersMax) return false;
    let i = this.#sorted.length;
    while (i > 0 && this.#sorted[i - 1]!.requiredOffset > waiter.requiredOffset) i--;
    this.#sorted.splice(i, 0, waiter);
    this.#ids.add(waiter.requestId);
    return true;
  }

  /** Removes and returns the waiters whose required offset is ≤ `highWatermark`, in order. */
  takeReached(highWatermark: number): ProduceWaiter[] {
    let n = 0;
    while (n < this.#sorted.length && this.#sorted[n]!.requiredOffset <= highWatermark) n++;
    const out = this.#sorted.splice(0, n);
    for (const w of out) this.#ids.delete(w.requestId);
    return out;
  }

  remove(requestId: number): boolean {
    if (!this.#ids.delete(requestId)) return false;
    this.#sorted.splice(this.#sorted.findIndex((w) => w.requestId === requestId), 1);
    return true;
  }

  takeAll(): ProduceWaiter[] {
    const out = this.#sorted.splice(0);
    this.#ids.clear();
    return out;
  }
}
