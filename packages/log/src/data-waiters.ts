/**
 * DataWaiters: long-poll support. Fetch (consumers, up to the high watermark) and
 * replication (followers, up to the log end offset) wait until a watermark passes an
 * offset, a timeout elapses, or an AbortSignal fires. The log calls `notify` after every
 * append / high-watermark move; each waiter is woken once. Bounded by `waitersMax`.
 */
import type { Clock } from '@samsa/runtime';
import { TooManyWaitersError } from './errors.ts';

interface Waiter {
  readonly beyond: number;
  finish: (ready: boolean) => void;
}

export class DataWaiters {
  private readonly clock: Clock;
  private readonly waitersMax: number;
  private readonly waiters = new Set<Waiter>();

  constructor(clock: Clock, waitersMax: number) {
    this.clock = clock;
    this.waitersMax = waitersMax;
  }

  get count(): number {
    return this.waiters.size;
  }

  /**
   * Resolves true once the watermark passes `beyond` (`current` now, or a later
   * `notify`), false on timeout, abort or `closeAll`.
   */
  wait(beyond: number, current: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (current > beyond) return Promise.resolve(true);
    if (timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve(false);
    if (this.waiters.size >= this.waitersMax) return Promise.reject(new TooManyWaitersError(this.waitersMax));
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { beyond, finish: () => {} };
      const onAbort = (): void => waiter.finish(false);
      const timer = this.clock.setTimeout(() => waiter.finish(false), timeoutMs);
      waiter.finish = (ready: boolean): void => {
        if (!this.waiters.delete(waiter)) return;
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(ready);
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes every waiter whose offset the watermark `value` has passed. */
  notify(value: number): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) if (value > w.beyond) w.finish(true);
  }

  /** Wakes everyone with false (close). */
  closeAll(): void {
    for (const w of [...this.waiters]) w.finish(false);
  }
}
