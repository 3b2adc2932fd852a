/**
 * A HostProcess for tests: records stdout/stderr lines and exit codes, reads config files
 * from a map, and lets the test raise signals and end stdin. Never ends the process. Its
 * logger discards everything.
 */
import { silentLogger } from '@samsa/broker';
import type { HostProcess, HostSignal, StdinEnd } from './host-process.ts';

export interface FakeHostProcess extends HostProcess {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exits: number[];
  raise(signal: HostSignal): void;
  endStdin(how: StdinEnd): void;
}

export function fakeHostProcess(files: Readonly<Record<string, string>> = {}): FakeHostProcess {
  const handlers: Array<(signal: HostSignal) => void> = [];
  let endStdin: (how: StdinEnd) => void = () => {};
  const stdinEnded = new Promise<StdinEnd>((resolve) => {
    endStdin = resolve;
  });
  return {
    runtimeName: 'node',
    pid: 4242,
    stdout: [],
    stderr: [],
    exits: [],
    hostname: () => 'test-host',
    readTextFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`no such file ${path}`), { code: 'ENOENT' });
      return text;
    },
    resolvePath: (path) => (path.startsWith('/') ? path : `/cwd/${path}`),
    openFilesLimit: () => null,
    writeStdoutLine(line) {
      this.stdout.push(line);
    },
    writeStderrLine(line) {
      this.stderr.push(line);
    },
    onSignal: (handler) => void handlers.push(handler),
    exit(code) {
      this.exits.push(code);
    },
    createLogger: () => ({ ...silentLogger, flush: () => {} }),
    untilStdinCloses: () => stdinEnded,
    raise: (signal) => handlers.forEach((h) => h(signal)),
    endStdin: (how) => endStdin(how),
  };
}
