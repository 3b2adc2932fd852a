/**
 * Tiny measurement helpers shared by every scenario in bench/.
 *
 * A figure means nothing alone on a noisy 2-core VM, so every scenario prints its figure
 * next to a baseline measured in the same run and the ratio between them. `measure` warms
 * up first (fresh memory is slow to touch here), then runs `rounds` timed rounds and keeps
 * the median.
 */

export interface Measurement {
  readonly name: string;
  /** Units of work per second (records, bytes, ops...). */
  readonly perSecond: number;
  readonly unit: string;
  /** Median round time in milliseconds. */
  readonly roundMsMedian: number;
}

export interface MeasureOptions {
  readonly name: string;
  readonly unit: string;
  /** Units of work one call to `round` performs. */
  readonly unitsPerRound: number;
  readonly warmupRounds?: number;
  readonly rounds?: number;
}

export async function measure(options: MeasureOptions, round: () => unknown | Promise<unknown>): Promise<Measurement> {
  const warmup = options.warmupRounds ?? 3;
  const rounds = options.rounds ?? 7;
  for (let i = 0; i < warmup; i++) await round();
  const timesMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await round();
    timesMs.push(performance.now() - start);
  }
  timesMs.sort((a, b) => a - b);
  const roundMsMedian = timesMs[Math.floor(timesMs.length / 2)]!;
  return { name: options.name, unit: options.unit, roundMsMedian, perSecond: (options.unitsPerRound * 1000) / roundMsMedian };
}

export function formatRate(perSecond: number, unit: string): string {
  if (unit === 'B') {
    const mb = perSecond / 1e6;
    return mb >= 1000 ? `${(mb / 1000).toFixed(2)} GB/s` : `${mb.toFixed(1)} MB/s`;
  }
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M ${unit}/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k ${unit}/s`;
  return `${perSecond.toFixed(1)} ${unit}/s`;
}

/** Prints "figure | baseline | ratio" and returns the ratio. */
export function report(subject: Measurement, baseline: Measurement, target?: { readonly ratioMin: number }): number {
  const ratio = subject.perSecond / baseline.perSecond;
  const verdict = target ? (ratio >= target.ratioMin ? `  (target ≥ ${target.ratioMin}: met)` : `  (target ≥ ${target.ratioMin}: NOT met)`) : '';
  console.log(
    `${subject.name.padEnd(44)} ${formatRate(subject.perSecond, subject.unit).padStart(14)}   vs ${baseline.name} ${formatRate(baseline.perSecond, baseline.unit)}   ratio ${ratio.toFixed(2)}${verdict}`,
  );
  return ratio;
}
