/**
 * A real broker as a child process for a bench: the built Node broker
 * (`node apps/broker-node/dist/cli.js broker`) or the Deno broker from its sources, on a
 * free loopback port with its own data directory. Ready means its "listening on" line was
 * printed and an ApiVersions probe was answered.
 *
 * Bounds: readiness has a deadline (the child is killed past it), `stop` escalates to
 * SIGKILL after its timeout, captured output is bounded (BoundedCapture). Only 127.0.0.1
 * is bound. The caller stops the broker in a `finally`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v8FlagsArg } from '@samsa/broker-deno/v8-flags';
import { BoundedCapture, sleep } from './child-process.ts';
import { probeApiVersions } from './kafka-wire.ts';
import { assertBuilt, CLI_PATH, DENO_BIN, DENO_MAIN, HOST, REPO_ROOT } from './repo-paths.ts';

export type BrokerRuntime = 'node' | 'deno';

const READY_POLL_MS = 50;
const STOP_TIMEOUT_MS_DEFAULT = 15_000;

export interface BrokerProcess {
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** stdout + stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after `timeoutMs`); resolves the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  readonly dataDir: string;
  /** Default 'node'. */
  readonly runtime?: BrokerRuntime;
  readonly port?: number;
  /** `--override key=value` entries. */
  readonly overrides?: readonly string[];
  readonly extraArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

/** Ports this process handed out lately, so freePort never returns one twice in a row (bounded). */
const recentPorts: number[] = [];
const RECENT_PORTS_MAX = 4096;
const FREE_PORT_ATTEMPTS_MAX = 32;

/**
 * A port that was free a moment ago on 127.0.0.1, never one this process handed out
 * lately: the OS may give the same ephemeral port to two listen(0) calls in a row, and a
 * caller that asks twice (a broker's port and its admin port) must get two ports
 * (seen in CI: a broker told to listen on one port twice).
 */
export function freePort(): Promise<number> {
  return unusedPort(osFreePort, recentPorts);
}

/** The first port from `next` not in `recent` (which it then joins, bounded); for freePort and its test. */
export async function unusedPort(next: () => Promise<number>, recent: number[]): Promise<number> {
  for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS_MAX; attempt++) {
    const port = await next();
    if (recent.includes(port)) continue;
    recent.push(port);
    if (recent.length > RECENT_PORTS_MAX) recent.shift();
    return port;
  }
  throw new Error(`freePort: no port unused by this process in ${FREE_PORT_ATTEMPTS_MAX} tries`);
}

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `samsa-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The Deno broker's minimal permissions (apps/broker-deno/README.md). */
export function denoPermissions(dataDir: string): string[] {
  return [
    `--allow-net=${HOST}`,
    `--allow-read=${dataDir}`,
    `--allow-write=${dataDir}`,
    '--allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED',
    '--allow-sys=hostname',
  ];
}

function brokerCommand(runtime: BrokerRuntime, port: number, options: StartOptions): [string, string[]] {
  const args = ['--host', HOST, '--port', String(port), '--data-dir', options.dataDir, '--log-level', 'warn'];
  for (const o of options.overrides ?? []) args.push('--override', o);
  args.push(...(options.extraArgs ?? []));
  if (runtime === 'node') return [process.execPath, [CLI_PATH, 'broker', ...args]];
  // With the launcher's V8 flags (bin/v8-flags.mjs), so tests and benches run Deno as `npm run start:deno` does.
  return [DENO_BIN, ['run', v8FlagsArg(), ...denoPermissions(options.dataDir), DENO_MAIN, ...args]];
}

export async function startBroker(options: StartOptions): Promise<BrokerProcess> {
  const runtime = options.runtime ?? 'node';
  if (runtime === 'node') assertBuilt();
  const port = options.port ?? (await freePort());
  const [command, commandArgs] = brokerCommand(runtime, port, options);
  const child = spawn(command, commandArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new BoundedCapture();
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => out.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  // Deno compiles the TypeScript sources on its first start (cached after that).
  const readyTimeoutMs = options.readyTimeoutMs ?? (runtime === 'deno' ? 90_000 : 30_000);
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited) throw new Error(`${runtime} broker exited before it was ready:\n${out.text()}`);
    if (out.text().includes('listening on') && (await probeApiVersions(port).catch(() => false))) break;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${runtime} broker not ready within ${readyTimeoutMs} ms:\n${out.text()}`);
    }
    await sleep(READY_POLL_MS);
  }
  return {
    port,
    bootstrap: `${HOST}:${port}`,
    dataDir: options.dataDir,
    pid: child.pid!,
    child,
    exited,
    output: () => out.text(),
    async stop(timeoutMs = STOP_TIMEOUT_MS_DEFAULT) {
      if (hasExited) return (await exited).code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
  };
}
