/**
 * `npm run chaos -- [--scenario NAME]… [--minutes N] [--seed S] [--out DIR] [--results FILE]`
 *
 * Runs the named scenarios (default: all of scenarios.ts) one after another, each on a
 * fresh cluster for N minutes of faults (default 1), and prints per scenario the checker's
 * summary, then a table: scenario × faults × sends ok × anomalies × availability. The seed
 * (default: random, printed) makes each scenario's fault schedule replayable:
 * `npm run chaos -- --scenario <name> --seed <S>` picks the same victims for the same cluster
 * answers. Everything lands in DIR (default a new temp dir, printed): per scenario its
 * histories, final read and report, and `summary.json` for all. `--results FILE` also writes
 * the table as Markdown with the command, commit, date and recovery times (what
 * test/chaos/RESULTS.md keeps).
 *
 * A scenario that cannot run (its cluster does not start, its topic cannot be made) is
 * reported as an error row and the campaign goes on with the next one.
 *
 * Exit code: 0 when every scenario ran and is safe, 1 when any is not safe or did not run,
 * 2 on bad arguments.
 */
import { execFileSync } from 'node:child_process';
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

/** A scenario that did not run to its checker. */
export interface ScenarioError {
  readonly scenario: string;
  readonly seed: number;
  readonly message: string;
}

/** The table row of a scenario that did not run (first line of its error, at most 200 characters). */
export function errorRow(e: ScenarioError): string {
  const first = (e.message.split('\n')[0] ?? '').slice(0, 200).replaceAll('|', '/');
  return `| ${e.scenario} | ${e.seed} | – | – | – | – | did not run: ${first} |`;
}

/** Median and largest of the non-null values, in seconds ('–' when none). */
function spread(values: readonly (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (known.length === 0) return '–';
  return `${(known[Math.floor((known.length - 1) / 2)]! / 1000).toFixed(1)} / ${(known[known.length - 1]! / 1000).toFixed(1)} s`;
}

/** RESULTS.md: what ran, where, and per scenario the table row plus recovery times. */
export function resultsMarkdown(results: readonly CampaignResult[], errors: readonly ScenarioError[], run: { command: string; commit: string; date: string; minutes: number; seed: number }): string {
  const recovery = results.map((r) => `| ${r.scenario} | ${spread(r.report.recovery.map((x) => x.recoveryFromStartMs))} | ${spread(r.report.recovery.map((x) => x.recoveryFromEndMs))} | ${r.report.availability.longestUnavailableSeconds} s | ${(r.wallMs / 1000).toFixed(0)} s |`);
  return [
    '# Chaos campaign results',
    '',
    `Latest long campaign: \`${run.command}\` at commit ${run.commit}, ${run.date}, ${run.minutes} min of faults per scenario, seed ${run.seed}, on this project's 2-core machine (clients and all nine processes share it).`,
    'Written by `test/chaos/run.ts --results`; the scenarios and the checker are described in README.md.',
    '',
    RESULT_HEADER,
    ...results.map(resultRow),
    ...errors.map(errorRow),
    '',
    'Recovery: time from a fault\'s start (or end) to the first acknowledged send invoked after it, median / largest; the longest stretch without any acknowledged send; the scenario\'s wall time (cluster start to checker).',
    '',
    '| scenario | recovery from fault start | recovery from heal | longest gap | wall |',
    '| --- | --- | --- | --- | --- |',
    ...recovery,
    '',
  ].join('\n');
}

export const RESULT_HEADER = '| scenario | seed | faults | sends ok | lost / dup / inconsistent / nonmonotonic / skipped / out of order | availability | verdict |\n| --- | --- | --- | --- | --- | --- | --- |';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { scenario: { type: 'string', multiple: true }, minutes: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, results: { type: 'string' } } });
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
  const errors: ScenarioError[] = [];
  for (const scenario of scenarios) {
    const outDir = join(out, scenario.name);
    mkdirSync(outDir, { recursive: true });
    const replay = `npm run chaos -- --scenario ${scenario.name} --seed ${seed} --minutes ${minutes}`;
    try {
      const r = await runCampaign({ scenario, seed, durationMs: minutes * 60_000, outDir, log: (line) => console.log(`  ${line}`) });
      results.push(r);
      console.log(`${scenario.name} (${(r.wallMs / 1000).toFixed(0)} s):\n${r.summary.replace(/^/gm, '  ')}\n  replay: ${replay}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ scenario: scenario.name, seed, message });
      console.log(`${scenario.name}: DID NOT RUN: ${message}\n  replay: ${replay}`);
    }
  }
  console.log(`\n${RESULT_HEADER}\n${[...results.map(resultRow), ...errors.map(errorRow)].join('\n')}`);
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(results.map((r) => ({ scenario: r.scenario, seed: r.seed, faults: r.faults, safe: r.safe, wallMs: r.wallMs, counts: r.report.counts, anomalies: r.report.anomalies, availability: r.report.availability, recovery: r.report.recovery })), null, 2)}\n`);
  if (args.values.results !== undefined) {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`;
    writeFileSync(args.values.results, resultsMarkdown(results, errors, { command, commit, date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', minutes, seed }));
    console.log(`results written to ${args.values.results}`);
  }
  return errors.length === 0 && results.every((r) => r.safe) ? 0 : 1;
}

// process.exit, not exitCode: once a campaign has run, Node's exit cleanup has been seen to
// spin at 100 % CPU on a request a destroyed socket left pending (the loop was empty).
// stdout/stderr are pipes or files here, written synchronously, so nothing is cut.
if (process.argv[1] !== undefined && process.argv[1].endsWith('run.ts')) process.exit(await main());
