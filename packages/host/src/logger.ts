/**
 * Structured logs: pino, JSON lines on stderr (stdout stays free for the connect line and
 * for `samsa consume` output).
 *
 * Level from `--log-level` or SAMSA_LOG_LEVEL (trace|debug|info|warn|error|fatal|silent),
 * default info. Set SAMSA_LOG_PRETTY=0/1 is not offered: pipe through `pino-pretty` if
 * you want colours.
 *
 * pino is a Node library that Deno runs unchanged (its destination writes fd 2 through
 * node:fs, which Deno implements). It is the one runtime-coupled dependency of the host,
 * and no other host file imports it: the core takes any `Logger` (pino's subset), so a
 * host on another runtime passes its own to startBrokerOn. The pid comes from the app
 * (process.pid, Deno.pid); the level from the caller (flag or environment, read by the app).
 */
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { LogLevel } from './log-levels.ts';

export { isLogLevel, LOG_LEVELS } from './log-levels.ts';
export type { LogLevel } from './log-levels.ts';

export function createLogger(level: LogLevel, pid: number, name = 'samsa'): PinoLogger {
  return pino({ name, level, base: { pid } }, pino.destination({ fd: 2, sync: false }));
}
