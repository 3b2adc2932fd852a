#!/usr/bin/env node
// The cross-package tests (test/**, test/vitest.config.ts) in two lanes at once:
//
//   chaos  test/chaos/suite.test.ts: every chaos scenario on its own fault-injected cluster,
//          about 10 minutes of mostly waiting on the nemesis's timers;
//   rest   every other file, one at a time as before.
//
// Each lane is its own vitest process with the config's one-file-at-a-time rule, so at most
// two test files run at once. Lines are prefixed with their lane; the exit code is non-zero
// when either lane fails. SIGINT/SIGTERM are passed on to both lanes (vitest stops the
// brokers and clusters its tests started).
//
//   node scripts/test-cross.mjs              both lanes
//   node scripts/test-cross.mjs <vitest args> one vitest with those args (e.g. a file filter)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = join(root, 'node_modules', '.bin', 'vitest');
const bin = existsSync(vitest) ? vitest : 'vitest';
const CHAOS = 'chaos/suite.test.ts';
const extra = process.argv.slice(2);

// With arguments (file filters, flags), one lane runs exactly what was asked.
const lanes = extra.length > 0
  ? [{ name: 'tests', args: ['run', '--config', 'test/vitest.config.ts', ...extra] }]
  : [
      { name: 'chaos', args: ['run', '--config', 'test/vitest.config.ts', CHAOS] },
      { name: 'rest', args: ['run', '--config', 'test/vitest.config.ts', '--exclude', `**/${CHAOS}`] },
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
const env = { ...process.env, PATH: [join(root, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter) };

const children = lanes.map((lane) => {
  const child = spawn(bin, lane.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  prefixed(lane.name, child.stdout, process.stdout);
  prefixed(lane.name, child.stderr, process.stderr);
  const done = new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`[${lane.name}] could not start vitest: ${error.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  return { lane, child, done };
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const { child } of children) child.kill(signal);
  });
}

const codes = await Promise.all(children.map((c) => c.done));
for (const [i, code] of codes.entries()) console.log(`test-cross: lane ${children[i].lane.name} exited ${code}`);
process.exitCode = codes.some((code) => code !== 0) ? 1 : 0;
