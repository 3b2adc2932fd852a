/**
 * Runs a program to completion for a bench (kcat, a python peer, the samsa CLI) and reads
 * a process's memory.
 *
 * Bounds: every run has a timeout (SIGKILL past it, `timedOut` set) and each captured
 * stream keeps at most OUTPUT_BYTES_MAX bytes (the oldest chunks go first).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { KCAT, REPO_ROOT } from './repo-paths.ts';

/** Captured output per stream; older bytes are dropped past this. */
const OUTPUT_BYTES_MAX = 4 * 1024 * 1024;
const RUN_TIMEOUT_MS_DEFAULT = 60_000;

/** Output of a child process, bounded to OUTPUT_BYTES_MAX (the newest bytes are kept). */
export class BoundedCapture {
  #chunks: Buffer[] = [];
  #bytes = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes > OUTPUT_BYTES_MAX && this.#chunks.length > 1) this.#bytes -= this.#chunks.shift()!.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  buffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly input?: string | Buffer;
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
}

/** Runs a program to completion with a timeout (SIGKILL past it). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(options.env ?? {}) } });
    const stdout = new BoundedCapture();
    const stderr = new BoundedCapture();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? RUN_TIMEOUT_MS_DEFAULT);
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.buffer(), stderr: stderr.text(), timedOut });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

export function kcat(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(KCAT, args, { timeoutMs: RUN_TIMEOUT_MS_DEFAULT, ...options });
}

/** Fails with the command's stderr when it did not exit 0. */
export function expectOk(result: RunResult, what: string): RunResult {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`${what} failed (code ${result.code}, signal ${result.signal}, timedOut ${result.timedOut}):\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

/** VmRSS of a process in KiB, from /proc (Linux); 0 when the field is missing. */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) : 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
