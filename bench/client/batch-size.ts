/**
 * client-producer-batch-size: @samsa/client's producer with batchSizeBytes 16 KiB (Kafka's
 * producer default), 64 KiB, 256 KiB and 1 MiB (librdkafka's batch.size default), how
 * the default was chosen (see `batchSizeBytes` in packages/client/src/producer/producer-options.ts).
 *
 *   npm run bench -- client-producer-batch-size        (CLIENT_BENCH_ROUNDS=3 by default)
 *
 * Same load as client-producer (./produce-load.ts: arrays of 1,000 records, ≤ 8 sends
 * outstanding, null keys, 20,000 untimed first, a fresh 3-partition topic per run, one
 * single Node broker), for 100 B and 1 KiB records, acks=1 and acks=all, linger 5 ms; the
 * configurations alternate order round by round. Reported per configuration: median
 * records/s (min–max), client CPU s per million records, and the median over the rounds of
 * one send's p50 / p99 time (1,000 records, call to settle). Then one-record latency (one
 * 100 B record per send, each awaited, 2,000 sends) with lingerMs 0 per configuration:
 * batch size must not cost a lone record anything.
 * BATCH_SIZES='16384,65536' and LINGER_MS=… vary the set.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTopic, REPO_ROOT, startBroker, tempDir } from '@samsa/bench';
import { loadAverage } from '../machine.ts';

const ROUNDS = Number(process.env['CLIENT_BENCH_ROUNDS'] ?? 3);
const BATCH_SIZES = (process.env['BATCH_SIZES'] ?? '16384,65536,262144,1048576').split(',').map(Number);
const LINGER_MS = Number(process.env['LINGER_MS'] ?? 5);
const CASES = [
  { recordBytes: 100, count: 300_000 },
  { recordBytes: 1024, count: 60_000 },
] as const;
const ACKS = [1, -1] as const;
const LATENCY_SENDS = 2_000;

interface Run {
  readonly recordsPerSecond: number;
  readonly cpuSecondsPerMillion: number;
  readonly sendMs: readonly [number, number];
}

const dir = tempDir('bench-batch-size');
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['num.partitions=3'] });
let topicSeq = 0;
const freshTopic = async (): Promise<string> => {
  const topic = `batch-size-${topicSeq++}`;
  await createTopic(broker.bootstrap, topic, 3);
  return topic;
};

async function load(batchSizeBytes: number, lingerMs: number, args: readonly string[]): Promise<Record<string, unknown>> {
  const env = { ...process.env, SAMSA_PRODUCER_OPTIONS: JSON.stringify({ batchSizeBytes, ...(args.includes('latency') ? {} : { lingerMs }) }) };
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/client/produce-load.ts'), 'samsa', broker.bootstrap, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kib = (bytes: number): string => (bytes >= 1048576 ? `${bytes / 1048576} MiB` : `${bytes / 1024} KiB`);

try {
  console.log(`client-producer-batch-size: ${ROUNDS} rounds, linger ${LINGER_MS} ms, load average before ${loadAverage()}`);
  for (const { recordBytes, count } of CASES) {
    for (const acks of ACKS) {
      const runs = new Map<number, Run[]>(BATCH_SIZES.map((b) => [b, []]));
      for (let i = 0; i < ROUNDS; i++) {
        const order = i % 2 === 0 ? BATCH_SIZES : [...BATCH_SIZES].reverse();
        for (const batchSizeBytes of order) {
          const r = await load(batchSizeBytes, LINGER_MS, [await freshTopic(), String(recordBytes), String(count), String(acks)]);
          runs.get(batchSizeBytes)!.push({
            recordsPerSecond: (count * 1000) / (r['elapsedMs'] as number),
            cpuSecondsPerMillion: (r['cpuMs'] as number) / 1000 / (count / 1e6),
            sendMs: r['sendMs'] as [number, number],
          });
        }
      }
      console.log(`\n${recordBytes} B records, acks=${acks === -1 ? 'all' : acks}, ${count.toLocaleString('en')} records per run`);
      for (const b of BATCH_SIZES) {
        const rs = runs.get(b)!;
        const rps = rs.map((r) => r.recordsPerSecond);
        console.log(
          `  ${kib(b).padEnd(8)} ${(median(rps) / 1000).toFixed(1).padStart(7)}k rec/s (${(Math.min(...rps) / 1000).toFixed(1)}–${(Math.max(...rps) / 1000).toFixed(1)}k)` +
            `  ${median(rs.map((r) => r.cpuSecondsPerMillion)).toFixed(2)} CPU s/M` +
            `  send p50 ${median(rs.map((r) => r.sendMs[0])).toFixed(1)} ms p99 ${median(rs.map((r) => r.sendMs[1])).toFixed(1)} ms`,
        );
      }
    }
  }
  console.log(`\none-record latency, 100 B, lingerMs 0, ${LATENCY_SENDS.toLocaleString('en')} sends`);
  for (const acks of ACKS) {
    const row: string[] = [];
    for (const b of BATCH_SIZES) {
      const r = await load(b, 0, [await freshTopic(), '100', String(LATENCY_SENDS), String(acks), 'latency']);
      const s = r['samplesMs'] as number[];
      const pct = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
      row.push(`${kib(b)} p50 ${pct(0.5).toFixed(2)} p99 ${pct(0.99).toFixed(2)} ms`);
    }
    console.log(`  acks=${acks === -1 ? 'all' : acks}: ${row.join('   ')}`);
  }
  console.log(`\nload average after ${loadAverage()}`);
} finally {
  await broker.stop();
  dir.remove();
}
