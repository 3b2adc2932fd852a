/**
 * ManualClock: a Clock whose time moves only when the test or simulator says so.
 *
 * Timers fire in order of due time, ties in order of creation, each with the clock set to
 * exactly its due time; a timer scheduled by a callback fires in the same `advance` if it
 * falls due before the target. `sleep` resolves on the advance that reaches it (its
 * promise continuation runs in a later microtask: use `advanceAsync` when code chains
 * sleeps, it lets continuations run between timers).
 *
 * Limits: at most `timersMax` timers pending, at most `firingsPerAdvanceMax` callbacks
 * per advance (a zero-delay timer that reschedules itself would otherwise spin forever).
 */

import type { Clock, TimerHandle } from '../clock.ts';

interface Timer {
  dueMs: number;
  readonly seq: number;
  readonly callback: () => void;
  readonly intervalMs: number | null;
}

export const timersMax = 1_000_000;
export const firingsPerAdvanceMax = 10_000_000;

export interface ManualClockOptions {
  /** The wall clock at monotonic 0. Default 2023-11-14T22:13:20Z (1.7e12 ms). */
  readonly startWallMs?: number;
}

export class ManualClock implements Clock {
  private nowMs = 0;
  private seq = 0;
  private readonly startWallMs: number;
  /** Sorted by (dueMs, seq). */
  private timers: Timer[] = [];

  constructor(options: ManualClockOptions = {}) {
    this.startWallMs = options.startWallMs ?? 1_700_000_000_000;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return Math.floor(this.startWallMs + this.nowMs);
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    // Like the platforms: a negative or non-finite delay means "as soon as possible".
    return this.schedule(callback, Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0, null);
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    const every = Number.isFinite(intervalMs) && intervalMs > 1 ? intervalMs : 1;
    return this.schedule(callback, every, every);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, or null when none is pending. */
  nextDueMs(): number | null {
    return this.timers[0]?.dueMs ?? null;
  }

  /** Jumps to the next due timer and fires it (and any due at the same time). False when none is pending. */
  advanceToNext(): boolean {
    const due = this.nextDueMs();
    if (due === null) return false;
    this.advance(Math.max(0, due - this.nowMs));
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move time by ${ms}`);
    const targetMs = this.nowMs + ms;
    for (let fired = 0; ; fired++) {
      if (fired >= firingsPerAdvanceMax) throw new RangeError(`more than ${firingsPerAdvanceMax} timers fired in one advance`);
      const timer = this.takeDue(targetMs);
      if (!timer) break;
      timer.callback();
    }
    this.nowMs = targetMs;
  }

  /**
   * Like `advance`, but after each timer waits one macrotask of the host so promise
   * continuations (e.g. after `await sleep()`) run and may schedule timers that are due
   * before the target.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`cannot move time by ${ms}`);
    const targetMs = this.nowMs + ms;
    await yieldToHost();
    for (let fired = 0; ; fired++) {
      if (fired >= firingsPerAdvanceMax) throw new RangeError(`more than ${firingsPerAdvanceMax} timers fired in one advance`);
      const timer = this.takeDue(targetMs);
      if (!timer) break;
      timer.callback();
      await yieldToHost();
    }
    this.nowMs = targetMs;
  }

  private takeDue(targetMs: number): Timer | null {
    const timer = this.timers[0];
    if (!timer || timer.dueMs > targetMs) return null;
    this.timers.shift();
    this.nowMs = Math.max(this.nowMs, timer.dueMs);
    if (timer.intervalMs !== null) {
      timer.dueMs += timer.intervalMs;
      this.insert(timer);
    }
    return timer;
  }

  private schedule(callback: () => void, delayMs: number, intervalMs: number | null): TimerHandle {
    if (this.timers.length >= timersMax) throw new RangeError(`more than ${timersMax} pending timers`);
    const timer: Timer = { dueMs: this.nowMs + delayMs, seq: this.seq++, callback, intervalMs };
    this.insert(timer);
    return {
      cancel: () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  private insert(timer: Timer): void {
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.timers[mid]!;
      if (t.dueMs < timer.dueMs || (t.dueMs === timer.dueMs && t.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
  }
}

function yieldToHost(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
