// replica.fetch.endpoint.overrides end to end in one process (startBrokerOn on the memory
// runtime, a simulated metadata store in place of etcd), three brokers with fixed replica
// listeners (127.0.0.1:1910<id>). Topic `o`, RF 3, min.insync.replicas=2, assignment
// p0 = [1,2,3] (led by 1), p1 = [2,1,3] (led by 2). Overrides:
// - broker 2 maps leader 1 to broker 1's real replica listener: it replicates p0;
// - broker 3 maps leader 1 to a port nobody listens on, and leader 2 to broker 1's listener
//   (a wrong mapping: broker 1 answers the Hello as broker 1, so the fetcher refuses it);
// - broker 1 has none (it dials broker 2's registered address for p1).
// Checked: broker 3 never holds a record of either partition and drops out of both ISRs,
// while brokers 1 and 2 replicate both partitions byte for byte and acks=all succeeds.
import { parseServerConfig, silentLogger } from '@samsa/broker';
import { buildRecordBatch, ErrorCode } from '@samsa/codec';
import { SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { memoryRuntime } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { startBrokerOn } from './start-broker-on.ts';
import type { RunningBroker } from './start-broker-on.ts';
import { sharedStoreHandle, until } from './testing-memory-cluster.ts';

const TOPIC = 'o';
const replicaAddress = (id: number): string => `127.0.0.1:1910${id}`;
const OVERRIDES: Record<number, string> = {
  1: '',
  2: `1=${replicaAddress(1)}`,
  3: `1=127.0.0.1:1999,2=${replicaAddress(1)}`,
};

function configOf(nodeId: number) {
  return parseServerConfig({
    overrides: [
      `listeners=PLAINTEXT://127.0.0.1:${9090 + nodeId}`,
      `log.dirs=/data-${nodeId}`,
      `node.id=${nodeId}`,
      'metadata.store=etcd',
      'etcd.endpoints=http://127.0.0.1:2379',
      'cluster.id=samsa',
      'replica.fetch.wait.max.ms=50',
      'replica.fetch.backoff.ms=100',
      'replica.lag.time.max.ms=2000',
      `replica.listener=${replicaAddress(nodeId)}`,
      `replica.fetch.endpoint.overrides=${OVERRIDES[nodeId]!}`,
    ],
  });
}

type Partition = NonNullable<ReturnType<RunningBroker['broker']['registry']['partition']>>;

async function logBytes(p: Partition): Promise<Uint8Array> {
  return (await p.log.read(p.log.logStartOffset, 1 << 20, { maxOffset: p.log.logEndOffset })).records;
}

async function produce(leader: RunningBroker, partition: number, value: string): Promise<number> {
  const p = leader.broker.registry.partition(TOPIC, partition)!;
  const replication = leader.broker.replicas!;
  const refused = replication.checkBeforeAppend(p, -1);
  if (refused !== ErrorCode.NONE) return refused;
  const outcome = await p.produce(buildRecordBatch([{ key: null, value: new TextEncoder().encode(value), timestampMs: 1_700_000_000_000 }]));
  if (outcome.errorCode !== ErrorCode.NONE) return outcome.errorCode;
  return replication.awaitAcks(p, outcome.lastOffset, -1, 30_000);
}

describe('replica.fetch.endpoint.overrides (startBrokerOn, memory runtime)', () => {
  it('a follower dials the override: a dead port or a wrong broker keeps it out of the ISR, a right one replicates', async () => {
    const runtime = memoryRuntime({ seed: 3 });
    const store = new SimulatedMetadataStore({ clock: runtime.clock, random: createRandom(5) });
    const brokers = new Map<number, RunningBroker>();
    const driver = setInterval(() => runtime.clock.advance(5), 1);
    try {
      for (const id of [1, 2, 3]) brokers.set(id, await startBrokerOn(runtime, { config: configOf(id), logger: silentLogger, createMetadataStore: () => sharedStoreHandle(store) }));
      const b = (id: number): RunningBroker => brokers.get(id)!;
      await until('three brokers and a controller in every view', () => [...brokers.values()].every((x) => x.cluster!.view().brokers.size === 3 && x.cluster!.view().controllerId !== -1));
      const created = await b(1).cluster!.controller.createTopic({ name: TOPIC, assignment: [[1, 2, 3], [2, 1, 3]], configs: { 'min.insync.replicas': '2' } });
      expect(created.ok).toBe(true);
      const stateOf = (partition: number) => b(1).cluster!.view().topics.get(TOPIC)?.partitions[partition];
      await until('p0 led by 1 and p1 led by 2', () => stateOf(0)?.leader === 1 && stateOf(1)?.leader === 2);
      await until('broker 3 leaves both ISRs', () => [0, 1].every((p) => stateOf(p)!.isr.length === 2 && !stateOf(p)!.isr.includes(3)));

      for (let i = 0; i < 3; i++) {
        expect(await produce(b(1), 0, `p0-${i}`)).toBe(ErrorCode.NONE);
        expect(await produce(b(2), 1, `p1-${i}`)).toBe(ErrorCode.NONE);
      }
      for (const [partition, leader, follower] of [[0, 1, 2], [1, 2, 1]] as const) {
        const led = b(leader).broker.registry.partition(TOPIC, partition)!;
        const followed = b(follower).broker.registry.partition(TOPIC, partition)!;
        expect(led.log.logEndOffset).toBe(3);
        expect(await logBytes(followed)).toEqual(await logBytes(led));
        expect(b(3).broker.registry.partition(TOPIC, partition)!.log.logEndOffset).toBe(0);
      }
      expect([0, 1].map((p) => stateOf(p)!.isr.includes(3))).toEqual([false, false]);
    } finally {
      for (const x of brokers.values()) await x.shutdown();
      clearInterval(driver);
    }
  }, 60_000);
});
