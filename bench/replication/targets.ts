/**
 * What the replication bench produces to: a Target is one configuration (a broker set, a
 * topic, an acks level), and this file creates the topics (RF 3 with `min.insync.replicas`
 * on the cluster, RF 1 on the single broker) and waits until every broker sees a leader and a
 * full ISR, and after a burst until the high watermarks cover every record produced.
 * Imported by replication.ts, load.ts and failover.ts.
 *
 * Bounds: every wait is a poll with a deadline (visibleEverywhere); KafkaJS admin retries
 * at most ADMIN_RETRIES times.
 */
import kafkajs from 'kafkajs';
import { createTopic, fetchMetadata, sleep } from '@samsa/bench';
import type { BrokerMetadata, BrokerProcess, Cluster } from '@samsa/bench';
import { visibleEverywhere } from '../cluster/visible-everywhere.ts';

const ADMIN_RETRIES = 8;
const SETTLE_POLL_MS = 50;

export interface Target {
  /** Shown in the figures: `1 broker RF1 acks=1`, `3 brokers RF3 acks=all`, … */
  readonly label: string;
  readonly bootstrap: string;
  readonly topic: string;
  /** librdkafka's `acks`: '1' or 'all'. */
  readonly acks: string;
  /** The server processes (brokers, etcd) whose CPU time a round reports. */
  serverPids(): number[];
  /**
   * Set for replicated targets: resolves once the topic's high watermarks add up to at least
   * `records` (every record produced so far replicated to the whole ISR), so an acks=1 burst's
   * replication does not spill into the next target's round.
   */
  settle?(records: number, timeoutMs: number): Promise<void>;
}

/** True when every partition of `topic` has a leader and `replicationFactor` replicas in its ISR. */
export function fullyReplicated(m: BrokerMetadata, topic: string, partitions: number, replicationFactor: number): boolean {
  const t = m.topics.find((x) => x.name === topic);
  return t !== undefined && t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0 && p.isr.length === replicationFactor);
}

/** Creates `topic` on the cluster and waits until every running broker sees it fully replicated. */
export async function createClusterTopic(cluster: Cluster, topic: string, partitions: number, replicationFactor: number, minInsyncReplicas: number, timeoutMs: number): Promise<void> {
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({ brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: ADMIN_RETRIES } }).admin();
  await admin.connect();
  try {
    const configEntries = [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }];
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: false });
  } finally {
    await admin.disconnect();
  }
  await waitFullyReplicated(cluster, topic, partitions, replicationFactor, timeoutMs);
}

export async function waitFullyReplicated(cluster: Cluster, topic: string, partitions: number, replicationFactor: number, timeoutMs: number): Promise<void> {
  const ports = cluster.brokers.filter((b) => b.running).map((b) => b.port);
  await visibleEverywhere(ports, [topic], (m) => fullyReplicated(m, topic, partitions, replicationFactor), timeoutMs);
}

/** Creates an RF 1 topic on a single broker (createTopic waits for its leaders). */
export async function createSingleTopic(broker: BrokerProcess, topic: string, partitions: number): Promise<void> {
  await createTopic(broker.bootstrap, topic, partitions);
}

/** Polls ListOffsets (latest = the high watermark) through KafkaJS until `topic`'s partitions add up to `records`. */
export async function untilHighWatermarks(bootstrap: string, topic: string, records: number, timeoutMs: number): Promise<void> {
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: ADMIN_RETRIES } }).admin();
  await admin.connect();
  const deadline = performance.now() + timeoutMs;
  let sum = 0;
  try {
    for (;;) {
      sum = (await admin.fetchTopicOffsets(topic)).reduce((total, p) => total + Number(p.high), 0);
      if (sum >= records) return;
      if (performance.now() > deadline) throw new Error(`${topic}: high watermarks add up to ${sum}, not ${records}, after ${timeoutMs} ms`);
      await sleep(SETTLE_POLL_MS);
    }
  } finally {
    await admin.disconnect();
  }
}

/** The leader of `topic`'s `partition` as the broker on `port` sees it (-1 when none). */
export async function leaderOf(port: number, topic: string, partition: number): Promise<number> {
  const m = await fetchMetadata(port, [topic]);
  return m.topics.find((t) => t.name === topic)?.partitions[partition]?.leader ?? -1;
}
