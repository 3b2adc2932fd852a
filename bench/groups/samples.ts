/**
 * Bounded latency samples (ms) with percentiles, and the largest gap between consecutive
 * events ("stall"). Past `capacity` samples, further ones are counted but not stored (the
 * percentiles then describe the first `capacity`; the benchmarks size it to never fill).
 */

export class Samples {
  readonly #values: Float64Array;
  #count = 0;
  #dropped = 0;
  #max = 0;

  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }

  add(ms: number): void {
    if (ms > this.#max) this.#max = ms;
    if (this.#count < this.#values.length) this.#values[this.#count++] = ms;
    else this.#dropped++;
  }

  get count(): number {
    return this.#count + this.#dropped;
  }

  summary(): LatencySummary {
    const sorted = this.#values.slice(0, this.#count).sort();
    const at = (p: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return { count: this.count, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: this.#count === 0 ? Number.NaN : this.#max };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Largest gap between consecutive `mark()` calls since `start`, including the gap to `end`. */
export class GapTracker {
  #lastMs: number;
  #largestMs = 0;

  constructor(startMs: number) {
    this.#lastMs = startMs;
  }

  mark(nowMs: number): void {
    const gap = nowMs - this.#lastMs;
    if (gap > this.#largestMs) this.#largestMs = gap;
    this.#lastMs = nowMs;
  }

  largestMs(endMs: number): number {
    return Math.max(this.#largestMs, endMs - this.#lastMs);
  }
}
