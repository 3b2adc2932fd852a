/**
 * GroupCommit: many appends, one sync. Each caller asks for "a sync that covers offset
 * `target`"; at most one sync runs at a time, and the next one covers everything written
 * before it starts, so N concurrent appends pay for ~2 syncs instead of N.
 *
 * The sync itself is a callback (`syncTo(end)` flushes segments up to `end` and advances
 * the recovery point); `currentEnd()` says how far the log is written when a sync starts.
 * A failing sync rejects every waiter it would have covered and every waiter queued
 * behind it (the log goes offline). Waiters are bounded by `waitersMax`.
 */
import { TooManyWaitersError } from './errors.ts';

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class GroupCommit {
  private readonly syncTo: (end: number) => Promise<void>;
  private readonly currentEnd: () => number;
  private readonly waitersMax: number;
  private waiters: Waiter[] = [];
  private running: Promise<void> | null = null;
  private durableEnd: number;
  private failure: unknown = null;

  constructor(syncTo: (end: number) => Promise<void>, currentEnd: () => number, durableEnd: number, waitersMax: number) {
    this.syncTo = syncTo;
    this.currentEnd = currentEnd;
    this.durableEnd = durableEnd;
    this.waitersMax = waitersMax;
  }

  /** The sync in progress, if any (structural changes wait for it to settle). */
  get inFlight(): Promise<void> | null {
    return this.running;
  }

  /** Lowers the durable end after a truncation. */
  resetDurableEnd(end: number): void {
    this.durableEnd = Math.min(this.durableEnd, end);
  }

  /** Resolves once a sync that started after offset `target` was written has completed. */
  request(target: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.waiters.length >= this.waitersMax) return Promise.reject(new TooManyWaitersError(this.waitersMax));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      if (this.running === null) this.running = this.loop();
    });
  }

  private async loop(): Promise<void> {
    // Bounded: each round either empties the waiters it saw or fails them all.
    try {
      while (this.waiters.length > 0) {
        const end = this.currentEnd();
        const round = this.waiters;
        this.waiters = [];
        try {
          await this.syncTo(end);
        } catch (e) {
          this.failure = e;
          for (const w of round) w.reject(e);
          for (const w of this.waiters) w.reject(e);
          this.waiters = [];
          return;
        }
        this.durableEnd = Math.max(this.durableEnd, end);
        const later: Waiter[] = [];
        for (const w of round) {
          if (w.target <= end) w.resolve();
          else later.push(w);
        }
        this.waiters = later.concat(this.waiters);
      }
    } finally {
      this.running = null;
    }
  }
}
