/**
 * Shared helpers for the conformance suites: each suite starts its own broker as a child
 * process (`node apps/broker-node/dist/cli.js broker`, or with `runtime: 'deno'` the Deno
 * broker, `deno run <minimal permissions> apps/broker-deno/src/main.ts`) on a free loopback port with a
 * fresh temporary data directory, and drives it with clients nobody here wrote (kcat,
 * KafkaJS, python3-confluent-kafka).
 *
 * Everything is bounded: child processes get a timeout and are killed past it, captured
 * output is capped, and polling loops have a deadline. Only 127.0.0.1 is ever bound.
 *
 * The broker must be built first (`turbo run build --filter=@samsa/broker-node...`);
 * the root `npm test` builds before it runs these.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const CLI_PATH = join(REPO_ROOT, 'apps/broker-node/dist/cli.js');
export const KCAT = '/usr/bin/kcat';
/** The Debian python3: the only one with confluent_kafka importable. */
export const PYTHON = '/usr/bin/python3';
export const HOST = '127.0.0.1';
/** The Deno broker's entry point: Deno runs the workspace TypeScript sources, no build. */
export const DENO_MAIN = join(REPO_ROOT, 'apps/broker-deno/src/main.ts');
/** The real deno binary (node_modules/.bin/deno is a Node wrapper that does not pass SIGTERM on). */
export const DENO_BIN = existsSync(join(REPO_ROOT, 'node_modules/deno/deno')) ? join(REPO_ROOT, 'node_modules/deno/deno') : 'deno';

/** Which broker a suite starts: `node apps/broker-node/dist/cli.js broker` or `deno run apps/broker-deno/src/main.ts`. */
export type BrokerRuntime = 'node' | 'deno';
/** The suites that must pass on both runtimes loop over this (`for (const runtime of RUNTIMES) describe(...)`). */
export const RUNTIMES: readonly BrokerRuntime[] = ['node', 'deno'];

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

/** Captured output per stream; older bytes are dropped past this. */
const OUTPUT_BYTES_MAX = 4 * 1024 * 1024;

/** A port the system just handed out and released (a tiny race, acceptable in tests). */
export async function freePort(): Promise<number> {
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

class Capture {
  private chunks: Buffer[] = [];
  private bytes = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > OUTPUT_BYTES_MAX && this.chunks.length > 1) this.bytes -= this.chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

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

export function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build first with \`npx turbo run build --filter=@samsa/broker-node...\``);
  }
}

export async function startBroker(options: StartOptions): Promise<BrokerProcess> {
  const runtime = options.runtime ?? 'node';
  if (runtime === 'node') assertBuilt();
  const port = options.port ?? (await freePort());
  const args = ['--host', HOST, '--port', String(port), '--data-dir', options.dataDir, '--log-level', 'warn'];
  for (const o of options.overrides ?? []) args.push('--override', o);
  args.push(...(options.extraArgs ?? []));
  const [command, commandArgs]: [string, string[]] =
    runtime === 'node' ? [process.execPath, [CLI_PATH, 'broker', ...args]] : [DENO_BIN, ['run', ...denoPermissions(options.dataDir), DENO_MAIN, ...args]];
  const child = spawn(command, commandArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new Capture();
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
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited) throw new Error(`${runtime} broker exited before it was ready:\n${out.text()}`);
    if (out.text().includes('listening on') && (await probeApiVersions(port).catch(() => false))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${runtime} broker not ready within ${readyTimeoutMs} ms:\n${out.text()}`);
    }
    await sleep(50);
  }
  const broker: BrokerProcess = {
    port,
    bootstrap: `${HOST}:${port}`,
    dataDir: options.dataDir,
    pid: child.pid!,
    child,
    exited,
    output: () => out.text(),
    async stop(timeoutMs = 15_000) {
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
  return broker;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An ApiVersions v0 request frame (size, api key 18, version 0, correlation id, client id). */
export function apiVersionsFrame(correlationId: number, clientId = 'probe'): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + id.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(id.length, 8);
  id.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Sends ApiVersions v0 on a fresh connection; true if a well-formed answer with error 0 comes back. */
export async function probeApiVersions(port: number, timeoutMs = 2_000): Promise<boolean> {
  const socket = await connect(port, timeoutMs);
  try {
    socket.write(apiVersionsFrame(7));
    const response = await readFrame(socket, timeoutMs);
    return response.readInt32BE(0) === 7 && response.readInt16BE(4) === 0;
  } finally {
    socket.destroy();
  }
}

export function connect(port: number, timeoutMs = 2_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${HOST}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Reads one size-prefixed frame (without its prefix) or rejects on close/timeout. */
export function readFrame(socket: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (error: Error | null, frame?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(frame!);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length >= 4 + size) done(null, buffered.subarray(4, 4 + size));
      }
    };
    const onClose = (): void => done(new Error('connection closed before a whole frame arrived'));
    const timer = setTimeout(() => done(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Resolves true when the peer closes the socket within `timeoutMs`, false otherwise. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve(false);
    }, timeoutMs);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('close', onClose);
    socket.on('error', () => {});
    socket.resume();
  });
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
    const child = spawn(command, [...args], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(options.env ?? {}) },
    });
    const stdout = new Capture();
    const stderr = new Capture();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
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
  return run(KCAT, args, { timeoutMs: 60_000, ...options });
}

/** Runs a python3 script given as text; extra args land in sys.argv[1:]. */
export function python(script: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
  return run(PYTHON, ['-c', script, ...args], { timeoutMs: 90_000, ...options });
}

/** Runs the samsa CLI (built) with a timeout. */
export function samsa(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  return run(process.execPath, [CLI_PATH, ...args], { timeoutMs: 60_000, ...options });
}

/** Fails with the command's stderr when it did not exit 0. */
export function expectOk(result: RunResult, what: string): RunResult {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`${what} failed (code ${result.code}, signal ${result.signal}, timedOut ${result.timedOut}):\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

/** VmRSS of a process in KiB, from /proc (Linux). */
export async function rssKiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) : 0;
}

/** Creates a topic through KafkaJS's admin client (a client nobody here wrote). */
export async function createTopic(bootstrap: string, topic: string, numPartitions: number, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
    if (!created) throw new Error(`topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
}

export interface ConsumedLine {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/** Reads a whole topic with kcat (-C -e) and parses `partition offset key value` lines. */
export async function kcatReadAll(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<ConsumedLine[]> {
  const result = expectOk(
    await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n'], { timeoutMs }),
    `kcat -C ${topic}`,
  );
  return parseConsumed(result.stdout.toString('utf8'));
}

export function parseConsumed(text: string): ConsumedLine[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  return lines.map((line) => {
    const [p, o, k, ...rest] = line.split('\t');
    return { partition: Number(p), offset: Number(o), key: k ?? '', value: rest.join('\t') };
  });
}

/** Groups consumed lines by partition, each sorted by offset. */
export function byPartition(lines: readonly ConsumedLine[]): Map<number, ConsumedLine[]> {
  const map = new Map<number, ConsumedLine[]>();
  for (const l of lines) {
    const list = map.get(l.partition) ?? [];
    list.push(l);
    map.set(l.partition, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.offset - b.offset);
  return map;
}
