/**
 * A long-running python3-confluent-kafka peer for the replication suites: a script that
 * runs while the test kills and restarts brokers, prints one JSON object per stdout line
 * (progress lines while it runs, a report at the end) and stops when it reads a line on
 * stdin (or stdin closes, so it never outlives the test process).
 *
 * Process hygiene: the peer runs in its own process group (detached) and `kill()` SIGKILLs
 * the group; call it in afterEach/finally (safe after exit, safe twice). A hard timeout
 * kills it as well.
 *
 * Bounds: stdout is split into lines, at most LINES_MAX kept (the newest; the report is
 * the last line); one line is at most LINE_BYTES_MAX; stderr keeps its last STDERR_CHARS_MAX
 * characters.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '@samsa/bench';
import { pollUntil } from './cluster-process.ts';

/** The Debian python3: the only one with confluent_kafka importable. */
export const PYTHON = '/usr/bin/python3';

const LINES_MAX = 10_000;
const LINE_BYTES_MAX = 16 * 1024 * 1024;
const STDERR_CHARS_MAX = 20_000;

export interface PeerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class PythonPeer {
  readonly #child: ChildProcess;
  readonly #exited: Promise<PeerExit>;
  readonly #lines: unknown[] = [];
  readonly #timer: NodeJS.Timeout;
  #partial = '';
  #stderr = '';
  #running = true;

  /** Starts `/usr/bin/python3 -c script ...args`; SIGKILLed after `timeoutMs`. */
  constructor(script: string, args: readonly string[], timeoutMs: number) {
    this.#child = spawn(PYTHON, ['-u', '-c', script, ...args], { cwd: REPO_ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (c: Buffer) => this.#onStdout(c.toString('utf8')));
    this.#child.stderr!.on('data', (c: Buffer) => {
      this.#stderr = (this.#stderr + c.toString('utf8')).slice(-STDERR_CHARS_MAX);
    });
    this.#child.stdin!.on('error', () => {});
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#running = false;
        resolve({ code, signal });
      });
      this.#child.once('error', (error) => {
        this.#running = false;
        this.#stderr += `\nspawn error: ${error.message}`;
        resolve({ code: null, signal: null });
      });
    });
    this.#timer = setTimeout(() => this.kill(), timeoutMs);
  }

  get running(): boolean {
    return this.#running;
  }

  stderr(): string {
    return this.#stderr;
  }

  /** Every JSON line so far (bounded), oldest first. */
  lines(): readonly unknown[] {
    return this.#lines;
  }

  /** The newest line whose `t` field is `type`, or undefined. */
  latest<T>(type: string): T | undefined {
    for (let i = this.#lines.length - 1; i >= 0; i--) {
      const line = this.#lines[i] as { t?: unknown };
      if (line.t === type) return line as T;
    }
    return undefined;
  }

  /** Asks the script to finish (a line on stdin) and waits for its `report` line. */
  async finish(timeoutMs: number): Promise<unknown> {
    this.#child.stdin!.write('stop\n');
    await pollUntil('the python peer to print its report', timeoutMs, () => this.latest('report') !== undefined || !this.#running);
    const exit = await Promise.race([this.#exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs))]);
    const report = this.latest('report');
    if (report === undefined) throw new Error(`the python peer ended without a report (exit ${JSON.stringify(exit)}):\n${this.#stderr.slice(-4000)}`);
    return report;
  }

  /** Waits until the script exits by itself (bounded) and returns its report line. */
  async report(timeoutMs: number): Promise<unknown> {
    await pollUntil('the python peer to finish', timeoutMs, () => !this.#running);
    const report = this.latest('report');
    if (report === undefined) throw new Error(`the python peer ended without a report (exit ${JSON.stringify(await this.#exited)}):\n${this.#stderr.slice(-4000)}`);
    return report;
  }

  /** SIGKILL the process group; waits for the exit. Safe after exit and twice. */
  async kill(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#running && this.#child.pid !== undefined) {
      try {
        process.kill(-this.#child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    await this.#exited;
  }

  #onStdout(text: string): void {
    this.#partial += text;
    if (this.#partial.length > LINE_BYTES_MAX) {
      // A line this long is a broken script: keep a marker, drop the bytes.
      this.#lines.push({ t: 'text', text: `(a line over ${LINE_BYTES_MAX} bytes was dropped)` });
      this.#partial = '';
    }
    let newline = this.#partial.indexOf('\n');
    while (newline >= 0) {
      const line = this.#partial.slice(0, newline).trim();
      this.#partial = this.#partial.slice(newline + 1);
      if (line.length > 0) {
        try {
          this.#lines.push(JSON.parse(line));
        } catch {
          this.#lines.push({ t: 'text', text: line });
        }
        if (this.#lines.length > LINES_MAX) this.#lines.shift();
      }
      newline = this.#partial.indexOf('\n');
    }
  }
}
