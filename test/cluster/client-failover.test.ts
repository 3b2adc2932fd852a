/**
 * @samsa/client's producer through leader failovers (issue 17, deliverable 6): three Node
 * brokers on one etcd, a topic with replication factor 3, `min.insync.replicas=2` and 3
 * partitions; one Producer with its defaults where they matter (idempotent, acks all,
 * maxInFlightPerPartition 5) plus a linger, so batches pipeline.
 *
 * The producer sends a bounded stream of keyed records, one `send()` per record, paced:
 * the key `key-<i mod KEYS>` puts record i in murmur2(key) mod 3 (the client's default
 * partitioner, checked against each RecordMetadata), and its value is "p<partition>-<n>", n
 * counting per partition in send() order. While sends to it wait or are in flight, the
 * leader of partition 0 is SIGKILLed, with one follower frozen (SIGSTOP) for FREEZE_MS just
 * before and thawed right after: acks=all answers wait for the whole ISR, so the dying
 * leader holds batches the other follower (the next leader) already has, unanswered, and
 * the producer must retry them without writing them twice. Once every partition has
 * another leader and acks resumed on every partition, the victim is restarted and must be
 * back in every ISR; then the leader of partition 1 goes the same way (and is restarted).
 * Every send() must resolve — not reject — within deliveryTimeoutMs (+ a little for the
 * event loop).
 *
 * The check has teeth: the same run with `idempotent: false` (retries on) reads about 30
 * records twice per kill (the held batches, retried), and a pair of values swapped at
 * send time reads as reordered; without the freeze, no duplicate showed up in 3 such runs.
 *
 * A final read by python3-confluent-kafka (librdkafka, a client nobody here wrote) of
 * every partition from offset 0 to the high watermark must hold every acknowledged record
 * exactly once at the offset send() returned, no record twice (idempotence across the
 * failover), per partition (hence per key) in send order, with no hole and nothing never
 * sent (replication-check.ts's checkAckedLog lists the rules). Since every send resolves,
 * every record sent must be read.
 *
 * Every wait is bounded; cluster.stop() in afterAll, the reader and the producer in
 * finally. On failure the brokers' logs (every run, across kills) are written to a
 * directory named in the error. Figures are printed as one JSON line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { murmur2Partition, Producer } from '../../packages/client/src/index.ts';
import type { RecordMetadata } from '../../packages/client/src/index.ts';
import { nodeRuntime } from '../../packages/runtime/src/node/index.ts';
import { BrokerLogs } from './broker-logs.ts';
import { etcdPartitions, pollUntil, startCluster, waitForSameLeaders, withAdmin } from './cluster-process.ts';
import type { Cluster, ClusterBroker } from './cluster-process.ts';
import { PythonPeer } from './python-peer.ts';
import { checkAckedLog } from './replication-check.ts';
import { PY_READ_ALL } from './replication-scripts.ts';
import type { ReadAllReport } from './replication-scripts.ts';

const SESSION_TIMEOUT_MS = 3000;
const PARTITIONS = 3;
const KEYS = 30;
/** Partitions whose leader is SIGKILLed, one after the other (each restarted before the next). */
const KILL_LEADER_OF = [0, 1] as const;
/** Pacing: CHUNK sends every TICK_MS (500 records a second), at most RECORDS_MAX in all. */
const TICK_MS = 20;
const CHUNK = 10;
/** Not below TICK_MS: some records always wait in a batch or are in flight, so every kill hits some. */
const LINGER_MS = 20;
const RECORDS_MAX = 10_000;
/** Acks wanted on every partition before the first kill, and after the last restart before the stream stops. */
const ACKS_BEFORE_KILL = 100;
const ACKS_TAIL = 100;
const DELIVERY_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Event-loop slack on a loaded 2-core machine, on top of deliveryTimeoutMs. */
const SEND_SLACK_MS = 2_000;
const NEW_LEADER_TIMEOUT_MS = 20_000;
const ACKS_RESUME_TIMEOUT_MS = 25_000;
const ISR_REJOIN_TIMEOUT_MS = 30_000;
/** A send that took longer than this waited for a failover (a steady send takes tens of ms). */
const HELD_UP_MS = 1_000;
/**
 * Before each SIGKILL one follower of the victim's partition is frozen (SIGSTOP) this long,
 * then thawed right after the kill: acks=all answers wait for the whole ISR, so the leader
 * holds appended batches (already fetched by the other follower) without answering, and the
 * producer must retry them against the new leader — the case idempotence is for. Well under
 * the session timeout and replica.lag.time.max.ms, so the frozen broker stays registered and in the ISR.
 */
const FREEZE_MS = 400;
/** How long to wait, before a kill, for a send to the victim's partition to be open. */
const OPEN_WAIT_MS = 2_000;

const encoder = new TextEncoder();
const keyBytes = Array.from({ length: KEYS }, (_, k) => encoder.encode(`key-${k}`));
const partitionOfKey = keyBytes.map((key) => murmur2Partition(key, PARTITIONS));

interface Sent {
  readonly partition: number;
  readonly n: number;
  readonly startedMs: number;
  endedMs: number | null;
  meta: RecordMetadata | null;
  error: unknown;
}

async function createReplicatedTopic(cluster: Cluster, topic: string, numPartitions: number): Promise<void> {
  const created = await withAdmin(cluster, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: false }),
  );
  if (!created) throw new Error(`topic ${topic} already existed`);
}

/** Polls until etcd names `isrSize` ISR members (and every broker of `must`) for every partition of `topic`. */
async function waitForIsr(cluster: Cluster, topic: string, isrSize: number, timeoutMs: number, must: readonly number[] = []): Promise<void> {
  let seen = '';
  await pollUntil(`an ISR of ${isrSize} (with ${must.join(',') || 'anyone'}) on every partition of ${topic}`, timeoutMs, async () => {
    const partitions = await etcdPartitions(cluster, topic);
    seen = JSON.stringify(partitions.map((p) => ({ p: p.partition, leader: p.leader, isr: p.isr })));
    return partitions.length > 0 && partitions.every((p) => p.isr.length === isrSize && must.every((b) => p.isr.includes(b)));
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; etcd holds ${seen}`);
  });
}

/** Runs `body`; on failure writes the brokers' logs and names the directory in the error. */
async function keepingLogs(cluster: Cluster, logs: BrokerLogs, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const dir = logs.write(cluster);
    if (error instanceof Error) error.message += `\n(broker logs: ${dir})`;
    throw error;
  }
}

function signalGroup(broker: ClusterBroker, signal: NodeJS.Signals): void {
  if (broker.pid === null) return;
  try {
    process.kill(-broker.pid, signal);
  } catch {
    // The group is gone already.
  }
}

const message = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * The paced stream: one send() per record, never awaited in the loop; `stop()` ends it and
 * resolves once every send settled (bounded by deliveryTimeoutMs + slack, else it rejects
 * naming the sends still open).
 */
class PacedStream {
  readonly sent: Sent[] = [];
  readonly #perPartition = new Array<number>(PARTITIONS).fill(0);
  readonly #acked = new Array<number>(PARTITIONS).fill(0);
  readonly #openPer = new Array<number>(PARTITIONS).fill(0);
  readonly #settled: Promise<void>[] = [];
  readonly #producer: Producer;
  readonly #topic: string;
  #timer: NodeJS.Timeout | null = null;
  #stopped: Promise<void> | null = null;
  #open = 0;

  constructor(producer: Producer, topic: string) {
    this.#producer = producer;
    this.#topic = topic;
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Acknowledged records per partition so far. */
  acked(): number[] {
    return [...this.#acked];
  }

  /** Sends not settled yet. */
  get open(): number {
    return this.#open;
  }

  /** Sends to `partition` not settled yet (waiting in a batch or in flight). */
  openOn(partition: number): number {
    return this.#openPer[partition]!;
  }

  get failed(): number {
    return this.sent.filter((s) => s.error !== null).length;
  }

  /** Stops sending; resolves once every send settled (the same promise when called again). */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.#open} send() calls still unsettled ${DELIVERY_TIMEOUT_MS + SEND_SLACK_MS} ms after the stream stopped`)), DELIVERY_TIMEOUT_MS + SEND_SLACK_MS);
    });
    try {
      await Promise.race([Promise.all(this.#settled), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  #tick(): void {
    for (let c = 0; c < CHUNK && this.sent.length < RECORDS_MAX; c++) {
      const i = this.sent.length;
      const k = i % KEYS;
      const partition = partitionOfKey[k]!;
      const n = this.#perPartition[partition]!++;
      const record: Sent = { partition, n, startedMs: performance.now(), endedMs: null, meta: null, error: null };
      this.sent.push(record);
      this.#open++;
      this.#openPer[partition]!++;
      const p = this.#producer.send({ topic: this.#topic, messages: [{ key: keyBytes[k]!, value: encoder.encode(`p${partition}-${n}`) }] });
      this.#settled.push(
        p.then(
          ([meta]) => {
            record.meta = meta ?? null;
            if (meta !== undefined && meta.partition === partition) this.#acked[partition]!++;
          },
          (error: unknown) => {
            record.error = error;
          },
        ).finally(() => {
          record.endedMs = performance.now();
          this.#open--;
          this.#openPer[partition]!--;
        }),
      );
    }
  }
}

describe('@samsa/client idempotent producer through leader failovers: RF 3, min.insync.replicas=2', () => {
  let cluster: Cluster;
  const logs = new BrokerLogs('client-failover');

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_TIMEOUT_MS, logLevel: 'info' });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('SIGKILL the leader of a partition twice under a paced idempotent acks=all stream: every send resolves, every record is read once, in order, at its offset', { timeout: 240_000 }, async () => {
    expect(new Set(partitionOfKey).size, 'the keys cover every partition').toBe(PARTITIONS);
    await keepingLogs(cluster, logs, async () => {
      const topic = 'client-failover';
      await createReplicatedTopic(cluster, topic, PARTITIONS);
      await waitForSameLeaders(cluster, topic, PARTITIONS);
      await waitForIsr(cluster, topic, 3, ISR_REJOIN_TIMEOUT_MS);

      const producer = new Producer({
        ...nodeRuntime(),
        bootstrap: cluster.bootstrap().split(','),
        clientId: 'client-failover',
        lingerMs: LINGER_MS,
        maxInFlightPerPartition: 5,
        deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        retryBackoffMs: 50,
        retryBackoffMaxMs: 500,
      });
      expect(producer.options.idempotent).toBe(true);
      expect(producer.options.acks).toBe(-1);
      const failoverMs: number[] = [];
      const rejoinMs: number[] = [];
      const killedAtMs: number[] = [];
      const openAtKill: number[] = [];
      const frozen: number[] = [];
      const newLeaders: number[] = [];
      const victims: number[] = [];
      const stepProblems: string[] = [];
      let stream: PacedStream | null = null;
      let streamMs = 0;
      try {
        const started = performance.now();
        stream = new PacedStream(producer, topic);
        const s = stream;
        await pollUntil(`${ACKS_BEFORE_KILL} acks on every partition before the first kill`, 30_000, () => {
          if (s.failed > 0) throw new Error(`a send failed before any kill: ${message(s.sent.find((x) => x.error !== null)?.error)}`);
          return s.acked().every((n) => n >= ACKS_BEFORE_KILL);
        }).catch((error: unknown) => {
          throw new Error(`${message(error)} (acked ${JSON.stringify(s.acked())} of ${s.sent.length} sent, ${s.open} sends open)`);
        });
        for (const [k, partition] of KILL_LEADER_OF.entries()) {
          const problem = await killLeaderOnce(cluster, logs, topic, partition, k, s, { failoverMs, rejoinMs, killedAtMs, openAtKill, victims, frozen, newLeaders });
          if (problem !== null) {
            stepProblems.push(problem);
            break;
          }
        }
        // Whatever happened above, every broker runs again, and a tail is acknowledged after the last restart.
        for (const b of cluster.brokers.filter((x) => !x.running)) await b.restart();
        const base = s.acked();
        await pollUntil(`${ACKS_TAIL} more acks on every partition after the last restart`, ACKS_RESUME_TIMEOUT_MS, () => s.sent.length >= RECORDS_MAX || s.acked().every((n, p) => n >= base[p]! + ACKS_TAIL)).catch(
          (error: unknown) => stepProblems.push(message(error)),
        );
        await s.stop();
        streamMs = performance.now() - started;
      } finally {
        if (stream !== null) await stream.stop().catch(() => {});
        await Promise.race([producer.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      }

      // What send() returned, by partition: [offset, n] in send order.
      const sent = stream.sent;
      const acked: Array<Array<[number | null, number]>> = Array.from({ length: PARTITIONS }, () => []);
      const sentPerPartition = new Array<number>(PARTITIONS).fill(0);
      const sendProblems: string[] = [];
      let latencyMaxMs = 0;
      for (const r of sent) {
        sentPerPartition[r.partition]!++;
        const tookMs = (r.endedMs ?? Number.POSITIVE_INFINITY) - r.startedMs;
        latencyMaxMs = Math.max(latencyMaxMs, tookMs);
        if (r.error !== null) sendProblems.push(`send of p${r.partition}-${r.n} rejected after ${Math.round(tookMs)} ms: ${message(r.error)}`);
        else if (r.meta === null) sendProblems.push(`send of p${r.partition}-${r.n} resolved without metadata`);
        else if (r.meta.partition !== r.partition || r.meta.topic !== topic) sendProblems.push(`p${r.partition}-${r.n} acknowledged in ${r.meta.topic}-${r.meta.partition}`);
        else acked[r.partition]!.push([Number(r.meta.offset) >= 0 ? Number(r.meta.offset) : null, r.n]);
        if (tookMs > DELIVERY_TIMEOUT_MS + SEND_SLACK_MS) sendProblems.push(`send of p${r.partition}-${r.n} took ${Math.round(tookMs)} ms (deliveryTimeoutMs ${DELIVERY_TIMEOUT_MS})`);
      }
      // Acknowledged offsets of one partition grow with send order (idempotent ordering).
      for (const [p, list] of acked.entries()) {
        let last = -1;
        for (const [offset, n] of list) {
          if (offset === null) continue;
          if (offset <= last) sendProblems.push(`p${p}-${n} acknowledged at offset ${offset}, not after the previous send's ${last}`);
          last = offset;
        }
      }

      // Sends to the victim's partition started before its kill and settled after it: the ones the SIGKILL hit.
      const spanningKill = killedAtMs.map((at, k) => sent.filter((r) => r.partition === KILL_LEADER_OF[k] && r.startedMs < at && (r.endedMs ?? Number.POSITIVE_INFINITY) > at).length);
      // Sends the failovers held up (retried through NOT_LEADER_OR_FOLLOWER / a dead connection and a metadata refresh).
      const heldUp = sent.filter((r) => (r.endedMs ?? Number.POSITIVE_INFINITY) - r.startedMs > HELD_UP_MS).length;

      const minEnds = acked.map((a) => a.reduce((max, [offset]) => Math.max(max, (offset ?? -1) + 1), 0));
      const reader = new PythonPeer(PY_READ_ALL, [cluster.bootstrap(), topic, String(PARTITIONS), JSON.stringify(minEnds), '40'], 55_000);
      let read: ReadAllReport;
      try {
        read = (await reader.report(55_000)) as ReadAllReport;
      } finally {
        await reader.kill();
      }
      const verdict = checkAckedLog(acked, read.records, sentPerPartition);
      console.log(
        JSON.stringify({
          test: 'client-failover',
          counts: verdict.counts,
          victims,
          frozen,
          newLeaders,
          openAtKill,
          spanningKill,
          heldUp,
          failoverMs: failoverMs.map(Math.round),
          rejoinMs: rejoinMs.map(Math.round),
          streamMs: Math.round(streamMs),
          sendLatencyMaxMs: Math.round(latencyMaxMs),
          producer: producer.identity,
          readEnds: read.ends,
        }),
      );
      const problems = [
        ...stepProblems,
        ...sendProblems.slice(0, 40),
        ...(sendProblems.length > 40 ? [`… and ${sendProblems.length - 40} more send problems`] : []),
        ...(read.complete ? [] : [`the final read did not reach the high watermarks ${JSON.stringify(read.ends)} (errors: ${read.errors.slice(0, 5).join('; ')})`]),
        ...verdict.problems,
      ];
      expect(problems).toEqual([]);
      expect(failoverMs).toHaveLength(KILL_LEADER_OF.length);
      expect(spanningKill.length === KILL_LEADER_OF.length && spanningKill.every((n) => n > 0), 'sends to the victim\'s partition were open (in a batch or in flight) at every kill').toBe(true);
      expect(heldUp, 'the failovers held sends up (they went through the retry path)').toBeGreaterThan(0);
      // Every send resolved, so every record sent was acknowledged and is read.
      expect(verdict.counts.acked).toBe(sent.length);
      expect(verdict.counts.read).toBe(sent.length);
      expect(verdict.counts.readNotAcked).toBe(0);
    });
  });
});

/**
 * One round: SIGKILL the leader of `partition` while the stream runs, wait for new leaders
 * and for acks to resume on every partition, restart the victim and wait until it is back
 * in every ISR. Returns a problem (and stops there) or null; pushes the figures.
 */
async function killLeaderOnce(
  cluster: Cluster,
  logs: BrokerLogs,
  topic: string,
  partition: number,
  k: number,
  stream: PacedStream,
  figures: { failoverMs: number[]; rejoinMs: number[]; killedAtMs: number[]; openAtKill: number[]; victims: number[]; frozen: number[]; newLeaders: number[] },
): Promise<string | null> {
  const leaders = await waitForSameLeaders(cluster, topic, PARTITIONS);
  const victim: ClusterBroker = cluster.broker(leaders[partition]!);
  const record = (await etcdPartitions(cluster, topic)).find((p) => p.partition === partition);
  const followers = (record?.replicas ?? []).filter((id) => id !== victim.nodeId);
  if (followers.length !== 2) return `${topic}-${partition}: expected 2 followers of broker ${victim.nodeId}, etcd holds ${JSON.stringify(record)}`;
  // Freeze the follower likely elected last, so the other one (likely the next leader) holds records whose answers were never sent.
  const frozen = cluster.broker(followers[1]!);
  figures.victims.push(victim.nodeId);
  // Kill while sends to the partition wait in a batch or are in flight (checked in the same turn as the SIGKILL).
  const waitUntil = performance.now() + OPEN_WAIT_MS;
  while (stream.openOn(partition) === 0 && performance.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 1));
  figures.frozen.push(frozen.nodeId);
  signalGroup(frozen, 'SIGSTOP');
  let killedAt: number;
  try {
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
    killedAt = performance.now();
    figures.killedAtMs.push(killedAt);
    figures.openAtKill.push(stream.openOn(partition));
    await victim.kill();
  } finally {
    signalGroup(frozen, 'SIGCONT');
  }
  logs.keep(victim, `SIGKILL #${k + 1}, leader of ${topic}-${partition}`);
  const round = `kill #${k + 1} (broker ${victim.nodeId}, leader of partition ${partition}, follower ${frozen.nodeId} frozen ${FREEZE_MS} ms before)`;
  try {
    await pollUntil(`${round}: every partition led by another broker`, NEW_LEADER_TIMEOUT_MS, async () => {
      const now = await waitForSameLeaders(cluster, topic, PARTITIONS, 5_000);
      if (now.some((l) => l === victim.nodeId)) return false;
      figures.newLeaders.push(now[partition]!);
      return true;
    });
  } catch (error) {
    return message(error);
  }
  const base = stream.acked();
  try {
    await pollUntil(`${round}: acks resume on every partition`, ACKS_RESUME_TIMEOUT_MS, () => {
      if (stream.failed > 0) throw new Error(`a send failed: ${message(stream.sent.find((x) => x.error !== null)?.error)}`);
      return stream.acked().every((n, p) => n > base[p]!);
    });
  } catch (error) {
    return `${message(error)} (acked before ${JSON.stringify(base)}, now ${JSON.stringify(stream.acked())}, ${stream.open} sends open)`;
  }
  figures.failoverMs.push(performance.now() - killedAt);
  await victim.restart();
  const restartedAt = performance.now();
  try {
    await waitForIsr(cluster, topic, 3, ISR_REJOIN_TIMEOUT_MS, [victim.nodeId]);
  } catch (error) {
    return `${round}: the restarted broker did not rejoin the ISR: ${message(error)}`;
  }
  figures.rejoinMs.push(performance.now() - restartedAt);
  return null;
}
