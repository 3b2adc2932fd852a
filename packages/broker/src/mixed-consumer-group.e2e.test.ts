// Kafka 4's mixed groups end to end on the memory runtime: one raw KIP-848 member
// (ConsumerGroupHeartbeat v1) and one raw classic member (JoinGroup v9, SyncGroup v5,
// Heartbeat v4, OffsetCommit v8, LeaveGroup v5, its subscription and assignment in the
// "consumer" embedded protocol) in one group. Both adopt what they are given (the classic
// member as a cooperative client: it keeps what it owns while it rejoins and lists it);
// after every answer the test checks that no partition of the topic is owned by both.
// Then: they converge to 3 + 3, ListGroups v5 and ConsumerGroupDescribe show one consumer
// group with both members, the classic member commits with its generation, leaves and the
// consumer member takes everything; with group.consumer.migration.policy=bidirectional
// the consumer member leaving turns the group back into a classic group, with upgrade it
// stays a consumer group.
import {
  ConsumerGroupDescribeRequestCodec,
  ConsumerGroupDescribeResponseCodec,
  ConsumerGroupHeartbeatRequestCodec,
  ConsumerGroupHeartbeatResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  DescribeGroupsRequestCodec,
  DescribeGroupsResponseCodec,
  ErrorCode,
  HeartbeatRequestCodec,
  HeartbeatResponseCodec,
  JoinGroupRequestCodec,
  JoinGroupResponseCodec,
  LeaveGroupRequestCodec,
  LeaveGroupResponseCodec,
  ListGroupsRequestCodec,
  ListGroupsResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  SyncGroupRequestCodec,
  SyncGroupResponseCodec,
} from '@samsa/codec';
import type { ConsumerGroupDescribeResponse } from '@samsa/codec';
import { decodeMemberAssignment, encodeMemberSubscription } from '@samsa/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const G = 'mixed';
const TOPIC = 'events';
const PARTITIONS = 6;

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

/** The two members' views of what they own, by partition of TOPIC; checked disjoint after every answer. */
class Mixed {
  readonly client: KafkaTestClient;
  topicId = '';
  consumer = { id: 'consumer-member', epoch: 0, owned: new Set<number>() };
  classic = { id: '', generation: -1, owned: new Set<number>() };

  constructor(client: KafkaTestClient) {
    this.client = client;
  }

  check(): void {
    const both = [...this.consumer.owned].filter((p) => this.classic.owned.has(p));
    expect(both, `owned by both: consumer ${[...this.consumer.owned]} classic ${[...this.classic.owned]}`).toEqual([]);
  }

  async heartbeatConsumer(memberEpoch = this.consumer.epoch): Promise<number> {
    const joining = memberEpoch === 0;
    const body = {
      groupId: G,
      memberId: this.consumer.id,
      memberEpoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: joining ? 60_000 : -1,
      subscribedTopicNames: joining ? [TOPIC] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: joining ? [] : [{ topicId: this.topicId, partitions: [...this.consumer.owned] }],
    };
    const r = await this.client.request(68, 1, ConsumerGroupHeartbeatRequestCodec, body, ConsumerGroupHeartbeatResponseCodec);
    if (r.errorCode !== ErrorCode.NONE) return r.errorCode;
    this.consumer.epoch = r.memberEpoch;
    if (r.assignment !== null) this.consumer.owned = new Set(r.assignment.topicPartitions.flatMap((t) => t.partitions));
    this.check();
    return r.errorCode;
  }

  /** JoinGroup (listing what it owns), then SyncGroup; adopts the assignment. Returns the join's error or the sync's. */
  async joinAndSyncClassic(): Promise<number> {
    const metadata = encodeMemberSubscription({ topics: [TOPIC], userData: null, ownedPartitions: this.classic.owned.size > 0 ? [{ topic: TOPIC, partitions: [...this.classic.owned] }] : [], generationId: this.classic.generation, rackId: null }, 1);
    const join = await this.client.request(
      11,
      9,
      JoinGroupRequestCodec,
      { groupId: G, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, memberId: this.classic.id, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'cooperative-sticky', metadata }], reason: null },
      JoinGroupResponseCodec,
    );
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.classic.id = join.memberId;
      return this.joinAndSyncClassic();
    }
    if (join.errorCode !== ErrorCode.NONE) return join.errorCode;
    expect(join).toMatchObject({ protocolType: 'consumer', protocolName: 'cooperative-sticky', members: [] });
    expect(join.leader).not.toBe(this.classic.id); // never the leader: the coordinator assigns
    this.classic.generation = join.generationId;
    const sync = await this.client.request(
      14,
      5,
      SyncGroupRequestCodec,
      { groupId: G, generationId: join.generationId, memberId: this.classic.id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'cooperative-sticky', assignments: [] },
      SyncGroupResponseCodec,
    );
    if (sync.errorCode !== ErrorCode.NONE) return sync.errorCode;
    const assigned = new Set(decodeMemberAssignment(sync.assignment).assignedPartitions.flatMap((t) => (t.topic === TOPIC ? t.partitions : [])));
    const revoked = [...this.classic.owned].some((p) => !assigned.has(p));
    this.classic.owned = assigned;
    this.check();
    // A cooperative client that gave something up rejoins at once.
    return revoked ? this.joinAndSyncClassic() : ErrorCode.NONE;
  }

  async heartbeatClassic(): Promise<number> {
    const r = await this.client.request(12, 4, HeartbeatRequestCodec, { groupId: G, generationId: this.classic.generation, memberId: this.classic.id, groupInstanceId: null }, HeartbeatResponseCodec);
    if (r.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) return this.joinAndSyncClassic();
    return r.errorCode;
  }

  async describe(): Promise<ConsumerGroupDescribeResponse['groups'][number]> {
    const r = await this.client.request(69, 0, ConsumerGroupDescribeRequestCodec, { groupIds: [G], includeAuthorizedOperations: false }, ConsumerGroupDescribeResponseCodec);
    return r.groups[0]!;
  }

  /** Both members heartbeat until the group is Stable with every partition owned (bounded rounds). */
  async converge(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      expect(await this.heartbeatConsumer()).toBe(ErrorCode.NONE);
      expect(await this.heartbeatClassic()).toBe(ErrorCode.NONE);
      const d = await this.describe();
      if (d.groupState === 'Stable' && this.consumer.owned.size + this.classic.owned.size === PARTITIONS) return;
    }
    throw new Error(`group did not converge: ${JSON.stringify(await this.describe())}`);
  }
}

async function setup(overrides: string[] = []): Promise<Mixed> {
  tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=3', 'group.initial.rebalance.delay.ms=0', ...overrides] });
  const client = await tb.connect('mixed-test');
  const created = await client.request(19, 7, CreateTopicsRequestCodec, createTopicsBody(TOPIC, PARTITIONS), CreateTopicsResponseCodec);
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  const mixed = new Mixed(client);
  mixed.topicId = created.topics[0]!.topicId;
  return mixed;
}

describe('mixed consumer group: a classic member and a KIP-848 member', () => {
  it('split the partitions without ever owning one twice; ListGroups and ConsumerGroupDescribe show one consumer group', async () => {
    const g = await setup();
    expect(await g.heartbeatConsumer(0)).toBe(ErrorCode.NONE);
    expect(g.consumer.owned.size).toBe(PARTITIONS);
    expect(await g.joinAndSyncClassic()).toBe(ErrorCode.NONE);
    await g.converge();
    expect([g.consumer.owned.size, g.classic.owned.size]).toEqual([3, 3]);

    const listed = await g.client.request(16, 5, ListGroupsRequestCodec, { statesFilter: [], typesFilter: [] }, ListGroupsResponseCodec);
    expect(listed.groups).toEqual([{ groupId: G, protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    const d = await g.describe();
    expect(d).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable' });
    expect(d.members.map((m) => m.memberId).sort()).toEqual([g.consumer.id, g.classic.id].sort());
    for (const m of d.members) expect(m.assignment.topicPartitions[0]!.topicName).toBe(TOPIC);
    const classicDescribed = await g.client.request(15, 5, DescribeGroupsRequestCodec, { groups: [G], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect(classicDescribed.groups[0]!.groupState).toBe('Dead'); // not a classic group

    // The classic member commits with its generation (= its member epoch), any OffsetCommit version.
    const commit = (generation: number): Promise<number> =>
      g.client
        .request(8, 8, OffsetCommitRequestCodec, { groupId: G, generationIdOrMemberEpoch: generation, memberId: g.classic.id, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: [...g.classic.owned][0]!, committedOffset: 7, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }] }, OffsetCommitResponseCodec)
        .then((r) => r.topics[0]!.partitions[0]!.errorCode);
    expect(await commit(g.classic.generation + 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit(g.classic.generation)).toBe(ErrorCode.NONE);

    // The classic member leaves: the consumer member takes everything.
    const left = await g.client.request(13, 5, LeaveGroupRequestCodec, { groupId: G, memberId: '', members: [{ memberId: g.classic.id, groupInstanceId: null, reason: 'test' }] }, LeaveGroupResponseCodec);
    expect(left).toMatchObject({ errorCode: ErrorCode.NONE, members: [{ memberId: g.classic.id, errorCode: ErrorCode.NONE }] });
    g.classic.owned = new Set();
    expect(await g.heartbeatConsumer()).toBe(ErrorCode.NONE);
    expect(g.consumer.owned.size).toBe(PARTITIONS);
  });

  it('the last KIP-848 member leaving turns the group into a classic group (migration policy bidirectional)', async () => {
    const g = await setup();
    expect(await g.heartbeatConsumer(0)).toBe(ErrorCode.NONE);
    expect(await g.joinAndSyncClassic()).toBe(ErrorCode.NONE);
    await g.converge();
    expect(await g.heartbeatConsumer(-1)).toBe(ErrorCode.NONE);
    const described = await g.client.request(15, 5, DescribeGroupsRequestCodec, { groups: [G], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
    expect(described.groups[0]).toMatchObject({ groupState: 'PreparingRebalance', protocolType: 'consumer', members: [{ memberId: g.classic.id }] });
    const listed = await g.client.request(16, 5, ListGroupsRequestCodec, { statesFilter: [], typesFilter: [] }, ListGroupsResponseCodec);
    expect(listed.groups[0]).toMatchObject({ groupId: G, groupType: 'classic' });
  });

  it('group.consumer.migration.policy=Upgrade (any case): the group stays a consumer group of its classic member', async () => {
    const g = await setup(['group.consumer.migration.policy=Upgrade']);
    expect(await g.heartbeatConsumer(0)).toBe(ErrorCode.NONE);
    expect(await g.joinAndSyncClassic()).toBe(ErrorCode.NONE);
    await g.converge();
    expect(await g.heartbeatConsumer(-1)).toBe(ErrorCode.NONE);
    g.consumer.owned = new Set();
    expect(await g.heartbeatClassic()).toBe(ErrorCode.NONE); // rejoined and synced
    expect(g.classic.owned.size).toBe(PARTITIONS);
    expect(await g.describe()).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable', members: [{ memberId: g.classic.id }] });
  });
});
