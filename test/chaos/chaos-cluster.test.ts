// The fault-injectable cluster (chaos-cluster.ts) with real processes: three Node brokers
// and a three-member etcd, every broker→etcd, follower→leader and etcd peer link through a
// FaultProxy.
// One cluster for the whole file (the its run in order, each leaving it healthy); topic `t`,
// 3 partitions, RF 3, min.insync.replicas=2; librdkafka (python3-confluent-kafka) writes
// with acks=all to partition 0 and every acknowledged (offset, value) is kept. Checked:
// - the proxies carried bytes both ways on all 9 etcd links and all 6 replica links;
// - isolate(leader of p0): another broker leads, acks=all goes on; heal: the old leader is
//   back in the ISR;
// - pause/resume of p0's leader: once another leads, the resumed zombie refuses an acks=all
//   produce sent straight to it (never NONE), and acks=all through the cluster works;
// - killEtcd(etcd leader): another member leads etcd, acks=all goes on; the member restarts;
// - cutFromEtcd(b): b's registration lapses, heal brings it back; restart(controller) gives
//   it a new registration; kill/start(b) comes back healthy;
// - partition({lone broker, one etcd member} | the rest): the lone member serves no write
//   (etcd's quorum is split through the peer routers), the lone broker's registration
//   lapses, the majority elects another leader and takes acks=all; heal: healthy, and the
//   lone member serves the majority's write;
// - killAll/startAll: every acknowledged record is read back at its offset;
// - stop(): no broker or etcd process group is left, the proxies are closed.
// The fault log records every fault in order. The pure helpers (crossingLinks, groups,
// seededRandom) are checked with planted bad inputs.
import { ErrorCode, ProduceRequestCodec, ProduceResponseCodec, decodeResponseFrame } from '../../packages/codec/src/index.ts';
import { batchOf, connect, encodeRequest, processGroupAlive, readFrame, run } from '@samsa/bench';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PythonPeer } from '../cluster/python-peer.ts';
import { PY_PRODUCE_ONCE, PY_READ_ALL } from '../cluster/replication-scripts.ts';
import { ALL_NODES, crossingLinks, seededRandom, startChaosCluster } from './chaos-cluster.ts';
import type { ChaosCluster, ChaosNode } from './chaos-cluster.ts';

const TOPIC = 't';
const PARTITIONS = 3;
const HEALTHY_TIMEOUT_MS = 90_000;

interface ProduceOnceReport {
  readonly delivered: [number, string][];
  readonly errors: unknown[];
  readonly unflushed: number;
}
interface ReadAllReport {
  readonly records: [number, string][][];
  readonly complete: boolean;
}

async function runScript<T>(script: string, args: readonly string[], timeoutMs: number): Promise<T> {
  const peer = new PythonPeer(script, args, timeoutMs);
  try {
    return (await peer.report(timeoutMs)) as T;
  } finally {
    await peer.kill();
  }
}

/** Every acknowledged [offset, value] of partition 0, in the order acknowledged. */
const acked: [number, string][] = [];

/** acks=all, retries on, to partition 0 through `bootstrap`; expects every record delivered. */
async function produceAll(bootstrap: string, prefix: string, count = 20): Promise<void> {
  const report = await runScript<ProduceOnceReport>(PY_PRODUCE_ONCE, [bootstrap, TOPIC, 'all', '10', prefix, String(count)], 60_000);
  expect({ prefix, errors: report.errors, unflushed: report.unflushed, delivered: report.delivered.length }).toEqual({ prefix, errors: [], unflushed: 0, delivered: count });
  acked.push(...report.delivered);
}

/** One Produce v7 acks=all straight to `port` (no client retries, no redirect); the partition's error code. */
async function produceDirect(port: number, value: string, timeoutMs: number): Promise<number> {
  const socket = await connect(port, 10_000);
  try {
    const body = { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batchOf([value]) }] }] };
    socket.write(encodeRequest(0, 7, 1, 'chaos-zombie-probe', ProduceRequestCodec, body));
    const frame = await readFrame(socket, timeoutMs + 30_000);
    const { body: response } = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.length), 0, 7, ProduceResponseCodec);
    return response.responses[0]!.partitionResponses[0]!.errorCode;
  } finally {
    socket.destroy();
  }
}

async function pollUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = ` (last error: ${String(error)})`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last}`);
}

describe('crossingLinks and seededRandom (no processes)', () => {
  const links = ALL_NODES.flatMap((from) => ALL_NODES.filter((to) => to !== from).map((to) => ({ from, to })));

  it('a partition blocks exactly the links between the groups, in both directions', () => {
    const crossing = crossingLinks(links, ['b1', 'e1'], ['b2', 'b3', 'e2']).map((l) => `${l.from}>${l.to}`).sort();
    const want = ['b1', 'e1'].flatMap((a) => ['b2', 'b3', 'e2'].flatMap((b) => [`${a}>${b}`, `${b}>${a}`])).sort();
    expect(crossing).toEqual(want);
    expect(crossingLinks(links, ['b1'], ['e3']).map((l) => `${l.from}>${l.to}`).sort()).toEqual(['b1>e3', 'e3>b1']);
  });

  it('refuses overlapping, empty or unknown groups', () => {
    expect(() => crossingLinks(links, ['b1', 'b2'], ['b2'])).toThrow(/both groups: b2/);
    expect(() => crossingLinks(links, [], ['b2'])).toThrow(/non-empty/);
    expect(() => crossingLinks(links, ['b4' as ChaosNode], ['b2'])).toThrow(/unknown node 'b4'/);
  });

  it('the jitter source repeats for a seed and differs between seeds', () => {
    const take = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    expect(take(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('the chaos cluster: three Node brokers, three etcd members, 27 proxied links', () => {
  let chaos: ChaosCluster | undefined;
  let zombieErrorCode = -1;
  const c = (): ChaosCluster => chaos!;

  beforeAll(async () => {
    // SAMSA_CHAOS_LOG_LEVEL=info keeps the brokers' ISR proposals and elections for a failure message.
    chaos = await startChaosCluster({ brokers: ['node', 'node', 'node'], overrides: ['replica.lag.time.max.ms=5000'], seed: 42, logLevel: process.env['SAMSA_CHAOS_LOG_LEVEL'] ?? 'warn' });
  }, 180_000);

  afterAll(async () => {
    await chaos?.stop();
  }, 120_000);

  it('comes up with every broker→etcd and replica link carrying bytes through its proxy; acks=all works', async () => {
    const { stdout } = await run('/usr/bin/python3', ['-c', CREATE_TOPIC, c().bootstrap(), TOPIC, String(PARTITIONS)], { timeoutMs: 60_000 });
    expect(stdout.toString()).toContain('created');
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    await produceAll(c().bootstrap(), 'up');
    expect(c().links).toHaveLength(27);
    // A broker's etcd client talks to one member at a time: each broker's traffic went through
    // its own etcd proxies. Every follower fetches from each partition's leader through the
    // proxy follower→leader.
    const leaders = await Promise.all([0, 1, 2].map(async (p) => (await c().leaderOf(TOPIC, p))!));
    expect(leaders.every((l) => l >= 1)).toBe(true);
    const carried = (from: string, to: string): boolean => {
      const s = c().link(from as ChaosNode, to as ChaosNode).proxy.stats();
      return s.bytesUp > 0 && s.bytesDown > 0;
    };
    const want = (): string[] => [
      ...['b1', 'b2', 'b3'].filter((b) => !['e1', 'e2', 'e3'].some((e) => carried(b, e))).map((b) => `${b}->etcd`),
      ...leaders.flatMap((l) => [1, 2, 3].filter((f) => f !== l && !carried(`b${f}`, `b${l}`)).map((f) => `b${f}->b${l}`)),
      // Every etcd member dials every other for its raft streams.
      ...['e1', 'e2', 'e3'].flatMap((a) => ['e1', 'e2', 'e3'].filter((b) => b !== a && !carried(a, b)).map((b) => `${a}->${b}`)),
    ];
    await pollUntil('the proxies carried bytes both ways', 30_000, async () => want().length === 0).catch((error: unknown) => {
      throw new Error(`${String(error)}; silent: ${want().join(' ')}; stats: ${JSON.stringify(c().links.map((l) => [`${l.from}->${l.to}`, l.proxy.stats().bytesUp, l.proxy.stats().bytesDown]))}`);
    });
    expect(c().links.filter((l) => l.kind === 'etcd')).toHaveLength(9);
    expect(c().links.filter((l) => l.kind === 'peer')).toHaveLength(6);
  });

  it('isolate(leader): another broker leads, acks=all goes on; heal: the old leader rejoins the ISR', async () => {
    const old = (await c().leaderOf(TOPIC, 0))!;
    await c().isolate(`b${old}` as ChaosNode);
    try {
      // Its 3 etcd links; its 2 fetch and 2 controller links to the others, and theirs to it.
      expect(c().blocked()).toHaveLength(3 + 4 + 4);
      await pollUntil(`a leader other than ${old}`, 60_000, async () => ((await c().leaderOf(TOPIC, 0)) ?? -1) > 0 && (await c().leaderOf(TOPIC, 0)) !== old);
      const others = c().cluster.brokers.filter((b) => b.nodeId !== old).map((b) => b.bootstrap).join(',');
      await produceAll(others, 'isolated');
    } finally {
      // Healed even when a check failed, so the next tests start from a whole cluster.
      await c().heal();
    }
    expect(c().blocked()).toEqual([]);
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
  });

  it('pause/resume of the leader: the resumed zombie refuses acks=all; produce works through the cluster', async () => {
    const zombie = (await c().leaderOf(TOPIC, 0))!;
    await c().pause(zombie);
    try {
      await pollUntil(`a leader other than the paused ${zombie}`, 60_000, async () => ((await c().leaderOf(TOPIC, 0)) ?? -1) > 0 && (await c().leaderOf(TOPIC, 0)) !== zombie);
    } finally {
      await c().resume(zombie);
    }
    zombieErrorCode = await produceDirect(c().cluster.broker(zombie).port, 'zombie-write', 5000);
    expect(zombieErrorCode).not.toBe(ErrorCode.NONE);
    await produceAll(c().bootstrap(), 'after-zombie');
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
  });

  it('killEtcd(etcd leader): another member leads, the cluster keeps working; the member restarts', async () => {
    const leader = await c().etcdLeader();
    expect(leader).toBeGreaterThanOrEqual(1);
    await c().killEtcd(leader);
    await pollUntil('a new etcd leader', 30_000, async () => {
      const now = await c().etcdLeader();
      return now >= 1 && now !== leader;
    });
    await produceAll(c().bootstrap(), 'etcd-down');
    await c().startEtcd(leader);
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
  });

  it('cutFromEtcd(b): b loses its registration, heal brings it back; restart(controller) and kill/start(b) come back healthy', async () => {
    const cut = (await c().leaderOf(TOPIC, 1))!;
    await c().cutFromEtcd(cut);
    expect(c().blocked()).toEqual([`b${cut}->e1`, `b${cut}->e2`, `b${cut}->e3`]);
    await pollUntil(`broker ${cut} unregistered`, 60_000, async () => !(await c().cluster.registeredBrokerIds()).includes(cut));
    await c().heal();
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);

    const controller = await c().controller();
    expect(controller).not.toBeNull();
    const leaseBefore = await c().cluster.registrationLease(controller!);
    await c().restart(controller!);
    expect(await c().cluster.registrationLease(controller!)).not.toBe(leaseBefore);
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);

    const victim = (await c().leaderOf(TOPIC, 2))!;
    await c().kill(victim);
    expect(c().cluster.broker(victim).running).toBe(false);
    await c().start(victim);
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    await produceAll(c().bootstrap(), 'after-restarts');
  });

  it('majority/minority split: the minority etcd member serves no write, the lone broker loses its registration; heal: healthy again', async () => {
    const lone = (await c().leaderOf(TOPIC, 0))!;
    const loneEtcd = 1 + (lone % 3);
    const minority = [`b${lone}`, `e${loneEtcd}`] as ChaosNode[];
    const majority = ALL_NODES.filter((n) => !minority.includes(n));
    await c().partition(minority, majority);
    try {
      // For the lone broker: 2 etcd links, and 2 fetch and 2 controller links each way; for
      // its member: 2 peer links each way; and the two majority brokers' links to that member.
      expect(c().blocked()).toHaveLength(2 + 4 + 4 + 4 + 2);
      const put = (member: number, value: string): Promise<Response> =>
        fetch(`${c().etcd.members[member - 1]!.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: btoa('chaos-split'), value: btoa(value) }), signal: AbortSignal.timeout(4000) });
      // The lone member cannot commit a write: it answers an error or not at all.
      const minorityPut = await put(loneEtcd, 'minority').then(
        async (r) => `HTTP ${r.status} ${await r.text()}`,
        (error: unknown) => `failed: ${String(error)}`,
      );
      expect(minorityPut).not.toMatch(/^HTTP 200 .*"header"/);
      const majorityMember = loneEtcd === 1 ? 2 : 1;
      // The majority commits, once it has a leader: a put during its election may answer
      // "leader changed" or time out, so it is retried (bounded).
      let lastMajorityPut = '';
      await pollUntil(`a put through the majority member e${majorityMember}`, 30_000, async () => {
        lastMajorityPut = await put(majorityMember, 'majority').then(
          async (r) => `HTTP ${r.status} ${await r.text()}`,
          (error: unknown) => `failed: ${String(error)}`,
        );
        return /^HTTP 200 .*"header"/.test(lastMajorityPut);
      }).catch(async (error: unknown) => {
        throw new Error(`${String(error)}; last answer: ${lastMajorityPut}; etcd members: ${JSON.stringify(await etcdStatuses(c()))}`);
      });
      await pollUntil(`broker ${lone} unregistered`, 60_000, async () => !(await c().cluster.registeredBrokerIds()).includes(lone)).catch(async (error: unknown) => {
        throw new Error(`${String(error)}; etcd members: ${JSON.stringify(await etcdStatuses(c()))}; blocked: ${c().blocked().join(' ')}`);
      });
      await pollUntil(`a leader other than ${lone}`, 60_000, async () => ((await c().leaderOf(TOPIC, 0)) ?? -1) > 0 && (await c().leaderOf(TOPIC, 0)) !== lone).catch(async (error: unknown) => {
        const logs = c().cluster.brokers.map((b) => `--- b${b.nodeId} ---\n${b.output().split('\n').filter((l) => /isr|ISR|leader|controller|lease/i.test(l)).slice(-30).join('\n')}`);
        throw new Error(`${String(error)}; partitions: ${JSON.stringify(await c().partitions(TOPIC))}; history of partition 0: ${JSON.stringify(await partitionHistory(c(), 0, majorityMember))}; registered: ${JSON.stringify(await c().cluster.registeredBrokerIds())}\n${logs.join('\n')}`);
      });
      const others = c().cluster.brokers.filter((b) => b.nodeId !== lone).map((b) => b.bootstrap).join(',');
      await produceAll(others, 'split');
    } finally {
      await c().heal();
    }
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    // The member that was alone caught up: a linearizable read through it sees the majority's write.
    await pollUntil(`e${loneEtcd} serves the majority's write`, 30_000, async () => {
      const response = await fetch(`${c().etcd.members[loneEtcd - 1]!.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: btoa('chaos-split') }), signal: AbortSignal.timeout(4000) });
      const body = (await response.json()) as { kvs?: { value: string }[] };
      return body.kvs?.[0] !== undefined && atob(body.kvs[0].value) === 'majority';
    });
  });

  it('killAll/startAll: every acknowledged record is still there at its offset', async () => {
    await c().killAll();
    expect(c().cluster.brokers.some((b) => b.running) || c().etcd.members.some((m) => m.running)).toBe(false);
    await c().startAll();
    await c().waitHealthy(TOPIC, HEALTHY_TIMEOUT_MS);
    const minEnds = [Math.max(...acked.map(([o]) => o)) + 1, 0, 0];
    const read = await runScript<ReadAllReport>(PY_READ_ALL, [c().bootstrap(), TOPIC, String(PARTITIONS), JSON.stringify(minEnds), '45'], 60_000);
    expect(read.complete).toBe(true);
    const atOffset = new Map(read.records[0]!.map(([o, v]) => [o, v]));
    const missing = acked.filter(([o, v]) => atOffset.get(o) !== v);
    expect({ acked: acked.length, missing }).toEqual({ acked: 6 * 20, missing: [] });
    expect([...atOffset.values()]).not.toContain('zombie-write');
  });

  it('recorded every fault in order; stop() leaves no process and is idempotent', async () => {
    expect(c().faults.map((f) => f.fault)).toEqual(['isolate', 'heal', 'pause', 'resume', 'kill-etcd', 'start-etcd', 'cut-from-etcd', 'heal', 'restart', 'kill', 'start', 'partition', 'heal', 'kill-all', 'start-all']);
    console.log(JSON.stringify({ suite: 'chaos-cluster', seed: c().seed, zombieErrorCode, faults: c().faults.map((f) => [f.fault, f.detail, f.appliedMs]) }));
    expect(c().faults.every((f) => f.atMs > 0 && f.appliedMs >= 0 && f.detail.length > 0)).toBe(true);
    const pids = [...c().cluster.brokers.map((b) => b.pid), ...c().etcd.members.map((m) => m.pid)];
    expect(pids.every((p) => p !== null)).toBe(true);
    await c().stop();
    await c().stop();
    expect(pids.filter((p) => processGroupAlive(p!))).toEqual([]);
    // Every proxy listener is closed: a connection to its port is refused.
    const refused = await Promise.all(c().links.map((l) => connect(l.proxy.port, 2000).then((socket) => (socket.destroy(), false), () => true)));
    expect(c().links.filter((_, i) => !refused[i]).map((l) => l.proxy.name)).toEqual([]);
    const stillOpen = c().links.filter((l) => l.proxy.stats().open > 0).map((l) => [l.proxy.name, l.proxy.stats()]);
    if (stillOpen.length > 0) console.log(JSON.stringify({ suite: 'chaos-cluster', proxyConnectionsStillCounted: stillOpen }));
  });
});

/** Every stored version of a partition's state (newest first, at most 30), walking etcd's MVCC history back by revision. */
async function partitionHistory(chaos: ChaosCluster, partition: number, member: number): Promise<unknown[]> {
  const key = `${chaos.cluster.keysRoot}partitions/${TOPIC}/${String(partition).padStart(10, '0')}`;
  const versions: unknown[] = [];
  let revision = 0;
  for (let i = 0; i < 30; i++) {
    const body: Record<string, string> = { key: btoa(key) };
    if (revision > 0) body['revision'] = String(revision);
    const response = await fetch(`${chaos.etcd.members[member - 1]!.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(4000) }).catch(() => null);
    const json = response === null ? {} : ((await response.json()) as { kvs?: { value: string; mod_revision: string }[] });
    const kv = json.kvs?.[0];
    if (kv === undefined) break;
    versions.push({ modRevision: Number(kv.mod_revision), ...(JSON.parse(atob(kv.value)) as object) });
    revision = Number(kv.mod_revision) - 1;
  }
  return versions;
}

/** Each etcd member's own view (member id, leader id, raft term) or its error, for failure messages. */
async function etcdStatuses(chaos: ChaosCluster): Promise<string[]> {
  return Promise.all(
    chaos.etcd.members.map(async (m) => {
      try {
        const response = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as { leader?: string; raftTerm?: string; header?: { member_id?: string } };
        return `${m.name} id ${body.header?.member_id} leader ${body.leader} term ${body.raftTerm}`;
      } catch (error) {
        return `${m.name}: ${String(error)}`;
      }
    }),
  );
}

/** Creates the RF 3, min.insync.replicas=2 topic with librdkafka's admin client. */
const CREATE_TOPIC = `
import sys
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = AdminClient({'bootstrap.servers': bootstrap})
f = a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=3, config={'min.insync.replicas': '2'})], operation_timeout=30)
f[topic].result(60)
print('created', flush=True)
`;
