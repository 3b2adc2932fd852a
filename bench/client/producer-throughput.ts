/**
 * client-producer: @samsa/client's producer against KafkaJS 2.2.4 (the client most
 * TypeScript users know), @platformatic/kafka (a newer pure-JavaScript client, on Node 22:
 * ./platformatic.ts) and kcat (librdkafka, the native ceiling), one producer at a time
 * against the same single Node broker, same run (issue 17's figures).
 *
 *   npm run bench -- client-producer        (CLIENT_BENCH_ROUNDS=5 by default)
 *
 * Throughput: for 100 B and 1 KiB records, acks=1 and acks=all: each round is one producer
 * process per client (./produce-load.ts; kcat -P of a prepared file), in alternating order,
 * into a fresh 3-partition topic created beforehand; the JS clients send arrays of 1,000
 * records with ≤ 8 sends outstanding, null keys (each client's own spreading), after an
 * untimed warm-up of 20,000 records. Reported: the median records/s and MB/s over the
 * rounds (min–max), samsa ÷ KafkaJS (goal ≥ 3) and samsa ÷ kcat, and each JS client's CPU
 * seconds per million records (its process, timed part). kcat's time includes its start.
 * Latency: one 100 B record per send, each awaited, acks=1 and acks=all, 2,000 sends after
 * 200 untimed: p50 / p99 per client. Idempotence: samsa's default (on for acks=all, off
 * for acks=1, as Kafka); KafkaJS idempotent for acks=all too; @platformatic/kafka not
 * idempotent (its idempotent producer numbers concurrent sends alike, see produce-load.ts)
 * and without linger (each send of 1,000 records is one request). If @platformatic/kafka
 * cannot be installed, the report says why and the rest runs.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTopic, expectOk, kcat, REPO_ROOT, startBroker, tempDir } from '@samsa/bench';
import { loadAverage } from '../machine.ts';
import { ensurePlatformatic } from './platformatic.ts';

const ROUNDS = Number(process.env['CLIENT_BENCH_ROUNDS'] ?? 5);
const CASES = [
  { recordBytes: 100, count: 300_000 },
  { recordBytes: 1024, count: 60_000 },
] as const;
const ACKS = [1, -1] as const;
const PARTITIONS = 3;
const LATENCY_SENDS = 2_000;
type Client = 'samsa' | 'kafkajs' | 'platformatic' | 'kcat';
const platformatic = ensurePlatformatic();
const CLIENTS: readonly Client[] = 'error' in platformatic ? ['samsa', 'kafkajs', 'kcat'] : ['samsa', 'kafkajs', 'platformatic', 'kcat'];
const JS_CLIENTS = CLIENTS.filter((c): c is Exclude<Client, 'kcat'> => c !== 'kcat');

interface Result {
  readonly recordsPerSecond: number;
  readonly cpuSecondsPerMillion: number | null;
}

const dir = tempDir('bench-client');
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['num.partitions=3'] });
let topicSeq = 0;
const freshTopic = async (): Promise<string> => {
  const topic = `client-bench-${topicSeq++}`;
  await createTopic(broker.bootstrap, topic, PARTITIONS);
  return topic;
};

/** Runs produce-load.ts and returns its `result` line. */
async function load(args: readonly string[]): Promise<Record<string, unknown>> {
  // @platformatic/kafka runs on its Node 22; the others on this Node.
  const onNode22 = args[0] === 'platformatic' && !('error' in platformatic);
  const node = onNode22 ? platformatic.node : process.execPath;
  const env = onNode22 ? { ...process.env, PLATFORMATIC_KAFKA_ENTRY: platformatic.entry } : process.env;
  const child = spawn(node, ['--import', 'tsx', join(REPO_ROOT, 'bench/client/produce-load.ts'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const line = out.split('\n').find((l) => l.startsWith('result '));
  if (code !== 0 || line === undefined) throw new Error(`produce-load ${args.join(' ')} exited ${code}:\n${err}`);
  return JSON.parse(line.slice('result '.length)) as Record<string, unknown>;
}

async function round(client: Client, recordBytes: number, count: number, acks: number): Promise<Result> {
  const topic = await freshTopic();
  if (client === 'kcat') {
    const file = join(dir.path, `records-${recordBytes}.txt`);
    const start = performance.now();
    expectOk(
      await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-l', file, '-X', `acks=${acks}`, '-X', 'linger.ms=5', '-X', `enable.idempotence=${acks === -1}`], { timeoutMs: 600_000 }),
      'kcat -P',
    );
    return { recordsPerSecond: (count * 1000) / (performance.now() - start), cpuSecondsPerMillion: null };
  }
  const r = await load([client, broker.bootstrap, topic, String(recordBytes), String(count), String(acks)]);
  return { recordsPerSecond: (count * 1000) / (r['elapsedMs'] as number), cpuSecondsPerMillion: (r['cpuMs'] as number) / 1000 / (count / 1e6) };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (rps: number, bytes: number): string => `${(rps / 1000).toFixed(1)}k rec/s ${((rps * bytes) / 1e6).toFixed(1)} MB/s`;

try {
  console.log(`client-producer: ${ROUNDS} rounds, load average before ${loadAverage()}`);
  if ('error' in platformatic) console.log(`@platformatic/kafka left out: ${platformatic.error}`);
  for (const { recordBytes, count } of CASES) {
    writeFileSync(join(dir.path, `records-${recordBytes}.txt`), Array.from({ length: count }, () => 'a'.repeat(recordBytes)).join('\n') + '\n');
    for (const acks of ACKS) {
      const results = new Map<Client, Result[]>(CLIENTS.map((c) => [c, []]));
      for (let i = 0; i < ROUNDS; i++) {
        // Alternate the order so no client always runs on the warmest (or most written) broker.
        const order = i % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
        for (const client of order) results.get(client)!.push(await round(client, recordBytes, count, acks));
      }
      const med = (c: Client): number => median(results.get(c)!.map((r) => r.recordsPerSecond));
      const range = (c: Client): string => {
        const xs = results.get(c)!.map((r) => r.recordsPerSecond);
        return `${(Math.min(...xs) / 1000).toFixed(1)}–${(Math.max(...xs) / 1000).toFixed(1)}k`;
      };
      const cpu = (c: Client): string => {
        const xs = results.get(c)!.map((r) => r.cpuSecondsPerMillion).filter((x): x is number => x !== null);
        return xs.length === 0 ? '' : `, ${median(xs).toFixed(2)} CPU s per million records`;
      };
      console.log(`\n${recordBytes} B records, acks=${acks === -1 ? 'all' : acks}, ${count.toLocaleString('en')} records per round`);
      for (const c of CLIENTS) console.log(`  ${c.padEnd(12)} ${fmt(med(c), recordBytes).padEnd(30)} (${range(c)})${cpu(c)}`);
      const vsKafkajs = med('samsa') / med('kafkajs');
      const vsPlatformatic = CLIENTS.includes('platformatic') ? `   samsa ÷ platformatic ${(med('samsa') / med('platformatic')).toFixed(2)}` : '';
      console.log(`  samsa ÷ KafkaJS ${vsKafkajs.toFixed(2)} (goal ≥ 3: ${vsKafkajs >= 3 ? 'met' : 'NOT met'})${vsPlatformatic}   samsa ÷ kcat ${(med('samsa') / med('kcat')).toFixed(2)}`);
    }
  }
  console.log('\nproduce latency, 100 B, one record per send (no linger), 2,000 sends');
  for (const acks of ACKS) {
    const row: string[] = [];
    for (const client of JS_CLIENTS) {
      const r = await load([client, broker.bootstrap, await freshTopic(), '100', String(LATENCY_SENDS), String(acks), 'latency']);
      const s = r['samplesMs'] as number[];
      const pct = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
      row.push(`${client} p50 ${pct(0.5).toFixed(2)} ms p99 ${pct(0.99).toFixed(2)} ms`);
    }
    console.log(`  acks=${acks === -1 ? 'all' : acks}: ${row.join('   vs   ')}`);
  }
  console.log(`\nload average after ${loadAverage()}`);
} finally {
  await broker.stop();
  dir.remove();
}
