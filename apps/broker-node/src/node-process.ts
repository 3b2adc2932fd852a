/**
 * The host's HostProcess on Node: process.*, node:fs and node:path, and pino for the logs.
 * Linux's /proc/self/limits gives the open-file limit (null elsewhere).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseOpenFilesLimit } from '@samsa/host';
import type { HostLogger, HostProcess, LogLevel } from '@samsa/host';
import { pino } from 'pino';

const PID = process.pid;

/** pino, JSON lines on stderr (stdout stays free for the connect line); the pid in every line. */
function createLogger(level: LogLevel): HostLogger {
  return pino({ name: 'samsa', level, base: { pid: PID } }, pino.destination({ fd: 2, sync: false }));
}

export const nodeProcess: HostProcess = {
  runtimeName: 'node',
  pid: PID,
  hostname: () => hostname(),
  readTextFile: (path) => readFile(path, 'utf8'),
  resolvePath: (path) => resolve(path),
  openFilesLimit() {
    try {
      return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
    } catch {
      return null;
    }
  },
  writeStdoutLine: (line) => void process.stdout.write(`${line}\n`),
  writeStderrLine: (line) => void process.stderr.write(`${line}\n`),
  onSignal(handler) {
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => process.exit(code),
  createLogger,
};
