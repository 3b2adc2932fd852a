/**
 * Structured logs: pino, JSON lines on stderr (stdout stays free for the connect line and
 * for `samsa consume` output).
 *
 * Level from `--log-level` or SAMSA_LOG_LEVEL (trace|debug|info|warn|error|fatal|silent),
 * default info. Set SAMSA_LOG_PRETTY=0/1 is not offered: pipe through `pino-pretty` if
 * you want colours.
 */
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { LOG_LEVELS } from './log-levels.ts';
import type { LogLevel } from './log-levels.ts';

export { LOG_LEVELS } from './log-levels.ts';
export type { LogLevel } from './log-levels.ts';

export function createLogger(level: LogLevel, name = 'samsa'): PinoLogger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
