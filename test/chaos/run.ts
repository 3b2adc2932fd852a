/**
 * `npm run chaos -- [--scenario NAME]… [--minutes N] [--seed S] [--out DIR]`
 *
 * Runs the named scenarios (default: all of scenarios.ts) one after another, each on a
 * fresh cluster for N minutes of faults (default 1), and prints per scenario the checker's
 * summary, then a table: scenario × faults × sends ok × anomalies × availability. The seed
 * (default: random, printed) makes each scenario's fault schedule replayable:
 * `npm run chaos -- --scenario <name> --seed <S>` picks the same victims for the same cluster
 * answers. Everything lands in DIR (default a new temp dir, printed): per scenario its
 * histories, final read and report, and `summary.json` for all.
 *
 * Exit code: 0 when every scenario is safe, 1 when any is not, 2 on bad arguments.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCampaign, type CampaignResult } from './campaign.ts';
import { SCENARIOS, scenarioNamed } from './scenarios.ts';

function usage(): string {
  return `usage: npm run chaos -- [--scenario NAME]… [--minutes N] [--seed S] [--out DIR]\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`;
}

/** One table row per scenario (also what RESULTS.md keeps). */
export function resultRow(r: CampaignResult): string {
  const a = r.report.anomalies;
  const anomalies = ['lost', 'duplicate', 'inconsistentOffset', 'nonmonotonicPoll', 'skippedPoll', 'outOfOrder'].map((n) => (a as unknown as Record<string, { count: number } | undefined>)[n]?.count ?? '?').join(' / ');
  const availability = r.report.availability.availability === null ? '–' : `${(r.report.availability.availability * 100).toFixed(1)} %`;
  return `| ${r.scenario} | ${r.seed} | ${r.faults} | ${r.report.counts.sends.ok} | ${anomalies} | ${availability} | ${r.safe ? 'safe' : 'UNSAFE'} |`;
}

export const RESULT_HEADER = '| scenario | seed | faults | sends ok | lost / dup / inconsistent / nonmonotonic / skipped / out of order | availability | verdict |\n| --- | --- | --- | --- | --- | --- | --- |';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { scenario: { type: 'string', multiple: true }, minutes: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage()}`);
    return 2;
  }
  const minutes = Number(args.values.minutes ?? 1);
  const seed = args.values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.values.seed);
  if (!(minutes > 0) || !Number.isSafeInteger(seed)) {
    console.error(usage());
    return 2;
  }
  let scenarios;
  try {
    scenarios = (args.values.scenario ?? SCENARIOS.map((s) => s.name)).map(scenarioNamed);
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage()}`);
    return 2;
  }
  const out = args.values.out ?? mkdtempSync(join(tmpdir(), 'samsa-chaos-'));
  console.log(`chaos: ${scenarios.length} scenario(s), ${minutes} min of faults each, seed ${seed}, output in ${out}`);
  const results: CampaignResult[] = [];
  for (const scenario of scenarios) {
    const outDir = join(out, scenario.name);
    mkdirSync(outDir, { recursive: true });
    const r = await runCampaign({ scenario, seed, durationMs: minutes * 60_000, outDir, log: (line) => console.log(`  ${line}`) });
    results.push(r);
    console.log(`${scenario.name} (${(r.wallMs / 1000).toFixed(0)} s):\n${r.summary.replace(/^/gm, '  ')}\n  replay: npm run chaos -- --scenario ${scenario.name} --seed ${seed} --minutes ${minutes}`);
  }
  console.log(`\n${RESULT_HEADER}\n${results.map(resultRow).join('\n')}`);
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(results.map((r) => ({ scenario: r.scenario, seed: r.seed, faults: r.faults, safe: r.safe, wallMs: r.wallMs, counts: r.report.counts, anomalies: r.report.anomalies, availability: r.report.availability, recovery: r.report.recovery })), null, 2)}\n`);
  return results.every((r) => r.safe) ? 0 : 1;
}

if (process.argv[1] !== undefined && process.argv[1].endsWith('run.ts')) process.exitCode = await main();
