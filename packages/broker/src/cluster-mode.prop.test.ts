// Property: TopicRegistry.applyView (cluster mode) over random sequences of cluster views
// — topics created, deleted and recreated under new ids, partitions added, leaders
// moving, replicas added and removed, the lease lost and renewed — on a broker opened with
// a FakeClusterLink over the memory file system.
//
// Invariants checked after every view:
//   1. the registry's local replicas are exactly the view's partitions whose replicas
//      include this node, under the view's topic ids;
//   2. the partition directories on disk are exactly those replicas (removed replicas'
//      logs are gone);
//   3. each replica's role and epoch are the view's (leader iff leader = this node and the
//      lease is valid);
//   4. a replica of a new incarnation of a topic (same name, new id) is a new replica,
//      never the old one's log;
//   5. the LeadershipChange events replayed from the start (leader/follower set a
//      replica's role and epoch, `deleted` drops it) give exactly the current leader set
//      with the latest epochs, and exactly the current replicas.
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import type { ClusterView } from './cluster/cluster-view.ts';
import type { LeadershipChange } from './cluster/leadership-events.ts';
import { parseServerConfig } from './config/server-config.ts';
import { buildClusterView, FakeClusterLink } from './testing/fake-cluster-link.ts';
import type { TopicSpec } from './testing/fake-cluster-link.ts';

const ME = 1;
const NODES = [1, 2, 3];
const NAMES = ['a', 'b', 'c'];
/** A 22-char topic id per (name, incarnation). */
const idOf = (name: string, incarnation: number) => `${name}${incarnation}`.padEnd(22, 'x');

interface Step {
  readonly topics: ReadonlyArray<{ readonly name: string; readonly incarnation: number; readonly partitions: ReadonlyArray<{ readonly replicas: number[]; readonly leaderPick: number; readonly leaderEpoch: number }> }>;
  readonly leaseValid: boolean;
}

const partitionArb = fc.record({
  replicas: fc.subarray(NODES, { minLength: 1 }),
  leaderPick: fc.integer({ min: -1, max: 2 }),
  leaderEpoch: fc.integer({ min: 0, max: 4 }),
});
const stepArb: fc.Arbitrary<Step> = fc.record({
  topics: fc.uniqueArray(
    fc.record({ name: fc.constantFrom(...NAMES), incarnation: fc.integer({ min: 0, max: 1 }), partitions: fc.array(partitionArb, { minLength: 1, maxLength: 3 }) }),
    { selector: (t) => t.name, maxLength: 3 },
  ),
  leaseValid: fc.boolean(),
});

function viewOf(step: Step, revision: number): ClusterView {
  const topics: TopicSpec[] = step.topics.map((t) => ({
    name: t.name,
    topicId: idOf(t.name, t.incarnation),
    partitions: t.partitions.map((p) => ({ replicas: p.replicas, leader: p.leaderPick < 0 ? -1 : p.replicas[p.leaderPick % p.replicas.length]!, leaderEpoch: p.leaderEpoch })),
  }));
  return buildClusterView({ revision, controllerId: 2, brokers: NODES.map((nodeId) => ({ nodeId })), topics });
}

const key = (topic: string, partition: number) => `${topic}-${partition}`;

/** The replica objects seen so far by key, with the topic id they were seen under. */
type Seen = Map<string, { readonly topicId: string; readonly replica: object }>;

async function check(broker: Broker, fs: MemoryFileSystem, view: ClusterView, leaseValid: boolean, events: readonly LeadershipChange[], seen: Seen): Promise<void> {
  const expected = new Map<string, { leader: boolean; epoch: number; topicId: string }>();
  for (const t of view.topics.values()) {
    for (const p of t.partitions) if (p.replicas.includes(ME)) expected.set(key(t.name, p.partition), { leader: p.leader === ME && leaseValid, epoch: p.leaderEpoch, topicId: t.topicId });
  }
  // 1 and 3: the registry's replicas, roles and epochs.
  const local = new Map<string, { leader: boolean; epoch: number; topicId: string }>();
  for (const t of broker.registry.topics()) for (const p of t.partitions) local.set(key(t.record.name, p.index), { leader: p.isLeader, epoch: p.leaderEpoch, topicId: t.record.topicId });
  expect(local).toEqual(expected);
  for (const k of expected.keys()) {
    const [topic, partition] = [k.slice(0, k.lastIndexOf('-')), Number(k.slice(k.lastIndexOf('-') + 1))];
    expect(broker.registry.partition(topic, partition)?.index).toBe(partition);
  }
  // 2: the partition directories on disk (retired ones carry a '.' suffix).
  const dirs = (await fs.readDir('/data')).filter((n) => /^[a-c]-\d+$/.test(n));
  expect(dirs.sort()).toEqual([...expected.keys()].sort());
  // 4: a new incarnation never keeps the old replica.
  for (const t of broker.registry.topics()) {
    for (const p of t.partitions) {
      const k = key(t.record.name, p.index);
      const before = seen.get(k);
      if (before !== undefined && before.topicId !== t.record.topicId) expect(p).not.toBe(before.replica);
      seen.set(k, { topicId: t.record.topicId, replica: p });
    }
  }
  // 5: the events replayed.
  const replayed = new Map<string, { leader: boolean; epoch: number }>();
  for (const e of events) {
    if (e.deleted) replayed.delete(key(e.topic, e.partition));
    else replayed.set(key(e.topic, e.partition), { leader: e.role === 'leader', epoch: e.leaderEpoch });
  }
  expect(replayed).toEqual(new Map([...expected].map(([k, v]) => [k, { leader: v.leader, epoch: v.epoch }])));
}

describe('cluster mode: applyView', () => {
  it('keeps the local replicas, the files and the replayed leadership events equal to the latest view', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (steps) => {
        const clock = new ManualClock();
        const fs = new MemoryFileSystem({ clock, metadataDurability: 'immediate' });
        const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', `node.id=${ME}`] });
        const link = new FakeClusterLink(ME, buildClusterView({ revision: 0 }));
        const broker = await Broker.open({ config, fs, clock, random: createRandom(1), cluster: link });
        try {
          const events: LeadershipChange[] = [];
          const seen: Seen = new Map();
          broker.registry.leadership.subscribe((e) => events.push(e));
          let revision = 0;
          for (const step of steps) {
            const view = viewOf(step, ++revision);
            link.setLeaseValid(step.leaseValid);
            link.publish(view);
            await broker.settled();
            await check(broker, fs, view, step.leaseValid, events, seen);
          }
        } finally {
          await broker.shutdown();
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
