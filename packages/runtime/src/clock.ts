/**
 * Clock: time and timers, passed in so simulations control time.
 *
 * `monotonicMs` never goes backwards and is the only time to measure durations with.
 * `wallMs` is epoch milliseconds for timestamps written to disk or the wire.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed), arbitrary origin. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch (integer). */
  wallMs(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  setInterval(callback: () => void, intervalMs: number): TimerHandle;
  /** Resolves after `delayMs`. */
  sleep(delayMs: number): Promise<void>;
}

/** The clock every Web-standard runtime (Node, Deno, browsers, edge) already has. */
export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
  setTimeout(callback, delayMs) {
    const id = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(id) };
  },
  setInterval(callback, intervalMs) {
    const id = setInterval(callback, intervalMs);
    return { cancel: () => clearInterval(id) };
  },
  sleep: (delayMs) => new Promise((resolve) => setTimeout(resolve, delayMs)),
};
