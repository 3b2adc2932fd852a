/**
 * `npm run sim`: the simulator's command line.
 *
 *   npm run sim                          one random seed (printed), or SAMSA_SEED's
 *   SAMSA_SEED=123 npm run sim           replays seed 123 exactly
 *   npm run sim -- --seeds 10000         a campaign: seeds from --first (default random)
 *   npm run sim -- --plant lying-fsync   with a planted bug (test-only), to see it caught
 *   options: --safety-ms N (faulty phase, default 20000), --brokers N (default 3),
 *            --first N, --stop-on-failure, --log (the brokers' log lines on stderr),
 *
 * A campaign prints a summary: seeds, simulated hours, faults injected, invariant checks,
 * records acked and read, throughput (simulated seconds per wall second, seeds per
 * minute), and each failure with its replay command. Exit code 1 when any seed failed.
 */
import { randomInt } from 'node:crypto';
import process from 'node:process';
import { brokersDefault, plants, replayCommand, runSimulation, safetyMsDefault, type Plant, type SimulationResult } from './simulation.ts';

interface Args {
  seeds: number;
  first: number | null;
  plant: Plant | null;
  safetyMs: number;
  brokers: number;
  stopOnFailure: boolean;
  log: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seeds: 1, first: null, plant: null, safetyMs: safetyMsDefault, brokers: brokersDefault, stopOnFailure: false, log: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} ${raw}: must be an integer ≥ ${min}`);
      return n;
    };
    if (flag === '--seeds') args.seeds = int(1);
    else if (flag === '--first') args.first = int(0);
    else if (flag === '--safety-ms') args.safetyMs = int(0);
    else if (flag === '--brokers') args.brokers = int(1);
    else if (flag === '--stop-on-failure') args.stopOnFailure = true;
    else if (flag === '--log') args.log = true;
    else if (flag === '--plant') {
      const p = value();
      if (!plants.includes(p as Plant)) throw new Error(`--plant ${p}: one of ${plants.join(', ')}`);
      args.plant = p as Plant;
    } else throw new Error(`unknown option ${flag} (see apps/sim/README.md)`);
  }
  return args;
}

function report(r: SimulationResult): void {
  if (r.ok) return;
  process.stdout.write(`\nFAILED seed ${r.seed}: ${r.violation!.rule} at ${(r.violation!.atMs / 1000).toFixed(3)} s simulated\n  ${r.violation!.message}\n  last events:\n`);
  for (const line of r.recent.slice(-25)) process.stdout.write(`    ${line}\n`);
  process.stdout.write(`  replay: ${replayCommand(r)}\n`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const envSeed = process.env['SAMSA_SEED'];
  if (envSeed !== undefined && !/^\d+$/.test(envSeed)) throw new Error(`SAMSA_SEED=${envSeed}: must be a non-negative integer`);
  const first = envSeed !== undefined ? Number(envSeed) : (args.first ?? randomInt(0, 2 ** 31));
  const wallStart = performance.now();
  const totals = { simulatedMs: 0, faults: 0, checks: 0, acked: 0, read: 0 };
  const failures: SimulationResult[] = [];
  let ran = 0;
  for (let i = 0; i < args.seeds; i++) {
    const seed = (first + i) >>> 0;
    const r = await runSimulation({ seed, plant: args.plant, safetyMs: args.safetyMs, brokers: args.brokers, ...(args.log ? { log: (line: string) => void process.stderr.write(`${line}\n`) } : {}) });
    ran++;
    totals.simulatedMs += r.simulatedMs;
    totals.faults += r.faults;
    totals.checks += r.checks;
    totals.acked += r.acked;
    totals.read += r.read;
    if (args.seeds === 1) process.stdout.write(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} — ${(r.simulatedMs / 1000).toFixed(1)} s simulated, ${r.faults} faults, ${r.checks} checks, ${r.acked} acked, ${r.read} read, trace ${r.traceHash.slice(0, 16)}\n`);
    else if (i % 10 === 9 || !r.ok) process.stdout.write(`${i + 1}/${args.seeds} seeds, ${failures.length + (r.ok ? 0 : 1)} failed\r`);
    if (!r.ok) {
      failures.push(r);
      report(r);
      if (args.stopOnFailure) break;
    }
  }
  const wallMs = performance.now() - wallStart;
  process.stdout.write(
    [
      '',
      `seeds           ${ran} (first ${first}${args.plant === null ? '' : `, planted: ${args.plant}`})`,
      `simulated       ${(totals.simulatedMs / 3_600_000).toFixed(3)} h (${(totals.simulatedMs / 1000).toFixed(0)} s)`,
      `faults injected ${totals.faults}`,
      `invariant checks ${totals.checks}`,
      `records         ${totals.acked} acked, ${totals.read} read`,
      `wall            ${(wallMs / 1000).toFixed(1)} s: ${(totals.simulatedMs / wallMs).toFixed(1)} simulated s per wall s, ${((ran * 60_000) / wallMs).toFixed(1)} seeds per minute`,
      `failures        ${failures.length}${failures.map((f) => `\n  seed ${f.seed} ${f.violation!.rule}: ${replayCommand(f)}`).join('')}`,
      '',
    ].join('\n'),
  );
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sim: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
