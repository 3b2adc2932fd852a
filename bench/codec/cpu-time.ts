/**
 * measureCpu: like `measure` (apps/bench/src/measure.ts) but divides by the CPU time this
 * process spent (process.cpuUsage, user + system) instead of wall time. On a shared,
 * oversubscribed VM (load average ≫ cores) wall-clock rates mostly measure the scheduler;
 * CPU-time rates measure the code. Both are printed by the codec benches, each next to a
 * baseline measured the same way in the same run. Bench-only (uses `process`).
 */
import type { MeasureOptions, Measurement } from '../../apps/bench/src/measure.ts';

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
