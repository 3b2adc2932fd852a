// `samsa topics describe`'s partition view (topic-description.ts): each replica in or out
// of the ISR with its lag, '-' for a broker that did not answer or did not list the
// partition; `under-replicated` when ISR < replicas, `offline` when there is no leader;
// unknown offsets print '-'; and the printed columns. replicaLags and partitionOffsets
// (admin-client.ts) are bounded: a broker that refuses, never answers or answers garbage
// costs at most the timeout and only shows as unknown.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionOffsets, replicaLags } from './admin-client.ts';
import { describePartition, formatTopicDescriptions, partitionKey, partitionStatus } from './topic-description.ts';

const facts = (leader: number, replicas: number[], isr: number[]) => ({ partition: 0, leader, replicas, isr, logStartOffset: 2, highWatermark: 9 });

describe('topic description', () => {
  const lags = new Map([
    [1, new Map([[partitionKey('t', 0), 0]])],
    [2, new Map([[partitionKey('t', 0), 3]])],
    [3, new Map<string, number>()], // answered, but holds no usable log of t-0
  ]);

  it('marks each replica in or out of the ISR with its broker-reported lag, unknown as null', () => {
    const p = describePartition('t', facts(1, [1, 2, 3, 4], [1, 2]), lags);
    expect(p.replicaStates).toEqual([
      { broker: 1, inIsr: true, lag: 0 },
      { broker: 2, inIsr: true, lag: 3 },
      { broker: 3, inIsr: false, lag: null },
      { broker: 4, inIsr: false, lag: null }, // broker 4 did not answer
    ]);
    expect([p.underReplicated, p.offline, partitionStatus(p)]).toEqual([true, false, 'under-replicated']);
  });

  it('is ok with a full ISR, offline without a leader', () => {
    const full = describePartition('t', facts(2, [1, 2], [2, 1]), lags);
    expect([full.underReplicated, full.offline, partitionStatus(full)]).toEqual([false, false, 'ok']);
    const headless = describePartition('t', facts(-1, [1, 2], [1]), lags);
    expect([headless.underReplicated, headless.offline, partitionStatus(headless)]).toEqual([true, true, 'offline,under-replicated']);
    const headlessFull = describePartition('t', facts(-1, [1], [1]), lags);
    expect(partitionStatus(headlessFull)).toBe('offline');
  });

  it('prints the columns: leader, replicas, ISR, offsets, per-replica lag and status', () => {
    const text = formatTopicDescriptions([
      { topic: 't', configs: { 'retention.ms': '60000' }, partitions: [describePartition('t', facts(1, [1, 2, 3], [1, 2]), lags), describePartition('t', { ...facts(-1, [4], [4]), partition: 1, logStartOffset: null, highWatermark: null }, lags)] },
      { topic: 'u', configs: {}, partitions: [] },
    ]);
    expect(text.split('\n')).toEqual([
      'Topic: t\tPartitions: 2\tConfigs: retention.ms=60000',
      '\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\tOffsets: 2..9\tLag: 1(isr)=0 2(isr)=3 3(out)=-\tStatus: under-replicated',
      '\tPartition: 1\tLeader: none\tReplicas: 4\tIsr: 4\tOffsets: -\tLag: 4(isr)=-\tStatus: offline',
      'Topic: u\tPartitions: 0\tConfigs: (defaults)',
      '',
    ]);
  });
});

describe('replicaLags and partitionOffsets', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  async function listen(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer((socket) => {
      sockets.push(socket);
      onConnection(socket);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  it('leave out, within the timeout, a broker that never answers, one that refuses and one that answers garbage', async () => {
    const silent = await listen(() => undefined);
    const garbage = await listen((s) => s.write(new Uint8Array([0, 0, 0, 4, 0, 0, 0, 1])));
    const refused = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r)); // nothing listens there any more
    expect((await replicaLags([], [])).size).toBe(0); // loads the codec, so the timing below is the requests'
    expect((await partitionOffsets([], [])).size).toBe(0);
    const started = Date.now();
    const brokers = [
      { nodeId: 1, host: '127.0.0.1', port: silent },
      { nodeId: 2, host: '127.0.0.1', port: garbage },
      { nodeId: 3, host: '127.0.0.1', port: refused },
    ];
    const lags = await replicaLags(brokers, [{ topic: 't', partitions: [0] }], 300);
    expect([...lags.keys()]).toEqual([]);
    const led = [silent, garbage, refused].map((_, i) => ({ topic: 't', partition: i, leader: i + 1 }));
    const offsets = await partitionOffsets(brokers, [...led, { topic: 't', partition: 3, leader: -1 }], 300);
    expect([...offsets.keys()]).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000); // 300 ms per request, all at once
  });
});
