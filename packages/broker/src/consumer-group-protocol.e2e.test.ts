// KIP-848 consumer groups end to end on the memory runtime: encoded ConsumerGroupHeartbeat
// (v0, v1) and ConsumerGroupDescribe requests through a MemoryTransport connection into the
// broker. Simulated members adopt every assignment they are sent (revoking what left it)
// and report what they own; after every answer the test checks that no partition is owned
// by two members. Then: a third member joins, one leaves, a commit with a stale member
// epoch is refused, a classic JoinGroup whose metadata is not a subscription gets
// INCONSISTENT_GROUP_PROTOCOL, and ListGroups v5 reports the group as type "consumer".
import {
  ConsumerGroupDescribeRequestCodec,
  ConsumerGroupDescribeResponseCodec,
  ConsumerGroupHeartbeatRequestCodec,
  ConsumerGroupHeartbeatResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  JoinGroupRequestCodec,
  JoinGroupResponseCodec,
  ListGroupsRequestCodec,
  ListGroupsResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  OffsetFetchRequestCodec,
  OffsetFetchResponseCodec,
} from '@samsa/codec';
import type { ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatResponse } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const G = 'kip848';
const TOPIC = 'orders';
const PARTITIONS = 6;

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

interface Member {
  id: string;
  epoch: number;
  /** topicId → partitions the member owns (what it was last assigned). */
  owned: Map<string, Set<number>>;
}

class Group {
  readonly members: Member[] = [];
  readonly client: KafkaTestClient;
  constructor(client: KafkaTestClient) {
    this.client = client;
  }

  async heartbeat(m: Member, version = 1, memberEpoch = m.epoch): Promise<ConsumerGroupHeartbeatResponse> {
    const joining = memberEpoch === 0;
    const body = {
      groupId: G,
      memberId: m.id,
      memberEpoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: joining ? 60_000 : -1,
      subscribedTopicNames: joining ? [TOPIC] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: joining ? [] : [...m.owned].map(([topicId, ps]) => ({ topicId, partitions: [...ps] })),
    };
    const r = await this.client.request(68, version, ConsumerGroupHeartbeatRequestCodec, body, ConsumerGroupHeartbeatResponseCodec);
    if (r.errorCode !== ErrorCode.NONE) return r;
    if (r.memberId !== null) m.id = r.memberId;
    m.epoch = r.memberEpoch;
    if (r.assignment !== null) m.owned = new Map(r.assignment.topicPartitions.map((t) => [t.topicId, new Set(t.partitions)]));
    this.checkDisjoint();
    return r;
  }

  async join(id: string, version = 1): Promise<Member> {
    const m: Member = { id, epoch: 0, owned: new Map() };
    this.members.push(m);
    const r = await this.heartbeat(m, version);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    return m;
  }

  /** No partition is owned by two members, ever. */
  checkDisjoint(): void {
    const seen = new Map<string, string>();
    for (const m of this.members) {
      for (const [topicId, ps] of m.owned) {
        for (const p of ps) {
          const key = `${topicId}:${p}`;
          expect(seen.get(key), `${key} owned by ${seen.get(key)} and ${m.id}`).toBeUndefined();
          seen.set(key, m.id);
        }
      }
    }
  }

  async describe(): Promise<ConsumerGroupDescribeResponse['groups'][number]> {
    const r = await this.client.request(69, 0, ConsumerGroupDescribeRequestCodec, { groupIds: [G], includeAuthorizedOperations: false }, ConsumerGroupDescribeResponseCodec);
    return r.groups[0]!;
  }

  /** Heartbeats every member until the group is Stable (bounded rounds). */
  async converge(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      for (const m of this.members) expect((await this.heartbeat(m)).errorCode).toBe(ErrorCode.NONE);
      const d = await this.describe();
      if (d.groupState === 'Stable' && this.members.every((m) => m.epoch === d.assignmentEpoch)) return;
    }
    throw new Error(`group did not converge: ${JSON.stringify(await this.describe())}`);
  }

  counts(): number[] {
    return this.members.map((m) => [...m.owned.values()].reduce((n, s) => n + s.size, 0));
  }

  allOwned(): string[] {
    return this.members.flatMap((m) => [...m.owned].flatMap(([t, ps]) => [...ps].map((p) => `${t}:${p}`))).sort();
  }
}

async function setup(): Promise<{ group: Group; client: KafkaTestClient }> {
  tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=3', 'group.initial.rebalance.delay.ms=0'] });
  const client = await tb.connect('kip848-test');
  const created = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(TOPIC, PARTITIONS), CreateTopicsResponseCodec);
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  return { group: new Group(client), client };
}

function commit(client: KafkaTestClient, memberId: string, memberEpoch: number): Promise<number> {
  const body = {
    groupId: G,
    generationIdOrMemberEpoch: memberEpoch,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
  };
  return client.request(8, 9, OffsetCommitRequestCodec, body, OffsetCommitResponseCodec).then((r) => r.topics[0]!.partitions[0]!.errorCode);
}

describe('KIP-848 consumer group protocol', () => {
  it('members converge to a disjoint full assignment, through joins and a leave, never owning a partition twice', async () => {
    const { group } = await setup();
    const a = await group.join('member-a');
    expect(a.epoch).toBe(1);
    await group.join('member-b');
    await group.converge();
    expect(group.counts()).toEqual([3, 3]);
    expect(group.allOwned()).toHaveLength(PARTITIONS);

    const c = await group.join('member-c');
    await group.converge();
    expect(group.counts()).toEqual([2, 2, 2]);
    expect(group.allOwned()).toHaveLength(PARTITIONS);
    const d = await group.describe();
    expect(d).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable', assignorName: 'uniform' });
    expect(d.members.map((m) => m.memberId).sort()).toEqual(['member-a', 'member-b', 'member-c']);
    for (const m of d.members) {
      expect(m.assignment).toEqual(m.targetAssignment);
      expect(m.assignment.topicPartitions[0]!.topicName).toBe(TOPIC);
      expect(m.subscribedTopicNames).toEqual([TOPIC]);
      expect(m.clientId).toBe('kip848-test');
    }

    // c leaves: its partitions go to a and b.
    const left = await group.heartbeat(c, 1, -1);
    expect(left).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: -1 });
    group.members.splice(group.members.indexOf(c), 1);
    await group.converge();
    expect(group.counts()).toEqual([3, 3]);
    expect(group.allOwned()).toHaveLength(PARTITIONS);
  });

  it('v0: the coordinator generates the member id', async () => {
    const { group } = await setup();
    const m = await group.join('', 0);
    expect(m.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(m.epoch).toBe(1);
    const v1 = await group.client.request(68, 1, ConsumerGroupHeartbeatRequestCodec, { groupId: G, memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 1000, subscribedTopicNames: [TOPIC], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] }, ConsumerGroupHeartbeatResponseCodec);
    expect(v1.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('commits check the member epoch; a classic JoinGroup without a subscription is refused; ListGroups says "consumer"', async () => {
    const { group, client } = await setup();
    const a = await group.join('member-a');
    expect(await commit(client, a.id, a.epoch + 1)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(await commit(client, 'nobody', a.epoch)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit(client, a.id, a.epoch)).toBe(ErrorCode.NONE);
    const fetched = await client.request(9, 9, OffsetFetchRequestCodec, { groupId: '', topics: [], groups: [{ groupId: G, memberId: a.id, memberEpoch: a.epoch, topics: [{ name: TOPIC, partitionIndexes: [0] }] }], requireStable: false }, OffsetFetchResponseCodec);
    expect(fetched.groups[0]).toMatchObject({ errorCode: ErrorCode.NONE, topics: [{ partitions: [{ committedOffset: 42 }] }] });
    const stale = await client.request(9, 9, OffsetFetchRequestCodec, { groupId: '', topics: [], groups: [{ groupId: G, memberId: a.id, memberEpoch: a.epoch + 3, topics: null }], requireStable: false }, OffsetFetchResponseCodec);
    expect(stale.groups[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);

    // A classic member may join (mixed groups: mixed-consumer-group.e2e.test.ts), but its metadata must be a subscription.
    const joinBody = { groupId: G, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array(0) }], reason: null };
    const join = await client.request(11, 9, JoinGroupRequestCodec, joinBody, JoinGroupResponseCodec);
    expect(join.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const rejoin = await client.request(11, 9, JoinGroupRequestCodec, { ...joinBody, memberId: join.memberId }, JoinGroupResponseCodec);
    expect(rejoin.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const listed = await client.request(16, 5, ListGroupsRequestCodec, { statesFilter: [], typesFilter: ['consumer'] }, ListGroupsResponseCodec);
    expect(listed.groups).toEqual([{ groupId: G, protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);

    const unknown = await client.request(69, 0, ConsumerGroupDescribeRequestCodec, { groupIds: ['nope'], includeAuthorizedOperations: true }, ConsumerGroupDescribeResponseCodec);
    expect(unknown.groups[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('a silent member is fenced after group.consumer.session.timeout.ms; the other takes its partitions', async () => {
    const { group } = await setup();
    await group.join('member-a');
    const b = await group.join('member-b');
    await group.converge();
    group.members.splice(group.members.indexOf(b), 1);
    // a keeps heartbeating every 15 s; b is silent for 60 s (> 45 s).
    for (let i = 0; i < 4; i++) {
      tb!.clock.advance(15_000);
      await group.heartbeat(group.members[0]!);
    }
    await group.converge();
    expect(group.counts()).toEqual([PARTITIONS]);
    expect((await group.heartbeat(b)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
