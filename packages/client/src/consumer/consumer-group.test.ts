// Group mode against the in-process test broker: 1, 2, then 3 members on a 6-partition
// topic with each assignor (every partition owned by exactly one member after every
// rebalance; cooperative-sticky moves only what must move), commits surviving a member's
// departure (the next owner resumes at the committed offset), static membership (a
// restarted static member gets its partitions back with no new generation), rebalance
// listeners awaited, and read_committed on a broker without transactions.
import { createRandom } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { drive, macrotask } from '../../test/support/drive.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from '../assignors/index.ts';
import type { Assignor } from '../assignors/index.ts';
import { Producer } from '../producer/producer.ts';
import { stringSerde } from '../serde/serializers.ts';
import { Consumer } from './consumer.ts';
import type { ConsumerOptions } from './consumer-options.ts';
import type { ConsumerRecord, TopicPartition } from './consumer-record.ts';

const s = stringSerde.serialize;
const text = (r: ConsumerRecord): string => stringSerde.deserialize(r.value!);
let tb: TestBroker | undefined;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await drive(tb!.clock, close()).catch(() => {});
  await tb?.stop();
  tb = undefined;
});

async function setUp(partitions: number): Promise<{ tb: TestBroker; producer: Producer }> {
  tb = await startTestBroker({ overrides: [`num.partitions=${partitions}`] });
  const producer = new Producer({ transport: tb.transport, clock: tb.clock, random: createRandom(1), bootstrap: [`127.0.0.1:${tb.port}`], lingerMs: 0 });
  closers.push(() => producer.close());
  await drive(tb.clock, producer.cluster.topic('t'));
  return { tb, producer };
}

function member(options: Partial<ConsumerOptions> = {}): Consumer {
  const c = new Consumer({
    transport: tb!.transport, clock: tb!.clock, bootstrap: [`127.0.0.1:${tb!.port}`], groupId: 'g', fetchMaxWaitMs: 50,
    heartbeatIntervalMs: 100, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 10_000, autoOffsetReset: 'earliest', ...options,
  });
  closers.unshift(() => c.close());
  return c;
}

const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

/** Drives the clock until every member is stable in one generation and they own all `count` partitions exactly once. */
async function settled(members: readonly Consumer[], count: number): Promise<Map<Consumer, string[]>> {
  const check = (): Map<Consumer, string[]> | null => {
    const generations = new Set(members.map((m) => m.groupState?.generationId));
    if (generations.size !== 1 || members.some((m) => m.groupState?.state !== 'stable')) return null;
    const owned = members.flatMap((m) => m.assignment().map(key));
    if (owned.length !== count || new Set(owned).size !== count) return null;
    return new Map(members.map((m) => [m, m.assignment().map(key).sort()]));
  };
  for (let i = 0; i < 20_000; i++) {
    await macrotask();
    const done = check();
    // Stay settled a few heartbeats: a cooperative group takes a second round.
    if (done !== null) {
      for (let j = 0; j < 50; j++) {
        await macrotask();
        tb!.clock.advance(10);
      }
      const again = check();
      if (again !== null && [...again].every(([m, ps]) => done.get(m)!.join() === ps.join())) return again;
      continue;
    }
    tb!.clock.advance(10);
  }
  throw new Error(`not settled: ${members.map((m) => `${JSON.stringify(m.groupState)} ${m.assignment().map(key).join(',')}`).join(' | ')}`);
}

describe('Consumer in a classic group', () => {
  const cases: [string, Assignor][] = [['range', rangeAssignor], ['roundrobin', roundRobinAssignor], ['cooperative-sticky', cooperativeStickyAssignor]];
  for (const [name, assignor] of cases) {
    it(`${name}: 1, 2, then 3 members share 6 partitions, each owned exactly once`, async () => {
      await setUp(6);
      const members: Consumer[] = [];
      const history: Map<Consumer, string[]>[] = [];
      for (let n = 1; n <= 3; n++) {
        const m = member({ assignors: [assignor] });
        m.subscribe(['t']);
        members.push(m);
        const owners = await settled(members, 6);
        for (const ps of owners.values()) expect(ps.length).toBe(6 / n);
        history.push(owners);
      }
      if (assignor.protocol === 'COOPERATIVE') {
        // Sticky: a member that stays keeps what it can (6 → 3+3 → 2+2+2 moves only the surplus).
        for (let i = 1; i < history.length; i++) {
          for (const [m, before] of history[i - 1]!) {
            const after = history[i]!.get(m)!;
            expect(after.every((p) => before.includes(p))).toBe(true);
          }
        }
      }
    });
  }

  it('cooperative-sticky: partitions that stay are never revoked, moved ones are revoked before their new owner gets them', async () => {
    await setUp(6);
    const events: string[] = [];
    const listener = (name: string) => ({
      onPartitionsAssigned: async (tps: TopicPartition[]) => {
        await tb!.clock.sleep(5); // awaited before the member goes on
        events.push(`${name}+${tps.map(key).sort().join(',')}`);
      },
      onPartitionsRevoked: (tps: TopicPartition[]) => {
        events.push(`${name}-${tps.map(key).sort().join(',')}`);
      },
    });
    const a = member({ assignors: [cooperativeStickyAssignor] });
    a.subscribe(['t'], listener('a'));
    await settled([a], 6);
    const b = member({ assignors: [cooperativeStickyAssignor] });
    b.subscribe(['t'], listener('b'));
    const owners = await settled([a, b], 6);
    const moved = owners.get(b)!;
    expect(events[0]).toBe('a+t-0,t-1,t-2,t-3,t-4,t-5');
    const revokedByA = events.filter((e) => e.startsWith('a-'));
    expect(revokedByA).toEqual([`a-${moved.join(',')}`]);
    expect(events.indexOf(revokedByA[0]!)).toBeLessThan(events.indexOf(`b+${moved.join(',')}`));
  });

  it('commits survive a member leaving: the next owner resumes at the committed offset, nothing skipped', async () => {
    const { producer } = await setUp(2);
    for (let p = 0; p < 2; p++) for (let i = 0; i < 6; i++) await drive(tb!.clock, producer.send({ topic: 't', messages: [{ value: s(`p${p}-${i}`), partition: p }] }));
    const a = member({ autoCommit: false, maxPartitionFetchBytes: 1 });
    const b = member({ autoCommit: false, maxPartitionFetchBytes: 1 });
    a.subscribe(['t']);
    b.subscribe(['t']);
    await settled([a, b], 2);
    const aPartition = a.assignment()[0]!;
    const first = await drive(tb!.clock, a.next());
    expect(first.partition).toBe(aPartition.partition);
    await drive(tb!.clock, a.commit());
    const committedAt = first.nextOffset;
    expect((await drive(tb!.clock, b.committed([aPartition]))).get(`t\u0000${aPartition.partition}`)?.offset).toBe(committedAt);
    await drive(tb!.clock, a.close());
    await settled([b], 2);
    const read: ConsumerRecord[] = [];
    while (read.filter((r) => r.partition === aPartition.partition).length < 6 - Number(committedAt)) read.push(...(await drive(tb!.clock, b.next())).records);
    const resumed = read.filter((r) => r.partition === aPartition.partition);
    expect(resumed[0]!.offset).toBe(committedAt);
    expect(resumed.map((r) => r.offset)).toEqual(Array.from({ length: resumed.length }, (_, i) => committedAt + BigInt(i)));
  });

  it('static membership: a restarted static member gets its partitions back without a rebalance', async () => {
    await setUp(4);
    const a = member({ groupInstanceId: 'a', assignors: [rangeAssignor] });
    const b = member({ groupInstanceId: 'b', assignors: [rangeAssignor] });
    a.subscribe(['t']);
    b.subscribe(['t']);
    const before = await settled([a, b], 4);
    const generation = b.groupState!.generationId;
    await drive(tb!.clock, a.close()); // a static member does not send LeaveGroup
    const again = member({ groupInstanceId: 'a', assignors: [rangeAssignor] });
    again.subscribe(['t']);
    const after = await settled([again, b], 4);
    expect(after.get(again)).toEqual(before.get(a));
    expect(after.get(b)).toEqual(before.get(b));
    expect(b.groupState!.generationId).toBe(generation);
    expect(again.groupState!.generationId).toBe(generation);
  });

  it('read_committed reads what a non-transactional producer wrote (this broker has no transactions: LSO = high watermark)', async () => {
    const { producer } = await setUp(1);
    await drive(tb!.clock, producer.send({ topic: 't', messages: ['x', 'y'].map((v) => ({ value: s(v), partition: 0 })) }));
    const c = member({ isolationLevel: 'read_committed' });
    c.subscribe(['t']);
    const batch = await drive(tb!.clock, c.next());
    expect(batch.records.map(text)).toEqual(['x', 'y']);
    expect(batch.lag).toBe(0n);
  });
});
