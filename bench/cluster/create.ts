/**
 * cluster-create (issue 13 figure): creating a 1,000-partition topic on a three-broker
 * cluster, timed from the CreateTopics request until the Metadata of every broker (each
 * asked on its own socket) shows a leader for all partitions. Baseline from the same run:
 * the same creation on one single-node broker (local metadata store), until its own
 * Metadata shows all leaders.
 *
 *   npm run bench -- cluster-create
 *
 * Env: CREATE_BENCH_PARTITIONS (default 1000), CREATE_BENCH_ROUNDS (default 3; a fresh
 * topic per round, the median is reported). Replication factor 1 (the single broker can
 * have no other). Also shown: when CreateTopics was acknowledged (the controller wrote the
 * topic record), so the rest is the brokers applying it (watch → view → local logs).
 */
import kafkajs from 'kafkajs';
import { leadersOf, startBroker, startCluster, tempDir } from '@samsa/bench';
import { percentile, visibleEverywhere } from './visible-everywhere.ts';

const PARTITIONS = Number(process.env.CREATE_BENCH_PARTITIONS ?? 1000);
const ROUNDS = Number(process.env.CREATE_BENCH_ROUNDS ?? 3);
const TIMEOUT_MS = 300_000;

interface Timing {
  readonly ackMs: number;
  readonly visibleMs: number;
}

/** Creates `topic` through `bootstrap` and waits until every port's Metadata shows all its leaders. */
async function createAndWait(bootstrap: string, ports: readonly number[], topic: string): Promise<Timing> {
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: TIMEOUT_MS, retry: { retries: 3 } }).admin();
  await admin.connect();
  try {
    const start = performance.now();
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: false, timeout: TIMEOUT_MS });
    if (!created) throw new Error(`${topic} existed already`);
    const ackMs = performance.now() - start;
    await visibleEverywhere(ports, [topic], (m) => {
      const leaders = leadersOf(m, topic);
      return leaders !== null && leaders.length === PARTITIONS && leaders.every((l) => l >= 0);
    }, TIMEOUT_MS);
    return { ackMs, visibleMs: performance.now() - start };
  } finally {
    await admin.disconnect();
  }
}

function line(what: string, timings: readonly Timing[]): { ack: number; visible: number } {
  const ack = percentile(timings.map((t) => t.ackMs), 50);
  const visible = percentile(timings.map((t) => t.visibleMs), 50);
  const each = timings.map((t) => t.visibleMs.toFixed(0)).join(', ');
  console.log(`${what.padEnd(34)} all leaders visible: median ${visible.toFixed(0).padStart(6)} ms (rounds: ${each} ms); CreateTopics acked after ${ack.toFixed(0)} ms`);
  return { ack, visible };
}

async function main(): Promise<void> {
  console.log(`cluster-create: a ${PARTITIONS}-partition topic, ${ROUNDS} rounds, replication factor 1`);
  const single: Timing[] = [];
  const dir = tempDir('create-single');
  const broker = await startBroker({ dataDir: dir.path });
  try {
    for (let r = 1; r <= ROUNDS; r++) single.push(await createAndWait(broker.bootstrap, [broker.port], `create-${r}`));
  } finally {
    await broker.stop();
    dir.remove();
  }
  const base = line('single-node broker (local store)', single);
  const clustered: Timing[] = [];
  const cluster = await startCluster({ brokers: ['node', 'node', 'node'] });
  try {
    const ports = cluster.brokers.map((b) => b.port);
    for (let r = 1; r <= ROUNDS; r++) clustered.push(await createAndWait(cluster.broker(1).bootstrap, ports, `create-${r}`));
  } finally {
    await cluster.stop();
  }
  const three = line('three brokers + etcd', clustered);
  console.log(`ratio (cluster / single node, all leaders visible): ${(three.visible / base.visible).toFixed(2)}`);
}

await main();
