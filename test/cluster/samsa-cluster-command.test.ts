/**
 * `samsa cluster` (the built CLI):
 * - `--metadata etcd://…` against a real etcd whose records the test writes itself (the
 *   encode functions of @samsa/coordinator's cluster-records.ts), no broker running: the
 *   brokers with their racks, the controller and its epoch (the key's createRevision),
 *   fenced brokers (replicas not registered), offline (leader -1) and under-replicated
 *   (ISR < replicas) partitions; a topic without its topic record and another cluster id's
 *   keys are not shown; `--cluster-id` picks the other cluster; text and `--json`.
 * - a bad URL exits 2, an unreachable etcd exits 1 naming it.
 * - without `--metadata`, a single broker over the Kafka protocol: its broker, no fenced
 *   broker, no offline partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterKeys,
  encodeBrokerRegistration,
  encodeControllerRecord,
  encodePartitionRecord,
  encodeTopicRecord,
} from '../../packages/coordinator/src/index.ts';
import type { PartitionRecord } from '../../packages/coordinator/src/index.ts';
import { assertBuilt, CLI_PATH, createTopic, etcdPut, etcdRange, freePort, run, startBroker, startEtcd, tempDir } from '@samsa/bench';
import type { EtcdCluster, RunResult } from '@samsa/bench';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function samsa(args: readonly string[]): Promise<RunResult> {
  assertBuilt();
  return run(process.execPath, [CLI_PATH, ...args], { timeoutMs: 60_000 });
}

interface StatusJson {
  source: { kind: string; address: string; revision: number | null };
  clusterId: string;
  controller: { id: number; epoch: number | null } | null;
  brokers: { id: number; host: string; port: number; rack: string | null }[];
  topicCount: number;
  partitionCount: number;
  fencedBrokers: number[];
  offlinePartitions: { topic: string; partition: number; leader: number; replicas: number[]; isr: number[] }[];
  underReplicatedPartitions: { topic: string; partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

const ORDERS_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const LOGS_ID = 'AAAAAAAAAAAAAAAAAAAAAg';
const HALF_ID = 'AAAAAAAAAAAAAAAAAAAAAw';

function partition(topicId: string, p: number, leader: number, replicas: number[], isr: number[]): PartitionRecord {
  return { topicId, partition: p, replicas, isr, leader, leaderEpoch: 1, partitionEpoch: 1 };
}

describe('samsa cluster --metadata etcd://…', () => {
  let etcd: EtcdCluster;
  let url: string;
  let controllerEpoch: number;

  beforeAll(async () => {
    etcd = await startEtcd(1);
    url = `etcd://${etcd.endpoints[0]!.replace('http://', '')}`;
    const keys = new ClusterKeys('samsa');
    const put = (key: string, value: Uint8Array): Promise<void> => etcdPut(etcd.endpoints, key, text(value));
    await put(keys.broker(1), encodeBrokerRegistration({ brokerId: 1, host: '127.0.0.1', port: 19092, rack: 'r1', incarnation: 'a1' }));
    await put(keys.broker(2), encodeBrokerRegistration({ brokerId: 2, host: '127.0.0.1', port: 19093, rack: null, incarnation: 'b1' }));
    await put(keys.controller, encodeControllerRecord({ brokerId: 2, incarnation: 'b1' }));
    // orders: p0 healthy; p1 led by 2, replica 3 fenced and out of the ISR; p2 only on 3: offline.
    await put(keys.partition('orders', 0), encodePartitionRecord(partition(ORDERS_ID, 0, 1, [1, 2], [1, 2])));
    await put(keys.partition('orders', 1), encodePartitionRecord(partition(ORDERS_ID, 1, 2, [2, 3], [2])));
    await put(keys.partition('orders', 2), encodePartitionRecord(partition(ORDERS_ID, 2, -1, [3], [3])));
    await put(keys.topic('orders'), encodeTopicRecord({ name: 'orders', topicId: ORDERS_ID, partitionCount: 3 }));
    await put(keys.partition('logs', 0), encodePartitionRecord(partition(LOGS_ID, 0, 2, [2, 1], [2, 1])));
    await put(keys.topic('logs'), encodeTopicRecord({ name: 'logs', topicId: LOGS_ID, partitionCount: 1 }));
    // A creation that never committed (no topic record): not a topic, its replica 4 not fenced.
    await put(keys.partition('half', 0), encodePartitionRecord(partition(HALF_ID, 0, -1, [4], [4])));
    // Another cluster in the same etcd.
    const other = new ClusterKeys('other');
    await put(other.broker(7), encodeBrokerRegistration({ brokerId: 7, host: '127.0.0.1', port: 29092, rack: null, incarnation: 'c1' }));
    const { entries } = await etcdRange(etcd.endpoints, keys.controller);
    controllerEpoch = entries[0]!.createRevision;
  });

  afterAll(async () => {
    await etcd?.stop();
  });

  it('--json: brokers, controller with its epoch, fenced brokers, offline and under-replicated partitions', async () => {
    const result = await samsa(['cluster', '--metadata', url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout.toString('utf8')) as StatusJson;
    expect(status.source.kind).toBe('etcd');
    expect(status.source.revision).toBeGreaterThanOrEqual(controllerEpoch);
    expect(status.clusterId).toBe('samsa');
    expect(status.controller).toEqual({ id: 2, epoch: controllerEpoch });
    expect(status.brokers).toEqual([
      { id: 1, host: '127.0.0.1', port: 19092, rack: 'r1' },
      { id: 2, host: '127.0.0.1', port: 19093, rack: null },
    ]);
    expect(status.topicCount).toBe(2);
    expect(status.partitionCount).toBe(4);
    expect(status.fencedBrokers).toEqual([3]);
    expect(status.offlinePartitions).toEqual([{ topic: 'orders', partition: 2, leader: -1, replicas: [3], isr: [3] }]);
    expect(status.underReplicatedPartitions).toEqual([{ topic: 'orders', partition: 1, leader: 2, replicas: [2, 3], isr: [2] }]);
  });

  it('text: one line per broker, the controller, fenced brokers and the partitions to look at', async () => {
    const result = await samsa(['cluster', '--metadata', url]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout.toString('utf8');
    expect(out).toContain(`Controller: 2 (epoch ${controllerEpoch})`);
    expect(out).toContain('Brokers (2):\n\t1\t127.0.0.1:19092\track r1\n\t2\t127.0.0.1:19093\n');
    expect(out).toContain('Topics: 2, partitions: 4');
    expect(out).toContain('Fenced brokers: 3\n');
    expect(out).toContain('Offline partitions (1):\n\torders-2\tleader -1\treplicas [3]\tisr [3]\n');
    expect(out).toContain('Under-replicated partitions (1):\n\torders-1\tleader 2\treplicas [2,3]\tisr [2]\n');
  });

  it('--cluster-id reads another cluster in the same etcd', async () => {
    const result = await samsa(['cluster', '--metadata', url, '--cluster-id', 'other', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout.toString('utf8')) as StatusJson;
    expect(status.brokers.map((b) => b.id)).toEqual([7]);
    expect(status.controller).toBeNull();
    expect(status.topicCount).toBe(0);
    expect(status.fencedBrokers).toEqual([]);
  });

  it('a malformed --metadata exits 2; an unreachable etcd exits 1 naming it', async () => {
    const bad = await samsa(['cluster', '--metadata', 'http://127.0.0.1:2379']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--metadata expects etcd://host:port');
    const port = await freePort();
    const down = await samsa(['cluster', '--metadata', `etcd://127.0.0.1:${port}`]);
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr).toContain(`cannot read the cluster from etcd at http://127.0.0.1:${port}`);
  });
});

describe('samsa cluster over the Kafka protocol', () => {
  it('a single broker: its broker, its topic, nothing fenced or offline', async () => {
    const dir = tempDir('cluster-cmd');
    const broker = await startBroker({ dataDir: dir.path });
    try {
      await createTopic(broker.bootstrap, 'single', 2);
      const result = await samsa(['cluster', '--bootstrap', broker.bootstrap, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const status = JSON.parse(result.stdout.toString('utf8')) as StatusJson;
      expect(status.source).toEqual({ kind: 'kafka', address: broker.bootstrap, revision: null });
      expect(status.brokers.map((b) => [b.id, b.port])).toEqual([[1, broker.port]]);
      expect(status.controller).toEqual({ id: 1, epoch: null });
      expect(status.topicCount).toBe(1);
      expect(status.partitionCount).toBe(2);
      expect(status.fencedBrokers).toEqual([]);
      expect(status.offlinePartitions).toEqual([]);
      expect(status.underReplicatedPartitions).toEqual([]);
    } finally {
      await broker.stop();
      dir.remove();
    }
  });
});
