// A static group LEADER that restarts (KIP-345, issue 11 defect D), end to end on the memory
// runtime: three static members (group.instance.id) reach Stable; the leader's process
// restarts and rejoins with no member id and the same subscription. The group must not
// rebalance: the other members keep their generation and partitions (heartbeats answer
// NONE, SyncGroup gives back the same partitions), and the restarted leader gets its
// partitions back under its new member id. At JoinGroup v9+ it is told it leads with
// skipAssignment (KIP-814); before v9 it is answered with the previous leader id.
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec, ErrorCode, CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '@samsa/codec';
import { decodeMemberAssignment, encodeMemberAssignment } from '@samsa/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupTestClient, settle } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const V9: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };
const V5: Versions = { join: 5, sync: 3, heartbeat: 3, leave: 3, commit: 7, fetch: 5 };
const INSTANCES = ['inst-a', 'inst-b', 'inst-c'];

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

const partitionsOf = (assignment: Uint8Array): number[] => decodeMemberAssignment(assignment).assignedPartitions.flatMap((tp) => tp.partitions);

/** Three static members join together (one join phase), the leader gives member i partition i, all sync: Stable. */
async function stableStaticGroup(t: TestBroker, v: Versions): Promise<{ members: GroupTestClient[]; leader: GroupTestClient; generation: number; owned: Map<string, number[]> }> {
  const members = await Promise.all(INSTANCES.map(async (id) => new GroupTestClient(await t.connect(id), t.clock, 'g', v, id)));
  const joins = await settle(t.clock, Promise.all(members.map((m) => m.completeJoin(m.joinAsync(['events'])))));
  for (const j of joins) expect(j.errorCode).toBe(ErrorCode.NONE);
  const generation = joins[0]!.generationId;
  expect(joins.every((j) => j.generationId === generation)).toBe(true);
  const li = joins.findIndex((j) => j.leader === j.memberId);
  expect(li).toBeGreaterThanOrEqual(0);
  const leader = members[li]!;
  const byMember = new Map(joins[li]!.members.map((m) => [m.memberId, m.groupInstanceId]));
  expect([...byMember.values()].sort()).toEqual(INSTANCES);
  const assignments = members.map((m, i) => ({ memberId: m.memberId, assignment: encodeMemberAssignment({ assignedPartitions: [{ topic: 'events', partitions: [i] }], userData: null }) }));
  const syncs = await settle(t.clock, Promise.all(members.map((m) => m.syncAsync(m === leader ? assignments : []))));
  const owned = new Map<string, number[]>();
  syncs.forEach((s, i) => {
    expect(s.errorCode).toBe(ErrorCode.NONE);
    expect(partitionsOf(s.assignment)).toEqual([i]);
    owned.set(INSTANCES[i]!, [i]);
  });
  return { members, leader, generation, owned };
}

async function setup(): Promise<TestBroker> {
  tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=3000'] });
  const admin = await tb.connect('admin');
  const res = await admin.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('events', 3), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
  return tb;
}

describe('static membership: the leader restarts (KIP-345)', () => {
  for (const v of [V9, V5]) {
    it(`JoinGroup v${v.join}: no rebalance; the other members keep their generation and partitions`, async () => {
      const t = await setup();
      const { members, leader, generation, owned } = await stableStaticGroup(t, v);
      const followers = members.filter((m) => m !== leader);

      // The leader's process restarts: a new connection, no member id, the same instance id and subscription.
      const restarted = new GroupTestClient(await t.connect('restarted'), t.clock, 'g', v, leader.groupInstanceId);
      const re = await settle(t.clock, restarted.completeJoin(restarted.joinAsync(['events'])));
      expect(re.errorCode).toBe(ErrorCode.NONE);
      expect(re.memberId).not.toBe(leader.memberId);
      expect(re.generationId).toBe(generation);
      if (v.join >= 9) {
        expect(re.leader).toBe(re.memberId);
        expect(re.skipAssignment).toBe(true);
        expect(re.members.map((m) => m.groupInstanceId).sort()).toEqual(INSTANCES);
      } else {
        expect(re.leader).toBe(leader.memberId); // the previous leader id: it acts as a follower
        expect(re.members).toEqual([]);
      }

      // The others were not disturbed: heartbeats at the same generation answer NONE, SyncGroup gives the same partitions.
      for (const f of followers) {
        expect((await f.heartbeat(generation)).errorCode).toBe(ErrorCode.NONE);
        const s = await settle(t.clock, f.syncAsync([]));
        expect(s.errorCode).toBe(ErrorCode.NONE);
        expect(partitionsOf(s.assignment)).toEqual(owned.get(f.groupInstanceId!));
      }
      // The restarted leader syncs without assignments and gets its own partitions back.
      const mine = await settle(t.clock, restarted.syncAsync([]));
      expect(mine.errorCode).toBe(ErrorCode.NONE);
      expect(partitionsOf(mine.assignment)).toEqual(owned.get(leader.groupInstanceId!));
      expect((await restarted.heartbeat()).errorCode).toBe(ErrorCode.NONE);
      // The old incarnation is fenced.
      expect((await leader.heartbeat(generation)).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);

      const admin = await t.connect('describe');
      const described = await admin.request(15, 5, DescribeGroupsRequestCodec, { groups: ['g'], includeAuthorizedOperations: false }, DescribeGroupsResponseCodec);
      const g = described.groups[0]!;
      expect(g.groupState).toBe('Stable');
      expect(g.members.map((m) => m.memberId).sort()).toEqual([re.memberId, ...followers.map((f) => f.memberId)].sort());
      for (const m of g.members) expect(partitionsOf(m.memberAssignment)).toEqual(owned.get(m.groupInstanceId!));
    });
  }
});
