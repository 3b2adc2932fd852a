/**
 * AsyncMutex: serialises the log's writers (append, roll, truncate, delete, replace).
 * FIFO; at most `queueMax` callers may wait (beyond that `run` rejects with
 * TooManyWaitersError) so a flood of appends cannot grow memory without bound.
 */
import { TooManyWaitersError } from './errors.ts';

export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly queueMax: number;

  constructor(queueMax: number) {
    this.queueMax = queueMax;
  }

  get waiting(): number {
    return this.queued;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.queued >= this.queueMax) return Promise.reject(new TooManyWaitersError(this.queueMax));
    this.queued++;
    const result = this.tail.then(() => {
      this.queued--;
      return fn();
    });
    // The chain continues whatever `fn` did; the caller sees the rejection through `result`.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
