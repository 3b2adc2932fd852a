/**
 * Clean shutdown (SIGTERM → exit) and clean restart (spawn → ready line) of a real Node
 * broker holding 1,000, 5,000 and 20,000 partitions (issue 11, audit defect 4).
 *
 *   npx turbo run build --filter=@samsa/broker-node...
 *   npx tsx bench/broker/shutdown-restart.ts
 *
 * Env: SHUTDOWN_BENCH_SIZES (default "1000,5000,20000"), SHUTDOWN_BENCH_TIMEOUT_MS (a
 * shutdown or start taking longer is killed and reported as "> N s"; default 300,000),
 * SAMSA_BROKER_CLI (another build's `apps/broker-node/dist/cli.js`, to measure older code).
 *
 * Per size, on a fresh data dir under the temp dir: start the broker, create the topics
 * (1,000 partitions each) with KafkaJS, produce one 100 B record to every partition
 * (acks=1: the data is written, not synced, so the shutdown has something to flush),
 * then time
 *   - shutdown: SIGTERM → process exit (exit code and "stopped cleanly" checked);
 *   - restart: spawn → the "listening on" line (the broker is ready); and whether the
 *     restart recovered logs: it does when `.kafka_cleanshutdown` was missing at start
 *     (the marker is what lets every log skip its recovery scan);
 *   - the restarted broker's shutdown (nothing unflushed).
 * Baselines from the same run, the least the work can cost on this disk:
 *   - shutdown: write 100 B + fsync + close one file in each of N directories, 64 in
 *     flight (a clean shutdown with one unflushed record per log must sync at least that);
 *   - restart: list every partition directory and stat every file in it (what any
 *     restart must read to know the log ends), sequentially.
 * A warm-up round at 200 partitions runs first (not reported).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { freePort } from '@samsa/bench';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = process.env.SAMSA_BROKER_CLI ?? join(REPO_ROOT, 'apps/broker-node/dist/cli.js');
const SIZES = (process.env.SHUTDOWN_BENCH_SIZES ?? '1000,5000,20000').split(',').map(Number);
const TIMEOUT_MS = Number(process.env.SHUTDOWN_BENCH_TIMEOUT_MS ?? 300_000);
const PARTITIONS_PER_TOPIC = 1000;
const BASELINE_IN_FLIGHT = 64;
const OUTPUT_CHARS_MAX = 64 * 1024;

interface Broker {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
}

async function startBroker(dataDir: string, port: number): Promise<{ broker: Broker; readyMs: number | null }> {
  const start = performance.now();
  const child = spawn(process.execPath, [CLI, 'broker', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const push = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-OUTPUT_CHARS_MAX);
  };
  child.stdout!.on('data', push);
  child.stderr!.on('data', push);
  const broker: Broker = { child, port, output: () => out };
  const ready = await new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), TIMEOUT_MS);
    const check = (): void => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        done(true);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      done(false);
    });
  });
  if (!ready && child.exitCode !== null) throw new Error(`broker exited before it was ready:\n${out}`);
  return { broker, readyMs: ready ? performance.now() - start : null };
}

/** SIGTERM → exit; null when it did not exit within TIMEOUT_MS (then it is killed). */
async function stopBroker(broker: Broker): Promise<{ ms: number | null; clean: boolean }> {
  const start = performance.now();
  const exited = new Promise<number | null>((done) => broker.child.once('exit', (code) => done(code)));
  broker.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (code === 'timeout') {
    broker.child.kill('SIGKILL');
    await exited;
    return { ms: null, clean: false };
  }
  return { ms: performance.now() - start, clean: code === 0 && broker.output().includes('stopped cleanly') };
}

async function fill(port: number, partitions: number): Promise<void> {
  const { Kafka, logLevel } = kafkajs;
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, requestTimeout: TIMEOUT_MS, retry: { retries: 2 } });
  const topics = Array.from({ length: Math.ceil(partitions / PARTITIONS_PER_TOPIC) }, (_, i) => ({
    topic: `bench-${i}`,
    numPartitions: Math.min(PARTITIONS_PER_TOPIC, partitions - i * PARTITIONS_PER_TOPIC),
  }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const t of topics) await admin.createTopics({ topics: [{ ...t, replicationFactor: 1 }], waitForLeaders: false, timeout: TIMEOUT_MS });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const value = 'x'.repeat(100);
    for (const t of topics) {
      await producer.send({ topic: t.topic, acks: 1, timeout: TIMEOUT_MS, messages: Array.from({ length: t.numPartitions }, (_, p) => ({ partition: p, value })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Finds `.kafka_cleanshutdown` in the data dir or one level below (the log dir). */
function markerPresent(dataDir: string, names: readonly string[]): boolean {
  if (existsSync(join(dataDir, '.kafka_cleanshutdown'))) return true;
  return names.some((n) => existsSync(join(dataDir, n, '.kafka_cleanshutdown')));
}

async function baselineSyncFiles(root: string, count: number): Promise<number> {
  await mkdir(root, { recursive: true });
  const bytes = new Uint8Array(100);
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const dir = join(root, `p-${next++}`);
      await mkdir(dir);
      const fh = await open(join(dir, 'f'), 'w');
      await fh.write(bytes);
      await fh.sync();
      await fh.close();
    }
  };
  await Promise.all(Array.from({ length: BASELINE_IN_FLIGHT }, () => worker()));
  return performance.now() - start;
}

async function baselineListStat(dataDir: string): Promise<{ ms: number; files: number }> {
  const start = performance.now();
  let files = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const s = await stat(path);
      files++;
      if (s.isDirectory() && depth < 2) await walk(path, depth + 1);
    }
  };
  await walk(dataDir, 0);
  return { ms: performance.now() - start, files };
}

const seconds = (ms: number | null): string => (ms === null ? `> ${(TIMEOUT_MS / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`);
const ratio = (ms: number | null, baseMs: number): string => (ms === null ? '' : ` (${(ms / baseMs).toFixed(1)}× baseline)`);

async function round(partitions: number, reported: boolean): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'samsa-bench-shutdown-'));
  const dataDir = join(root, 'data');
  let broker: Broker | null = null;
  try {
    const port = await freePort();
    const first = await startBroker(dataDir, port);
    broker = first.broker;
    const fillStart = performance.now();
    await fill(port, partitions);
    const fillMs = performance.now() - fillStart;
    const shutdown = await stopBroker(broker);
    broker = null;
    const names = await readdir(dataDir);
    const marker = markerPresent(dataDir, names);
    const restart = await startBroker(dataDir, port);
    broker = restart.broker;
    const second = restart.readyMs === null ? { ms: null, clean: false } : await stopBroker(broker);
    broker = null;
    const listStat = await baselineListStat(dataDir);
    const syncMs = await baselineSyncFiles(join(root, 'baseline'), partitions);
    if (!reported) return;
    console.log(`${partitions.toLocaleString('en')} partitions (created + 1 record each in ${seconds(fillMs)}):`);
    console.log(`  clean shutdown  ${seconds(shutdown.ms)}${ratio(shutdown.ms, syncMs)}, exit ${shutdown.clean ? 'clean' : 'NOT clean'}, marker ${marker ? 'written' : 'MISSING'}`);
    console.log(`    baseline: write+fsync 1 file in each of ${partitions} dirs, ${BASELINE_IN_FLIGHT} in flight: ${seconds(syncMs)}`);
    console.log(`  clean restart   ${seconds(restart.readyMs)}${ratio(restart.readyMs, listStat.ms)}, ${marker ? 'no log recovered' : 'EVERY log recovered (no marker)'}`);
    console.log(`    baseline: list + stat the ${listStat.files} entries of the data dir: ${seconds(listStat.ms)}`);
    console.log(`  shutdown after restart (nothing unflushed) ${seconds(second.ms)}, exit ${second.clean ? 'clean' : 'NOT clean'}`);
  } finally {
    if (broker !== null) {
      broker.child.kill('SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
  }
}

console.log(`broker: ${CLI}`);
await round(200, false);
for (const n of SIZES) await round(n, true);
