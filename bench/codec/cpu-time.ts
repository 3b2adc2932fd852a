/**
 * measureCpu: like `measure` (apps/bench/src/measure.ts) but divides by the CPU time this
 * process spent (process.cpuUsage, user + system) instead of wall time. On a shared,
 * oversubscribed VM (load average ≫ cores) wall-clock rates mostly measure the scheduler;
 * CPU-time rates measure the code. Both are printed by the codec benches, each next to a
 * baseline measured the same way in the same run. Bench-only (uses `process`).
 */
import { measure, report } from '@samsa/bench';
import type { MeasureOptions, Measurement } from '@samsa/bench';

export async function measureCpu(options: MeasureOptions, round: () => unknown | Promise<unknown>): Promise<Measurement> {
  const warmup = options.warmupRounds ?? 3;
  const rounds = options.rounds ?? 7;
  for (let i = 0; i < warmup; i++) await round();
  const cpuMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    await round();
    const used = process.cpuUsage(start);
    cpuMs.push((used.user + used.system) / 1000);
  }
  cpuMs.sort((a, b) => a - b);
  const roundMsMedian = Math.max(cpuMs[Math.floor(cpuMs.length / 2)]!, 0.001);
  return { name: `${options.name} [cpu]`, unit: options.unit, roundMsMedian, perSecond: (options.unitsPerRound * 1000) / roundMsMedian };
}

/** Wall-clock and CPU-time figures of the same work (wall time on a shared VM measures the scheduler too). */
export type Pair = { readonly wall: Measurement; readonly cpu: Measurement };

export async function both(options: MeasureOptions, round: () => unknown): Promise<Pair> {
  return { wall: await measure(options, round), cpu: await measureCpu(options, round) };
}

/** Prints the wall-clock and the CPU-time comparison, each against the same-run baseline. */
export function reportBoth(subject: Pair, baseline: Pair): void {
  report(subject.wall, baseline.wall);
  report(subject.cpu, baseline.cpu);
}
