/**
 * The same broker on Deno and on Node, same load, same run.
 *
 *   npx turbo run build --filter=@samsa/broker-node...   (the Node broker runs from dist)
 *   npx tsx bench/broker/deno-vs-node.ts
 *
 * Starts both brokers as child processes on free loopback ports, each with its own temp
 * data dir and one partition per topic: Node (`node apps/broker-node/dist/cli.js broker`)
 * and Deno (`deno run <minimal permissions> apps/broker-deno/src/main.ts`, the workspace
 * TypeScript sources, no build). Load generator (a client nobody here wrote): kcat
 * producing a prepared file of 200,000 × 100 B or 40,000 × 1 KiB records with acks=1 into
 * a fresh topic, then consuming it back (-C -e -c N); each timed round is a whole kcat run.
 * Node and Deno rounds alternate, and which goes first alternates too (warm-up 1, median of
 * 5), so machine load hits both alike.
 * Prints records/s and MB/s for each and the Deno ÷ Node ratio (report() from
 * apps/bench/src/measure.ts, Node as the baseline), plus the load average at start and end.
 *
 * SAMSA_BENCH_DENO_FLAGS / SAMSA_BENCH_NODE_FLAGS add flags to `deno run` / `node`, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" (a profile is written when the broker exits).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { v8FlagsArg } from '@samsa/broker-deno/v8-flags';
import { measure, report } from '@samsa/bench';
import type { Measurement } from '@samsa/bench';
import { assertBuilt, CLI_PATH, createTopic, expectOk, freePort, HOST, kcat, probeApiVersions, REPO_ROOT, rssKiB, sleep, tempDir } from '@samsa/bench';

const RECORDS_100B = 200_000;
const RECORDS_1KB = 40_000;
const ROUNDS = { warmupRounds: 1, rounds: 5 };
const READY_TIMEOUT_MS = 120_000;

/** The real deno binary (node_modules/.bin/deno is a Node wrapper that would swallow SIGTERM). */
function denoBinary(): string {
  const local = join(REPO_ROOT, 'node_modules/deno/deno');
  return existsSync(local) ? local : 'deno';
}

interface BrokerChild {
  readonly bootstrap: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function extraFlags(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter((f) => f.length > 0);
}

/** Spawns one broker (the real binaries, so SIGTERM reaches the broker) and waits until it answers. */
async function startChild(runtime: 'node' | 'deno', dataDir: string): Promise<BrokerChild> {
  const port = await freePort();
  const brokerFlags = ['--host', HOST, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', '--override', 'num.partitions=1'];
  const [command, args] =
    runtime === 'node'
      ? [process.execPath, [...extraFlags('SAMSA_BENCH_NODE_FLAGS'), CLI_PATH, 'broker', ...brokerFlags]]
      : [
          denoBinary(),
          [
            'run',
            v8FlagsArg(),
            `--allow-net=${HOST}`,
            `--allow-read=${dataDir}`,
            `--allow-write=${dataDir}`,
            '--allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED',
            '--allow-sys=hostname',
            ...extraFlags('SAMSA_BENCH_DENO_FLAGS'),
            'apps/broker-deno/src/main.ts',
            ...brokerFlags,
          ],
        ];
  const child: ChildProcess = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString('utf8')).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(out.includes('listening on') && (await probeApiVersions(port).catch(() => false)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${runtime} broker did not start:\n${out}`);
    }
    await sleep(50);
  }
  return {
    bootstrap: `${HOST}:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function payload(size: number, i: number): string {
  const head = `r${i}-`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

function mb(m: Measurement, size: number): string {
  return `${((m.perSecond * size) / 1e6).toFixed(1)} MB/s`;
}

const dir = tempDir('bench-deno-vs-node');
assertBuilt();
const node = await startChild('node', join(dir.path, 'node'));
const deno = await startChild('deno', join(dir.path, 'deno'));
const brokers = { node: node.bootstrap, deno: deno.bootstrap } as const;
console.log(`load average at start: ${load()}`);
try {
  await sleep(300);
  console.log(`RSS at rest: node ${((await rssKiB(node.pid)) / 1024).toFixed(1)} MiB, deno ${((await rssKiB(deno.pid)) / 1024).toFixed(1)} MiB`);
  for (const [size, count] of [
    [100, RECORDS_100B],
    [1024, RECORDS_1KB],
  ] as const) {
    await compare(size, count);
  }
  console.log(`load average at end: ${load()}`);
} finally {
  await deno.stop();
  await node.stop();
  dir.remove();
}

async function compare(size: number, count: number): Promise<void> {
  const file = join(dir.path, `records-${size}.txt`);
  writeFileSync(file, Array.from({ length: count }, (_, i) => payload(size, i)).join('\n') + '\n');
  const producerFlags = ['-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=1000000'];
  let topicSeq = 0;
  const lastTopic = { node: '', deno: '' };
  // Alternate node/deno rounds: one measure() per runtime would give each a different slice of machine load.
  const produceRound = (runtime: 'node' | 'deno') => async (): Promise<void> => {
    const topic = `bench-${size}-${topicSeq++}`;
    lastTopic[runtime] = topic;
    await createTopic(brokers[runtime], topic, 1);
    expectOk(await kcat(['-P', '-b', brokers[runtime], '-t', topic, '-l', file, ...producerFlags], { timeoutMs: 300_000 }), `kcat -P ${runtime}`);
  };
  const consumeRound = (runtime: 'node' | 'deno') => async (): Promise<void> => {
    expectOk(await kcat(['-C', '-b', brokers[runtime], '-t', lastTopic[runtime], '-o', 'beginning', '-e', '-c', String(count), '-q'], { timeoutMs: 300_000 }), `kcat -C ${runtime}`);
  };
  const [nodeProduce, denoProduce] = await interleaved(`produce ${size} B acks=1 (kcat)`, count, produceRound);
  const [nodeConsume, denoConsume] = await interleaved(`consume ${size} B (kcat)`, count, consumeRound);
  report(denoProduce, nodeProduce);
  report(denoConsume, nodeConsume);
  console.log(`  = produce: deno ${mb(denoProduce, size)}, node ${mb(nodeProduce, size)}; consume: deno ${mb(denoConsume, size)}, node ${mb(nodeConsume, size)}   (load ${load()})`);
}

/** measure() both runtimes with their rounds alternating; returns [node, deno]. */
async function interleaved(what: string, count: number, round: (runtime: 'node' | 'deno') => () => Promise<void>): Promise<[Measurement, Measurement]> {
  const nodeRound = round('node');
  const denoRound = round('deno');
  const times: Record<'node' | 'deno', number[]> = { node: [], deno: [] };
  let pairs = 0;
  const pair = measure({ name: `pair ${what}`, unit: 'records', unitsPerRound: count, ...ROUNDS }, async () => {
    // Who goes first alternates too, so neither always runs right after the other's round.
    const order = pairs++ % 2 === 0 ? (['node', 'deno'] as const) : (['deno', 'node'] as const);
    for (const runtime of order) {
      const start = performance.now();
      await (runtime === 'node' ? nodeRound() : denoRound());
      times[runtime].push(performance.now() - start);
    }
  });
  await pair;
  const median = (list: number[]): number => {
    const timed = list.slice(ROUNDS.warmupRounds).sort((a, b) => a - b);
    return timed[Math.floor(timed.length / 2)]!;
  };
  const asMeasurement = (runtime: 'node' | 'deno'): Measurement => {
    const ms = median(times[runtime]);
    return { name: `${runtime} ${what}`, unit: 'records', roundMsMedian: ms, perSecond: (count * 1000) / ms };
  };
  return [asMeasurement('node'), asMeasurement('deno')];
}
