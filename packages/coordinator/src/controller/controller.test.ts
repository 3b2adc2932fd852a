// The controller on the simulated store: election and its fence, topic creation with
// Kafka's assignment, leader failover on a fenced broker, controlled shutdown,
// CreatePartitions, DeleteTopics, unknown outcomes settled by read-back, and the run loop.
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { TestCluster } from './testing/test-cluster.ts';
import { ClusterKeys } from './cluster-keys.ts';
import { ControllerState } from './controller-state.ts';
import { Controller } from './controller.ts';
import { decodeConfigRecord } from './cluster-records.ts';

async function threeBrokers(seed = 1, racks = false): Promise<TestCluster> {
  const c = new TestCluster(seed);
  for (const id of [1, 2, 3]) await c.register(id, racks ? `r${id}` : null);
  await c.refreshAll();
  expect(await c.controllers.get(1)!.campaign(c.leases.get(1)!)).toBe(true);
  await c.refreshAll();
  return c;
}

describe('Controller', () => {
  it('refuses a config outside what one etcd txn can carry, instead of clamping it', () => {
    const make = (config: object) => () => new ControllerState({ keys: new ClusterKeys('c'), random: createRandom(1), config });
    expect(make({ partitionsPerTxnMax: 121 })).toThrow(/partitionsPerTxnMax must be an integer in \[1, 120\]/);
    expect(make({ changesPerTxnMax: 0 })).toThrow(/changesPerTxnMax/);
    expect(make({ defaultReplicationFactor: 1.5 })).toThrow(/defaultReplicationFactor/);
    expect(make({ partitionsPerTxnMax: 120 })).not.toThrow();
  });

  it('elects one controller; its epoch is the key create revision', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    expect(await c.controllers.get(2)!.campaign(c.leases.get(2)!)).toBe(false);
    const kv = await c.store.get(c.keys.controller);
    expect(one.state.activeSession!.epoch).toBe(kv!.createRevision);
    expect(c.controllers.get(2)!.isController).toBe(false);
  });

  it('adopts a campaign whose answer was lost once the image shows the key holds its record', async () => {
    const c = new TestCluster(3);
    for (const id of [1, 2]) await c.register(id);
    await c.refreshAll();
    c.store.faults.armUnknownOutcome(true); // the put lands, the answer is lost
    expect(await c.controllers.get(1)!.campaign(c.leases.get(1)!)).toBe(false);
    expect(await c.controllers.get(2)!.campaign(c.leases.get(2)!)).toBe(false); // the key is taken
    await c.refreshAll();
    expect(c.controllers.get(1)!.isController).toBe(true);
    expect(c.controllers.get(2)!.isController).toBe(false);
    expect((await c.controllers.get(1)!.createTopic({ name: 't', partitionCount: 2 })).ok).toBe(true);
  });

  it('creates a 12-partition topic with 4 leaders per broker, leader first in the ISR', async () => {
    const c = await threeBrokers();
    const reply = await c.controllers.get(1)!.createTopic({ name: 'orders', partitionCount: 12, replicationFactor: 3 });
    expect(reply).toEqual({ ok: true, topicId: c.topic('orders')!.topicId });
    const parts = c.partitions('orders');
    expect(parts).toHaveLength(12);
    const leaders = new Map<number, number>();
    for (const p of parts) {
      expect(p.leader).toBe(p.replicas[0]);
      expect(p.isr).toEqual(p.replicas);
      leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
    }
    expect([...leaders.values()]).toEqual([4, 4, 4]);
    expect((await c.controllers.get(1)!.createTopic({ name: 'orders', partitionCount: 1 })).ok).toBe(false);
  });

  it('creates a topic larger than one txn (partitions first, topic record last)', async () => {
    const c = new TestCluster(2, { partitionsPerTxnMax: 10 });
    await c.register(1);
    await c.refreshAll();
    await c.controllers.get(1)!.campaign(c.leases.get(1)!);
    const before = c.store.revision;
    expect((await c.controllers.get(1)!.createTopic({ name: 'big', partitionCount: 35, configs: { 'cleanup.policy': 'compact' } })).ok).toBe(true);
    expect(c.partitions('big')).toHaveLength(35);
    expect(c.store.revision - before).toBe(4); // 10 + 10 + 10 + (5 and the topic); the clean-up step wrote nothing
  });

  it('takes a user replica assignment and refuses a bad one', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    expect((await one.createTopic({ name: 't', assignment: [[2, 3], [3, 1]] })).ok).toBe(true);
    expect(c.partitions('t').map((p) => p.leader)).toEqual([2, 3]);
    expect(await one.createTopic({ name: 'u', assignment: [[2, 9]] })).toMatchObject({ ok: false, code: 'INVALID_REPLICA_ASSIGNMENT' });
    expect(await one.createTopic({ name: 'u', partitionCount: 1, replicationFactor: 4 })).toMatchObject({ ok: false, code: 'INVALID_REPLICATION_FACTOR' });
    expect(await one.createTopic({ name: 'bad/name' })).toMatchObject({ ok: false, code: 'INVALID_TOPIC_EXCEPTION' });
  });

  it('a deposed controller cannot write: its txn fails the fence', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    c.kill(1); // the lease goes: the controller key and broker 1's registration with it
    await c.controllers.get(2)!.refresh();
    expect(await c.controllers.get(2)!.campaign(c.leases.get(2)!)).toBe(true);
    // Broker 1 has not seen any of it (a long pause) and still thinks it is the controller.
    expect(one.isController).toBe(true);
    const revision = c.store.revision;
    expect(await one.createTopic({ name: 'late', partitionCount: 1 })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
    expect(c.store.revision).toBe(revision);
    expect(c.topic('late')).toBeNull();
    await one.refresh();
    expect(one.isController).toBe(false);
  });

  it('a broker that restarted unseen (its registration replaced in one step) leads no epoch its old incarnation led and leaves the ISRs', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    await one.createTopic({ name: 'r3', assignment: [[2, 3, 1], [3, 2, 1]] });
    await one.createTopic({ name: 'r1', assignment: [[2]] });
    // Broker 2 dies and registers again before the controller looks: it never seems missing.
    c.kill(2);
    await c.register(2);
    await one.refresh();
    const [p0, p1] = c.partitions('r3');
    expect(p0).toMatchObject({ leader: 3, isr: [3, 1], leaderEpoch: 1 }); // it led: a new leader, a new epoch
    expect(p1).toMatchObject({ leader: 3, isr: [3, 1], leaderEpoch: 0 }); // it followed: out of the ISR
    // Its lone partition goes offline for a step, then it leads again in a NEW epoch.
    await one.refresh();
    expect(c.partitions('r1')[0]).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 2 });
  });

  it('moves leadership to the next ISR member when a broker is fenced, and goes offline only with no ISR member left', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    await one.createTopic({ name: 'r3', assignment: [[2, 3, 1], [3, 1, 2]] });
    await one.createTopic({ name: 'r1', assignment: [[2]] });
    c.kill(2);
    await one.refresh();
    const [p0, p1] = c.partitions('r3');
    expect(p0).toMatchObject({ leader: 3, isr: [3, 1], leaderEpoch: 1, partitionEpoch: 1 });
    expect(p1).toMatchObject({ leader: 3, isr: [3, 1], leaderEpoch: 0, partitionEpoch: 1 });
    expect(c.partitions('r1')[0]).toMatchObject({ leader: -1, isr: [2], leaderEpoch: 1, partitionEpoch: 1 });
    // Broker 2 comes back: the offline partition gets its only ISR member back as leader.
    await c.register(2);
    await one.refresh();
    expect(c.partitions('r1')[0]).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 2, partitionEpoch: 2 });
  });

  it('answers a controlled shutdown once the broker leads nothing', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    await one.createTopic({ name: 't', partitionCount: 6, replicationFactor: 2 });
    await one.refresh();
    const reply = one.controlledShutdown(3);
    await one.refresh(); // the image shows the moved leaders (a broker's driver gets them from its watch)
    expect(await reply).toEqual({ ok: true });
    for (const p of c.partitions('t')) {
      expect(p.leader).not.toBe(3);
      expect(p.isr).not.toContain(3);
    }
    // Repeated requests wait with the first, up to a bound.
    const waiting = Array.from({ length: 16 }, () => one.controlledShutdown(2));
    expect(await one.controlledShutdown(2)).toMatchObject({ ok: false, code: 'REQUEST_TIMED_OUT' });
    await one.refresh();
    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 16 }, () => ({ ok: true })));
    // New replicas avoid a broker in controlled shutdown.
    expect((await one.createTopic({ name: 'later', partitionCount: 6, replicationFactor: 1 })).ok).toBe(true);
    expect(c.partitions('later').map((p) => p.replicas)).toEqual(Array.from({ length: 6 }, () => [1]));
    expect(await one.createTopic({ name: 'later2', partitionCount: 1, replicationFactor: 2 })).toMatchObject({ ok: false, code: 'INVALID_REPLICATION_FACTOR' });
  });

  it('adds partitions and deletes topics', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    const created = await one.createTopic({ name: 't', partitionCount: 2, replicationFactor: 2 });
    await one.refresh();
    expect(await one.createPartitions({ topic: 't', totalCount: 5 })).toEqual({ ok: true, topicId: (created as { topicId: string }).topicId });
    expect(c.topic('t')!.partitionCount).toBe(5);
    expect(c.partitions('t').map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
    await one.refresh();
    expect(await one.createPartitions({ topic: 't', totalCount: 5 })).toMatchObject({ ok: false, code: 'INVALID_PARTITIONS' });
    expect(await one.deleteTopic('t')).toEqual({ ok: true });
    expect(c.topic('t')).toBeNull();
    expect(c.partitions('t')).toEqual([]);
    await one.refresh();
    expect(await one.deleteTopic('t')).toMatchObject({ ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('alters topic and broker configs by compare-and-set (replace and incremental)', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    await one.createTopic({ name: 't', partitionCount: 1, configs: { 'retention.ms': '1000' } });
    await one.refresh();
    const configs = async (key: string) => {
      const kv = await c.store.get(key);
      return kv ? decodeConfigRecord(kv.value).configs : null;
    };
    expect(await configs(c.keys.topicConfig('t'))).toEqual({ 'retention.ms': '1000' });
    expect(await one.alterConfigs({ resource: { type: 'topic', name: 't' }, mode: 'incremental', configs: { 'cleanup.policy': 'compact', 'retention.ms': null } })).toEqual({ ok: true });
    expect(await configs(c.keys.topicConfig('t'))).toEqual({ 'cleanup.policy': 'compact' });
    // A stale image (the key changed since it was read) fails the compare instead of overwriting.
    expect(await one.alterConfigs({ resource: { type: 'topic', name: 't' }, mode: 'replace', configs: { 'segment.ms': '5' } })).toMatchObject({ ok: false, code: 'REQUEST_TIMED_OUT' });
    await one.refresh();
    expect(await one.alterConfigs({ resource: { type: 'topic', name: 't' }, mode: 'replace', configs: { 'segment.ms': '5' } })).toEqual({ ok: true });
    expect(await configs(c.keys.topicConfig('t'))).toEqual({ 'segment.ms': '5' });
    expect(await one.alterConfigs({ resource: { type: 'broker', brokerId: 2 }, mode: 'incremental', configs: { 'log.retention.ms': '7' } })).toEqual({ ok: true });
    expect(await configs(c.keys.brokerConfig(2))).toEqual({ 'log.retention.ms': '7' });
    expect(await one.alterConfigs({ resource: { type: 'topic', name: 'nope' }, mode: 'replace', configs: {} })).toMatchObject({ ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('settles an unknown outcome by reading back: applied → acknowledged, lost → retried', async () => {
    const c = await threeBrokers();
    const one = c.controllers.get(1)!;
    c.store.faults.armUnknownOutcome(false); // the clean-up step is lost: idempotent, retried
    const a = await one.createTopic({ name: 'a', partitionCount: 1 });
    expect(a.ok).toBe(true);
    expect(c.topic('a')).not.toBeNull();
    c.store.faults.armUnknownOutcome(false);
    c.store.faults.armUnknownOutcome(true); // clean-up lost, then the final step lands but its answer is lost
    const b = await one.createTopic({ name: 'b', partitionCount: 1 });
    expect(b).toEqual({ ok: true, topicId: c.topic('b')!.topicId });
    c.store.faults.armUnavailable(3);
    expect((await one.createTopic({ name: 'c', partitionCount: 1 })).ok).toBe(true);
  });

  it('shows every image to onImage, after each refresh and each watch batch, in revision order', async () => {
    const c = new TestCluster(7);
    await c.register(1);
    const seen: number[] = [];
    const watcher = new Controller({ store: c.store, keys: c.keys, brokerId: 9, clock: c.clock, random: createRandom(9), onImage: (image) => seen.push(image.revision) });
    const thrower = new Controller({ store: c.store, keys: c.keys, brokerId: 8, clock: c.clock, random: createRandom(8), onImage: () => { throw new Error('a listener bug'); } });
    const first = await watcher.refresh();
    expect(await thrower.refresh()).toBe(first); // a throwing listener does not stop the driver
    expect(seen).toEqual([first]);
    await c.register(2);
    const stop = new AbortController();
    const batches = (async () => {
      for await (const batch of c.store.watch(c.keys.root, first + 1, stop.signal)) {
        await watcher.applyBatch(batch);
        if (batch.revision === c.store.revision) stop.abort();
      }
    })();
    await batches;
    expect(seen).toEqual([first, c.store.revision]);
    expect(watcher.state.image.brokers.has(2)).toBe(true);
  });

  it('runs: watches, campaigns when the key is free, and fails over to another broker', async () => {
    const c = new TestCluster(5);
    for (const id of [1, 2]) await c.register(id);
    const stop = new AbortController();
    const loops = [...c.controllers.values()].map((k) => k.run(c.leases.get(k.brokerId)!, stop.signal, 500));
    try {
      await until(() => [...c.controllers.values()].some((k) => k.isController));
      const first = [...c.controllers.values()].find((k) => k.isController)!;
      const other = [...c.controllers.values()].find((k) => k !== first)!;
      expect((await first.createTopic({ name: 't', partitionCount: 4, replicationFactor: 2 })).ok).toBe(true);
      c.kill(first.brokerId);
      await until(() => other.isController && c.partitions('t').every((p) => p.leader === other.brokerId));
      expect(first.isController).toBe(false);
    } finally {
      stop.abort();
      await Promise.allSettled(loops);
    }
  });
});

/** Bounded poll: lets the drivers' promises run (a macrotask per round). */
async function until(done: () => boolean, roundsMax = 2000): Promise<void> {
  for (let i = 0; i < roundsMax; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error('condition not reached');
}
