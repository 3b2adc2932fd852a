/**
 * ConnectionLog: the broker's warnings about connections it closes or refuses, rate-limited
 * per reason so a flood of hostile connections costs a few log lines, not one per
 * connection (a run of 2,095 hostile connections used to write 2,095 warnings).
 *
 * Per reason: the first event logs its own line with its details; further events within
 * the next `windowMs` (10 s, measured on the Clock) are only counted; when the window
 * ends with a count N > 0, one summary line says "N more connections closed for <reason>
 * in the last 10 s" and a new window starts; a window that ends with no event drops the
 * reason, so the next event logs a full line again. So a sustained flood costs one line
 * per reason per window. Reasons are a small fixed set of codes (`keysMax` bounds them
 * anyway). `close()` (shutdown) cancels the timers and writes the pending summaries.
 */
import type { Clock, TimerHandle } from '@samsa/runtime';
import type { Logger } from '../observability/logger.ts';

/** Each reason's own message (the log line's text); unknown reasons get a generic one. */
const MESSAGES: Readonly<Record<string, string>> = {
  'frame-too-large': 'closing connection: request frame larger than socket.request.max.bytes',
  'bad-frame': 'closing connection: request frame with an invalid (negative) length prefix',
  'max-connections': 'refusing connection: max.connections reached',
  'max-connections-per-ip': 'refusing connection: max.connections.per.ip reached for its address',
  'shutting-down': 'refusing connection: the broker is shutting down',
  'evicted-idle': 'closing the longest-idle connection to admit a new one: max.connections reached',
  'unread-responses': 'closing connection: its client read under 64 KiB of its responses in 5 s while it holds request memory (queued.max.request.bytes) others wait for',
  'stalled-request': 'closing connection: its client stopped sending a request frame (under 64 KiB in 5 s) while it holds request memory (queued.max.request.bytes) others wait for',
};

export const CONNECTION_LOG_WINDOW_MS = 10_000;
const KEYS_MAX = 64;

interface Window {
  suppressed: number;
  timer: TimerHandle;
}

export class ConnectionLog {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();

  constructor(logger: Logger, clock: Clock, windowMs = CONNECTION_LOG_WINDOW_MS) {
    this.#logger = logger;
    this.#clock = clock;
    this.#windowMs = windowMs;
  }

  /** A connection closed for a framing violation (`frame-too-large`, `bad-frame`). */
  badFrame(reason: string, peer: string, frameBytesMax: number): void {
    this.#event(reason, { peer, reason, frameBytesMax });
  }

  /** A new connection refused at accept. */
  refused(reason: string, peer: string, connections: number, fromIp: number): void {
    this.#event(reason, { peer, reason, connections, connectionsFromIp: fromIp });
  }

  /** A connection closed because its stalled client held request memory others waited for (PoolPressure). */
  pinnedMemory(reason: string, peer: string, reservedBytes: number, waiters: number): void {
    this.#event(reason, { peer, reason, reservedBytes, waiters });
  }

  /** Shutdown: no more timers; pending counts are written now. */
  close(): void {
    for (const reason of [...this.#windows.keys()]) this.#endWindow(reason, false);
  }

  #event(reason: string, details: Record<string, unknown>): void {
    const window = this.#windows.get(reason);
    if (window !== undefined) {
      window.suppressed++;
      return;
    }
    if (this.#windows.size >= KEYS_MAX) return;
    this.#logger.warn(details, MESSAGES[reason] ?? `closing connection: ${reason}`);
    this.#windows.set(reason, { suppressed: 0, timer: this.#clock.setTimeout(() => this.#endWindow(reason, true), this.#windowMs) });
  }

  #endWindow(reason: string, renew: boolean): void {
    const window = this.#windows.get(reason);
    if (window === undefined) return;
    window.timer.cancel();
    if (window.suppressed === 0) {
      this.#windows.delete(reason);
      return;
    }
    const seconds = Math.round(this.#windowMs / 1000);
    this.#logger.warn({ reason, suppressed: window.suppressed, windowMs: this.#windowMs }, `${window.suppressed} more connections closed for ${reason} in the last ${seconds} s`);
    if (!renew) {
      this.#windows.delete(reason);
      return;
    }
    window.suppressed = 0;
    window.timer = this.#clock.setTimeout(() => this.#endWindow(reason, true), this.#windowMs);
  }
}
