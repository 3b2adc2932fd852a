/**
 * LogWatchers: who waits on one log — long polls on its log end offset (followers) or
 * high watermark (consumers), and synchronous `onAppend` listeners. This is the log's
 * only wake-up mechanism; a broker's Fetch long poll waits here (`Log.waitForData`).
 *
 * Bounds: at most `waitersMax` waiters at once over both watermarks together; one more
 * is answered at once with a rejected promise (TooManyWaitersError, code
 * 'too-many-waiters'), which the caller maps to an error response: a waiter is never
 * left without an answer. At most APPEND_LISTENERS_MAX listeners (InvalidArgumentError).
 * `closeAll` answers every waiter false and drops the listeners.
 */
import type { Clock } from '@samsa/runtime';
import { DataWaiters } from './data-waiters.ts';
import { InvalidArgumentError, TooManyWaitersError } from './errors.ts';
import { APPEND_LISTENERS_MAX, type AppendEvent, type Watermark } from './log-types.ts';
import type { LogLogger } from './logger.ts';

export class LogWatchers {
  private readonly dir: string;
  private readonly logger: LogLogger;
  private readonly waitersMax: number;
  private readonly endWaiters: DataWaiters;
  private readonly hwWaiters: DataWaiters;
  private readonly listeners = new Set<(e: AppendEvent) => void>();

  constructor(dir: string, clock: Clock, waitersMax: number, logger: LogLogger) {
    this.dir = dir;
    this.logger = logger;
    this.waitersMax = waitersMax;
    this.endWaiters = new DataWaiters(clock, waitersMax);
    this.hwWaiters = new DataWaiters(clock, waitersMax);
  }

  /** Waiters pending over both watermarks. */
  get waiting(): number {
    return this.endWaiters.count + this.hwWaiters.count;
  }

  /** See `Log.waitForData`; `current` is the chosen watermark's value now. */
  wait(offset: number, current: number, timeoutMs: number, watermark: Watermark, signal: AbortSignal | undefined): Promise<boolean> {
    const waiters = watermark === 'high-watermark' ? this.hwWaiters : this.endWaiters;
    // Answered at once need no slot; anything else counts against the shared bound.
    const immediate = current > offset || timeoutMs <= 0 || signal?.aborted === true;
    if (!immediate && this.waiting >= this.waitersMax) return Promise.reject(new TooManyWaitersError(this.waitersMax));
    return waiters.wait(offset, current, timeoutMs, signal);
  }

  onAppend(listener: (event: AppendEvent) => void): () => void {
    if (this.listeners.size >= APPEND_LISTENERS_MAX) throw new InvalidArgumentError(`more than ${APPEND_LISTENERS_MAX} append listeners`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After an append: wakes end waiters (and high-watermark ones when it moved), then the listeners. */
  appended(baseOffset: number, lastOffset: number, logEndOffset: number, highWatermark: number | null): void {
    this.endWaiters.notify(logEndOffset);
    if (highWatermark !== null) this.hwWaiters.notify(highWatermark);
    if (this.listeners.size === 0) return;
    const event: AppendEvent = { baseOffset, lastOffset, logEndOffset };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.logger.warn({ dir: this.dir, error: String(e) }, 'onAppend listener threw');
      }
    }
  }

  highWatermarkMoved(highWatermark: number): void {
    this.hwWaiters.notify(highWatermark);
  }

  closeAll(): void {
    this.endWaiters.closeAll();
    this.hwWaiters.closeAll();
    this.listeners.clear();
  }
}
