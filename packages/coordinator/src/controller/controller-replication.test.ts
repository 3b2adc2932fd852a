// The controller side of replication (issue 14) on the simulated store: AlterPartition (the
// leader's ISR proposals, Kafka's KIP-497/KIP-841 errors), a fenced broker that returns
// staying out of the ISR, unclean leader election (per topic, off by default), ElectLeaders
// (preferred and unclean), the auto leader rebalance, and partition reassignments.
import { describe, expect, it } from 'vitest';
import { TestCluster } from './testing/test-cluster.ts';
import type { Controller } from './controller.ts';
import type { AlterPartitionRequest, ControllerConfig } from './controller-types.ts';
import type { PartitionRecord } from './cluster-records.ts';

async function cluster(config: ControllerConfig = {}, brokers = [1, 2, 3], imbalanceCheckMs?: number): Promise<{ c: TestCluster; one: Controller }> {
  const c = new TestCluster(7, config, imbalanceCheckMs);
  for (const id of brokers) await c.register(id);
  await c.refreshAll();
  const one = c.controllers.get(1)!;
  expect(await one.campaign(c.leases.get(1)!)).toBe(true);
  await one.refresh();
  return { c, one };
}

/** A proposal from the partition's current state, with `newIsr`. */
function proposal(c: TestCluster, topic: string, p: PartitionRecord, newIsr: number[]): AlterPartitionRequest {
  return { topic, topicId: c.topic(topic)!.topicId, partition: p.partition, leaderId: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr };
}

describe('Controller: AlterPartition', () => {
  it('accepts the leader proposal as a compare-and-set with partitionEpoch + 1, shrinking to the leader alone and growing back', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3, 1]] });
    await one.refresh();
    const p = c.partitions('t')[0]!;
    expect(p).toMatchObject({ leader: 2, isr: [2, 3, 1], partitionEpoch: 0 });
    const shrunk = await one.alterPartition(proposal(c, 't', p, [2]));
    expect(shrunk).toMatchObject({ ok: true, partition: { leader: 2, isr: [2], leaderEpoch: 0, partitionEpoch: 1 } });
    expect(c.partitions('t')[0]).toEqual(p.isr && { ...p, isr: [2], partitionEpoch: 1 });
    await one.refresh();
    const grown = await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [2, 1]));
    expect(grown).toMatchObject({ ok: true, partition: { isr: [2, 1], partitionEpoch: 2 } });
    // The same ISR again: answered with the current state, nothing written.
    await one.refresh();
    const revision = c.store.revision;
    expect(await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [2, 1]))).toMatchObject({ ok: true, partition: { partitionEpoch: 2 } });
    expect(c.store.revision).toBe(revision);
  });

  it("refuses with Kafka's errors: stale partition or leader epoch, not the leader, ineligible or illegal ISR", async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3, 1]] });
    await one.refresh();
    const p0 = c.partitions('t')[0]!;
    expect(await one.alterPartition(proposal(c, 't', p0, [2, 3]))).toMatchObject({ ok: true });
    await one.refresh();
    // A second proposal from the state before the first: stale.
    expect(await one.alterPartition(proposal(c, 't', p0, [2]))).toMatchObject({ ok: false, code: 'INVALID_UPDATE_VERSION' });
    const p1 = c.partitions('t')[0]!;
    expect(await one.alterPartition({ ...proposal(c, 't', p1, [3]), leaderId: 3 })).toMatchObject({ ok: false, code: 'NOT_LEADER_OR_FOLLOWER' });
    expect(await one.alterPartition(proposal(c, 't', p1, [3]))).toMatchObject({ ok: false, code: 'INVALID_REQUEST' }); // the leader leaves its own ISR
    expect(await one.alterPartition(proposal(c, 't', p1, [2, 2]))).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(await one.alterPartition(proposal(c, 't', p1, [2, 4]))).toMatchObject({ ok: false, code: 'INVALID_REQUEST' }); // not a replica
    expect(await one.alterPartition({ ...proposal(c, 't', p1, [2]), topicId: 'AAAAAAAAAAAAAAAAAAAAAB' })).toMatchObject({ ok: false, code: 'UNKNOWN_TOPIC_ID' });
    expect(await one.alterPartition({ ...proposal(c, 't', p1, [2]), partition: 1 })).toMatchObject({ ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // Broker 1 shuts down (controlled): it may not join the ISR.
    const shutdown = one.controlledShutdown(1);
    expect(await one.alterPartition(proposal(c, 't', p1, [2, 3, 1]))).toMatchObject({ ok: false, code: 'INELIGIBLE_REPLICA' });
    await one.refresh();
    expect(await shutdown).toEqual({ ok: true });
    // Broker 3 is fenced: the controller moves the leadership to... nobody else in the ISR but 2; 2 stays leader, ISR [2].
    c.kill(3);
    await one.refresh();
    await one.refresh(); // the image shows the controller's own change
    const p2 = c.partitions('t')[0]!;
    expect(p2).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 0 });
    expect(await one.alterPartition(proposal(c, 't', p2, [2, 3]))).toMatchObject({ ok: false, code: 'INELIGIBLE_REPLICA' });
    // Broker 2 is fenced too: the partition goes offline (leader epoch + 1); the old leader's proposal is fenced.
    c.kill(2);
    await one.refresh();
    await one.refresh();
    const p3 = c.partitions('t')[0]!;
    expect(p3).toMatchObject({ leader: -1, isr: [2], leaderEpoch: 1 });
    expect(await one.alterPartition({ ...proposal(c, 't', p2, [2]), partitionEpoch: p3.partitionEpoch })).toMatchObject({ ok: false, code: 'FENCED_LEADER_EPOCH' });
    // Epochs the controller has not seen yet are retriable.
    expect(await one.alterPartition({ ...proposal(c, 't', p3, [2]), leaderEpoch: p3.leaderEpoch + 1 })).toMatchObject({ ok: false, code: 'REQUEST_TIMED_OUT' });
  });

  it('checks the broker epochs of a proposal that carries them (KIP-903): a restarted broker is ineligible', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3, 1]] });
    await one.refresh();
    const p = c.partitions('t')[0]!;
    const epochOf = (b: number): number => one.state.image.brokers.get(b)!.createRevision;
    expect(await one.alterPartition({ ...proposal(c, 't', p, [2, 3]), newIsrBrokerEpochs: [epochOf(2), epochOf(3) + 1] })).toMatchObject({ ok: false, code: 'INELIGIBLE_REPLICA' });
    expect(await one.alterPartition({ ...proposal(c, 't', p, [2, 3]), newIsrBrokerEpochs: [epochOf(2)] })).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(await one.alterPartition({ ...proposal(c, 't', p, [2, 3]), newIsrBrokerEpochs: [-1, epochOf(3)] })).toMatchObject({ ok: true, partition: { isr: [2, 3] } });
  });

  it('never puts a fenced broker back into the ISR when it returns: only the leader expands the ISR', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3, 1], [3, 2, 1]] });
    c.kill(3);
    await one.refresh();
    expect(c.partitions('t').map((p) => p.isr)).toEqual([[2, 1], [2, 1]]);
    await c.register(3);
    await one.refresh();
    await one.tick();
    await one.refresh();
    expect(c.partitions('t').map((p) => p.isr)).toEqual([[2, 1], [2, 1]]);
    const p0 = c.partitions('t')[0]!;
    expect(await one.alterPartition(proposal(c, 't', p0, [2, 1, 3]))).toMatchObject({ ok: true, partition: { isr: [2, 1, 3] } });
  });
});

describe('Controller: unclean leader election', () => {
  it('leaves a partition whose ISR has no live member offline by default', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3]] });
    await one.refresh();
    await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [2]));
    c.kill(2);
    await one.refresh();
    expect(c.partitions('t')[0]).toMatchObject({ leader: -1, isr: [2] });
  });

  it('elects the first live replica (ISR = [it], leader epoch + 1) where the topic enables it, or the broker default does', async () => {
    for (const [config, topicConfigs] of [[{}, { 'unclean.leader.election.enable': 'true' }], [{ uncleanLeaderElectionEnable: true }, {}]] as const) {
      const { c, one } = await cluster(config);
      await one.createTopic({ name: 't', assignment: [[2, 3, 1]], configs: topicConfigs });
      await one.refresh();
      await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [2]));
      c.kill(2);
      await one.refresh();
      expect(c.partitions('t')[0]).toMatchObject({ leader: 3, isr: [3], leaderEpoch: 1, partitionEpoch: 2 });
    }
    // A topic override `false` wins over a broker default `true`.
    const { c, one } = await cluster({ uncleanLeaderElectionEnable: true });
    await one.createTopic({ name: 't', assignment: [[2, 3]], configs: { 'unclean.leader.election.enable': 'false' } });
    await one.refresh();
    await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [2]));
    c.kill(2);
    await one.refresh();
    expect(c.partitions('t')[0]).toMatchObject({ leader: -1, isr: [2] });
  });
});

describe('Controller: ElectLeaders', () => {
  it('moves leadership to the preferred replica when it is live and in the ISR, with per-partition errors', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3], [3, 2], [2, 3]] });
    c.kill(2);
    await one.refresh();
    await c.register(2);
    await one.refresh();
    const ps = c.partitions('t');
    expect(ps.map((p) => p.leader)).toEqual([3, 3, 3]);
    // Partition 0: 2 back in the ISR; partition 2: not yet.
    await one.alterPartition(proposal(c, 't', ps[0]!, [3, 2]));
    await one.refresh();
    const reply = await one.electLeaders({ type: 'preferred', partitions: [0, 1, 2, 5].map((partition) => ({ topic: 't', partition })) });
    expect(reply).toEqual({
      ok: true,
      partitions: [
        { topic: 't', partition: 0, error: null, message: null },
        { topic: 't', partition: 1, error: 'ELECTION_NOT_NEEDED', message: null },
        { topic: 't', partition: 2, error: 'PREFERRED_LEADER_NOT_AVAILABLE', message: null },
        { topic: 't', partition: 5, error: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'no partition t-5' },
      ],
    });
    expect(c.partitions('t')[0]).toMatchObject({ leader: 2, isr: [3, 2], leaderEpoch: 2 });
    // All partitions: those that need no election are left out.
    await one.refresh();
    expect(await one.electLeaders({ type: 'preferred', partitions: null })).toEqual({ ok: true, partitions: [{ topic: 't', partition: 2, error: 'PREFERRED_LEADER_NOT_AVAILABLE', message: null }] });
  });

  it('elects an unclean leader on request even where the topic does not enable it, and only for an offline partition', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[2, 3], [3, 1]] });
    await one.createTopic({ name: 'alone', assignment: [[2]] });
    await one.refresh();
    await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [2]));
    c.kill(2);
    await one.refresh();
    await one.refresh();
    const reply = await one.electLeaders({ type: 'unclean', partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }, { topic: 'alone', partition: 0 }] });
    expect(reply).toMatchObject({ ok: true, partitions: [{ error: null }, { error: 'ELECTION_NOT_NEEDED' }, { error: 'ELIGIBLE_LEADERS_NOT_AVAILABLE' }] });
    expect(c.partitions('t')[0]).toMatchObject({ leader: 3, isr: [3], leaderEpoch: 2 });
  });

  it('refuses when not the controller', async () => {
    const { c } = await cluster();
    expect(await c.controllers.get(2)!.electLeaders({ type: 'preferred', partitions: null })).toMatchObject({ ok: false, code: 'NOT_CONTROLLER' });
  });
});

describe('Controller: auto leader rebalance', () => {
  it('on a tick after the check interval, moves leadership back to preferred replicas of a broker above the imbalance threshold', async () => {
    const { c, one } = await cluster({}, [1, 2, 3], 2000); // below the lease TTL: the manual clock does not renew leases
    await one.createTopic({ name: 't', assignment: [[2, 3], [2, 3], [3, 2]] });
    c.kill(2);
    await one.refresh();
    await c.register(2);
    await one.refresh();
    for (const p of c.partitions('t')) await one.alterPartition(proposal(c, 't', p, [3, 2]));
    await one.refresh();
    expect(c.partitions('t').map((p) => p.leader)).toEqual([3, 3, 3]);
    await one.tick(); // before the interval: nothing moves
    await one.refresh();
    expect(c.partitions('t').map((p) => p.leader)).toEqual([3, 3, 3]);
    c.clock.advance(2000);
    await one.tick();
    await one.refresh();
    expect(c.partitions('t').map((p) => p.leader)).toEqual([2, 2, 3]);
  });

  it('does nothing when disabled, or while the imbalance is within the threshold', async () => {
    for (const config of [{ autoLeaderRebalanceEnable: false }, { leaderImbalancePerBrokerPercentage: 50 }]) {
      const { c, one } = await cluster(config, [1, 2, 3], 1000);
      await one.createTopic({ name: 't', assignment: [[2, 3], [2, 3], [2, 3], [3, 2]] });
      c.kill(2);
      await one.refresh();
      await c.register(2);
      await one.refresh();
      // Only partition 0 gets 2 back in its ISR: 1 of 2's 3 preferred partitions would move (33 %).
      await one.alterPartition(proposal(c, 't', c.partitions('t')[0]!, [3, 2]));
      await one.refresh();
      c.clock.advance(1000);
      await one.tick();
      await one.refresh();
      expect(c.partitions('t').map((p) => p.leader)).toEqual([3, 3, 3, 3]);
    }
  });
});

describe('Controller: partition reassignments', () => {
  it('adds the target replicas at once, lets them join the ISR only through AlterPartition, then completes the move', async () => {
    const { c, one } = await cluster({}, [1, 2, 3, 4]);
    await one.createTopic({ name: 't', assignment: [[2, 3, 1]] });
    await one.refresh();
    const reply = await one.reassignPartitions({ partitions: [{ topic: 't', partition: 0, replicas: [3, 4, 1] }, { topic: 't', partition: 3, replicas: [1] }, { topic: 'nope', partition: 0, replicas: null }] });
    expect(reply).toMatchObject({ ok: true, partitions: [{ error: null }, { error: 'UNKNOWN_TOPIC_OR_PARTITION' }, { error: 'UNKNOWN_TOPIC_OR_PARTITION' }] });
    await one.refresh();
    let p = c.partitions('t')[0]!;
    expect(p).toMatchObject({ replicas: [3, 4, 1, 2], isr: [2, 3, 1], leader: 2, addingReplicas: [4], removingReplicas: [2], partitionEpoch: 1 });
    expect(await one.listReassignments({ partitions: null })).toEqual({ ok: true, reassignments: [{ topic: 't', partition: 0, replicas: [3, 4, 1, 2], addingReplicas: [4], removingReplicas: [2] }] });
    await one.tick();
    await one.refresh();
    expect(c.partitions('t')[0]).toEqual(p); // waits for 4 to catch up
    // The leader (2) adds 4 once it caught up: the move completes, leadership leaves 2.
    expect(await one.alterPartition(proposal(c, 't', p, [2, 3, 1, 4]))).toMatchObject({ ok: true });
    await one.refresh(); // sees the ISR change and completes
    await one.refresh();
    p = c.partitions('t')[0]!;
    expect(p).toEqual({ topicId: p.topicId, partition: 0, replicas: [3, 4, 1], isr: [3, 1, 4], leader: 3, leaderEpoch: 1, partitionEpoch: 3 });
    expect(await one.listReassignments({ partitions: [{ topic: 't', partition: 0 }] })).toEqual({ ok: true, reassignments: [] });
  });

  it('cancels a reassignment (the added replicas leave), and refuses bad targets', async () => {
    const { c, one } = await cluster({}, [1, 2, 3, 4]);
    await one.createTopic({ name: 't', assignment: [[1, 2], [2, 3]] });
    await one.refresh();
    expect(await one.reassignPartitions({ partitions: [{ topic: 't', partition: 0, replicas: null }] })).toMatchObject({ ok: true, partitions: [{ error: 'NO_REASSIGNMENT_IN_PROGRESS' }] });
    const bad = await one.reassignPartitions({
      partitions: [
        { topic: 't', partition: 0, replicas: [1, 9] },
        { topic: 't', partition: 1, replicas: [2, 2] },
      ],
    });
    expect(bad).toMatchObject({ ok: true, partitions: [{ error: 'INVALID_REPLICA_ASSIGNMENT' }, { error: 'INVALID_REPLICA_ASSIGNMENT' }] });
    const before = c.partitions('t')[0]!;
    expect(await one.reassignPartitions({ partitions: [{ topic: 't', partition: 0, replicas: [1, 2, 4] }] })).toMatchObject({ ok: true, partitions: [{ error: null }] });
    await one.refresh();
    expect(c.partitions('t')[0]).toMatchObject({ replicas: [1, 2, 4], addingReplicas: [4], removingReplicas: [] });
    expect(await one.reassignPartitions({ partitions: [{ topic: 't', partition: 0, replicas: null }] })).toMatchObject({ ok: true, partitions: [{ error: null }] });
    await one.refresh();
    expect(c.partitions('t')[0]).toEqual({ ...before, partitionEpoch: 2 });
  });

  it('shrinks the replication factor: the removed replica leaves once the targets are in the ISR (at once here)', async () => {
    const { c, one } = await cluster();
    await one.createTopic({ name: 't', assignment: [[1, 2, 3]] });
    await one.refresh();
    expect(await one.reassignPartitions({ partitions: [{ topic: 't', partition: 0, replicas: [2, 3] }] })).toMatchObject({ ok: true, partitions: [{ error: null }] });
    await one.refresh();
    await one.refresh();
    expect(c.partitions('t')[0]).toMatchObject({ replicas: [2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1 });
    expect(c.partitions('t')[0]!.addingReplicas).toBeUndefined();
  });
});
