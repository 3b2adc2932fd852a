/**
 * The host's HostProcess on Deno: Deno.* for signals, exit, stdout/stderr, the --config
 * file (whose "not allowed" error names the --allow-read flag to add) and the launcher's
 * lifeline on stdin. No open-file limit is read (it would need read access to /proc).
 */
import { resolve } from 'node:path';
import { CliError, ExitCode } from '@samsa/host/cli';
import type { HostProcess, StdinEnd } from '@samsa/host';

const encoder = new TextEncoder();
/** Reads of stdin before the lifeline stops watching (the launcher never writes to it). */
const STDIN_READS_MAX = 1_000_000;
/** Bound of the write loop of one line (a short write returns fewer bytes). */
const WRITES_PER_LINE_MAX = 1_000;

function writeLine(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(`${text}\n`);
  for (let done = 0, loops = 0; done < bytes.byteLength && loops < WRITES_PER_LINE_MAX; loops++) done += file.writeSync(bytes.subarray(done));
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

/** Reads and drops stdin until end of file or a read error. */
async function untilStdinCloses(): Promise<StdinEnd> {
  const buffer = new Uint8Array(4096);
  try {
    for (let reads = 0; reads < STDIN_READS_MAX; reads++) {
      if ((await Deno.stdin.read(buffer)) === null) return 'eof';
    }
    return 'written';
  } catch {
    return 'error';
  }
}

export const denoProcess: HostProcess = {
  runtimeName: 'deno',
  pid: Deno.pid,
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
  writeStdoutLine: (line) => writeLine(Deno.stdout, line),
  writeStderrLine: (line) => writeLine(Deno.stderr, line),
  onSignal(handler) {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => Deno.exit(code),
  untilStdinCloses,
};
