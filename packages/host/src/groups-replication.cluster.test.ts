// The group coordinator on a replicated `__consumer_offsets` (issue 14), across three
// brokers in one process (startBrokerOn on the memory runtime, a simulated metadata store in
// place of etcd, the real ReplicaManager and replica fetch), as replication.cluster.test.ts:
// Each broker gets a GroupService of the test's, given that broker's ReplicationService
// (`broker.replicas`), its cluster link and its leadership events, as the broker's own is
// once broker.ts passes `replication` (the broker's own serves no request here).
// - the topic is created by the controller with min(offsets.topic.replication.factor = 3
//   by default, brokers) = 3 replicas;
// - an OffsetCommit is answered only once every ISR member holds its record (the group
//   service waits for acks=all through the broker's ReplicationService);
// - the coordinator's broker shuts down: the group's partition moves to a follower from the
//   ISR, whose group service loads it and answers the committed offset.
import { GroupService, silentLogger, parseServerConfig } from '@samsa/broker';
import { ErrorCode } from '@samsa/codec';
import { SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import type { Clock } from '@samsa/runtime';
import { memoryRuntime } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { startBrokerOn } from './start-broker-on.ts';
import { sharedStoreHandle, until } from './testing-memory-cluster.ts';
import type { RunningBroker } from './start-broker-on.ts';

const OFFSETS = '__consumer_offsets';
const GROUP = 'g';

function clusterConfig(nodeId: number) {
  return parseServerConfig({
    overrides: [
      `listeners=PLAINTEXT://127.0.0.1:${9190 + nodeId}`,
      `log.dirs=/data-${nodeId}`,
      `node.id=${nodeId}`,
      'metadata.store=etcd',
      'etcd.endpoints=http://127.0.0.1:2379',
      'cluster.id=samsa',
      'replica.fetch.wait.max.ms=50',
      'offsets.topic.num.partitions=1',
      'group.initial.rebalance.delay.ms=0',
    ],
  });
}


function offsetsState(b: RunningBroker) {
  return b.cluster!.view().topics.get(OFFSETS)?.partitions[0];
}

interface Node {
  readonly running: RunningBroker;
  readonly groups: GroupService;
}

/** The test's GroupService on `b`, with its replication (see the file comment). */
function groupsOn(b: RunningBroker, clock: Clock): GroupService {
  return new GroupService({
    registry: b.broker.registry,
    clock,
    random: createRandom(b.broker.config.nodeId),
    logger: silentLogger,
    config: { offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: 0 },
    cluster: b.cluster!,
    leadership: b.broker.registry.leadership,
    replication: b.broker.replicas,
  });
}

async function commit(b: Node, offset: number): Promise<number> {
  const r = await b.groups.request('offsetCommit', {
    groupId: GROUP,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
  });
  if (r.api !== 'OffsetCommit') throw new Error(`unexpected ${r.api}`);
  return r.body.topics[0]!.partitions[0]!.errorCode;
}

async function fetchOffset(b: Node): Promise<{ errorCode: number; offset: number }> {
  const r = await b.groups.request('offsetFetch', { groupId: GROUP, topics: [{ name: 'events', partitionIndexes: [0] }], requireStable: false });
  if (r.api !== 'OffsetFetch') throw new Error(`unexpected ${r.api}`);
  return { errorCode: r.body.errorCode, offset: r.body.topics[0]?.partitions[0]?.committedOffset ?? -1 };
}

describe('group coordinator on a replicated __consumer_offsets (three brokers, memory runtime)', () => {
  it('a commit is answered once every ISR member holds it, and the group fails over with its offsets', async () => {
    const runtime = memoryRuntime({ seed: 5 });
    const store = new SimulatedMetadataStore({ clock: runtime.clock, random: createRandom(13) });
    const nodes = new Map<number, Node>();
    const driver = setInterval(() => runtime.clock.advance(5), 1);
    try {
      for (const id of [1, 2, 3]) {
        const running = await startBrokerOn(runtime, { config: clusterConfig(id), logger: silentLogger, createMetadataStore: () => sharedStoreHandle(store) });
        nodes.set(id, { running, groups: groupsOn(running, runtime.clock) });
      }
      const all = (): Node[] => [...nodes.values()];
      await until('one controller and three brokers in every view', () => all().every((n) => n.running.cluster!.view().brokers.size === 3 && n.running.cluster!.view().controllerId !== -1));
      const first = nodes.get(1)!;
      expect((await first.running.cluster!.controller.createTopic({ name: 'events', partitionCount: 1, replicationFactor: 1, configs: {} })).ok).toBe(true);

      // The first group lookup asks the controller for the topic: RF min(3, three brokers).
      expect(await first.groups.ensureTopic()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await until('__consumer_offsets with a leader in every view', () => all().every((n) => (offsetsState(n.running)?.leader ?? -1) !== -1 && n.running.cluster!.view().topics.has('events')));
      const state = offsetsState(first.running)!;
      expect(state.replicas).toHaveLength(3);
      for (const n of all()) await n.running.broker.settled();
      const coordinator = nodes.get(state.leader)!;
      await until('the coordinator loads the partition', () => coordinator.groups.ownedPartitions().some((o) => o.partition === 0 && o.loaded));
      await until('the ISR is whole', () => offsetsState(coordinator.running)!.isr.length === 3);

      // Answered only once every ISR member holds the commit's record.
      for (let i = 1; i <= 3; i++) {
        expect(await commit(coordinator, 10 * i)).toBe(ErrorCode.NONE);
        const end = coordinator.running.broker.registry.partition(OFFSETS, 0)!.log.logEndOffset;
        for (const n of all()) expect(n.running.broker.registry.partition(OFFSETS, 0)!.log.logEndOffset).toBe(end);
      }
      expect(await fetchOffset(coordinator)).toEqual({ errorCode: ErrorCode.NONE, offset: 30 });

      // The coordinator goes; a follower from the ISR leads the partition and serves the group.
      const oldId = coordinator.running.broker.config.nodeId;
      nodes.delete(oldId);
      coordinator.groups.close();
      await coordinator.running.shutdown();
      await until('a new leader of __consumer_offsets-0', () => all().every((n) => ![-1, oldId].includes(offsetsState(n.running)?.leader ?? -1)));
      const next = nodes.get(offsetsState(all()[0]!.running)!.leader)!;
      await until('the new coordinator loads the partition', () => next.groups.ownedPartitions().some((o) => o.partition === 0 && o.loaded));
      expect(await fetchOffset(next)).toEqual({ errorCode: ErrorCode.NONE, offset: 30 });
      expect(await commit(next, 40)).toBe(ErrorCode.NONE);
      expect(await fetchOffset(next)).toEqual({ errorCode: ErrorCode.NONE, offset: 40 });
    } finally {
      for (const n of nodes.values()) {
        n.groups.close();
        await n.running.shutdown();
      }
      clearInterval(driver);
    }
  }, 60_000);
});
