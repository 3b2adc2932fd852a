/**
 * The host's HostProcess on Deno: Deno.* for signals, exit, stdout/stderr, the --config
 * file (whose "not allowed" error names the --allow-read flag to add) and the launcher's
 * lifeline on stdin. No open-file limit is read (it would need read access to /proc).
 */
import { resolve } from 'node:path';
import { CliError, ExitCode } from '@samsa/host/cli';
import { readUntilEnd, writeLineSync } from '@samsa/host';
import type { HostProcess } from '@samsa/host';

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
  writeStdoutLine: (line) => writeLineSync((bytes) => Deno.stdout.writeSync(bytes), line),
  writeStderrLine: (line) => writeLineSync((bytes) => Deno.stderr.writeSync(bytes), line),
  onSignal(handler) {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
  exit: (code) => Deno.exit(code),
  untilStdinCloses: () => readUntilEnd((buffer) => Deno.stdin.read(buffer)),
};
