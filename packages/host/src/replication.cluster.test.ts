// Replication end to end in one process (issue 14): three brokers started by startBrokerOn
// on the memory runtime (one shared ManualClock, MemoryTransport, per-broker data dirs), a
// simulated metadata store in place of etcd, real ClusterMember / Controller / ReplicaManager
// / replica-fetch server and fetchers. Checked:
// - an RF 3 topic: an acks=all append is answered once every ISR member holds it; the
//   followers' logs equal the leader's byte for byte, and every replica's HW reaches it;
// - ISR and min.insync.replicas: with one follower gone the ISR shrinks (the controller
//   fences it) and acks=all still succeeds with min.insync.replicas=2; with two gone,
//   acks=all is refused NOT_ENOUGH_REPLICAS and nothing is appended; acks=1 still works;
// - replication factors 1–5 with acks 1 and all; a reassignment adding a replica (it
//   catches up, then joins the ISR); a preferred election after a failover;
// - failover: the leader shuts down; the new leader (from the ISR) holds every acked
//   record, deduplicates an idempotent producer's retry of an acked batch (producer state
//   is replicated), takes writes, and the old leader rejoins as a follower and catches up.
import { silentLogger, parseServerConfig } from '@samsa/broker';
import { buildRecordBatch, ErrorCode } from '@samsa/codec';
import { SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { memoryRuntime } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { startBrokerOn } from './start-broker-on.ts';
import { sharedStoreHandle, until } from './testing-memory-cluster.ts';
import type { RunningBroker } from './start-broker-on.ts';

const TOPIC = 'r';

function clusterConfig(nodeId: number) {
  return parseServerConfig({
    overrides: [`listeners=PLAINTEXT://127.0.0.1:${9090 + nodeId}`, `log.dirs=/data-${nodeId}`, `node.id=${nodeId}`, 'metadata.store=etcd', 'etcd.endpoints=http://127.0.0.1:2379', 'cluster.id=samsa', 'replica.fetch.wait.max.ms=50'],
  });
}


function batchOf(values: readonly string[], idempotent?: { readonly producerId: number; readonly baseSequence: number }): Uint8Array {
  const enc = new TextEncoder();
  return buildRecordBatch(
    values.map((v) => ({ key: null, value: enc.encode(v), timestampMs: 1_700_000_000_000 })),
    idempotent === undefined ? {} : { producerId: idempotent.producerId, producerEpoch: 0, baseSequence: idempotent.baseSequence },
  );
}

type Partition = NonNullable<ReturnType<RunningBroker['broker']['registry']['partition']>>;

async function logBytes(p: Partition): Promise<Uint8Array> {
  return (await p.log.read(p.log.logStartOffset, 64 * 1024 * 1024, { maxOffset: p.log.logEndOffset })).records;
}

interface Cluster {
  readonly brokers: Map<number, RunningBroker>;
  start(nodeId: number): Promise<RunningBroker>;
  stop(nodeId: number): Promise<void>;
  close(): Promise<void>;
}

function cluster(): Cluster {
  const runtime = memoryRuntime({ seed: 7 });
  const store = new SimulatedMetadataStore({ clock: runtime.clock, random: createRandom(11) });
  const brokers = new Map<number, RunningBroker>();
  // Simulated time moves on its own (5 ms per real millisecond or so): fetch back-offs,
  // keepalives and long polls run as they would, without a test stepping them.
  const driver = setInterval(() => runtime.clock.advance(5), 1);
  return {
    brokers,
    async start(nodeId) {
      const b = await startBrokerOn(runtime, { config: clusterConfig(nodeId), logger: silentLogger, createMetadataStore: () => sharedStoreHandle(store) });
      brokers.set(nodeId, b);
      return b;
    },
    async stop(nodeId) {
      const b = brokers.get(nodeId);
      brokers.delete(nodeId);
      await b?.shutdown();
    },
    async close() {
      try {
        for (const id of [...brokers.keys()]) await this.stop(id);
      } finally {
        clearInterval(driver);
      }
    },
  };
}

/** The partition's state in `b`'s view. */
function stateIn(b: RunningBroker, topic = TOPIC) {
  return b.cluster!.view().topics.get(topic)?.partitions[0];
}

/** Appends through the leader as a produce does: check, append, await the acks. */
async function produce(leader: RunningBroker, values: readonly string[], acks: number, idempotent?: { readonly producerId: number; readonly baseSequence: number }, topic = TOPIC): Promise<{ errorCode: number; lastOffset: number }> {
  const p = leader.broker.registry.partition(topic, 0)!;
  const replication = leader.broker.replicas!;
  const refused = replication.checkBeforeAppend(p, acks);
  if (refused !== ErrorCode.NONE) return { errorCode: refused, lastOffset: -1 };
  const outcome = await p.produce(batchOf(values, idempotent));
  if (outcome.errorCode !== ErrorCode.NONE) return { errorCode: outcome.errorCode, lastOffset: -1 };
  return { errorCode: await replication.awaitAcks(p, outcome.lastOffset, acks, 30_000), lastOffset: outcome.lastOffset };
}

function leaderOf(c: Cluster, topic = TOPIC): RunningBroker {
  const any = [...c.brokers.values()][0]!;
  const leaderId = stateIn(any, topic)!.leader;
  const leader = c.brokers.get(leaderId);
  if (leader === undefined) throw new Error(`leader ${leaderId} is not running`);
  return leader;
}

async function settledEverywhere(c: Cluster, topic = TOPIC): Promise<void> {
  await until('every broker sees the same partition state', () => {
    const states = [...c.brokers.values()].map((b) => JSON.stringify(stateIn(b, topic) ?? null));
    return states[0] !== 'null' && states.every((s) => s === states[0]);
  });
  for (const b of c.brokers.values()) await b.broker.settled();
}

describe('replication across three brokers (startBrokerOn, memory runtime)', () => {
  it('acks=all waits for the ISR; followers hold the same bytes; ISR shrink, min.insync.replicas and failover lose no acked record', async () => {
    const c = cluster();
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const first = c.brokers.get(1)!;
      await until('one controller and three brokers in every view', () => [...c.brokers.values()].every((b) => b.cluster!.view().brokers.size === 3 && b.cluster!.view().controllerId !== -1));
      const created = await first.cluster!.controller.createTopic({ name: TOPIC, partitionCount: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
      expect(created.ok).toBe(true);
      await settledEverywhere(c);
      let leader = leaderOf(c);
      expect(stateIn(leader)!.isr).toHaveLength(3);

      // acks=all: answered only once every ISR member holds the batch.
      const acked: string[] = [];
      for (let i = 0; i < 5; i++) {
        const values = [`a${i}-0`, `a${i}-1`];
        const r = await produce(leader, values, -1);
        expect(r.errorCode).toBe(ErrorCode.NONE);
        for (const b of c.brokers.values()) expect(b.broker.registry.partition(TOPIC, 0)!.log.logEndOffset).toBeGreaterThan(r.lastOffset);
        acked.push(...values);
      }
      const leaderPartition = leader.broker.registry.partition(TOPIC, 0)!;
      expect(leaderPartition.highWatermark).toBe(10);
      const leaderBytes = await logBytes(leaderPartition);
      for (const b of c.brokers.values()) {
        const p = b.broker.registry.partition(TOPIC, 0)!;
        expect(await logBytes(p)).toEqual(leaderBytes);
        await until(`broker ${b.broker.config.nodeId} learns the HW`, () => p.highWatermark === 10);
      }

      // One follower goes: the controller takes it out of the ISR; acks=all still meets min.insync.replicas=2.
      const followers = [...c.brokers.keys()].filter((id) => id !== leader.broker.config.nodeId);
      await c.stop(followers[0]!);
      await until('the ISR shrinks to two', () => stateIn(leader)!.isr.length === 2);
      await settledEverywhere(c);
      expect(leader.broker.metricsSnapshot().replication).toMatchObject({ leaderPartitions: 1, underReplicatedPartitions: 1, underMinIsrPartitions: 0, isrShrinksTotal: 1 });
      const two = await produce(leader, ['b0'], -1);
      expect(two.errorCode).toBe(ErrorCode.NONE);
      acked.push('b0');

      // A second follower goes: acks=all is refused before appending; acks=1 still appends.
      await c.stop(followers[1]!);
      await until('the ISR is the leader alone', () => stateIn(leader)!.isr.length === 1);
      await settledEverywhere(c);
      expect(leader.broker.metricsSnapshot().replication).toMatchObject({ underMinIsrPartitions: 1, isrShrinksTotal: 2 });
      const endBefore = leader.broker.registry.partition(TOPIC, 0)!.log.logEndOffset;
      expect((await produce(leader, ['refused'], -1)).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
      expect(leader.broker.registry.partition(TOPIC, 0)!.log.logEndOffset).toBe(endBefore);
      expect((await produce(leader, ['c0'], 1)).errorCode).toBe(ErrorCode.NONE);

      // Both come back and catch up into the ISR; then the leader goes and a new one takes over.
      await c.start(followers[0]!);
      await c.start(followers[1]!);
      await until('the ISR is whole again', () => stateIn(leader)!.isr.length === 3);
      await settledEverywhere(c);
      expect(leader.broker.metricsSnapshot().replication).toMatchObject({ underReplicatedPartitions: 0, isrExpandsTotal: 2 });
      expect(c.brokers.get(followers[0]!)!.broker.metricsSnapshot().replication).toMatchObject({ leaderPartitions: 0, followerPartitions: 1 });
      // Followers running since before it: an idempotent producer's batch, acked; the retry after the failover below must be
      // deduplicated by the new leader (producer state replicated with the records).
      const pid = { producerId: 4242, baseSequence: 0 };
      const idem = await produce(leader, ['p0', 'p1'], -1, pid);
      expect(idem.errorCode).toBe(ErrorCode.NONE);
      acked.push('p0', 'p1');

      const oldLeaderId = leader.broker.config.nodeId;
      await c.stop(oldLeaderId);
      await until('a new leader', () => {
        const s = stateIn([...c.brokers.values()][0]!);
        return s !== undefined && s.leader !== -1 && s.leader !== oldLeaderId;
      });
      await settledEverywhere(c);
      leader = leaderOf(c);
      const newLeaderPartition = leader.broker.registry.partition(TOPIC, 0)!;
      const values = new TextDecoder();
      const held = await logBytes(newLeaderPartition);
      for (const v of acked) expect(values.decode(held)).toContain(v);
      const endBeforeRetry = newLeaderPartition.log.logEndOffset;
      const retry = await produce(leader, ['p0', 'p1'], -1, pid);
      expect(retry).toEqual({ errorCode: ErrorCode.NONE, lastOffset: idem.lastOffset }); // the original offsets, nothing appended
      expect(newLeaderPartition.log.logEndOffset).toBe(endBeforeRetry);
      expect((await produce(leader, ['d0'], -1)).errorCode).toBe(ErrorCode.NONE);

      // The old leader returns as a follower, truncates nothing acked, and catches up.
      await c.start(oldLeaderId);
      await until('the old leader is back in the ISR', () => stateIn(leader)!.isr.includes(oldLeaderId));
      await settledEverywhere(c);
      const back = c.brokers.get(oldLeaderId)!.broker.registry.partition(TOPIC, 0)!;
      await until('the old leader holds the new leader\'s log', () => back.log.logEndOffset === newLeaderPartition.log.logEndOffset);
      expect(await logBytes(back)).toEqual(await logBytes(newLeaderPartition));
    } finally {
      await c.close();
    }
  }, 60_000);

  it('replication factors 1 to 5, a reassignment that adds a replica which catches up before joining the ISR, and a preferred election', async () => {
    const c = cluster();
    try {
      for (const id of [1, 2, 3, 4, 5]) await c.start(id);
      const first = c.brokers.get(1)!;
      await until('five brokers and a controller in every view', () => [...c.brokers.values()].every((b) => b.cluster!.view().brokers.size === 5 && b.cluster!.view().controllerId !== -1));
      for (let rf = 1; rf <= 5; rf++) {
        const topic = `rf${rf}`;
        expect((await first.cluster!.controller.createTopic({ name: topic, partitionCount: 1, replicationFactor: rf, configs: { 'min.insync.replicas': String(Math.min(rf, 2)) } })).ok).toBe(true);
        await settledEverywhere(c, topic);
        const leader = leaderOf(c, topic);
        for (const acks of [1, -1]) expect((await produce(leader, [`${topic}-${acks}`], acks, undefined, topic)).errorCode).toBe(ErrorCode.NONE);
        const replicas = stateIn(leader, topic)!.replicas;
        expect(replicas).toHaveLength(rf);
        for (const id of replicas) {
          const p = c.brokers.get(id)!.broker.registry.partition(topic, 0)!;
          await until(`${topic} on broker ${id}`, () => p.log.logEndOffset === 2 && p.highWatermark === 2);
        }
      }

      // Reassign rf2's partition to three replicas: the new one copies the log, joins the
      // ISR once caught up, and the reassignment completes.
      const before = stateIn(first, 'rf2')!;
      const added = [1, 2, 3, 4, 5].find((id) => !before.replicas.includes(id))!;
      const target = [...before.replicas, added];
      const reply = await first.cluster!.controller.reassignPartitions({ partitions: [{ topic: 'rf2', partition: 0, replicas: target }] });
      expect(reply.ok).toBe(true);
      await until('the reassignment completes with the new replica in the ISR', () => {
        const s = stateIn(first, 'rf2');
        return s !== undefined && s.replicas.length === 3 && s.isr.length === 3 && s.isr.includes(added);
      });
      await settledEverywhere(c, 'rf2');
      const addedLog = c.brokers.get(added)!.broker.registry.partition('rf2', 0)!;
      const leaderLog = leaderOf(c, 'rf2').broker.registry.partition('rf2', 0)!;
      expect(await logBytes(addedLog)).toEqual(await logBytes(leaderLog));

      // Move rf3's leadership away from its preferred replica, then a preferred election moves it back; the data stays.
      const preferred = stateIn(first, 'rf3')!.replicas[0]!;
      await c.stop(preferred);
      await until('another leader for rf3', () => stateIn([...c.brokers.values()][0]!, 'rf3')!.leader !== preferred);
      await settledEverywhere(c, 'rf3');
      expect((await produce(leaderOf(c, 'rf3'), ['while-away'], -1, undefined, 'rf3')).errorCode).toBe(ErrorCode.NONE);
      await c.start(preferred);
      await until('the preferred replica back in the ISR', () => stateIn(c.brokers.get(preferred)!, 'rf3')?.isr.includes(preferred) === true);
      const any = [...c.brokers.values()].find((b) => b.broker.config.nodeId !== preferred)!;
      const elected = await any.cluster!.controller.electLeaders({ type: 'preferred', partitions: [{ topic: 'rf3', partition: 0 }] });
      expect(elected.ok).toBe(true);
      await until('the preferred replica leads rf3 again', () => stateIn(any, 'rf3')!.leader === preferred);
      await settledEverywhere(c, 'rf3');
      const back = c.brokers.get(preferred)!;
      expect((await produce(back, ['home'], -1, undefined, 'rf3')).errorCode).toBe(ErrorCode.NONE);
      const text = new TextDecoder().decode(await logBytes(back.broker.registry.partition('rf3', 0)!));
      for (const v of ['rf3-1', 'rf3--1', 'while-away', 'home']) expect(text).toContain(v);
    } finally {
      await c.close();
    }
  }, 60_000);
});
