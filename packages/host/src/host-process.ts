/**
 * The process a broker runs in, as the host sees it: what differs between Node and Deno
 * once the broker core has its Runtime (files, sockets, clock). Each app implements it in a
 * few lines over its runtime's own process API; tests pass a fake.
 *
 * Invariants an implementation keeps: `onSignal` installs its handler for SIGINT and
 * SIGTERM at once (before the connect line, so a signal sent as soon as it appears is
 * handled); `exit` ends the process (it may return in a fake); `writeStdoutLine` and
 * `writeStderrLine` write the whole line before returning (the connect and stop lines are
 * read by scripts).
 */

import type { Logger } from '@samsa/broker';
import type { LogLevel } from './log-levels.ts';

export type HostSignal = 'SIGINT' | 'SIGTERM';

/** The broker's logger plus `flush`, so a cause is written out before the process exits. */
export type HostLogger = Logger & { flush(): void };

/** How stdin ended, for the launcher's lifeline ('written': something keeps writing; ignored). */
export type StdinEnd = 'eof' | 'error' | 'written';

export interface HostProcess {
  readonly runtimeName: 'node' | 'deno';
  readonly pid: number;
  /** This machine's name, for the data-dir lock line; 'unknown' when not allowed. */
  hostname(): string;
  /** The --config file's text. May throw a CliError (its message names the fix), else an error with a `code`. */
  readTextFile(path: string): Promise<string>;
  /** Makes a path absolute against the working directory. */
  resolvePath(path: string): string;
  /** The soft open-file limit when known (max.connections defaults to half of it); null otherwise. */
  openFilesLimit(): number | null;
  writeStdoutLine(line: string): void;
  writeStderrLine(line: string): void;
  /** Calls `handler` on every SIGINT and SIGTERM. */
  onSignal(handler: (signal: HostSignal) => void): void;
  exit(code: number): void;
  /** The structured logger (JSON lines on stderr; both apps use pino, which Deno runs too). */
  createLogger(level: LogLevel): HostLogger;
  /** Resolves when stdin ends (the launcher's lifeline); absent: the runtime cannot watch it. */
  untilStdinCloses?(): Promise<StdinEnd>;
}

/** What a broker writes into each log dir's `.lock`: a second broker, Node or Deno, names it. */
export function lockHolderLine(proc: Pick<HostProcess, 'pid' | 'hostname' | 'runtimeName'>, startedMs: number): string {
  return `pid=${proc.pid} host=${proc.hostname()} runtime=${proc.runtimeName} started=${new Date(startedMs).toISOString()}`;
}
