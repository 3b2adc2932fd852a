/**
 * Per-message produce latency, Node broker vs Deno broker, same machine, same run
 * (issue 12, deliverable 9).
 *
 *   npm run bench -- tail-latency
 *
 * Load: librdkafka (tail-latency-producer.c, compiled here with `cc` against the system's
 * librdkafka.so.1) producing 100 B records with linger.ms=1 and acks=1 to a one-partition
 * topic at a fixed rate; each message's latency is librdkafka's own (produce() call to
 * delivery report). Both brokers are started here, each on its own loopback port and temp
 * data dir; the Deno broker as bin/start.mjs runs it (its V8 flags from
 * apps/broker-deno/bin/v8-flags.mjs, stdin a pipe — the launcher's lifeline —
 * and `--exit-when-stdin-closes`). Every round is a fresh topic: WARMUP_S seconds of
 * load that are not counted, then SECONDS seconds measured. Node and Deno rounds
 * alternate and who goes first alternates, so machine load hits both alike.
 *
 * The machine is shared: before each round the bench waits (bounded) until the other
 * processes leave at least TAIL_IDLE_MIN of the CPUs idle (from /proc/stat over 0.5 s),
 * and prints how busy the machine was. A round that started busy anyway is marked `busy`.
 *
 * Prints each round, then per rate and runtime the median over rounds of p50/p99/p99.9,
 * the spread (min–max) of p99, and the Deno ÷ Node ratio of the medians and of the best
 * (lowest) p99, plus the load average before and after.
 *
 * Environment (all optional):
 *   TAIL_RATES=200000,800000  records/s       TAIL_ROUNDS=3     rounds per rate and runtime
 *   TAIL_SECONDS=5  TAIL_WARMUP_S=1           TAIL_RECORD_BYTES=100
 *   TAIL_RUNTIMES=node,deno                   which brokers to run
 *   TAIL_IDLE_MIN=0.5  TAIL_QUIET_WAIT_S=60   quiet gate: idle CPU share, longest wait
 *   TAIL_OVERRIDES="log.flush.interval.ms=100"  broker `--override`s, space-separated
 *   TAIL_NO_V8_FLAGS=1  run Deno without the launcher's V8 flags (the "before" of issue 12)
 *   SAMSA_BROKER_CLI=<path>/apps/broker-node/dist/cli.js  run another build's Node broker (older code)
 *   SAMSA_BENCH_DENO_FLAGS / SAMSA_BENCH_NODE_FLAGS: extra `deno run` / `node` flags, e.g.
 *   "--cpu-prof --cpu-prof-dir=/tmp/prof" (written when the broker exits) or
 *   "--v8-flags=--trace-gc" (Deno) / "--trace-gc" (Node); broker stderr goes to ours.
 *
 * Bounded: rates × rounds × runtimes runs of SECONDS + WARMUP_S seconds, each killed after
 * RUN_TIMEOUT_MS; the brokers are stopped (SIGTERM, then SIGKILL) on the way out.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { v8FlagsArg } from '@samsa/broker-deno/v8-flags';
import { loadAverage, untilQuiet as untilQuietFor } from '../machine.ts';
import { assertBuilt, CLI_PATH, createTopic, DENO_BIN, DENO_MAIN, denoPermissions, expectOk, freePort, HOST, probeApiVersions, REPO_ROOT, run, sleep, tempDir } from '@samsa/bench';

/** The Node broker to run: this tree's build, or SAMSA_BROKER_CLI (another build's cli.js, to compare with older code). */
const NODE_CLI = process.env['SAMSA_BROKER_CLI'] ?? CLI_PATH;

type Runtime = 'node' | 'deno';

const RATES = (process.env['TAIL_RATES'] ?? '200000,800000').split(',').map(Number);
const ROUNDS = Number(process.env['TAIL_ROUNDS'] ?? 3);
const SECONDS = Number(process.env['TAIL_SECONDS'] ?? 5);
const WARMUP_S = Number(process.env['TAIL_WARMUP_S'] ?? 1);
const RECORD_BYTES = Number(process.env['TAIL_RECORD_BYTES'] ?? 100);
const RUNTIMES = (process.env['TAIL_RUNTIMES'] ?? 'node,deno').split(',') as Runtime[];
const READY_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = (SECONDS + WARMUP_S) * 1000 + 120_000;
const STOP_TIMEOUT_MS = 30_000;
const IDLE_MIN = Number(process.env['TAIL_IDLE_MIN'] ?? 0.5);
const QUIET_WAIT_MS = Number(process.env['TAIL_QUIET_WAIT_S'] ?? 60) * 1000;

interface RoundResult {
  /** Idle CPU share just before the round (added here, not by the producer). */
  idleBefore: number;
  readonly sent: number;
  readonly delivered: number;
  readonly failed: number;
  readonly measured: number;
  readonly producedRate: number;
  readonly deliveredRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly error: string;
}

interface BrokerChild {
  readonly bootstrap: string;
  stop(): Promise<void>;
}

function extraFlags(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter((f) => f.length > 0);
}

/** Waits (at most QUIET_WAIT_MS) until at least IDLE_MIN of the CPUs are idle; returns the last idle share. */
function untilQuiet(): Promise<number> {
  return untilQuietFor(IDLE_MIN, QUIET_WAIT_MS);
}

/** Compiles the librdkafka load generator into `dir`; returns the binary's path. */
function buildProducer(dir: string): string {
  const binary = join(dir, 'tail-latency-producer');
  const source = join(REPO_ROOT, 'bench/broker/tail-latency-producer.c');
  try {
    execFileSync('cc', ['-O2', '-o', binary, source, '-l:librdkafka.so.1'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    throw new Error(`cannot build ${source} (needs cc and librdkafka1: apt-get install gcc librdkafka1): ${(error as Error).message}`);
  }
  return binary;
}

/** The launcher's `--v8-flags=…` (bin/start.mjs), unless TAIL_NO_V8_FLAGS=1. */
function denoV8Flags(): string[] {
  return process.env['TAIL_NO_V8_FLAGS'] === '1' ? [] : [v8FlagsArg()];
}

/** Spawns one broker (the real binaries, so SIGTERM reaches it) and waits until it answers. */
async function startChild(runtime: Runtime, dataDir: string): Promise<BrokerChild> {
  const port = await freePort();
  const brokerFlags = ['--host', HOST, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...extraFlags('TAIL_OVERRIDES').flatMap((o) => ['--override', o])];
  const [command, args] =
    runtime === 'node'
      ? [process.execPath, [...extraFlags('SAMSA_BENCH_NODE_FLAGS'), NODE_CLI, 'broker', ...brokerFlags]]
      : [DENO_BIN, ['run', ...denoPermissions(dataDir), ...denoV8Flags(), ...extraFlags('SAMSA_BENCH_DENO_FLAGS'), DENO_MAIN, ...brokerFlags, '--exit-when-stdin-closes']];
  // Deno's stdin is a pipe that stays open, as bin/start.mjs's lifeline; Node's is ignored as `samsa broker` runs.
  const child: ChildProcess = spawn(command, args, { cwd: REPO_ROOT, stdio: [runtime === 'deno' ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  child.stdin?.on('error', () => {});
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(out.includes('listening on') && (await probeApiVersions(port).catch(() => false)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${runtime} broker did not start:\n${out}`);
    }
    await sleep(50);
  }
  return {
    bootstrap: `${HOST}:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

let topicSeq = 0;

async function round(producer: string, broker: BrokerChild, rate: number): Promise<RoundResult> {
  const topic = `tail-${rate}-${topicSeq++}`;
  await createTopic(broker.bootstrap, topic, 1);
  const idleBefore = await untilQuiet();
  const result = expectOk(await run(producer, [broker.bootstrap, topic, String(rate), String(SECONDS), String(WARMUP_S), String(RECORD_BYTES)], { timeoutMs: RUN_TIMEOUT_MS }), `producer at ${rate}/s`);
  const parsed = JSON.parse(result.stdout.toString('utf8').trim()) as RoundResult;
  if (parsed.failed > 0 || parsed.delivered !== parsed.sent) throw new Error(`delivery failed: ${JSON.stringify(parsed)}`);
  parsed.idleBefore = idleBefore;
  return parsed;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function fmt(ms: number): string {
  return ms.toFixed(ms < 10 ? 2 : 1);
}

function summary(rate: number, results: Record<Runtime, RoundResult[]>): void {
  const cols = (r: RoundResult[]) => [median(r.map((x) => x.p50Ms)), median(r.map((x) => x.p99Ms)), median(r.map((x) => x.p999Ms))] as const;
  const bestP99 = (r: RoundResult[]) => Math.min(...r.map((x) => x.p99Ms));
  const worstP99 = (r: RoundResult[]) => Math.max(...r.map((x) => x.p99Ms));
  console.log(`${(rate / 1000).toFixed(0)}k records/s, median of ${ROUNDS} rounds (p50 / p99 / p99.9), p99 spread min–max:`);
  for (const rt of RUNTIMES) console.log(`  ${rt.padEnd(4)} ${cols(results[rt]).map(fmt).join(' / ')} ms   p99 ${fmt(bestP99(results[rt]))}–${fmt(worstP99(results[rt]))} ms`);
  if (RUNTIMES.includes('node') && RUNTIMES.includes('deno')) {
    const n = cols(results.node);
    const d = cols(results.deno);
    console.log(`  deno÷node medians ${d.map((v, i) => (v / n[i]!).toFixed(2)).join(' / ')}; best p99 ${(bestP99(results.deno) / bestP99(results.node)).toFixed(2)}`);
  }
}

const dir = tempDir('bench-tail-latency');
const brokers: Partial<Record<Runtime, BrokerChild>> = {};
try {
  if (RUNTIMES.includes('node')) assertBuilt();
  const producer = buildProducer(dir.path);
  for (const runtime of RUNTIMES) brokers[runtime] = await startChild(runtime, join(dir.path, runtime));
  const overrides = process.env['TAIL_OVERRIDES'] ?? '';
  console.log(`load average at start: ${loadAverage()}; ${SECONDS} s measured after ${WARMUP_S} s warm-up, ${RECORD_BYTES} B records, linger.ms=1, acks=1${overrides ? `; broker overrides: ${overrides}` : ''}`);
  const all: Array<[number, Record<Runtime, RoundResult[]>]> = [];
  for (const rate of RATES) {
    const results: Record<Runtime, RoundResult[]> = { node: [], deno: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? RUNTIMES : [...RUNTIMES].reverse();
      for (const runtime of order) {
        const r = await round(producer, brokers[runtime]!, rate);
        results[runtime].push(r);
        console.log(`  ${runtime} ${rate}/s round ${i + 1}: p50 ${fmt(r.p50Ms)} p99 ${fmt(r.p99Ms)} p99.9 ${fmt(r.p999Ms)} max ${fmt(r.maxMs)} ms; produced ${(r.producedRate / 1000).toFixed(0)}k/s; idle before ${(100 * r.idleBefore).toFixed(0)} %${r.idleBefore < IDLE_MIN ? ' (busy)' : ''} (load ${loadAverage()})`);
      }
    }
    all.push([rate, results]);
  }
  console.log(`load average at end: ${loadAverage()}`);
  for (const [rate, results] of all) summary(rate, results);
} finally {
  for (const runtime of RUNTIMES) await brokers[runtime]?.stop();
  dir.remove();
}
