/**
 * `npm run bench` — lists the scenarios of bench/scenarios.ts, one line each.
 * `npm run bench -- <name> [args…]` — builds what that scenario needs, then runs it with
 * the args (Node through tsx, or Deno), and exits with its exit code.
 * An unknown name prints the list to stderr and exits 2.
 *
 * This file imports only node:* and the registry: it runs before anything is built, so it
 * cannot use a workspace package's dist/. The scenario runs with the repository root as
 * its working directory (where `--import tsx` and the deno binary are found). SIGINT and
 * SIGTERM reach the scenario (same process group; SIGTERM is also passed on), and the
 * runner waits for it to exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findScenario, formatScenarioList } from './scenarios.ts';
import type { Scenario } from './scenarios.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH_DIR = join(REPO_ROOT, 'bench');
/** The real deno binary (node_modules/.bin/deno is a Node wrapper that does not pass SIGTERM on). */
const DENO_BIN = existsSync(join(REPO_ROOT, 'node_modules/deno/deno')) ? join(REPO_ROOT, 'node_modules/deno/deno') : 'deno';
const TURBO_BIN = join(REPO_ROOT, 'node_modules/.bin/turbo');
const EXIT_UNKNOWN_NAME = 2;
const EXIT_BUILD_FAILED = 3;

function usage(): string {
  return `Usage: npm run bench -- <name> [args…]\n\nScenarios:\n${formatScenarioList()}\n`;
}

/** Builds the scenario's packages with their dependencies; false when the build failed. */
function build(scenario: Scenario): boolean {
  if (scenario.builds.length === 0) return true;
  const filters = scenario.builds.map((pkg) => `--filter=${pkg}...`);
  console.error(`bench ${scenario.name}: building ${scenario.builds.join(', ')} (with their dependencies)`);
  const result = spawnSync(TURBO_BIN, ['run', 'build', ...filters, '--output-logs=errors-only'], { cwd: REPO_ROOT, stdio: 'inherit' });
  return result.status === 0;
}

function command(scenario: Scenario, args: readonly string[]): [string, string[]] {
  const file = join(BENCH_DIR, scenario.file);
  if (scenario.runtime === 'deno') return [DENO_BIN, ['run', '--allow-all', file, ...args]];
  return [process.execPath, ['--import', 'tsx', file, ...args]];
}

function runScenario(scenario: Scenario, args: readonly string[]): void {
  const [program, programArgs] = command(scenario, args);
  console.error(`bench ${scenario.name}: ${scenario.file} ${args.join(' ')}`.trimEnd());
  const child = spawn(program, programArgs, { cwd: REPO_ROOT, stdio: 'inherit' });
  const passOn = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGTERM', passOn);
  // Ctrl-C reaches the scenario through the process group; the runner waits for its exit.
  process.on('SIGINT', () => {});
  child.once('error', (error) => {
    console.error(`bench ${scenario.name}: could not start ${program}: ${error.message}`);
    process.exitCode = 1;
  });
  child.once('exit', (code, signal) => {
    process.off('SIGTERM', passOn);
    process.exitCode = code ?? (signal === null ? 1 : 128 + constants.signals[signal]);
  });
}

function main(argv: readonly string[]): void {
  const [name, ...args] = argv;
  if (name === undefined || name === '--list' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return;
  }
  const scenario = findScenario(name);
  if (scenario === undefined) {
    process.stderr.write(`unknown bench "${name}"\n\n${usage()}`);
    process.exitCode = EXIT_UNKNOWN_NAME;
    return;
  }
  if (!build(scenario)) {
    console.error(`bench ${scenario.name}: the build failed`);
    process.exitCode = EXIT_BUILD_FAILED;
    return;
  }
  runScenario(scenario, args);
}

main(process.argv.slice(2));
