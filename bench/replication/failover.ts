/**
 * The replication bench's failover figure (issue 14, "Figures" 3). Imported by replication.ts,
 * which owns the cluster.
 *
 * One steady librdkafka producer (acks=all) to partition 0 of an RF 3 topic with
 * `min.insync.replicas=2` runs through all the kills. Per kill: wait until every running
 * broker sees the partition with a leader and a full ISR and the producer has a delivery
 * after that, SIGKILL the leader's process group (wall clock taken just before the signal),
 * wait for its exit, then for the first successful delivery report served after a surviving
 * broker's own Metadata (polled every METADATA_POLL_MS) first names a new leader. A report
 * served before that may be an acknowledgement the dead leader sent before it died (a loaded
 * machine serves reports late: one came 47 ms after a kill, 2.4 s before any new leader);
 * one served after it would have had to wait in the client for the whole lease expiry. The
 * figure may read up to one poll late. Figure: kill → that report; alongside, kill → every
 * survivor names a new leader, and kill → the acknowledgement of one acks=all record from a
 * fresh producer started at that moment (no retry back-off carried over), splitting the
 * cluster's part from the steady client's. The victim is
 * restarted and must rejoin the ISR before the next kill. Kills
 * where the victim also held the controller are counted. The reference is the session timeout
 * (`broker.session.timeout.ms`, the TTL of the brokers' etcd leases): a dead leader is only
 * noticed when its lease expires, so the figure is that plus the election, the metadata
 * reaching the client, and librdkafka's retry backoff.
 *
 * Bounds: every wait has a deadline (waitTimeoutMs); KILLS is finite; the producer is stopped
 * in a finally.
 */
import type { Cluster } from '@samsa/bench';
import { sleep } from '@samsa/bench';
import { percentile } from '../cluster/visible-everywhere.ts';
import { median } from './load.ts';
import { burst, startSteady } from './producer.ts';
import type { SteadyProducer } from './producer.ts';
import { leaderOf, waitFullyReplicated } from './targets.ts';

const POLL_MS = 5;
/** Survivors' Metadata after a kill; a success is only counted after the first names a new leader, so the figure may read up to this (plus a request) late. */
const METADATA_POLL_MS = 20;

export interface FailoverOptions {
  readonly binary: string;
  readonly topic: string;
  readonly kills: number;
  readonly rate: number;
  readonly recordBytes: number;
  readonly replicationFactor: number;
  /** librdkafka properties of the steady producer (acks=all is set here). */
  readonly props: Readonly<Record<string, string>>;
  readonly waitTimeoutMs: number;
}

/** Wall-clock ms with sub-ms precision, comparable with the producer's CLOCK_REALTIME. */
function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

async function untilDelivered(producer: SteadyProducer, afterMs: number, timeoutMs: number, what: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const d = producer.firstOkAfter(afterMs);
    if (d !== null) return d.atMs;
    if (producer.exited) throw new Error(`the steady producer exited while waiting for ${what}:\n${producer.stderr()}`);
    if (performance.now() > deadline) throw new Error(`no successful acks=all delivery ${what} within ${timeoutMs} ms:\n${producer.stderr()}`);
    await sleep(POLL_MS);
  }
}

/** Polls the survivors' own Metadata until all name a leader other than `victim`; when the first and the last did (wall ms). */
async function newLeaderSeen(ports: readonly number[], topic: string, victim: number, timeoutMs: number): Promise<{ firstMs: number; allMs: number }> {
  const pending = new Set(ports);
  let firstMs = Number.NaN;
  const deadline = performance.now() + timeoutMs;
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async (port) => {
        const leader = await leaderOf(port, topic, 0).catch(() => -1);
        if (leader < 0 || leader === victim) return;
        pending.delete(port);
        if (Number.isNaN(firstMs)) firstMs = wallMs();
      }),
    );
    if (pending.size === 0) break;
    if (performance.now() > deadline) throw new Error(`no new leader of ${topic}/0 on brokers at ports ${[...pending].join(', ')} within ${timeoutMs} ms`);
    await sleep(METADATA_POLL_MS);
  }
  return { firstMs, allMs: wallMs() };
}

interface Kill {
  readonly ms: number;
  /** Kill → every survivor's own Metadata names a new leader (polled alongside). */
  readonly visibleMs: number;
  /** Kill → a fresh producer started at `visibleMs` had its one acks=all record acknowledged. */
  readonly freshMs: number;
  readonly victim: number;
  readonly wasController: boolean;
  readonly errors: Map<string, number>;
}

async function killOnce(cluster: Cluster, producer: SteadyProducer, o: FailoverOptions, n: number): Promise<Kill> {
  await waitFullyReplicated(cluster, o.topic, 1, o.replicationFactor, o.waitTimeoutMs);
  await untilDelivered(producer, wallMs(), o.waitTimeoutMs, `before kill ${n}`);
  const anyPort = cluster.brokers.find((b) => b.running)!.port;
  const victim = cluster.broker(await leaderOf(anyPort, o.topic, 0));
  const wasController = (await cluster.controller())?.brokerId === victim.nodeId;
  const survivors = cluster.brokers.filter((b) => b !== victim).map((b) => b.port);
  const killedAtMs = wallMs();
  await victim.kill();
  const exitedAtMs = wallMs();
  const { firstMs, allMs } = await newLeaderSeen(survivors, o.topic, victim.nodeId, o.waitTimeoutMs);
  // Successes count from when a survivor names a new leader (see the file comment). A fresh producer (no back-off state) from the moment every survivor names the new
  // leader: when it is acknowledged long before the steady one, the wait is the client's.
  const fresh = burst(o.binary, cluster.brokers.filter((b) => b !== victim).map((b) => b.bootstrap).join(','), o.topic, 1, 0, 1, o.recordBytes, { ...o.props, acks: 'all' }, o.waitTimeoutMs).then(() => wallMs());
  const firstOkMs = await untilDelivered(producer, Math.max(exitedAtMs, firstMs), o.waitTimeoutMs, `after kill ${n} (broker ${victim.nodeId})`);
  const visibleMs = allMs - killedAtMs;
  const freshMs = (await fresh) - killedAtMs;
  await victim.restart();
  return { ms: firstOkMs - killedAtMs, visibleMs, freshMs, victim: victim.nodeId, wasController, errors: producer.errorsBetween(killedAtMs, firstOkMs) };
}

export async function measureFailover(cluster: Cluster, o: FailoverOptions): Promise<void> {
  const props = { ...o.props, acks: 'all' };
  const settings = Object.entries(props).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`failover: ${o.kills} SIGKILLs of the leader of ${o.topic}/0 (RF ${o.replicationFactor}, min.insync.replicas=2) under a steady producer, ${o.rate} × ${o.recordBytes} B records/s; librdkafka ${settings}`);
  const maxSeconds = (o.kills * (4 * o.waitTimeoutMs)) / 1000;
  const producer = startSteady(o.binary, cluster.bootstrap(), o.topic, 0, o.rate, maxSeconds, o.recordBytes, props);
  const times: number[] = [];
  const visibleTimes: number[] = [];
  const freshTimes: number[] = [];
  let controllerKills = 0;
  try {
    for (let n = 1; n <= o.kills; n++) {
      const k = await killOnce(cluster, producer, o, n);
      times.push(k.ms);
      visibleTimes.push(k.visibleMs);
      freshTimes.push(k.freshMs);
      if (k.wasController) controllerKills += 1;
      const errors = [...k.errors].map(([name, count]) => `${count} × ${name}`).join(', ');
      console.log(`  kill ${String(n).padStart(2)}: broker ${k.victim}${k.wasController ? ' (also the controller)' : ''}, kill → first acks=all success ${k.ms.toFixed(0).padStart(6)} ms (new leader visible on the survivors at ${k.visibleMs.toFixed(0)} ms, a fresh producer's acks=all record acknowledged at ${k.freshMs.toFixed(0)} ms)${errors ? `; failed reports meanwhile: ${errors}` : ''}`);
    }
  } finally {
    await producer.stop();
  }
  console.log(`failover, kill → first successful acks=all produce to the partition: median ${median(times).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms over ${times.length} kills`);
  console.log(`of which kill → new leader visible on every survivor: median ${median(visibleTimes).toFixed(0)} ms, max ${Math.max(...visibleTimes).toFixed(0)} ms; kill → a fresh producer's record (started then) acknowledged: median ${median(freshTimes).toFixed(0)} ms, max ${Math.max(...freshTimes).toFixed(0)} ms`);
  console.log(`reference: broker.session.timeout.ms (the lease TTL, which bounds detection) ${cluster.sessionTimeoutMs} ms: median ${(median(times) / cluster.sessionTimeoutMs).toFixed(2)}×, max ${(Math.max(...times) / cluster.sessionTimeoutMs).toFixed(2)}×; ${controllerKills} of ${times.length} kills also took the controller`);
}
