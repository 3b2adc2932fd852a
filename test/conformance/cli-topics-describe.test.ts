/**
 * `samsa topics describe` against a real single broker process: each partition shows its
 * replicas, the ISR, each replica in the ISR with the lag its broker reports through
 * DescribeLogDirs (0 here: the one replica is the leader, HW = LEO), and status `ok`
 * (neither under-replicated nor offline); `--json` carries the same per replica. The CLI
 * sends DescribeLogDirs raw (KafkaJS lacks it), so this also proves the broker answers it
 * on a real socket. A topic that does not exist exits 1 and is not auto-created.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, samsa, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

interface JsonPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  highWatermark: number;
  replicaStates: Array<{ broker: number; inIsr: boolean; lag: number | null }>;
  underReplicated: boolean;
  offline: boolean;
}

describe('samsa topics describe: replicas, ISR, lag per replica and status', () => {
  const dir = tempDir('cli-describe');
  let broker: BrokerProcess;
  let b: string[];

  beforeAll(async () => {
    broker = await startBroker({ dataDir: join(dir.path, 'data') });
    b = ['--bootstrap', broker.bootstrap];
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('prints each replica in the ISR with its lag from DescribeLogDirs, and the partition status', async () => {
    expectOk(await samsa(['topics', 'create', 'cli-lag', '--partitions', '2', ...b]), 'topics create');
    expectOk(await samsa(['produce', '--topic', 'cli-lag', '--partition', '0', ...b], { input: 'a\nb\nc\n' }), 'produce');

    const json = JSON.parse(expectOk(await samsa(['topics', 'describe', 'cli-lag', '--json', ...b]), 'describe --json').stdout.toString()) as Array<{ topic: string; partitions: JsonPartition[] }>;
    const partitions = json[0]!.partitions;
    expect(partitions.map((p) => p.partition)).toEqual([0, 1]);
    const node = partitions[0]!.leader;
    expect(node).toBeGreaterThanOrEqual(0);
    expect(partitions[0]!.highWatermark).toBe(3);
    for (const p of partitions) {
      expect(p).toMatchObject({ leader: node, replicas: [node], isr: [node], underReplicated: false, offline: false });
      expect(p.replicaStates).toEqual([{ broker: node, inIsr: true, lag: 0 }]);
    }

    const text = expectOk(await samsa(['topics', 'describe', 'cli-lag', ...b]), 'describe').stdout.toString();
    const lines = text.split('\n').filter((l) => l.startsWith('\tPartition:'));
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      const columns = Object.fromEntries(line.slice(1).split('\t').map((c) => c.split(': ') as [string, string]));
      expect(columns).toEqual({ Partition: String(i), Leader: String(node), Replicas: String(node), Isr: String(node), Offsets: i === 0 ? '0..3' : '0..0', Lag: `${node}(isr)=0`, Status: 'ok' });
    }
  });

  it('exits 1 naming a topic that does not exist, and does not create it', async () => {
    const missing = await samsa(['topics', 'describe', 'cli-nope', ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"cli-nope" does not exist');
    expect(expectOk(await samsa(['topics', 'list', ...b]), 'list').stdout.toString().split('\n')).not.toContain('cli-nope');
  });
});
