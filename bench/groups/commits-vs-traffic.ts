/**
 * Issue 6: 10,000 offset commits per second from one client must not stall produce or
 * fetch on the same broker.
 *
 *   npm run bench -- commits-vs-traffic     (builds the broker it spawns first)
 *
 * One Node broker (@samsa/bench's startBroker, 127.0.0.1, temp dir). Traffic
 * (./traffic.ts, this process): 100 B records, acks=1, one per Produce request, paced at
 * PRODUCE_RATE/s, and a Fetch long-poll consumer reading them back. Commits
 * (./commit-load.ts, a second process = "one client", one connection): OffsetCommit v8
 * paced at COMMIT_RATE/s, ≤ COMMIT_IN_FLIGHT outstanding, each a new offset for one of 4
 * partitions of group `bench-commits` (simple commits: generation -1, no member).
 *
 *   warm-up  traffic + a 3 s commit run (creates __consumer_offsets, warms the JIT)
 *   A        traffic alone                  ┐ BENCH_SECONDS each, run as A B A B halves
 *   B        traffic + commits at COMMIT_RATE ┘ so a drift in the machine's load hits both
 *   C        commits alone (traffic stopped), BENCH_SECONDS / 2 (≥ 5 s)
 *
 * Printed: produce latency p50/p99/max, fetch delivery latency p50/p99/max and the largest
 * gap between consecutive produce acks / fetch responses ("stall") for A (the baseline)
 * and B with the ratio B/A; commits/s acknowledged with error 0 in B next to the target
 * and to C (the baseline for commits), errors, commit latency; CPU of the broker and of
 * both clients per phase; broker RSS before A and after B.
 *
 * Environment: BENCH_SECONDS (20), COMMIT_RATE (10000), PRODUCE_RATE (1000),
 * COMMIT_IN_FLIGHT (128), COMMIT_CONNECTIONS (1; more is a diagnostic, see
 * commit-load.ts), BROKER_CPU_PROF=<dir> (profile the broker through
 * ./cpu-profile-preload.mjs; then `npm run bench -- profile-summary <file>`).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { report } from '@samsa/bench';
import type { Measurement } from '@samsa/bench';
import { createTopic, REPO_ROOT, rssKiB, sleep, startBroker, tempDir } from '@samsa/bench';
import type { CommitLoadResult } from './commit-load.ts';
import type { LatencySummary } from './samples.ts';
import { Traffic, TrafficWindow } from './traffic.ts';

const SECONDS = envNumber('BENCH_SECONDS', 20);
const COMMIT_RATE = envNumber('COMMIT_RATE', 10_000);
const PRODUCE_RATE = envNumber('PRODUCE_RATE', 1_000);
const COMMIT_IN_FLIGHT = envNumber('COMMIT_IN_FLIGHT', 128);
const COMMIT_CONNECTIONS = envNumber('COMMIT_CONNECTIONS', 1);
const WARMUP_SECONDS = 3;
const COMMIT_PARTITIONS = 4;
const TRAFFIC_TOPIC = 'bench-traffic';
const COMMIT_TOPIC = 'bench-committed';
const CHILD_TIMEOUT_MS = 120_000 + SECONDS * 5_000;
const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!(n > 0)) throw new Error(`${name} must be a positive number`);
  return n;
}

const dir = tempDir('bench-groups');
const profDir = process.env.BROKER_CPU_PROF;
const savedNodeOptions = process.env.NODE_OPTIONS;
if (profDir) {
  // Node refuses --cpu-prof in NODE_OPTIONS; the preload starts the profiler through node:inspector instead.
  process.env.NODE_OPTIONS = `${savedNodeOptions ?? ''} --import ${join(REPO_ROOT, 'bench/groups/cpu-profile-preload.mjs')}`.trim();
  process.env.SAMSA_CPU_PROF_DIR = profDir;
}
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['num.partitions=1'] }).catch((e: unknown) => {
  dir.remove();
  throw e;
});
if (profDir) {
  if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = savedNodeOptions;
  delete process.env.SAMSA_CPU_PROF_DIR;
}

let peakRssKiB = 0;
const sampler = setInterval(() => {
  rssKiB(broker.pid).then((kib) => (peakRssKiB = Math.max(peakRssKiB, kib)), () => {});
}, 100);
let traffic: Traffic | null = null;

/** One phase's measurements, summed over its segments. */
class Phase {
  readonly window = new TrafficWindow();
  readonly commits: CommitLoadResult[] = [];
  seconds = 0;
  brokerCpuSeconds = 0;
  trafficClientCpuSeconds = 0;

  get brokerCpuPercent(): number {
    return (100 * this.brokerCpuSeconds) / this.seconds;
  }

  get trafficClientCpuPercent(): number {
    return (100 * this.trafficClientCpuSeconds) / this.seconds;
  }
}

let committer: CommitLoad | null = null;

try {
  await createTopic(broker.bootstrap, TRAFFIC_TOPIC, 1);
  await createTopic(broker.bootstrap, COMMIT_TOPIC, COMMIT_PARTITIONS);
  traffic = await Traffic.connect(broker.port, TRAFFIC_TOPIC, PRODUCE_RATE);
  traffic.start();
  committer = await startCommitLoad();

  // Warm-up: traffic runs throughout; one commit run creates __consumer_offsets (50 partitions) and warms the commit path.
  await committer.run(WARMUP_SECONDS);
  await sleep(1_000);
  const rssBeforeKiB = await rssKiB(broker.pid);
  peakRssKiB = rssBeforeKiB;

  // A and B alternate in halves (A B A B), so a drift in the machine's load hits both.
  const a = new Phase();
  const b = new Phase();
  for (let half = 0; half < 2; half++) {
    await segment(a, traffic, () => sleep((SECONDS * 1000) / 2).then(() => null));
    await segment(b, traffic, () => committer!.run(SECONDS / 2));
  }
  const rssAfterKiB = await rssKiB(broker.pid);
  const peakAbKiB = Math.max(peakRssKiB, rssAfterKiB);
  await traffic.stop();
  const c = new Phase();
  await segment(c, null, () => committer!.run(Math.max(5, SECONDS / 2)));

  printReport(a, b, c, { rssBeforeKiB, rssAfterKiB, peakRssKiB: peakAbKiB });
} finally {
  clearInterval(sampler);
  await committer?.close();
  traffic?.close();
  await broker.stop();
  dir.remove();
}

/** Runs `body` as one segment of `p` (recording `traffic` if given), adding CPU use of the broker and of this process. */
async function segment(p: Phase, traffic: Traffic | null, body: () => Promise<CommitLoadResult | null>): Promise<void> {
  const brokerTicks0 = await cpuTicks(broker.pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  if (traffic) traffic.record(p.window);
  const commits = await body();
  traffic?.pause();
  p.seconds += (performance.now() - t0) / 1000;
  p.brokerCpuSeconds += ((await cpuTicks(broker.pid)) - brokerTicks0) / CLOCK_TICKS_PER_SECOND;
  const self = process.cpuUsage(self0);
  if (traffic) p.trafficClientCpuSeconds += (self.user + self.system) / 1e6;
  if (commits) p.commits.push(commits);
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

interface CommitLoad {
  /** One timed run of `seconds`; resolves its result. */
  run(seconds: number): Promise<CommitLoadResult>;
  close(): Promise<void>;
}

/**
 * Spawns commit-load.ts (its own Node process, tsx loader) and waits until it is connected
 * and has committed once (`ready`); each `run` is one `go <seconds>` command.
 */
async function startCommitLoad(): Promise<CommitLoad> {
  const args = ['--port', String(broker.port), '--topic', COMMIT_TOPIC, '--partitions', String(COMMIT_PARTITIONS), '--rate', String(COMMIT_RATE), '--in-flight', String(COMMIT_IN_FLIGHT), '--connections', String(COMMIT_CONNECTIONS)];
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/groups/commit-load.ts'), ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done === true) throw new Error(`commit-load exited early (code ${await exited})`);
    return r.value;
  };
  const first = await next();
  if (first !== 'ready') throw new Error(`commit-load said ${first}`);
  return {
    async run(seconds) {
      child.stdin!.write(`go ${seconds}\n`);
      const line = await next();
      if (!line.startsWith('result ')) throw new Error(`commit-load said ${line}`);
      return JSON.parse(line.slice('result '.length)) as CommitLoadResult;
    },
    async close() {
      child.stdin!.end();
      await exited;
      clearTimeout(timer);
    },
  };
}

function printReport(a: Phase, b: Phase, c: Phase, mem: { rssBeforeKiB: number; rssAfterKiB: number; peakRssKiB: number }): void {
  const ta = a.window.summary();
  const tb = b.window.summary();
  console.log(`\nproduce: 100 B records, acks=1, one per request, ${PRODUCE_RATE}/s; fetch: long poll (500 ms, min 1 B); A and B ${SECONDS} s each, alternating halves`);
  console.log(`commits: one client (${COMMIT_CONNECTIONS} connection${COMMIT_CONNECTIONS > 1 ? 's' : ''}), OffsetCommit v8, target ${COMMIT_RATE}/s, ≤ ${COMMIT_IN_FLIGHT} in flight\n`);
  const row = (name: string, va: number, vb: number, digits = 2): void => {
    console.log(`${name.padEnd(36)} ${va.toFixed(digits).padStart(12)} ${vb.toFixed(digits).padStart(14)} ${(vb / va).toFixed(2).padStart(8)}`);
  };
  console.log(`${''.padEnd(36)} ${'A: traffic'.padStart(12)} ${'B: + commits'.padStart(14)} ${'B/A'.padStart(8)}`);
  const lat = (what: string, sa: LatencySummary, sb: LatencySummary): void => {
    row(`${what} latency p50 ms`, sa.p50Ms, sb.p50Ms, 3);
    row(`${what} latency p99 ms`, sa.p99Ms, sb.p99Ms, 3);
    row(`${what} latency max ms`, sa.maxMs, sb.maxMs, 1);
  };
  lat('produce', ta.produce, tb.produce);
  lat('fetch delivery', ta.fetch, tb.fetch);
  row('largest gap between produce acks ms', ta.produceStallMs, tb.produceStallMs, 1);
  row('largest gap between fetch resp. ms', ta.fetchStallMs, tb.fetchStallMs, 1);
  row('records produced /s', ta.produced / ta.seconds, tb.produced / tb.seconds, 0);
  row('records fetched /s', ta.fetchedRecords / ta.seconds, tb.fetchedRecords / tb.seconds, 0);
  console.log(`${'produce errors'.padEnd(36)} ${String(ta.produceErrors).padStart(12)} ${String(tb.produceErrors).padStart(14)}`);
  row('broker CPU %', a.brokerCpuPercent, b.brokerCpuPercent, 0);
  row('traffic client CPU %', a.trafficClientCpuPercent, b.trafficClientCpuPercent, 0);

  const merged = (p: Phase): { ok: number; sent: number; elapsedMs: number; cpuMs: number; errors: Map<string, number> } => {
    const errors = new Map<string, number>();
    let ok = 0;
    let sent = 0;
    let elapsedMs = 0;
    let cpuMs = 0;
    for (const r of p.commits) {
      ok += r.ok;
      sent += r.sent;
      elapsedMs += r.elapsedMs;
      cpuMs += r.cpuMs ?? 0;
      for (const [k, n] of Object.entries(r.errors)) errors.set(k, (errors.get(k) ?? 0) + n);
    }
    return { ok, sent, elapsedMs, cpuMs, errors };
  };
  const mb = merged(b);
  const mc = merged(c);
  const commits = (name: string, m: { ok: number; elapsedMs: number }): Measurement => ({ name, unit: 'commits', perSecond: (m.ok * 1000) / m.elapsedMs, roundMsMedian: m.elapsedMs });
  const target: Measurement = { name: 'target', unit: 'commits', perSecond: COMMIT_RATE, roundMsMedian: 0 };
  console.log('');
  // The committer is paced at exactly the target, so it cannot exceed it: 1 % below is the
  // pacer's resolution over a 20 s phase, not a shortfall.
  report(commits('B: commits acked (error 0), with traffic', mb), target, { ratioMin: 0.99 });
  report(commits('B: commits acked (error 0), with traffic', mb), commits('C: commits alone', mc));
  for (const [name, p, m] of [['B', b, mb], ['C', c, mc]] as const) {
    const errors = [...m.errors].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
    const latency = p.commits.map((r) => `p50 ${r.p50Ms.toFixed(1)} / p99 ${r.p99Ms.toFixed(1)} / max ${r.maxMs.toFixed(1)} ms`).join('; ');
    console.log(`  ${name}: ${m.ok} ok of ${m.sent} sent in ${(m.elapsedMs / 1000).toFixed(1)} s, errors: ${errors}; broker CPU ${p.brokerCpuPercent.toFixed(0)} %, committer CPU ${((100 * m.cpuMs) / m.elapsedMs).toFixed(0)} %`);
    console.log(`     commit latency per run: ${latency}`);
  }
  console.log(`\nbroker RSS before A ${(mem.rssBeforeKiB / 1024).toFixed(1)} MiB, after B ${(mem.rssAfterKiB / 1024).toFixed(1)} MiB, peak during A+B ${(mem.peakRssKiB / 1024).toFixed(1)} MiB`);
}
