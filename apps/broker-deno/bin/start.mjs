#!/usr/bin/env node
/**
 * `npm run start:deno -- [flags]`: runs the Deno broker with the minimal permissions for
 * exactly these flags. Deno cannot know the data dir or port before it parses them, so:
 *   1. plan: `deno run main.ts <flags> --print-permissions` (short-lived; may read only the
 *      --config file) resolves the config as the broker will and prints the `--allow-*`
 *      flags it needs (bad flags or config fail here, with the broker's own message and
 *      exit code);
 *   2. run: `deno run <those flags> --v8-flags=… main.ts <flags> --exit-when-stdin-closes`
 *      (the V8 flags of v8-flags.mjs: the GC floor that keeps the produce tail short), in its own
 *      process group, with SIGINT/SIGTERM forwarded once (a terminal's Ctrl-C and npm's
 *      forwarding of the same signal arrive within milliseconds; a second press later is
 *      forwarded, and the broker treats it as "exit now"). Exits with the broker's exit code.
 *   The broker's stdin is a pipe whose only writer is this process (the lifeline): when
 *   this process dies, even by SIGKILL, which it cannot forward, the kernel closes the pipe
 *   and the broker, seeing end of file, shuts down cleanly as on SIGTERM (issue 11, defect
 *   7). So a supervisor that kills the launcher frees the port and the data dir.
 * Plain JavaScript so it needs no build; uses the real deno binary (node_modules/.bin/deno
 * is a Node wrapper that would not pass signals on).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { v8FlagsArg } from './v8-flags.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const main = 'apps/broker-deno/src/main.ts';
const localDeno = `${root}node_modules/deno/deno`;
const deno = existsSync(localDeno) ? localDeno : 'deno';
const prefix = 'samsa-deno-permissions ';
const duplicateSignalMs = 300;
const args = process.argv.slice(2);

/** The planner may read only the --config file (commander also accepts `--config=F` and `-cF`). */
function configFiles(argv) {
  const files = [];
  for (let i = 0; i < argv.length && i < 10_000; i++) {
    const a = argv[i];
    if ((a === '--config' || a === '-c') && i + 1 < argv.length) files.push(argv[++i]);
    else if (a.startsWith('--config=')) files.push(a.slice('--config='.length));
    else if (a.startsWith('-c') && a.length > 2 && !a.startsWith('--')) files.push(a.slice(2));
  }
  return files;
}
const readFlags = configFiles(args).length > 0 ? [`--allow-read=${configFiles(args).join(',')}`] : [];

const plan = spawnSync(
  deno,
  ['run', ...readFlags, '--allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED', '--allow-sys=hostname', main, ...args, '--print-permissions'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 20 },
);
const line = (plan.stdout ?? '').split('\n').find((l) => l.startsWith(prefix));
if (plan.status !== 0 || line === undefined) {
  process.stdout.write(plan.stdout ?? ''); // --help, --version, or commander's usage error
  process.exit(plan.status ?? 1);
}
const permissions = JSON.parse(line.slice(prefix.length));
const child = spawn(deno, ['run', ...permissions, v8FlagsArg(), main, ...args, '--exit-when-stdin-closes'], {
  cwd: root,
  stdio: ['pipe', 'inherit', 'inherit'],
  detached: true,
});
// Never written to: it only has to stay open as long as this process lives.
child.stdin.on('error', () => {});
let lastSignalAt = -Infinity;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    const now = Date.now();
    if (now - lastSignalAt < duplicateSignalMs) return;
    lastSignalAt = now;
    child.kill(signal);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
