/**
 * SimClock: the simulator's one source of time. Timers fire ONE AT A TIME (`runNext`), in
 * order of due time, ties in order of creation, with the clock set to exactly the due time;
 * the simulator drains the host's microtasks between two timers, so promise continuations
 * run between events as on a real event loop. (The runtime's ManualClock fires every timer
 * due in an `advance` back to back, without letting continuations run in between; that is
 * right for unit tests, not for interleaving a whole cluster.)
 *
 * NodeClock: one simulated process's view of the SimClock. `kill()` is the process dying:
 * its timers are cancelled, and any timer or sleep it asks for afterwards never fires.
 *
 * Limits: at most `timersMax` pending timers; an interval below 1 ms runs every 1 ms.
 */
import type { Clock, TimerHandle } from '@samsa/runtime';

export const timersMax = 1_000_000;
/** ManualClock's wall time at monotonic 0 (record timestamps near it never trigger a roll). */
export const startWallMs = 1_700_000_000_000;

interface Timer {
  dueMs: number;
  readonly seq: number;
  readonly callback: () => void;
  readonly intervalMs: number | null;
  cancelled: boolean;
}

export class SimClock implements Clock {
  #nowMs = 0;
  #seq = 0;
  /** A binary min-heap by (dueMs, seq). */
  readonly #heap: Timer[] = [];
  #live = 0;

  monotonicMs(): number {
    return this.#nowMs;
  }

  wallMs(): number {
    return Math.floor(startWallMs + this.#nowMs);
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.#schedule(callback, Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0, null);
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    const every = Number.isFinite(intervalMs) && intervalMs > 1 ? intervalMs : 1;
    return this.#schedule(callback, every, every);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** Timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#live;
  }

  /** Due time of the next live timer, or null. */
  nextDueMs(): number | null {
    this.#dropCancelled();
    return this.#heap[0]?.dueMs ?? null;
  }

  /** Moves time to the next timer due at or before `limitMs` and fires it alone. False when none is. */
  runNext(limitMs: number): boolean {
    this.#dropCancelled();
    const timer = this.#heap[0];
    if (timer === undefined || timer.dueMs > limitMs) return false;
    this.#pop();
    this.#nowMs = Math.max(this.#nowMs, timer.dueMs);
    if (timer.intervalMs !== null) {
      timer.dueMs += timer.intervalMs;
      this.#push(timer);
    } else {
      timer.cancelled = true;
      this.#live--;
    }
    timer.callback();
    return true;
  }

  /** Moves time forward to `targetMs` without firing anything (callers run the due timers first). */
  jumpTo(targetMs: number): void {
    if (targetMs > this.#nowMs) this.#nowMs = targetMs;
  }

  #schedule(callback: () => void, delayMs: number, intervalMs: number | null): TimerHandle {
    if (this.#live >= timersMax) throw new RangeError(`more than ${timersMax} pending timers`);
    const timer: Timer = { dueMs: this.#nowMs + delayMs, seq: this.#seq++, callback, intervalMs, cancelled: false };
    this.#push(timer);
    this.#live++;
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.#live--;
      },
    };
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
  }

  #push(timer: Timer): void {
    const h = this.#heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Timer | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

/** A process's clock: the SimClock's time, its own timers, all dropped when it dies. */
export class NodeClock implements Clock {
  readonly #clock: SimClock;
  readonly #handles = new Set<TimerHandle>();
  #dead = false;

  constructor(clock: SimClock) {
    this.#clock = clock;
  }

  get dead(): boolean {
    return this.#dead;
  }

  monotonicMs(): number {
    return this.#clock.monotonicMs();
  }

  wallMs(): number {
    return this.#clock.wallMs();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (this.#dead) return { cancel: () => {} };
    const handle = this.#clock.setTimeout(() => {
      this.#handles.delete(handle);
      callback();
    }, delayMs);
    this.#handles.add(handle);
    return { cancel: () => (handle.cancel(), this.#handles.delete(handle)) };
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    if (this.#dead) return { cancel: () => {} };
    const handle = this.#clock.setInterval(callback, intervalMs);
    this.#handles.add(handle);
    return { cancel: () => (handle.cancel(), this.#handles.delete(handle)) };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** The process died: every timer of it is gone, and it gets no new ones. */
  kill(): void {
    this.#dead = true;
    for (const handle of this.#handles) handle.cancel();
    this.#handles.clear();
  }
}
