/**
 * The replication bench's throughput and latency figures (issue 14, "Figures" 1 and 2).
 * Imported by replication.ts, which owns the processes.
 *
 * Before every timed run: a bounded wait for a quieter machine (idleMin of the CPUs idle, at
 * most quietWaitMs), its idle share printed and `busy` when it never got there.
 *
 * Throughput: per round, one burst per target (the same librdkafka producer, record size and
 * partition count), the targets' order rotating each round so machine load hits all alike;
 * one untimed warm-up round first. After a burst to a replicated target the round waits
 * until the topic's high watermarks cover it (so an acks=1 burst's replication does not
 * spill into the next target's round) and prints how long that took. Per target: median MB/s and records/s over the rounds
 * with min–max, the CPU seconds the servers spent per round, and the ratio to the baseline
 * (the first target).
 *
 * Latency: fixed-rate rounds (the rate given, e.g. half the measured RF 3 acks=all peak),
 * alternating targets as above; per target the median over rounds of p50 / p99 / p99.9 from
 * the intended send time, p99 min–max, and the ratio of medians to the baseline.
 */
import { burst, fixedRate } from './producer.ts';
import type { BurstResult, RateResult } from './producer.ts';
import { loadAverage, totalCpuSeconds, untilQuiet } from '../machine.ts';
import type { Target } from './targets.ts';

export interface LoadOptions {
  readonly binary: string;
  readonly partitions: number;
  readonly recordBytes: number;
  readonly rounds: number;
  /** librdkafka properties every target's producer gets (acks comes from the target). */
  readonly props: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Before each timed run, wait (at most quietWaitMs) until this share of the CPUs is idle. */
  readonly idleMin: number;
  readonly quietWaitMs: number;
}

export interface ThroughputOptions extends LoadOptions {
  readonly warmupRecords: number;
  readonly records: number;
}

export interface LatencyOptions extends LoadOptions {
  readonly rate: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

export interface ThroughputFigure {
  readonly target: Target;
  readonly results: BurstResult[];
  readonly cpuSeconds: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function spread(values: readonly number[], digits: number): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

/** The targets in the order of round `i`: rotated by i, so each goes first in turn. */
function rotated<T>(items: readonly T[], i: number): T[] {
  const k = i % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function idleNote(idle: number, o: LoadOptions): string {
  return `idle before ${(100 * idle).toFixed(0)} %${idle < o.idleMin ? ' (busy)' : ''}, load ${loadAverage()}`;
}

interface Burst {
  readonly result: BurstResult;
  /** Servers' CPU from the start of the burst until it settled. */
  readonly cpuSeconds: number;
  readonly idle: number;
  /** From the burst's end until the high watermarks covered it (replicated targets), else 0. */
  readonly settleMs: number;
}

/** Records produced to each target's topic so far (bursts are cumulative in a topic). */
const producedTo = new Map<string, number>();

async function burstOnce(target: Target, o: ThroughputOptions): Promise<Burst> {
  const idle = await untilQuiet(o.idleMin, o.quietWaitMs);
  const pids = target.serverPids();
  const cpuBefore = totalCpuSeconds(pids);
  const result = await burst(o.binary, target.bootstrap, target.topic, o.partitions, o.warmupRecords, o.records, o.recordBytes, { ...o.props, acks: target.acks }, o.timeoutMs);
  const produced = (producedTo.get(target.topic) ?? 0) + o.warmupRecords + o.records;
  producedTo.set(target.topic, produced);
  const settleStart = performance.now();
  await target.settle?.(produced, o.timeoutMs);
  return { result, cpuSeconds: totalCpuSeconds(pids) - cpuBefore, idle, settleMs: target.settle === undefined ? 0 : performance.now() - settleStart };
}

function settleNote(b: Burst): string {
  return b.settleMs > 0 ? `, replicated ${b.settleMs.toFixed(0)} ms later` : '';
}

export async function measureThroughput(targets: readonly Target[], o: ThroughputOptions): Promise<ThroughputFigure[]> {
  console.log(`throughput: ${o.records} × ${o.recordBytes} B records per round over ${o.partitions} partitions (${o.warmupRecords} untimed first), ${o.rounds} rounds after a warm-up round, targets alternating`);
  for (const target of targets) {
    const b = await burstOnce(target, o);
    console.log(`  warm-up ${target.label}: ${b.result.mbPerS.toFixed(1)} MB/s${settleNote(b)}`);
  }
  const figures = targets.map((target) => ({ target, results: [] as BurstResult[], cpuSeconds: [] as number[] }));
  for (let i = 0; i < o.rounds; i++) {
    for (const figure of rotated(figures, i)) {
      const b = await burstOnce(figure.target, o);
      const r = b.result;
      figure.results.push(r);
      figure.cpuSeconds.push(b.cpuSeconds);
      console.log(`  round ${i + 1} ${figure.target.label.padEnd(24)} ${r.mbPerS.toFixed(1).padStart(6)} MB/s ${r.recordsPerS.toFixed(0).padStart(7)} records/s in ${r.seconds.toFixed(2)} s${settleNote(b)}, servers ${b.cpuSeconds.toFixed(2)} CPU s (${idleNote(b.idle, o)})`);
    }
  }
  const base = figures[0]!;
  const baseMb = median(base.results.map((r) => r.mbPerS));
  const baseBestMb = Math.max(...base.results.map((r) => r.mbPerS));
  console.log(`throughput, median of ${o.rounds} rounds (min–max), ratio to ${base.target.label} (of the medians; of the best rounds):`);
  for (const f of figures) {
    const mb = f.results.map((r) => r.mbPerS);
    const rec = f.results.map((r) => r.recordsPerS);
    const cpuPerGb = median(f.cpuSeconds.map((s, i) => s / (f.results[i]!.bytes / 1e9)));
    console.log(`  ${f.target.label.padEnd(24)} ${median(mb).toFixed(1).padStart(6)} MB/s (${spread(mb, 1)})  ${median(rec).toFixed(0).padStart(7)} records/s (${spread(rec, 0)})  ×${(median(mb) / baseMb).toFixed(2)}; best ×${(Math.max(...mb) / baseBestMb).toFixed(2)}  servers ${cpuPerGb.toFixed(1)} CPU s/GB`);
  }
  return figures;
}

function fmt(ms: number): string {
  return ms.toFixed(ms < 10 ? 2 : 1);
}

export async function measureLatency(targets: readonly Target[], o: LatencyOptions): Promise<void> {
  console.log(`latency: ${o.rate} records/s × ${o.recordBytes} B over ${o.partitions} partitions, ${o.seconds} s measured after ${o.warmupSeconds} s, from the intended send time; ${o.rounds} rounds, targets alternating`);
  const results = targets.map(() => [] as RateResult[]);
  for (let i = 0; i < o.rounds; i++) {
    for (const k of rotated(targets.map((_, j) => j), i)) {
      const target = targets[k]!;
      const idle = await untilQuiet(o.idleMin, o.quietWaitMs);
      const r = await fixedRate(o.binary, target.bootstrap, target.topic, o.partitions, o.rate, o.seconds, o.warmupSeconds, o.recordBytes, { ...o.props, acks: target.acks }, o.timeoutMs);
      results[k]!.push(r);
      console.log(`  round ${i + 1} ${target.label.padEnd(24)} p50 ${fmt(r.p50Ms)} p99 ${fmt(r.p99Ms)} p99.9 ${fmt(r.p999Ms)} max ${fmt(r.maxMs)} ms; produced ${r.producedRate.toFixed(0)}/s, send lag max ${fmt(r.sendLagMaxMs)} ms (${idleNote(idle, o)})`);
    }
  }
  const cols = (rs: RateResult[]) => [median(rs.map((r) => r.p50Ms)), median(rs.map((r) => r.p99Ms)), median(rs.map((r) => r.p999Ms))];
  const base = cols(results[0]!);
  console.log(`latency at ${o.rate} records/s, median of ${o.rounds} rounds (p50 / p99 / p99.9), p99 min–max, ratio to ${targets[0]!.label}:`);
  targets.forEach((target, k) => {
    const c = cols(results[k]!);
    const p99 = results[k]!.map((r) => r.p99Ms);
    console.log(`  ${target.label.padEnd(24)} ${c.map(fmt).join(' / ')} ms  p99 ${spread(p99, 2)} ms  ×${c.map((v, j) => (v / base[j]!).toFixed(2)).join(' / ')}`);
  });
}
