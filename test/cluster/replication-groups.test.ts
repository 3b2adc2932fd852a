/**
 * Consumer groups fail over with their offsets (issue 14, "Tests"): three Node brokers on
 * one etcd, `__consumer_offsets` replicated (`offsets.topic.replication.factor`, default 3),
 * a topic with replication factor 3 and `min.insync.replicas=2` holding 3000
 * records. A group member — librdkafka (python3-confluent-kafka) in one test, KafkaJS in the
 * other; subscribed, no auto commit, committing synchronously every 50 records, throttled to
 * about 200 records a second so the run spans the kill — is consuming when the group's
 * coordinator (FindCoordinator, agreed by every broker) is SIGKILLed. Then:
 * - the survivors name another coordinator: the new leader (in etcd) of the group's
 *   `__consumer_offsets` partition, as the victim was before the kill;
 * - the member reads every record and commits its last offsets through the new coordinator;
 * - no record is read again below an offset the member had committed successfully before
 *   (a lost commit would send it back), checked on the member's own read/commit timeline;
 * - the committed offsets a fresh OffsetFetch (KafkaJS admin) answers are ≥ every offset
 *   the member ever committed successfully, and equal the log ends.
 * Re-reads above the last commit (at-least-once after a rebalance) are counted as info.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerLogs } from './broker-logs.ts';
import { etcdPartitions, findCoordinator, pollUntil, startCluster, waitForSameLeaders, withAdmin } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';
import { PythonPeer } from './python-peer.ts';
import { checkGroupCommits } from './replication-check.ts';
import { PY_GROUP_COMMITTER } from './replication-scripts.ts';
import type { GroupCommit, GroupCommitterProgress, GroupCommitterReport } from './replication-scripts.ts';
import { sleep } from '@samsa/bench';

const SESSION_TIMEOUT_MS = 3000;
const PARTITIONS = 3;
const RECORDS = 3000;
/** The member reads at most BATCH records every PERIOD_S: about 200 a second, so the run spans the kill. */
const BATCH = 50;
const PERIOD_S = 0.25;
/** Kill the coordinator once the member has read this many records and committed. */
const READS_BEFORE_KILL = 900;
const OFFSETS_PARTITIONS = 6;
const CONSUMER_OFFSETS = '__consumer_offsets';
/** The member's own deadline for reading everything. */
const MEMBER_TIMEOUT_S = 100;
const { Kafka, logLevel } = kafkajs;

async function createReplicatedTopic(cluster: Cluster, topic: string): Promise<void> {
  const created = await withAdmin(cluster, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: false }),
  );
  if (!created) throw new Error(`topic ${topic} already existed`);
}

/** Polls until etcd names a full ISR (3) for every partition of `topic`. */
async function waitForFullIsr(cluster: Cluster, topic: string, partitions: number, timeoutMs: number): Promise<void> {
  await pollUntil(`a full ISR on every partition of ${topic}`, timeoutMs, async () => {
    const records = await etcdPartitions(cluster, topic);
    return records.length === partitions && records.every((p) => p.isr.length === 3);
  });
}

async function produceValues(cluster: Cluster, topic: string, count: number): Promise<void> {
  const producer = new Kafka({ brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } }).producer();
  await producer.connect();
  try {
    for (let from = 0; from < count; from += 500) {
      const messages = Array.from({ length: Math.min(500, count - from) }, (_, i) => ({ key: `k${from + i}`, value: `v-${from + i}` }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The coordinator every running broker names for `group` (polls until they agree, none errs, and `accept` holds; `before` runs first in each poll). */
async function agreedCoordinator(cluster: Cluster, group: string, timeoutMs: number, accept: (nodeId: number) => boolean = () => true, before?: () => Promise<void>): Promise<number> {
  let nodeId = -1;
  let seen = '';
  await pollUntil(`every running broker names one coordinator for ${group}`, timeoutMs, async () => {
    await before?.();
    const answers = await Promise.all(cluster.brokers.filter((b) => b.running).map((b) => findCoordinator(b.port, group)));
    seen = JSON.stringify(answers);
    nodeId = answers[0]!.nodeId;
    return answers.every((a) => a.errorCode === 0 && a.nodeId === nodeId && a.nodeId >= 0) && accept(nodeId);
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last answers ${seen}`);
  });
  return nodeId;
}

/** A group member under test: reads and successful commits on one timeline (replication-check.ts). */
interface GroupMember {
  /** Records read so far. */
  reads(): number;
  /** At least one commit succeeded. */
  committed(): boolean;
  /** Waits until the member read every record and committed after its last read (or its deadline). */
  finished(timeoutMs: number): Promise<GroupCommitterReport>;
  /** Ends the member (safe twice, in finally). */
  stop(): Promise<void>;
}

function librdkafkaMember(cluster: Cluster, topic: string, group: string): GroupMember {
  const peer = new PythonPeer(PY_GROUP_COMMITTER, [cluster.bootstrap(), topic, group, String(RECORDS), String(BATCH), String(PERIOD_S), String(MEMBER_TIMEOUT_S)], (MEMBER_TIMEOUT_S + 30) * 1000);
  const progress = (): GroupCommitterProgress | undefined => {
    if (!peer.running && peer.latest('report') === undefined) throw new Error(`the member exited:\n${peer.stderr().slice(-4000)}`);
    return peer.latest<GroupCommitterProgress>('progress');
  };
  return {
    reads: () => progress()?.reads ?? 0,
    committed: () => (progress()?.lastCommit ?? null) !== null,
    finished: async (timeoutMs) => (await peer.report(timeoutMs)) as GroupCommitterReport,
    stop: () => peer.kill(),
  };
}

/**
 * The same member in KafkaJS (in this process): eachMessage, throttled like the librdkafka
 * one, with KafkaJS's own commits (autoCommit every BATCH resolved records and after each
 * batch), so a commit only ever carries offsets of the current generation. A commit counts
 * once the broker accepted it: KafkaJS emits COMMIT_OFFSETS only after an OffsetCommit
 * answered without error. Short retries: KafkaJS keeps the dead coordinator for commits
 * until its runner restarts and rejoins, which its retry budget delays.
 */
async function kafkajsMember(cluster: Cluster, topic: string, group: string): Promise<GroupMember> {
  const retry = { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 };
  const kafka = new Kafka({ brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100, retry });
  const reads: Array<[number, number, string]> = [];
  const commits: GroupCommit[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  /** Next offset per partition read and not yet covered by a successful commit. */
  const pending = new Map<number, number>();
  const perRecordMs = (PERIOD_S * 1000) / BATCH;
  // KafkaJS hands the partitions of this event over as strings at run time.
  consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
    const offsets = payload.topics.flatMap((t) => (t.topic === topic ? t.partitions.map((p): [number, number] => [Number(p.partition), Number(String(p.offset))]) : []));
    commits.push([reads.length, offsets, Date.now()]);
    for (const [p, o] of offsets) if ((pending.get(p) ?? Number.POSITIVE_INFINITY) <= o) pending.delete(p);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (errors.length < 200) errors.push(`crash: ${payload.error.message} (restart: ${payload.restart})`);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitThreshold: BATCH,
    eachMessage: async ({ partition, message }) => {
      const value = message.value!.toString();
      reads.push([partition, Number(message.offset), value]);
      seen.add(value);
      pending.set(partition, Number(message.offset) + 1);
      await sleep(perRecordMs);
    },
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await consumer.disconnect();
  };
  return {
    reads: () => reads.length,
    committed: () => commits.length > 0,
    finished: async (timeoutMs) => {
      await pollUntil('the KafkaJS member read every record and committed', timeoutMs, () => seen.size >= RECORDS && pending.size === 0).catch(() => undefined);
      await stop();
      return { t: 'report', reads, commits, errors, distinct: seen.size };
    },
    stop,
  };
}

/**
 * The `__consumer_offsets` partition of `group`, as Kafka computes it (abs of Java's
 * String.hashCode, mod the partition count): written out here as the test's own oracle.
 */
function offsetsPartitionOf(group: string): number {
  let h = 0;
  for (let i = 0; i < group.length; i++) h = (Math.imul(h, 31) + group.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % OFFSETS_PARTITIONS;
}

/** The leader etcd names for `group`'s `__consumer_offsets` partition. */
async function offsetsLeaderOf(cluster: Cluster, group: string): Promise<number> {
  const partition = offsetsPartitionOf(group);
  const record = (await etcdPartitions(cluster, CONSUMER_OFFSETS)).find((p) => p.partition === partition);
  return record?.leader ?? -1;
}

describe('consumer groups keep consuming and keep their commits when their coordinator is SIGKILLed (RF 3)', () => {
  let cluster: Cluster;
  const logs = new BrokerLogs('replication-groups');

  beforeAll(async () => {
    cluster = await startCluster({
      brokers: ['node', 'node', 'node'],
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      logLevel: 'info',
      // offsets.topic.replication.factor: the default, 3 (min with the live brokers).
      overrides: [`offsets.topic.num.partitions=${OFFSETS_PARTITIONS}`],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** The scenario of the file comment with the member `start` makes; prints the figures. */
  async function coordinatorFailover(client: string, topic: string, group: string, start: () => Promise<GroupMember>): Promise<void> {
    /** The member's reads and commits and the kill, written beside the broker logs on a failure. */
    let timeline: object | null = null;
    try {
      // A previous test may have left a broker down.
      for (const b of cluster.brokers.filter((x) => !x.running)) await b.restart();
      await createReplicatedTopic(cluster, topic);
      await waitForSameLeaders(cluster, topic, PARTITIONS);
      await waitForFullIsr(cluster, topic, PARTITIONS, 30_000);
      await produceValues(cluster, topic, RECORDS);
      // The first lookup creates __consumer_offsets; the kill must find its ISR full.
      await agreedCoordinator(cluster, group, 30_000);
      await waitForFullIsr(cluster, CONSUMER_OFFSETS, OFFSETS_PARTITIONS, 30_000);

      const member = await start();
      let report: GroupCommitterReport;
      let moveMs = -1;
      let victimId = -1;
      let killedAtMs = 0;
      let readsAtKill = 0;
      try {
        await pollUntil(`the member read ${READS_BEFORE_KILL} records and committed`, 60_000, () => member.reads() >= READS_BEFORE_KILL && member.committed());
        victimId = await agreedCoordinator(cluster, group, 30_000);
        expect(victimId).toBe(await offsetsLeaderOf(cluster, group));
        const victim = cluster.broker(victimId);
        const killedAt = performance.now();
        killedAtMs = Date.now();
        readsAtKill = member.reads();
        await victim.kill();
        logs.keep(victim, `SIGKILL, coordinator of ${group}`);
        // The coordinator moves with the leadership of the group's __consumer_offsets partition.
        let leaderNow = -1;
        await agreedCoordinator(cluster, group, 30_000, (id) => id !== victimId && id === leaderNow, async () => {
          leaderNow = await offsetsLeaderOf(cluster, group);
        });
        moveMs = performance.now() - killedAt;
        report = await member.finished((MEMBER_TIMEOUT_S + 10) * 1000);
      } finally {
        await member.stop();
      }

      timeline = { killedAtMs, readsAtKill, victimId, ...report };
      const expected = Array.from({ length: RECORDS }, (_, i) => `v-${i}`);
      const verdict = checkGroupCommits(report.reads, report.commits, expected);
      const fetched = await withAdmin(cluster, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] }));
      const committedNow = new Map(fetched[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
      const ends = new Map((await withAdmin(cluster, (admin) => admin.fetchTopicOffsets(topic))).map((e) => [e.partition, Number(e.high)]));
      console.log(
        JSON.stringify({
          test: `replication-groups ${client}`,
          coordinatorKilled: victimId,
          coordinatorMoveMs: Math.round(moveMs),
          reads: report.reads.length,
          duplicates: verdict.duplicates,
          commits: report.commits.length,
          readsAtKill,
          // The commits the member saw succeed shortly before and after the kill, with ms relative to it.
          commitsAroundKill: report.commits.filter((c) => Math.abs(c[2] - killedAtMs) < 2000).map((c) => [c[0], c[1], c[2] - killedAtMs]),
          commitErrors: report.errors.length,
          firstErrors: report.errors.slice(0, 3),
          committedMax: [...verdict.committedMax],
          committedNow: [...committedNow],
          ends: [...ends],
        }),
      );
      expect(verdict.problems).toEqual([]);
      expect(report.distinct).toBe(RECORDS);
      for (let p = 0; p < PARTITIONS; p++) {
        expect(committedNow.get(p)).toBeGreaterThanOrEqual(verdict.committedMax.get(p) ?? Number.POSITIVE_INFINITY);
        expect(committedNow.get(p)).toBe(ends.get(p));
      }
    } catch (error) {
      if (timeline !== null) logs.attach(`member-${client}.json`, JSON.stringify(timeline));
      const dir = logs.write(cluster);
      if (error instanceof Error) error.message += `\n(broker logs: ${dir})`;
      throw error;
    }
  }

  it('librdkafka (python3-confluent-kafka): a new coordinator, every record read, no committed record read again, offsets kept', { timeout: 180_000 }, async () => {
    await coordinatorFailover('librdkafka', 'grp-librdkafka', 'librdkafka-failover', async () => librdkafkaMember(cluster, 'grp-librdkafka', 'librdkafka-failover'));
  });

  it('KafkaJS: a new coordinator, every record read, no committed record read again, offsets kept', { timeout: 180_000 }, async () => {
    await coordinatorFailover('kafkajs', 'grp-kafkajs', 'kafkajs-failover', () => kafkajsMember(cluster, 'grp-kafkajs', 'kafkajs-failover'));
  });
});
