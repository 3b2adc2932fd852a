/**
 * replication (issue 14, "Figures"): what replication costs and how fast it fails over, each
 * figure next to a baseline from the same run.
 *
 *   npm run bench -- replication                 (all three parts)
 *   REPL_BENCH_PARTS=failover npm run bench -- replication
 *
 * Processes: one etcd and three Node brokers (the cluster harness of @samsa/bench,
 * `broker.session.timeout.ms` = REPL_BENCH_SESSION_MS) and, for the baseline, one single-node
 * Node broker (local metadata store, no replication), all on this machine, all alive for the
 * whole run. Load: replication-producer.c (librdkafka, built here with `cc`), the same
 * producer and settings for every target; 1 KiB records over 6 partitions.
 *
 * 1. throughput — targets: 1 broker RF 1 acks=1 (the baseline), 3 brokers RF 3 acks=1 (the
 *    middle figure) and 3 brokers RF 3 acks=all with min.insync.replicas=2; a warm-up round,
 *    then REPL_BENCH_ROUNDS rounds of one burst per target, the order rotating; median MB/s
 *    and records/s (min–max), ratio to the baseline, servers' CPU seconds per GB.
 * 2. latency — fixed rate at REPL_BENCH_LATENCY_SHARE (0.5) of the RF 3 acks=all median
 *    throughput of part 1 (or REPL_BENCH_LATENCY_RATE records/s), latency from the intended
 *    send time; the same three targets alternating; p50 / p99 / p99.9.
 * 3. failover — a steady acks=all producer on a 1-partition RF 3 topic; REPL_BENCH_KILLS
 *    SIGKILLs of its leader; kill → first successful acks=all produce, median / p99 / max next
 *    to the session timeout (failover.ts). It runs FIRST, while the logs are small: a
 *    SIGKILLed broker recovers its logs when it restarts, and part 1 writes gigabytes.
 *
 * The machine has 2 cores shared by the brokers, etcd and the client (and, here, other
 * users): the figures say what this box does, and each line prints the load average.
 * Before each timed run the bench waits (at most REPL_BENCH_QUIET_WAIT_S, 10) until
 * REPL_BENCH_IDLE_MIN (0.5) of the CPUs are idle, and prints the idle share (`busy` if not).
 * Env (all optional): REPL_BENCH_PARTS=throughput,latency,failover  REPL_BENCH_ROUNDS=5
 * REPL_BENCH_MB=256 (per burst)  REPL_BENCH_PARTITIONS=6  REPL_BENCH_RECORD_BYTES=1024
 * REPL_BENCH_LATENCY_SECONDS=5  REPL_BENCH_KILLS=20  REPL_BENCH_FAILOVER_RATE=200
 * REPL_BENCH_SESSION_MS=3000  REPL_BENCH_RF=3 (1 runs the harness without replication)
 * REPL_BENCH_PRODUCER_PROPS="enable.idempotence=true …" (more librdkafka properties, every producer)
 * REPL_BENCH_ONLY="acks=all" (only the targets whose label contains it; the latency rate then
 * comes from the last one)  REPL_BENCH_OVERRIDES="replica.fetch.backoff.ms=100 …" (broker overrides, the three cluster brokers).
 *
 * Hygiene: every process is stopped in a finally and on SIGINT/SIGTERM (the brokers and etcd
 * run in their own process groups, so Ctrl-C alone would not reach them); every wait has a
 * deadline and every loop a count.
 */
import { join } from 'node:path';
import { startBroker, startCluster, tempDir } from '@samsa/bench';
import type { BrokerProcess, Cluster } from '@samsa/bench';
import { measureFailover } from './failover.ts';
import { measureLatency, measureThroughput, median } from './load.ts';
import { loadAverage } from '../machine.ts';
import { buildProducer, running } from './producer.ts';
import { createClusterTopic, createSingleTopic, untilHighWatermarks } from './targets.ts';
import type { Target } from './targets.ts';

const PARTS = new Set((process.env.REPL_BENCH_PARTS ?? 'throughput,latency,failover').split(','));
const ROUNDS = Number(process.env.REPL_BENCH_ROUNDS ?? 5);
const IDLE_MIN = Number(process.env.REPL_BENCH_IDLE_MIN ?? 0.5);
const QUIET_WAIT_MS = Number(process.env.REPL_BENCH_QUIET_WAIT_S ?? 10) * 1000;
const RECORD_BYTES = Number(process.env.REPL_BENCH_RECORD_BYTES ?? 1024);
const PARTITIONS = Number(process.env.REPL_BENCH_PARTITIONS ?? 6);
const BURST_RECORDS = Math.round((Number(process.env.REPL_BENCH_MB ?? 256) * 1e6) / RECORD_BYTES);
const WARMUP_RECORDS = Math.round(BURST_RECORDS / 8);
const LATENCY_SHARE = Number(process.env.REPL_BENCH_LATENCY_SHARE ?? 0.5);
const LATENCY_SECONDS = Number(process.env.REPL_BENCH_LATENCY_SECONDS ?? 5);
const LATENCY_WARMUP_S = 1;
const KILLS = Number(process.env.REPL_BENCH_KILLS ?? 20);
const FAILOVER_RATE = Number(process.env.REPL_BENCH_FAILOVER_RATE ?? 200);
const SESSION_MS = Number(process.env.REPL_BENCH_SESSION_MS ?? 3000);
const RF = Number(process.env.REPL_BENCH_RF ?? 3);
/** Only the targets whose label contains this (profiling one target); empty: all three. */
const ONLY = process.env.REPL_BENCH_ONLY ?? '';
const MIN_INSYNC = Math.min(2, RF);
const RUN_TIMEOUT_MS = 300_000;
/** A broker's start or restart (a SIGKILLed one recovers its logs first) on a loaded machine. */
const READY_TIMEOUT_MS = 180_000;
const WAIT_TIMEOUT_MS = 10 * SESSION_MS + 60_000;
/** `--override key=value` for the three cluster brokers, space-separated (e.g. replica.fetch.backoff.ms=100). */
const BROKER_OVERRIDES = (process.env.REPL_BENCH_OVERRIDES ?? '').split(' ').filter((kv) => kv.includes('='));
/** More librdkafka properties for every producer, `key=value` space-separated (e.g. enable.idempotence=true). */
const EXTRA_PROPS = Object.fromEntries(
  (process.env.REPL_BENCH_PRODUCER_PROPS ?? '')
    .split(' ')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
/**
 * The same producer settings for every target and part (acks comes from the target):
 * librdkafka's default linger, so "half the peak" in part 2 means half of what part 1 measured.
 */
const PRODUCER_PROPS = { 'linger.ms': '5', ...EXTRA_PROPS };

/** Started (or starting: a signal during start-up waits for it, then stops it) processes. */
let cluster: Promise<Cluster> | null = null;
let single: Promise<BrokerProcess> | null = null;
const dir = tempDir('bench-replication');

let stopping: Promise<void> | null = null;

/** Stops every process and removes the temp dir; one run however often it is called (the signal handler and the finally may race). */
function cleanup(): Promise<void> {
  stopping ??= (async () => {
    for (const child of running) child.kill('SIGKILL');
    await Promise.allSettled([cluster?.then((c) => c.stop()), single?.then((s) => s.stop())]);
    dir.remove();
  })();
  return stopping;
}

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    signalled = true;
    console.error(`replication: ${signal}, stopping every process`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function targets(c: Cluster, s: BrokerProcess): Promise<Target[]> {
  const settle = (topic: string) => (records: number, timeoutMs: number) => untilHighWatermarks(c.bootstrap(), topic, records, timeoutMs);
  const clusterPids = (): number[] => [...c.brokers.map((b) => b.pid), ...c.etcd.members.map((m) => m.pid)].filter((p): p is number => p !== null);
  await createSingleTopic(s, 'repl-rf1', PARTITIONS);
  await createClusterTopic(c, 'repl-rf3-acks1', PARTITIONS, RF, MIN_INSYNC, WAIT_TIMEOUT_MS);
  await createClusterTopic(c, 'repl-rf3-acksall', PARTITIONS, RF, MIN_INSYNC, WAIT_TIMEOUT_MS);
  const all: Target[] = [
    { label: '1 broker RF1 acks=1', bootstrap: s.bootstrap, topic: 'repl-rf1', acks: '1', serverPids: () => [s.pid] },
    { label: `3 brokers RF${RF} acks=1`, bootstrap: c.bootstrap(), topic: 'repl-rf3-acks1', acks: '1', serverPids: clusterPids, settle: settle('repl-rf3-acks1') },
    { label: `3 brokers RF${RF} acks=all`, bootstrap: c.bootstrap(), topic: 'repl-rf3-acksall', acks: 'all', serverPids: clusterPids, settle: settle('repl-rf3-acksall') },
  ];
  return ONLY === '' ? all : all.filter((t) => t.label.includes(ONLY));
}

async function main(): Promise<void> {
  console.log(`replication: 3 Node brokers + 1 etcd (broker.session.timeout.ms=${SESSION_MS}${BROKER_OVERRIDES.map((o) => `, ${o}`).join('')}) and 1 single-node Node broker on one machine with 2 cores shared by all of them and the client; load average at start ${loadAverage()}`);
  const binary = buildProducer(dir.path);
  cluster = startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_MS, readyTimeoutMs: READY_TIMEOUT_MS, overrides: BROKER_OVERRIDES });
  const c = await cluster;
  single = startBroker({ dataDir: join(dir.path, 'single') });
  const s = await single;
  const load = { binary, partitions: PARTITIONS, recordBytes: RECORD_BYTES, rounds: ROUNDS, timeoutMs: RUN_TIMEOUT_MS, idleMin: IDLE_MIN, quietWaitMs: QUIET_WAIT_MS };
  // Failover first, on logs still small: a SIGKILLed broker recovers its logs on restart.
  if (PARTS.has('failover')) {
    await createClusterTopic(c, 'repl-failover', 1, RF, MIN_INSYNC, WAIT_TIMEOUT_MS);
    await measureFailover(c, { binary, topic: 'repl-failover', kills: KILLS, rate: FAILOVER_RATE, recordBytes: RECORD_BYTES, replicationFactor: RF, props: PRODUCER_PROPS, waitTimeoutMs: WAIT_TIMEOUT_MS });
  }
  if (PARTS.has('throughput') || PARTS.has('latency')) {
    const all = await targets(c, s);
    let rate = Number(process.env.REPL_BENCH_LATENCY_RATE ?? 0);
    if (PARTS.has('throughput')) {
      const figures = await measureThroughput(all, { ...load, props: PRODUCER_PROPS, warmupRecords: WARMUP_RECORDS, records: BURST_RECORDS });
      if (rate === 0) rate = Math.round(LATENCY_SHARE * median(figures.at(-1)!.results.map((r) => r.recordsPerS)));
    }
    if (PARTS.has('latency')) {
      if (rate === 0) throw new Error('latency needs the throughput part or REPL_BENCH_LATENCY_RATE');
      await measureLatency(all, { ...load, props: PRODUCER_PROPS, rate, seconds: LATENCY_SECONDS, warmupSeconds: LATENCY_WARMUP_S });
    }
  }
  console.log(`load average at end ${loadAverage()}`);
}

try {
  await main();
} catch (error) {
  // After a signal the run fails wherever it was (its producer got the signal too): not news.
  if (!signalled) throw error;
} finally {
  await cleanup();
}
if (signalled) process.exit(130);
