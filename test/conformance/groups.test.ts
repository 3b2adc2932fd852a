/**
 * Conformance of consumer groups with real clients against the broker process:
 *   - KafkaJS 2.2.4 groups of 1, 2 and 3 members on a 4-partition topic (every partition
 *     owned by exactly one member, records consumed by their partition's owner only), then
 *     5 members (one idle), then members leaving;
 *   - kcat -G (librdkafka's balanced consumer): commits on exit, a second run reads only
 *     what is new; KafkaJS's admin sees kcat's committed offsets;
 *   - python3-confluent-kafka with manual synchronous commits, SIGKILLed after committing
 *     half; a new member resumes from the committed offset (nothing skipped), and the
 *     offsets survive a broker restart.
 * The broker runs with group.initial.rebalance.delay.ms=0 and a small
 * __consumer_offsets so rebalances take about a heartbeat interval.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, expectOk, kcat, parseConsumed, PYTHON, REPO_ROOT, sleep, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const { Kafka, logLevel } = kafkajs;
type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>;
const PARTITIONS = 4;
const OVERRIDES = ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=5'];

interface Member {
  readonly name: string;
  readonly consumer: Consumer;
  /** Latest assignment from GROUP_JOIN. */
  assigned: number[];
  /** Partitions of the records this member consumed. */
  readonly consumed: Map<number, number>;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('consumer groups with real clients', () => {
  const dir = tempDir('groups');
  let broker: BrokerProcess;
  let kafka: InstanceType<typeof Kafka>;

  beforeAll(async () => {
    broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: OVERRIDES });
    kafka = new Kafka({ clientId: 'groups-conformance', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('KafkaJS: 1, 2, 3 and 5 members on 4 partitions; each partition has exactly one owner, the 5th member is idle', async () => {
    const topic = 'kjs-group';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    const admin = kafka.admin();
    await admin.connect();
    const members: Member[] = [];
    const addMember = async (name: string): Promise<void> => {
      const consumer = kafka.consumer({ groupId: 'kjs', sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
      const m: Member = { name, consumer, assigned: [], consumed: new Map() };
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        m.assigned = [...((e.payload.memberAssignment as Record<string, number[]>)[topic] ?? [])].sort();
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition }) => void m.consumed.set(partition, (m.consumed.get(partition) ?? 0) + 1) });
      members.push(m);
    };
    /** Stable with `n` members whose latest assignments partition the topic. */
    const settled = (n: number) => async (): Promise<boolean> => {
      const g = (await admin.describeGroups(['kjs'])).groups[0]!;
      if (g.state !== 'Stable' || g.members.length !== n) return false;
      const owned = members.flatMap((m) => m.assigned);
      return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS;
    };
    try {
      for (const n of [1, 2, 3]) {
        await addMember(`m${n}`);
        await waitFor(`${n} members`, settled(n));
        expect(members.map((m) => m.assigned.length).sort()).toEqual(n === 1 ? [4] : n === 2 ? [2, 2] : [1, 1, 2]);
      }
      // Records produced now are consumed by their partition's owner only.
      const owner = new Map(members.flatMap((m) => m.assigned.map((p) => [p, m] as const)));
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % PARTITIONS, value: `v${i}` })) });
      await producer.disconnect();
      const total = (): number => members.reduce((s, m) => s + [...m.consumed.values()].reduce((a, b) => a + b, 0), 0);
      await waitFor('40 records consumed', () => total() >= 40);
      expect(total()).toBe(40);
      for (const m of members) for (const p of m.consumed.keys()) expect(owner.get(p)).toBe(m);
      // Five members on four partitions: exactly one is idle.
      await addMember('m4');
      await addMember('m5');
      await waitFor('5 members', settled(5));
      expect(members.map((m) => m.assigned.length).sort()).toEqual([0, 1, 1, 1, 1]);
      // Two leave: the remaining three take every partition again.
      for (const m of members.splice(0, 2)) await m.consumer.disconnect();
      await waitFor('3 members after leaving', settled(3));
      // Offsets committed by the group are visible to the admin client.
      const offsets = await admin.fetchOffsets({ groupId: 'kjs', topics: [topic] });
      expect(offsets[0]!.partitions.map((p) => Number(p.offset)).sort()).toEqual([10, 10, 10, 10]);
    } finally {
      for (const m of members) await m.consumer.disconnect();
      await admin.disconnect();
    }
  });

  it('kcat -G commits what it read; a second run reads only the new records; KafkaJS sees the commits', async () => {
    const topic = 'kcat-group';
    await createTopic(broker.bootstrap, topic, PARTITIONS);
    const produce = (from: number, count: number) => kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':'], {
      input: Array.from({ length: count }, (_, i) => `k${(from + i) % 7}:r${from + i}`).join('\n') + '\n',
    });
    expectOk(await produce(0, 40), 'kcat -P');
    const consume = async (): Promise<string[]> => {
      const r = expectOk(await kcat(['-b', broker.bootstrap, '-G', 'kc', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n', '-X', 'session.timeout.ms=6000', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100', topic], { timeoutMs: 40_000 }), 'kcat -G');
      return parseConsumed(r.stdout.toString('utf8')).map((l) => l.value);
    };
    const first = await consume();
    expect(first).toHaveLength(40);
    expectOk(await produce(40, 10), 'kcat -P');
    const second = await consume();
    expect(second.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${40 + i}`).sort());
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kc', topics: [topic] });
      expect(offsets[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0)).toBe(50);
    } finally {
      await admin.disconnect();
    }
  });

  for (const strategy of ['range', 'cooperative-sticky']) {
    it(`two kcat -G instances at once (${strategy}) split 40 records between them: none lost, none read twice`, async () => {
      const topic = `kcat-two-${strategy}`;
      const group = `kc2-${strategy}`;
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':'], { input: Array.from({ length: 40 }, (_, i) => `k${i % 7}:r${i}`).join('\n') + '\n' }), 'kcat -P');
      const instance = () => kcat(['-b', broker.bootstrap, '-G', group, '-c', '20', '-q', '-f', '%p\\t%o\\t%k\\t%s\\n',
        '-X', 'auto.offset.reset=earliest', '-X', `partition.assignment.strategy=${strategy}`, '-X', 'session.timeout.ms=6000',
        '-X', 'fetch.wait.max.ms=100', topic], { timeoutMs: 60_000 });
      const [a, b] = await Promise.all([instance(), instance()]);
      const values = [a, b].flatMap((r) => parseConsumed(expectOk(r, 'kcat -G').stdout.toString('utf8')).map((l) => l.value));
      expect(values.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `r${i}`).sort());
    });
  }

  it('python3-confluent-kafka: manual commits; SIGKILL after half; a new member resumes at the commit; offsets survive a restart', async () => {
    const topic = 'py-group';
    await createTopic(broker.bootstrap, topic, 2);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 2, value: `p${i}` })) });
    await producer.disconnect();
    // First consumer: reads and commits (synchronously, per record) 20 records, reports, then hangs until killed.
    const first = spawn(PYTHON, ['-c', PY_GROUP_CONSUMER, broker.bootstrap, topic, '20', 'hang'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const exited = new Promise((resolve) => first.once('close', resolve));
    try {
      await waitFor('the first python consumer to commit 20 records', () => out.includes('"committed"'), 60_000);
    } finally {
      first.kill('SIGKILL');
      await exited;
    }
    const firstReport = JSON.parse(out.trim().split('\n').pop()!) as { values: string[] };
    expect(firstReport.values).toHaveLength(20);
    // A new member takes over after the dead one's session times out, from the committed offsets.
    const second = await runPython([broker.bootstrap, topic, '20', 'exit']);
    const all = [...firstReport.values, ...second.values].sort();
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => `p${i}`).sort());
    // Restart: the committed offsets are still there, for every client.
    await broker.stop();
    broker = await startBroker({ dataDir: broker.dataDir, overrides: OVERRIDES });
    kafka = new Kafka({ clientId: 'groups-conformance', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      let sum = 0;
      await waitFor('offsets after restart', async () => {
        const offsets = await admin.fetchOffsets({ groupId: 'py', topics: [topic] });
        sum = offsets[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
        return sum === 40;
      });
      expect(sum).toBe(40);
    } finally {
      await admin.disconnect();
    }
  });
});

async function runPython(args: string[]): Promise<{ values: string[] }> {
  const { python } = await import('./harness.ts');
  const r = expectOk(await python(PY_GROUP_CONSUMER, args, { timeoutMs: 60_000 }), 'python group consumer');
  return JSON.parse(r.stdout.toString('utf8').trim().split('\n').pop()!) as { values: string[] };
}

/** argv: bootstrap topic count then; consumes `count` records in group "py", committing each synchronously. */
const PY_GROUP_CONSUMER = `
import json, sys, time
from confluent_kafka import Consumer
bootstrap, topic, count, then = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py', 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500,
              'fetch.wait.max.ms': 100})
c.subscribe([topic])
values = []
deadline = time.time() + 45
while len(values) < count and time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    values.append(m.value().decode())
    c.commit(message=m, asynchronous=False)
print(json.dumps({'committed': len(values), 'values': values}), flush=True)
if then == 'hang':
    time.sleep(600)
c.close()
`;
