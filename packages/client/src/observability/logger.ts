/**
 * The client's logger hook. The client never writes to the console by itself: it calls the
 * `Logger` it was given (default `silentLogger`). Adapt pino, winston or `console` with a
 * one-line `log` function; `consoleLogger(level)` is the ready-made console adapter.
 *
 * Messages are short English sentences; `fields` carry the structured part (broker address,
 * topic, partition, error code, …) so a JSON logger can index them.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Drops everything (the default). */
export const silentLogger: Logger = { log: () => {} };

/** Writes entries at `minLevel` and above to `console` (`console.debug/info/warn/error`). */
export function consoleLogger(minLevel: LogLevel = 'info'): Logger {
  const min = LEVEL_RANK[minLevel];
  return {
    log(level, message, fields) {
      if (LEVEL_RANK[level] < min) return;
      const line = `[samsa-client] ${level} ${message}`;
      if (fields === undefined) console[level](line);
      else console[level](line, fields);
    },
  };
}

/** True when `level` passes `minLevel` (for adapters that filter). */
export function levelEnabled(level: LogLevel, minLevel: LogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[minLevel];
}
