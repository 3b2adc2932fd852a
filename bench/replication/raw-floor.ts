/**
 * The machine's floor for replication: the least work any broker design that stores and
 * copies every byte must do, with none of Kafka's or Samsa's logic, so the RF 3 ÷ RF 1
 * throughput ratio of this box can be told apart from Samsa's overhead.
 *
 *   npm run bench -- replication-floor          (RAW_FLOOR_MB=256 RAW_FLOOR_ROUNDS=5)
 *
 * Processes (all Node, all on loopback, all started and stopped here):
 * - `client`: streams RAW_FLOOR_MB in 1 MiB writes with at most 32 MiB unacknowledged (a
 *   producer's buffer), and times first byte → last byte acknowledged;
 * - `leader`: appends every chunk it reads to a file (positional writes, one after another,
 *   like a log) and forwards the same chunk, uncopied, to each follower's socket; it
 *   acknowledges the client the bytes that are on its file AND on every follower's
 *   (acks=all) — with no followers, on its own file (RF 1);
 * - `follower` × 2 (RF 3 only): appends what it reads to its file and acknowledges each
 *   byte count once written (8 bytes, big-endian).
 * No framing, no CRC, no indexes, no fetch requests: a byte crosses loopback TCP once per
 * copy and is written once per replica. Samsa additionally frames, validates CRCs, indexes,
 * and has followers pull (the leader reads its file back to answer them).
 *
 * Figures: MB/s (10⁶ B/s) per round, RF 1 and RF 3 alternating after a warm-up round, the
 * median with min–max, the RF 3 ÷ RF 1 ratio, and the CPU seconds the server processes
 * spent per GB. Every child process is killed in a finally and on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage, totalCpuSeconds, untilQuiet } from '../machine.ts';

const HOST = '127.0.0.1';
const CHUNK_BYTES = 1 << 20;
const WINDOW_BYTES = 32 << 20;
const ACK_BYTES = 8;
const ROUND_TIMEOUT_MS = 120_000;


/** Reads acknowledgement counters (8-byte big-endian, possibly split across chunks); calls `onAck` with each. */
function ackReader(onAck: (bytes: number) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (; at + ACK_BYTES <= pending.length; at += ACK_BYTES) onAck(Number(pending.readBigUInt64BE(at)));
    pending = pending.subarray(at);
  };
}

function ack(socket: Socket, bytes: number): void {
  const b = Buffer.allocUnsafe(ACK_BYTES);
  b.writeBigUInt64BE(BigInt(bytes));
  socket.write(b);
}

/** A leader or follower: prints its port, appends what it reads, acknowledges what is stored (everywhere, for a leader). */
async function serve(kind: 'leader' | 'follower', file: string, followerPorts: number[]): Promise<void> {
  const handle = await open(file, 'w');
  let position = 0;
  let writing: Promise<void> = Promise.resolve();
  const followers: Socket[] = [];
  const followerAcked = followerPorts.map(() => 0);
  let stored = 0;
  let acked = 0;
  let upstream: Socket | null = null;
  const maybeAck = (): void => {
    const committed = Math.min(stored, ...followerAcked);
    if (upstream !== null && committed > acked) {
      acked = committed;
      ack(upstream, committed);
    }
  };
  for (const [i, port] of followerPorts.entries()) {
    const s = connect({ host: HOST, port, noDelay: true });
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    s.on('data', ackReader((bytes) => ((followerAcked[i] = bytes), maybeAck())));
    followers.push(s);
  }
  const server = createServer({ noDelay: true }, (socket) => {
    upstream = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const f of followers) f.write(chunk);
      const at = position;
      position += chunk.length;
      writing = writing.then(async () => {
        await handle.write(chunk, 0, chunk.length, at);
        stored += chunk.length;
        if (kind === 'follower') ack(socket, stored);
        else maybeAck();
      });
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, HOST, () => console.log(`port ${(server.address() as { port: number }).port}`));
  process.once('SIGTERM', () => process.exit(0));
}

/** Streams `totalBytes` to the leader with a bounded window; prints the seconds to the last acknowledgement. */
async function client(port: number, totalBytes: number): Promise<void> {
  const payload = Buffer.alloc(CHUNK_BYTES, 0x5a);
  const socket = connect({ host: HOST, port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let acked = 0;
  let sent = 0;
  let wake: (() => void) | null = null;
  socket.on('data', ackReader((bytes) => ((acked = bytes), wake?.())));
  const started = performance.now();
  while (acked < totalBytes) {
    while (sent < totalBytes && sent - acked < WINDOW_BYTES) {
      const n = Math.min(CHUNK_BYTES, totalBytes - sent);
      socket.write(n === CHUNK_BYTES ? payload : payload.subarray(0, n));
      sent += n;
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
  console.log(`seconds ${(performance.now() - started) / 1000}`);
  socket.destroy();
}

interface Child {
  readonly process: ChildProcess;
  readonly output: string[];
}

const children = new Set<ChildProcess>();
const SELF = fileURLToPath(import.meta.url);

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  return { process: child, output };
}

async function line(child: Child, prefix: string, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = child.output.join('').split('\n').find((l) => l.startsWith(prefix));
    if (found !== undefined) return found.slice(prefix.length).trim();
    if (child.process.exitCode !== null) throw new Error(`a ${prefix}child exited: ${child.output.join('')}`);
    if (performance.now() > deadline) throw new Error(`no "${prefix}" line within ${timeoutMs} ms: ${child.output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function stopAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** One RF 1 or RF 3 pipeline, started fresh; resolves MB/s and the servers' CPU seconds. */
async function round(dir: string, rf: 1 | 3, totalBytes: number, tag: string): Promise<{ mbPerS: number; cpuS: number }> {
  const servers: Child[] = [];
  try {
    const followerPorts: string[] = [];
    for (let i = 1; i < rf; i++) {
      const f = startChild(['follower', join(dir, `${tag}-f${i}.log`)]);
      servers.push(f);
      followerPorts.push(await line(f, 'port ', 30_000));
    }
    const leader = startChild(['leader', join(dir, `${tag}-leader.log`), ...followerPorts]);
    servers.push(leader);
    const port = await line(leader, 'port ', 30_000);
    const pids = servers.map((s) => s.process.pid!);
    const cpuBefore = totalCpuSeconds(pids);
    const c = startChild(['client', port, String(totalBytes)]);
    const seconds = Number(await line(c, 'seconds ', ROUND_TIMEOUT_MS));
    const cpuS = totalCpuSeconds(pids) - cpuBefore;
    return { mbPerS: totalBytes / seconds / 1e6, cpuS };
  } finally {
    for (const s of servers) s.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const mb = Number(process.env.RAW_FLOOR_MB ?? 256);
  const rounds = Number(process.env.RAW_FLOOR_ROUNDS ?? 5);
  const totalBytes = mb * 1e6;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (stopAll(), process.exit(130)));
  console.log(`replication floor: raw Node processes (no framing, CRC or indexes), ${mb} MB per round in 1 MiB writes, 32 MiB window; load average at start ${loadAverage()}`);
  const results: Record<1 | 3, { mbPerS: number; cpuS: number }[]> = { 1: [], 3: [] };
  try {
    for (let r = 0; r <= rounds; r++) {
      for (const rf of (r % 2 === 0 ? [1, 3] : [3, 1]) as (1 | 3)[]) {
        const idle = await untilQuiet(0.5, 10_000);
        const dir = mkdtempSync(join(tmpdir(), 'samsa-floor-'));
        const result = await round(dir, rf, r === 0 ? Math.min(totalBytes, 64e6) : totalBytes, `rf${rf}`);
        const label = r === 0 ? 'warm-up' : `round ${r}`;
        console.log(`  ${label} RF${rf}${rf === 3 ? ' acks=all' : ' acks=1  '}  ${result.mbPerS.toFixed(1).padStart(7)} MB/s  servers ${result.cpuS.toFixed(2)} CPU s (idle before ${(idle * 100).toFixed(0)} %)`);
        if (r > 0) results[rf].push(result);
      }
    }
  } finally {
    stopAll();
  }
  const summary = (rf: 1 | 3) => {
    const speeds = results[rf].map((x) => x.mbPerS);
    const cpu = results[rf].reduce((n, x) => n + x.cpuS, 0) / ((results[rf].length * totalBytes) / 1e9);
    return { median: median(speeds), min: Math.min(...speeds), max: Math.max(...speeds), cpuPerGb: cpu };
  };
  const one = summary(1);
  const three = summary(3);
  console.log(`floor, median of ${rounds} rounds (min–max):`);
  console.log(`  RF1 acks=1     ${one.median.toFixed(1)} MB/s (${one.min.toFixed(1)}–${one.max.toFixed(1)})  servers ${one.cpuPerGb.toFixed(1)} CPU s/GB`);
  console.log(`  RF3 acks=all   ${three.median.toFixed(1)} MB/s (${three.min.toFixed(1)}–${three.max.toFixed(1)})  servers ${three.cpuPerGb.toFixed(1)} CPU s/GB  ×${(three.median / one.median).toFixed(2)} of RF1`);
  console.log(`load average at end ${loadAverage()}`);
}

const role = process.argv[2];
if (role === 'leader' || role === 'follower') await serve(role, process.argv[3]!, process.argv.slice(4).map(Number));
else if (role === 'client') await client(Number(process.argv[3]), Number(process.argv[4]));
else await main();
