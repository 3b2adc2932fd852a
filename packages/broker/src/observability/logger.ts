/**
 * Logger: the structured-logging hook the app passes in. Pino-compatible subset:
 * `logger.info({ topic }, 'created topic')`, and `child(bindings)` for per-connection
 * context. The broker never formats log lines itself; it hands objects to the app.
 */

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Discards everything (the default in tests and embedding). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/**
 * Lets one message through per `intervalMs` per key and counts what it dropped, so a
 * flood of malformed requests costs one log line a second, not one per request.
 * Keys are bounded (`keysMax`); the oldest key is forgotten first.
 */
export class RateLimitedLog {
  readonly #last = new Map<string, { atMs: number; dropped: number }>();
  readonly #intervalMs: number;
  readonly #keysMax: number;
  constructor(intervalMs = 1000, keysMax = 256) {
    this.#intervalMs = intervalMs;
    this.#keysMax = keysMax;
  }
  /** Calls `emit(droppedSinceLast)` unless `key` logged within the interval. */
  maybeLog(key: string, nowMs: number, emit: (dropped: number) => void): void {
    const entry = this.#last.get(key);
    if (entry && nowMs - entry.atMs < this.#intervalMs) {
      entry.dropped++;
      return;
    }
    const dropped = entry?.dropped ?? 0;
    this.#last.delete(key);
    if (this.#last.size >= this.#keysMax) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    this.#last.set(key, { atMs: nowMs, dropped: 0 });
    emit(dropped);
  }
}
