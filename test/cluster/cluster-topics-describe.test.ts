/**
 * `samsa topics describe` and DescribeLogDirs on three real brokers + etcd:
 *   - every broker answers DescribeLogDirs for its own replicas only (an RF 1 topic's
 *     partition is listed by the one broker holding it);
 *   - with all brokers up, an RF 3 topic shows every replica in the ISR with lag 0 (from
 *     its own broker's DescribeLogDirs) and status ok;
 *   - after broker 3 is SIGKILLed: its RF 3 replicas show out of the ISR with lag '-'
 *     (it does not answer) and the partitions under-replicated; the RF 1 partitions it
 *     held have no leader and show offline — and describe still works, as does
 *     `samsa cluster --json` (its offline partitions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI_PATH, connect, encodeRequest, expectOk, readFrame, run } from '@samsa/bench';
import type { RunResult } from '@samsa/bench';
import { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec, decodeResponseFrame } from '../../packages/codec/src/index.ts';
import { createClusterTopic, etcdPartitions, pollUntil, startCluster, waitForSameLeaders } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

const SESSION_TIMEOUT_MS = 3000;
const VICTIM = 3;

interface JsonPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  replicaStates: Array<{ broker: number; inIsr: boolean; lag: number | null }>;
  underReplicated: boolean;
  offline: boolean;
}
type Described = Array<{ topic: string; partitions: JsonPartition[] }>;

function samsa(args: readonly string[], input?: string): Promise<RunResult> {
  assertBuilt();
  return run(process.execPath, [CLI_PATH, ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
}

/** DescribeLogDirs v4 (topics null) to one broker on a raw socket: its topic-partitions (not internal ones), sorted. */
async function logDirPartitions(port: number): Promise<string[]> {
  const socket = await connect(port, 10_000);
  try {
    socket.write(encodeRequest(35, 4, 1, 'cluster-topics-describe-test', DescribeLogDirsRequestCodec, { topics: null }));
    const frame = await readFrame(socket, 30_000);
    const { body } = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.length), 35, 4, DescribeLogDirsResponseCodec);
    return body.results.flatMap((d) => d.topics.filter((t) => !t.name.startsWith('__')).flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`))).sort();
  } finally {
    socket.destroy();
  }
}

describe('samsa topics describe on a three-broker cluster', () => {
  let cluster: Cluster;
  let b: string[];

  beforeAll(async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'node'], sessionTimeoutMs: SESSION_TIMEOUT_MS, overrides: ['replica.lag.time.max.ms=2000'] });
    b = ['--bootstrap', cluster.broker(1).bootstrap];
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  async function describeJson(): Promise<Described> {
    return JSON.parse(expectOk(await samsa(['topics', 'describe', 'rf3', 'rf1', '--json', ...b]), 'describe --json').stdout.toString()) as Described;
  }

  it('shows each replica in the ISR with its lag, then the killed broker out of it with "-", under-replicated and offline partitions', async () => {
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'rf3', 2, 3);
    await createClusterTopic(cluster, cluster.broker(1).bootstrap, 'rf1', 3, 1);
    await waitForSameLeaders(cluster, 'rf3', 2);
    await waitForSameLeaders(cluster, 'rf1', 3);
    expectOk(await samsa(['produce', '--topic', 'rf3', '--acks', 'all', ...b], 'a\nb\nc\n'), 'produce');

    // Each broker lists exactly its own replicas.
    const rf1Owners = (await etcdPartitions(cluster, 'rf1')).map((p) => p.replicas[0]!);
    for (const broker of cluster.brokers) {
      const own = rf1Owners.flatMap((owner, i) => (owner === broker.nodeId ? [`rf1-${i}`] : []));
      expect(await logDirPartitions(broker.port)).toEqual([...own, 'rf3-0', 'rf3-1'].sort());
    }

    await pollUntil('every rf3 replica in the ISR with lag 0', 30_000, async () => {
      const rf3 = (await describeJson()).find((t) => t.topic === 'rf3')!;
      return rf3.partitions.every((p) => !p.underReplicated && !p.offline && p.replicaStates.length === 3 && p.replicaStates.every((s) => s.inIsr && s.lag === 0));
    });

    await cluster.broker(VICTIM).kill();
    let last: Described = [];
    await pollUntil(`broker ${VICTIM} out of every ISR and its RF 1 partitions offline`, SESSION_TIMEOUT_MS + 40_000, async () => {
      last = await describeJson();
      const rf3 = last.find((t) => t.topic === 'rf3')!;
      const rf1 = last.find((t) => t.topic === 'rf1')!;
      return (
        rf3.partitions.every((p) => p.leader !== VICTIM && p.leader >= 0 && p.underReplicated && !p.isr.includes(VICTIM)) &&
        rf1.partitions.every((p) => (p.replicas[0] === VICTIM ? p.offline && p.leader === -1 : !p.offline))
      );
    });
    for (const t of last) {
      for (const p of t.partitions) {
        const victim = p.replicaStates.find((s) => s.broker === VICTIM);
        if (victim) expect(victim.lag).toBeNull(); // it does not answer
        if (victim && t.topic === 'rf3') expect(victim.inIsr).toBe(false);
        for (const s of p.replicaStates.filter((x) => x.broker !== VICTIM)) expect(s.lag).toBe(0);
      }
    }
    const text = expectOk(await samsa(['topics', 'describe', 'rf3', 'rf1', ...b]), 'describe').stdout.toString();
    const lines = text.split('\n').filter((l) => l.startsWith('\tPartition:'));
    expect(lines.filter((l) => l.includes(`${VICTIM}(out)=-`) && l.endsWith('Status: under-replicated'))).toHaveLength(2);
    const offline = rf1Owners.filter((o) => o === VICTIM).length;
    expect(lines.filter((l) => l.includes('Leader: none') && l.includes(`Lag: ${VICTIM}(`) && l.includes('=-') && l.includes('Status: offline'))).toHaveLength(offline);
    // `samsa cluster` over the Kafka protocol reports the same offline partitions (it used
    // KafkaJS metadata, which throws on a partition without a leader).
    const status = JSON.parse(expectOk(await samsa(['cluster', '--json', ...b]), 'cluster --json').stdout.toString()) as { offlinePartitions: Array<{ topic: string; partition: number }> };
    expect(status.offlinePartitions.filter((o) => o.topic === 'rf1')).toHaveLength(offline);
  });
});
