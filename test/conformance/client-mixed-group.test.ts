/**
 * One classic consumer group with @samsa/client members and a librdkafka member
 * (python3-confluent-kafka, a client nobody here wrote), against the broker process —
 * issue 17. Both sides offer only `cooperative-sticky` (KIP-429 incremental rebalancing),
 * so whichever member leads runs the same assignor for the other client's members.
 * On one 6-partition topic:
 *   1. The librdkafka member joins first (so it is the group leader and assigns the samsa
 *      members' partitions), then two samsa members join. The three assignments — each
 *      samsa member's `assignment()`, the python member's own `assignment()` — are
 *      non-empty, disjoint and cover the topic, and DescribeGroups (@samsa/client's Admin)
 *      shows the same three assignments, Stable, protocol cooperative-sticky.
 *   2. 60 records (kcat): each read exactly once across the members, by its partition's owner.
 *   3. A samsa member closes (commits, leaves): the other two take its partitions (the
 *      librdkafka leader moves them) and read 60 new records once each; nothing old again.
 *   4. The librdkafka member closes: the remaining samsa member (now the leader) owns all
 *      six and reads 60 more once each; nothing old again.
 *   5. It closes: the group's committed offsets are the log end.
 * Every wait has a deadline; the python child is killed in afterEach whatever happened.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, cooperativeStickyAssignor } from '../../packages/client/src/index.ts';
import type { ClassicGroupDescription } from '../../packages/client/src/index.ts';
import { nodeRuntime } from '../../packages/runtime/src/node/index.ts';
import { createTopic, expectOk, kcat, kcatReadAll, PYTHON, RUNTIMES, sleep, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess, ConsumedLine } from './harness.ts';

const PARTITIONS = 6;
const ROUND = 60;
const OVERRIDES = ['group.initial.rebalance.delay.ms=0', 'offsets.topic.num.partitions=3'];
const PY_CLIENT_ID = 'confluent-member';

/**
 * The librdkafka member: subscribes with cooperative-sticky and prints one JSON line per
 * record ({"r": [partition, offset, value]}) and per assignment change ({"a": [...]}); on
 * "close" (or stdin EOF, or after 120 s) it closes (commit, leave) and prints {"closed": …}.
 */
const PY_MEMBER = `
import json, sys, threading, time
from confluent_kafka import Consumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
stop = threading.Event()
def watch():
    for line in sys.stdin:
        if line.strip() == 'close':
            break
    stop.set()
threading.Thread(target=watch, daemon=True).start()
def out(o):
    sys.stdout.write(json.dumps(o) + '\\n')
    sys.stdout.flush()
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': '${PY_CLIENT_ID}',
              'partition.assignment.strategy': 'cooperative-sticky', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': True, 'auto.commit.interval.ms': 1000, 'session.timeout.ms': 10000,
              'heartbeat.interval.ms': 300, 'max.poll.interval.ms': 10000, 'fetch.wait.max.ms': 100,
              'enable.partition.eof': False})
c.subscribe([topic])
errors = []
last = None
deadline = time.time() + 120
while not stop.is_set() and time.time() < deadline:
    m = c.poll(0.05)
    a = sorted(tp.partition for tp in c.assignment())
    if a != last:
        out({'a': a})
        last = a
    if m is None:
        continue
    if m.error() is not None:
        errors.append(str(m.error()))
        continue
    out({'r': [m.partition(), m.offset(), (m.value() or b'').decode()]})
c.close()
out({'closed': True, 'errors': errors})
`;

/** [partition, offset, value] */
type Read = [number, number, string];

/** Polls `check` until true; past the deadline fails with `what` (a function: evaluated then, to show the state). */
async function waitFor(what: string | (() => string), check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
}

class PythonMember {
  readonly records: Read[] = [];
  assignment: number[] = [];
  closed: { errors: string[] } | null = null;
  stderr = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;

  constructor(script: string, bootstrap: string, topic: string, group: string) {
    this.child = spawn(PYTHON, [script, bootstrap, topic, group], { stdio: 'pipe' });
    let buffered = '';
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === '') continue;
        const parsed = JSON.parse(line) as { r?: Read; a?: number[]; closed?: true; errors?: string[] };
        if (parsed.r) this.records.push(parsed.r);
        else if (parsed.a) this.assignment = parsed.a;
        else if (parsed.closed) this.closed = { errors: parsed.errors ?? [] };
      }
    });
    this.child.stderr.on('data', (chunk: Buffer) => void (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Asks it to close (commit, leave); SIGKILL past 20 s. */
  async close(): Promise<number | null> {
    this.child.stdin.write('close\n');
    const timer = setTimeout(() => this.kill(), 20_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

class SamsaMember {
  readonly name: string;
  readonly records: Read[] = [];
  readonly consumer: Consumer;
  error: unknown = null;
  private readonly loop: Promise<void>;

  constructor(name: string, bootstrap: string, topic: string, group: string) {
    this.name = name;
    this.consumer = new Consumer({
      ...nodeRuntime(),
      bootstrap: [bootstrap],
      clientId: name,
      groupId: group,
      assignors: [cooperativeStickyAssignor],
      autoOffsetReset: 'earliest',
      heartbeatIntervalMs: 300,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      autoCommitIntervalMs: 1_000,
      fetchMaxWaitMs: 100,
    });
    this.consumer.subscribe([topic]);
    this.loop = this.consumer.run({
      eachBatch: (batch) => {
        for (const r of batch.records) this.records.push([r.partition, Number(r.offset), new TextDecoder().decode(r.value!)]);
      },
    }).catch((error: unknown) => void (this.error = error));
  }

  assignment(): number[] {
    return this.consumer.assignment().map((tp) => tp.partition).sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.loop;
  }
}

for (const runtime of RUNTIMES) {
  describe(`one consumer group of @samsa/client and librdkafka (confluent-kafka) members on the ${runtime} broker`, () => {
    const dir = tempDir(`client-mixed-group-${runtime}`);
    let broker: BrokerProcess;
    let admin: Admin;
    let script: string;
    const python: PythonMember[] = [];
    const samsa: SamsaMember[] = [];

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime, overrides: OVERRIDES });
      admin = new Admin({ ...nodeRuntime(), bootstrap: [broker.bootstrap], clientId: 'mixed-admin' });
      script = join(dir.path, 'member.py');
      writeFileSync(script, PY_MEMBER);
    }, 60_000);

    afterEach(async () => {
      for (const p of python.splice(0)) p.kill();
      await Promise.allSettled(samsa.splice(0).map((m) => m.close()));
    });

    afterAll(async () => {
      await admin?.close();
      await broker?.stop();
      dir.remove();
    });

    it('cooperative-sticky on both sides: disjoint assignments covering the topic, each record read once, partitions taken over when members leave', async () => {
      const topic = 'mixed-client-group';
      const group = `mixed-client-${runtime}`;
      await createTopic(broker.bootstrap, topic, PARTITIONS);
      let round = 0;
      const produced: ConsumedLine[] = [];
      /** kcat writes ROUND keyed records; resolves them as kcat -C reads them (partition, offset). */
      const produceRound = async (): Promise<ConsumedLine[]> => {
        round++;
        const path = join(dir.path, `round-${round}.txt`);
        writeFileSync(path, Array.from({ length: ROUND }, (_, i) => `k${i}:r${round}-${i}`).join('\n') + '\n');
        expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':', '-z', 'lz4', '-l', path]), `kcat -P round ${round}`);
        const mine = (await kcatReadAll(broker.bootstrap, topic)).filter((l) => l.value.startsWith(`r${round}-`));
        expect(mine.map((l) => l.value).sort()).toEqual(Array.from({ length: ROUND }, (_, i) => `r${round}-${i}`).sort());
        produced.push(...mine);
        return mine;
      };
      const describeGroup = async (): Promise<ClassicGroupDescription> => (await admin.describeGroups([group]))[0]!;
      /** The assignment per clientId as DescribeGroups reports it (sorted partitions). */
      const described = (g: ClassicGroupDescription): Record<string, number[]> =>
        Object.fromEntries(g.members.map((m) => [m.clientId, [...(m.assignment?.partitions.get(topic) ?? [])].sort((a, b) => a - b)]));
      const views = (members: readonly { assignment: () => number[] }[]): number[][] => members.map((m) => m.assignment());
      const coversDisjointly = (owned: readonly number[][]): boolean =>
        owned.every((ps) => ps.length > 0) && owned.flat().length === PARTITIONS && new Set(owned.flat()).size === PARTITIONS;
      /** Waits until the members' own views split the topic and DescribeGroups agrees (Stable). */
      const waitSplit = async (what: string, members: readonly { name: string; assignment: () => number[] }[]): Promise<Record<string, number[]>> => {
        let last: Record<string, number[]> = {};
        const state = (): string => `${what}: own views ${JSON.stringify(Object.fromEntries(members.map((m) => [m.name, m.assignment()])))}, DescribeGroups ${JSON.stringify(last)}`;
        await waitFor(state, async () => {
          if (!coversDisjointly(views(members))) return false;
          const g = await describeGroup();
          last = described(g);
          if (g.state !== 'Stable' || g.protocol !== 'cooperative-sticky' || g.members.length !== members.length) return false;
          return members.every((m) => JSON.stringify(last[m.name]) === JSON.stringify(m.assignment()));
        });
        return last;
      };
      /** Every member that ever ran (python/samsa hold only the running ones, for cleanup). */
      const readers: { records: Read[] }[] = [];
      const everyRead = (): Read[] => readers.flatMap((m) => m.records);
      /** Every record produced so far read exactly once (in total), each where kcat found it. */
      const expectEachOnce = async (what: string): Promise<void> => {
        const state = (): string => JSON.stringify({
          produced: produced.length,
          python: python.map((p) => ({ assignment: p.assignment, read: p.records.length, stderr: p.stderr.slice(-500) })),
          samsa: samsa.map((m) => ({ name: m.name, assignment: m.assignment(), read: m.records.length, group: m.consumer.groupState, error: String(m.error), positions: m.assignment().map((p) => String(m.consumer.position({ topic, partition: p }))) })),
        });
        await waitFor(() => `${what}: ${state()}`, () => everyRead().length >= produced.length);
        await sleep(500); // a duplicate would show up here
        const key = (r: Read): string => `${r[0]}:${r[1]}:${r[2]}`;
        expect(everyRead().map(key).sort(), what).toEqual(produced.map((l) => key([l.partition, l.offset, l.value])).sort());
      };
      const readIn = (records: readonly Read[], r: number): Read[] => records.filter(([, , v]) => v.startsWith(`r${r}-`));
      const pythonMember = { name: PY_CLIENT_ID, assignment: (): number[] => py.assignment };

      // 1. librdkafka first (the leader), then two samsa members.
      const py = new PythonMember(script, broker.bootstrap, topic, group);
      python.push(py);
      readers.push(py);
      await waitFor(() => `the librdkafka member owns the topic alone (stderr: ${py.stderr})`, () => py.assignment.length === PARTITIONS);
      const a = new SamsaMember('samsa-a', broker.bootstrap, topic, group);
      const b = new SamsaMember('samsa-b', broker.bootstrap, topic, group);
      samsa.push(a, b);
      readers.push(a, b);
      const split3 = await waitSplit('three members split the topic', [pythonMember, a, b]);
      expect(Object.keys(split3).sort()).toEqual([PY_CLIENT_ID, 'samsa-a', 'samsa-b']);

      // 2. Each record once, by its partition's owner.
      await produceRound();
      await expectEachOnce('round 1 read once across the three members');
      for (const m of [pythonMember, a, b]) {
        const records = m === pythonMember ? py.records : (m as SamsaMember).records;
        for (const [p] of readIn(records, 1)) expect(split3[m.name], `${m.name} read partition ${p}`).toContain(p);
      }
      expect(readIn(py.records, 1).length, 'the librdkafka member read its share').toBeGreaterThan(0);
      expect(readIn(a.records, 1).length).toBeGreaterThan(0);
      expect(readIn(b.records, 1).length).toBeGreaterThan(0);

      // 3. samsa-b leaves: the other two take over its partitions.
      await b.close();
      samsa.splice(samsa.indexOf(b), 1);
      expect(b.error).toBeNull();
      const split2 = await waitSplit('samsa-b left, two members split the topic', [pythonMember, a]);
      // cooperative-sticky: the survivors keep what they had.
      for (const name of [PY_CLIENT_ID, 'samsa-a']) for (const p of split3[name]!) expect(split2[name]).toContain(p);
      await produceRound();
      await expectEachOnce('round 2 read once across the two members, nothing read again');
      for (const [p] of readIn(py.records, 2)) expect(split2[PY_CLIENT_ID]).toContain(p);
      for (const [p] of readIn(a.records, 2)) expect(split2['samsa-a']).toContain(p);
      expect(readIn(b.records, 2)).toEqual([]);

      // 4. The librdkafka member leaves: samsa-a owns everything.
      expect(await py.close(), py.stderr).toBe(0);
      python.splice(0);
      expect(py.closed?.errors).toEqual([]);
      await waitSplit('the librdkafka member left, samsa-a owns the topic', [a]);
      await produceRound();
      await expectEachOnce('round 3 read once by samsa-a, nothing read again');
      expect(readIn(a.records, 3).length).toBe(ROUND);
      expect(a.error).toBeNull();

      // 5. The group's committed offsets are the log end.
      await a.close();
      samsa.splice(0);
      const [offsets] = await admin.listConsumerGroupOffsets([group]);
      const ends = Array.from({ length: PARTITIONS }, (_, p) => produced.filter((l) => l.partition === p).length);
      expect(offsets!.offsets.filter((o) => o.topic === topic).map((o) => [o.partition, o.offset])).toEqual(ends.map((end, p) => [p, end]));
    }, 90_000);
  });
}
