/**
 * The host's HostProcess on Node: process.*, node:fs and node:path. Linux's
 * /proc/self/limits gives the open-file limit (null elsewhere).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseOpenFilesLimit } from '@samsa/host';
import type { HostProcess } from '@samsa/host';

export const nodeProcess: HostProcess = {
  runtimeName: 'node',
  pid: process.pid,
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
};
