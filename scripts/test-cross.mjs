#!/usr/bin/env node
// The tests after turbo's per-package ones, in two lanes at once (`npm test` ends with this):
//
//   a     `deno task test` (the core suites under Deno, CPU-bound, ~4.5 min), then
//         test/chaos/suite.test.ts (every chaos scenario on its own fault-injected cluster,
//         mostly waiting on the nemesis's timers, ~7 min);
//   b     every other file of test/vitest.config.ts, one at a time (~13 min).
//
// Each vitest lane keeps the config's one-file-at-a-time rule, so at most two test files
// run at once. Lines are prefixed with their lane; every step runs even when an earlier one
// failed, and the exit code is non-zero when any step failed. SIGINT/SIGTERM are passed on
// to the running steps (vitest stops the brokers and clusters its tests started).
//
//   node scripts/test-cross.mjs                both lanes, with Deno
//   node scripts/test-cross.mjs --no-deno      both lanes, lane a without Deno
//   node scripts/test-cross.mjs <vitest args>  one vitest with those args (e.g. a file filter)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const binDir = join(root, 'node_modules', '.bin');
const local = (name) => (existsSync(join(binDir, name)) ? join(binDir, name) : name);
const CHAOS = 'chaos/suite.test.ts';
const argv = process.argv.slice(2);
const withDeno = !argv.includes('--no-deno');
const extra = argv.filter((a) => a !== '--no-deno');
const vitest = (...args) => ({ bin: local('vitest'), args: ['run', '--config', 'test/vitest.config.ts', ...args] });

// With arguments (file filters, flags), one lane runs exactly what was asked.
const lanes = extra.length > 0
  ? [{ name: 'tests', steps: [vitest(...extra)] }]
  : [
      { name: 'a', steps: [...(withDeno ? [{ bin: local('deno'), args: ['task', 'test'] }] : []), vitest(CHAOS)] },
      { name: 'b', steps: [vitest('--exclude', `**/${CHAOS}`)] },
    ];

function prefixed(name, stream, out) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream.on('end', () => {
    if (pending.length > 0) out.write(`[${name}] ${pending}\n`);
  });
}

// As under `npm run`: the workspace's binaries (pnpm, turbo, deno) first on PATH.
const env = { ...process.env, PATH: [binDir, process.env.PATH ?? ''].join(delimiter) };
const running = new Set();

function runStep(name, step) {
  const child = spawn(step.bin, step.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(child);
  prefixed(name, child.stdout, process.stdout);
  prefixed(name, child.stderr, process.stderr);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`[${name}] could not start ${step.bin}: ${error.message}\n`);
      running.delete(child);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      const result = code ?? (signal ? 1 : 0);
      process.stdout.write(`test-cross: lane ${name}: ${[step.bin.split('/').pop(), ...step.args].join(' ')} exited ${code ?? signal}\n`);
      resolve(result);
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
    process.exitCode = 1;
  });
}

const codes = await Promise.all(lanes.map(async (lane) => {
  let worst = 0;
  for (const step of lane.steps) worst = Math.max(worst, await runStep(lane.name, step));
  return worst;
}));
process.exitCode = codes.some((code) => code !== 0) ? 1 : 0;
