/**
 * client-consumer: @samsa/client's Consumer (assign-only, and in a group) against KafkaJS
 * 2.2.4, @platformatic/kafka (on Node 22, ./platformatic.ts; left out with the reason if it
 * cannot be installed) and kcat -C (librdkafka, the native ceiling), one consumer at a time
 * reading the same topic from the same single Node broker, same run.
 *
 *   npm run bench -- client-consumer        (CLIENT_BENCH_ROUNDS=3 by default)
 *
 * Setup, once per case: a 3-partition topic filled by kcat -P (1,000,000 × 100 B, and
 * 200,000 × 1 KiB), a 20,000-record warm-up topic of the same size, and one untimed kcat
 * -C -e over the topic (the broker's page cache and JIT are warm before any client runs).
 * Each round: one reader process per client (./consume-load.ts; kcat -C -o beginning -e
 * into /dev/null), in alternating order; the JS clients first read the warm-up topic
 * untimed, then the topic, timed from its first record to its last (a group's join is not
 * in it), each with its default fetch sizes; a fresh group per run. kcat's time is the
 * whole process (its start and metadata included) and its CPU its own user + system.
 * Reported: median records/s and MB/s (min–max), samsa ÷ KafkaJS, samsa ÷ kcat, and each
 * client's CPU seconds per million records.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTopic, expectOk, kcat, KCAT, REPO_ROOT, startBroker, tempDir } from '@samsa/bench';
import { loadAverage } from '../machine.ts';
import { ensurePlatformatic } from './platformatic.ts';

const ROUNDS = Number(process.env['CLIENT_BENCH_ROUNDS'] ?? 3);
const CASES = [
  { recordBytes: 100, count: 1_000_000 },
  { recordBytes: 1024, count: 200_000 },
] as const;
const WARM_RECORDS = 20_000;
const PARTITIONS = 3;
type Client = 'samsa' | 'samsa-group' | 'kafkajs' | 'platformatic' | 'kcat';
const platformatic = ensurePlatformatic();
const CLIENTS: readonly Client[] = ['samsa', 'samsa-group', 'kafkajs', ...('error' in platformatic ? [] : (['platformatic'] as const)), 'kcat'];

interface Result {
  readonly recordsPerSecond: number;
  readonly cpuSecondsPerMillion: number;
}

const dir = tempDir('bench-client-consumer');
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['num.partitions=3'] });

/** A topic of `count` records of `recordBytes` 'a's, written by kcat. */
async function filled(topic: string, recordBytes: number, count: number): Promise<void> {
  await createTopic(broker.bootstrap, topic, PARTITIONS);
  const file = join(dir.path, `${topic}.txt`);
  writeFileSync(file, Array.from({ length: count }, () => 'a'.repeat(recordBytes)).join('\n') + '\n');
  expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-l', file, '-X', 'linger.ms=5'], { timeoutMs: 600_000 }), 'kcat -P');
}

/** Spawns and returns stdout, failing on a non-zero exit. */
async function spawned(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${err}`);
  return out;
}

/** kcat -C -e of the whole topic into /dev/null; bash's `times` gives its CPU. */
async function kcatRead(topic: string): Promise<{ elapsedMs: number; cpuMs: number }> {
  const start = performance.now();
  const out = await spawned('bash', ['-c', `"$0" -C -b ${broker.bootstrap} -t ${topic} -o beginning -e -q > /dev/null && times`, KCAT]);
  const elapsedMs = performance.now() - start;
  // `times`: the shell's user/system, then its children's (kcat's).
  const children = out.trim().split('\n').at(-1)!.split(/\s+/);
  const seconds = (t: string): number => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m === null ? Number.NaN : Number(m[1]) * 60 + Number(m[2]);
  };
  return { elapsedMs, cpuMs: (seconds(children[0]!) + seconds(children[1]!)) * 1000 };
}

async function round(client: Client, topic: string, warmTopic: string, count: number): Promise<Result> {
  if (client === 'kcat') {
    const r = await kcatRead(topic);
    return { recordsPerSecond: (count * 1000) / r.elapsedMs, cpuSecondsPerMillion: r.cpuMs / 1000 / (count / 1e6) };
  }
  const onNode22 = client === 'platformatic' && !('error' in platformatic);
  const node = onNode22 ? platformatic.node : process.execPath;
  const env = onNode22 ? { ...process.env, PLATFORMATIC_KAFKA_ENTRY: platformatic.entry } : process.env;
  const out = await spawned(node, ['--import', 'tsx', join(REPO_ROOT, 'bench/client/consume-load.ts'), client, broker.bootstrap, warmTopic, String(WARM_RECORDS), topic, String(count), String(PARTITIONS)], env);
  const line = out.split('\n').find((l) => l.startsWith('result '));
  if (line === undefined) throw new Error(`consume-load ${client} printed no result`);
  const r = JSON.parse(line.slice('result '.length)) as { records: number; elapsedMs: number; cpuMs: number };
  if (r.records !== count) throw new Error(`${client} read ${r.records} records, want ${count}`);
  return { recordsPerSecond: (count * 1000) / r.elapsedMs, cpuSecondsPerMillion: r.cpuMs / 1000 / (count / 1e6) };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (rps: number, bytes: number): string => `${(rps / 1000).toFixed(1)}k rec/s ${((rps * bytes) / 1e6).toFixed(1)} MB/s`;

try {
  console.log(`client-consumer: ${ROUNDS} rounds, load average before ${loadAverage()}`);
  if ('error' in platformatic) console.log(`@platformatic/kafka left out: ${platformatic.error}`);
  for (const { recordBytes, count } of CASES) {
    const topic = `consume-${recordBytes}`;
    const warmTopic = `consume-warm-${recordBytes}`;
    await filled(topic, recordBytes, count);
    await filled(warmTopic, recordBytes, WARM_RECORDS);
    await kcatRead(topic); // warm-up: page cache, broker JIT
    const results = new Map<Client, Result[]>(CLIENTS.map((c) => [c, []]));
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
      for (const client of order) results.get(client)!.push(await round(client, topic, warmTopic, count));
    }
    const med = (c: Client): number => median(results.get(c)!.map((r) => r.recordsPerSecond));
    const range = (c: Client): string => {
      const xs = results.get(c)!.map((r) => r.recordsPerSecond);
      return `${(Math.min(...xs) / 1000).toFixed(1)}–${(Math.max(...xs) / 1000).toFixed(1)}k`;
    };
    const cpu = (c: Client): string => `${median(results.get(c)!.map((r) => r.cpuSecondsPerMillion)).toFixed(2)} CPU s per million records`;
    console.log(`\n${recordBytes} B records, ${count.toLocaleString('en')} in ${PARTITIONS} partitions, read from offset 0`);
    for (const c of CLIENTS) console.log(`  ${c.padEnd(12)} ${fmt(med(c), recordBytes).padEnd(30)} (${range(c)}), ${cpu(c)}`);
    const ratios = [`samsa ÷ KafkaJS ${(med('samsa') / med('kafkajs')).toFixed(2)}`, `samsa-group ÷ KafkaJS ${(med('samsa-group') / med('kafkajs')).toFixed(2)}`];
    if (CLIENTS.includes('platformatic')) ratios.push(`samsa ÷ platformatic ${(med('samsa') / med('platformatic')).toFixed(2)}`);
    ratios.push(`samsa ÷ kcat ${(med('samsa') / med('kcat')).toFixed(2)}`);
    console.log(`  ${ratios.join('   ')}`);
  }
  console.log(`\nload average after ${loadAverage()}`);
} finally {
  await broker.stop();
  dir.remove();
}
