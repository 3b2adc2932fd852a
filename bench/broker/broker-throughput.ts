/**
 * Broker throughput and latency against Redis, in one run.
 *
 *   npx tsx bench/broker/broker-throughput.ts            (build the broker first:
 *   npx turbo run build --filter=@samsa/broker-node...)
 *
 * Load generator: kcat (librdkafka, a client nobody here wrote) producing a prepared file
 * with acks=1 and consuming it back (-C -e -c N); each timed round is a whole kcat run,
 * process start included, into a fresh topic. Baseline: redis-server (Debian) XADD of the
 * same payloads through `redis-benchmark -P 64`, also timed as a whole process run, so
 * both sides pay the same start-up; topics are created before the timed rounds.
 * Target: Samsa ÷ Redis > 1.5 for 100 B records.
 *
 * Produce latency p50/p99: KafkaJS (the slow-client reference) sending one 100 B record
 * at a time with acks=1, next to redis-benchmark's own p50/p99 for one XADD at a time.
 * RSS of the broker: /proc/<pid>/status VmRSS at rest and the peak sampled under load.
 *
 * Sizes are bounded (RECORDS_*) so a run takes about a minute on 2 cores.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { measure, report } from '@samsa/bench';
import type { Measurement } from '@samsa/bench';
import { createTopic, expectOk, freePort, kcat, rssKiB, run, sleep, startBroker, tempDir } from '@samsa/bench';

const RECORDS_100B = 200_000;
const RECORDS_1KB = 40_000;
const LATENCY_SAMPLES = 2_000;
const ROUNDS = { warmupRounds: 1, rounds: 5 };

const dir = tempDir('bench-broker');
const broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['num.partitions=1'] });
const redisPort = await freePort();
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });

let peakRssKiB = 0;
const sampler = setInterval(() => {
  rssKiB(broker.pid).then((kib) => (peakRssKiB = Math.max(peakRssKiB, kib)), () => {});
}, 50);

try {
  await sleep(300);
  const restRssKiB = await rssKiB(broker.pid);
  peakRssKiB = restRssKiB;
  for (const [size, count] of [
    [100, RECORDS_100B],
    [1024, RECORDS_1KB],
  ] as const) {
    await throughput(size, count);
  }
  await latency();
  console.log(`broker RSS at rest ${(restRssKiB / 1024).toFixed(1)} MiB, peak under load ${(peakRssKiB / 1024).toFixed(1)} MiB`);
} finally {
  clearInterval(sampler);
  redis.kill('SIGTERM');
  await broker.stop();
  dir.remove();
}

function payload(size: number, i: number): string {
  const head = `r${i}-`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

async function throughput(size: number, count: number): Promise<void> {
  const file = join(dir.path, `records-${size}.txt`);
  writeFileSync(file, Array.from({ length: count }, (_, i) => payload(size, i)).join('\n') + '\n');
  // Topics are created before timing (KafkaJS admin connect + CreateTopics costs a few
  // hundred ms per round), as redis-benchmark's rounds do not create their stream either.
  const topics: string[] = [];
  for (let i = 0; i < ROUNDS.warmupRounds + ROUNDS.rounds; i++) {
    topics.push(`bench-${size}-${i}`);
    await createTopic(broker.bootstrap, topics[i]!, 1);
  }
  let topicSeq = 0;
  let lastTopic = '';
  const producerFlags = ['-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=1000000'];
  const samsaProduce = await measure({ name: `samsa produce ${size} B acks=1 (kcat)`, unit: 'records', unitsPerRound: count, ...ROUNDS }, async () => {
    lastTopic = topics[topicSeq++]!;
    expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', lastTopic, '-l', file, ...producerFlags], { timeoutMs: 300_000 }), 'kcat -P');
  });
  const samsaConsume = await measure({ name: `samsa consume ${size} B (kcat)`, unit: 'records', unitsPerRound: count, ...ROUNDS }, async () => {
    expectOk(await kcat(['-C', '-b', broker.bootstrap, '-t', lastTopic, '-o', 'beginning', '-e', '-c', String(count), '-q'], { timeoutMs: 300_000 }), 'kcat -C');
  });
  const redisXadd = await measure({ name: `redis XADD ${size} B -P 64`, unit: 'records', unitsPerRound: count, ...ROUNDS }, async () => {
    expectOk(
      await run('redis-benchmark', ['-p', String(redisPort), '-P', '64', '-c', '4', '-n', String(count), '-q', 'XADD', `bench-${size}`, '*', 'v', payload(size, 0)], { timeoutMs: 300_000 }),
      'redis-benchmark',
    );
  });
  report(samsaProduce, redisXadd, size === 100 ? { ratioMin: 1.5 } : undefined);
  report(samsaConsume, redisXadd);
  console.log(`  = ${mb(samsaProduce, size)} produce, ${mb(samsaConsume, size)} consume, ${mb(redisXadd, size)} redis`);
  await run('redis-benchmark', ['-p', String(redisPort), '-n', '1', '-q', 'DEL', `bench-${size}`]);
}

function mb(m: Measurement, size: number): string {
  return `${((m.perSecond * size) / 1e6).toFixed(1)} MB/s`;
}

async function latency(): Promise<void> {
  const { Kafka, logLevel } = kafkajs;
  const topic = 'bench-latency';
  await createTopic(broker.bootstrap, topic, 1);
  const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = payload(100, 0);
  const samplesMs: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES + 200; i++) {
      const start = performance.now();
      await producer.send({ topic, acks: 1, messages: [{ value }] });
      if (i >= 200) samplesMs.push(performance.now() - start);
    }
  } finally {
    await producer.disconnect();
  }
  samplesMs.sort((a, b) => a - b);
  const pct = (p: number): number => samplesMs[Math.min(samplesMs.length - 1, Math.floor(p * samplesMs.length))]!;
  const redisCsv = expectOk(
    await run('redis-benchmark', ['-p', String(redisPort), '-P', '1', '-c', '1', '-n', String(LATENCY_SAMPLES), '--csv', 'XADD', 'bench-latency', '*', 'v', value], { timeoutMs: 120_000 }),
    'redis-benchmark latency',
  ).stdout.toString();
  const row = redisCsv.trim().split('\n').pop()!.split(',').map((c) => c.replaceAll('"', ''));
  console.log(
    `produce latency 100 B acks=1 (KafkaJS, one record per send): p50 ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms` +
      `   vs redis XADD one at a time: p50 ${row[4]} ms, p99 ${row[6]} ms`,
  );
}
