#!/usr/bin/env node
/**
 * `npm run cluster`: a local three-broker Samsa cluster and one etcd, for trying Samsa on
 * one machine. Builds like `npm start` (pnpm install + turbo build of the Node broker),
 * starts `etcd` from PATH with its data in a temp dir, then three Node brokers
 * (`samsa broker --node-id N --metadata etcd://… --port …`) on 127.0.0.1:9092/9093/9094
 * with their data dirs in the same temp dir, and prints the bootstrap list.
 *
 * Ctrl-C (SIGINT) or SIGTERM stops everything in order: SIGTERM to every broker (each
 * moves its leaderships away and drains), wait for them, then etcd; the temp dir is removed
 * and the exit code is 0. A second signal while stopping SIGKILLs what is left (exit 130).
 * A broker or etcd that dies on its own stops the rest (exit 1).
 *
 * Exit codes: 0 clean stop; 1 build failed or a process failed to start or died;
 * 2 bad flag, or etcd is not on PATH (with how to install it).
 *
 * Every child runs in its own process group (signalled as a group), binds 127.0.0.1 only,
 * and every wait has a deadline. Plain Node (no TypeScript): it runs before the build.
 *
 * Flags: --no-build (the broker is built already), --ports 9092,9093,9094 (one per broker),
 * --etcd-ports 2379,2380 (client, peer), --session-timeout-ms N (broker.session.timeout.ms).
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI_PATH = join(REPO_ROOT, 'apps/broker-node/dist/cli.js');
const HOST = '127.0.0.1';
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGNAL = 130;
const READY_TIMEOUT_MS = 60_000;
const BROKER_STOP_TIMEOUT_MS = 30_000;
const ETCD_STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 100;
/** Output kept per child for a failure message. */
const OUTPUT_CHARS_MAX = 8_000;

const INSTALL_HINT = [
  'npm run cluster needs etcd (the cluster metadata store), and `etcd` is not on PATH.',
  'Install it, then run npm run cluster again:',
  '  Debian/Ubuntu:  sudo apt-get install etcd-server',
  '  macOS:          brew install etcd',
  '  other:          https://etcd.io/docs/latest/install/',
].join('\n');

function usageError(message) {
  process.stderr.write(`npm run cluster: ${message}\nflags: [--no-build] [--ports P1,P2,P3] [--etcd-ports CLIENT,PEER] [--session-timeout-ms N]\n`);
  process.exit(EXIT_USAGE);
}

function portList(flag, text, count) {
  const ports = (text ?? '').split(',').map((p) => Number(p.trim()));
  if (ports.length !== count || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) usageError(`${flag} expects ${count} ports, comma-separated (got "${text}")`);
  if (new Set(ports).size !== count) usageError(`${flag} repeats a port`);
  return ports;
}

function parseArgs(argv) {
  const options = { build: true, ports: [9092, 9093, 9094], etcdPorts: [2379, 2380], sessionTimeoutMs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-build') options.build = false;
    else if (arg === '--ports') options.ports = portList('--ports', argv[++i], 3);
    else if (arg === '--etcd-ports') options.etcdPorts = portList('--etcd-ports', argv[++i], 2);
    else if (arg === '--session-timeout-ms') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1000) usageError('--session-timeout-ms expects an integer ≥ 1000');
      options.sessionTimeoutMs = n;
    } else usageError(`unknown flag ${arg}`);
  }
  return options;
}

/** The path of `name` on PATH, or null. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

function build() {
  const steps = [
    [process.execPath, [join(REPO_ROOT, 'scripts/pnpm.mjs'), 'install']],
    [join(REPO_ROOT, 'node_modules/.bin/turbo'), ['run', 'build', '--filter=@samsa/broker-node...', '--output-logs=errors-only']],
  ];
  // As under `npm run`: turbo looks for the pinned pnpm in node_modules/.bin.
  const env = { ...process.env, PATH: [join(REPO_ROOT, 'node_modules/.bin'), process.env.PATH ?? ''].join(delimiter) };
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env });
    if (result.status !== 0) {
      process.stderr.write(`npm run cluster: ${[command, ...args].join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})\n`);
      process.exit(EXIT_FAILED);
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child in its own process group, its output kept (bounded) and passed on with a prefix. */
function startChild(label, command, args) {
  const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { label, child, output: '', exited: false, exit: null };
  const keep = (chunk) => {
    const text = chunk.toString('utf8');
    state.output = (state.output + text).slice(-OUTPUT_CHARS_MAX);
    for (const line of text.split('\n')) if (line.length > 0) process.stderr.write(`[${label}] ${line}\n`);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  state.done = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      state.exited = true;
      state.exit = { code, signal };
      resolve(state.exit);
    });
    child.once('error', (error) => {
      keep(Buffer.from(`could not start ${command}: ${error.message}\n`));
      state.exited = true;
      state.exit = { code: null, signal: null };
      resolve(state.exit);
    });
  });
  return state;
}

function signalGroup(state, signal) {
  if (state.child.pid === undefined) return;
  try {
    process.kill(-state.child.pid, signal);
  } catch {
    // Gone already.
  }
}

/** SIGTERM the group, wait up to `timeoutMs`, then SIGKILL it; resolves the exit. */
async function stopChild(state, timeoutMs) {
  if (!state.exited) signalGroup(state, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(state, 'SIGKILL'), timeoutMs);
  const exit = await state.done;
  clearTimeout(timer);
  signalGroup(state, 'SIGKILL');
  return exit;
}

async function waitFor(what, state, check) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (state.exited) throw new Error(`${what}: ${state.label} exited (${JSON.stringify(state.exit)}):\n${state.output}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${READY_TIMEOUT_MS} ms:\n${state.output}`);
    await sleep(POLL_MS);
  }
}

async function etcdAnswers(clientUrl) {
  const response = await fetch(`${clientUrl}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}', signal: AbortSignal.timeout(2000) });
  return response.ok && (await response.text()).includes('"header"');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const etcdBin = onPath('etcd');
  if (etcdBin === null) {
    process.stderr.write(`${INSTALL_HINT}\n`);
    process.exit(EXIT_USAGE);
  }
  if (options.build) build();
  if (!existsSync(CLI_PATH)) {
    process.stderr.write(`npm run cluster: ${CLI_PATH} is missing; run without --no-build\n`);
    process.exit(EXIT_FAILED);
  }
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cluster-'));
  const [clientPort, peerPort] = options.etcdPorts;
  const clientUrl = `http://${HOST}:${clientPort}`;
  const peerUrl = `http://${HOST}:${peerPort}`;
  const children = [];
  let stopping = false;

  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    const brokers = children.filter((c) => c.label !== 'etcd');
    await Promise.all(brokers.map((c) => stopChild(c, BROKER_STOP_TIMEOUT_MS)));
    const etcd = children.find((c) => c.label === 'etcd');
    if (etcd) await stopChild(etcd, ETCD_STOP_TIMEOUT_MS);
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`npm run cluster: stopped${code === EXIT_OK ? '' : ` (exit ${code})`}\n`);
    process.exit(code);
  };
  const onSignal = () => {
    if (stopping) {
      for (const c of children) signalGroup(c, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      process.exit(EXIT_SIGNAL);
    }
    process.stderr.write('npm run cluster: stopping the brokers, then etcd\n');
    void stopAll(EXIT_OK);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const etcd = startChild('etcd', etcdBin, [
      '--name', 'samsa-local',
      '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `samsa-local=${peerUrl}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-level', 'warn',
    ]);
    children.push(etcd);
    await waitFor(`etcd on ${clientUrl}`, etcd, () => etcdAnswers(clientUrl));
    for (let i = 0; i < options.ports.length; i++) {
      if (stopping) return;
      const nodeId = i + 1;
      const dataDir = join(dir, `broker-${nodeId}`);
      mkdirSync(dataDir, { recursive: true });
      const args = [CLI_PATH, 'broker', '--node-id', String(nodeId), '--metadata', `etcd://${HOST}:${clientPort}`, '--host', HOST, '--port', String(options.ports[i]), '--data-dir', dataDir];
      if (options.sessionTimeoutMs !== undefined) args.push('--override', `broker.session.timeout.ms=${options.sessionTimeoutMs}`);
      children.push(startChild(`broker ${nodeId}`, process.execPath, args));
    }
    for (const c of children.filter((x) => x.label !== 'etcd')) await waitFor(`${c.label} listening`, c, async () => c.output.includes('listening on'));
  } catch (error) {
    process.stderr.write(`npm run cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll(EXIT_FAILED);
    return;
  }
  if (stopping) return;
  const bootstrap = options.ports.map((p) => `${HOST}:${p}`).join(',');
  process.stdout.write(
    [
      `Samsa cluster: ${options.ports.length} brokers, etcd at ${clientUrl} (data in ${dir}, removed on stop)`,
      `bootstrap: ${bootstrap}`,
      `  try: kcat -L -b ${bootstrap}`,
      `       node apps/broker-node/dist/cli.js cluster --metadata etcd://${HOST}:${clientPort}`,
      'Ctrl-C stops the brokers, then etcd.',
      '',
    ].join('\n'),
  );
  // A process that dies on its own takes the cluster down with it (and says which).
  for (const c of children) {
    void c.done.then((exit) => {
      if (stopping) return;
      process.stderr.write(`npm run cluster: ${c.label} exited on its own (${JSON.stringify(exit)}); stopping the rest\n`);
      void stopAll(EXIT_FAILED);
    });
  }
}

await main();
