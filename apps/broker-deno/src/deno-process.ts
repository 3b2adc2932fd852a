/**
 * The host's HostProcess on Deno: Deno.* for signals, exit, stdout/stderr, the --config
 * file (whose "not allowed" error names the --allow-read flag to add) and the launcher's
 * lifeline on stdin, and pino for the logs (a Node library Deno runs unchanged: its
 * destination writes fd 2 through node:fs). No open-file limit is read (it would need read
 * access to /proc).
 */
import { resolve } from 'node:path';
import { CliError, ExitCode } from '@samsa/host/cli';
import { readUntilEnd, writeLineSync } from '@samsa/host';
import type { HostLogger, HostProcess, LogLevel } from '@samsa/host';
import { pino } from 'pino';

const PID = Deno.pid;

/** pino, JSON lines on stderr (stdout stays free for the connect line); the pid in every line. */
function createLogger(level: LogLevel): HostLogger {
  return pino({ name: 'samsa', level, base: { pid: PID } }, pino.destination({ fd: 2, sync: false }));
}

async function readTextFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new CliError(`cannot read --config ${path}: not allowed. Add --allow-read=${path} to the deno run flags.`, ExitCode.usage);
    }
    throw Object.assign(new Error((error as Error).message), { code: error instanceof Deno.errors.NotFound ? 'ENOENT' : (error as Error).message });
  }
}

export const denoProcess: HostProcess = {
  runtimeName: 'deno',
  pid: PID,
  hostname() {
    try {
      return Deno.hostname(); // --allow-sys=hostname, granted
    } catch {
      return 'unknown';
    }
  },
  readTextFile,
  resolvePath: (path) => resolve(path),
  openFilesLimit: () => null,
  writeStdoutLine: (line) => writeLineSync((bytes) => Deno.stdout.writeSync(bytes), line),
  writeStderrLine: (line) => writeLineSync((bytes) => Deno.stderr.writeSync(bytes), line),
  onSignal(handler) {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => Deno.exit(code),
  createLogger,
  untilStdinCloses: () => readUntilEnd((buffer) => Deno.stdin.read(buffer)),
};
