// Property test: random group requests (join, sync, heartbeat, leave, commit at random
// versions, with random — often wrong — group ids, member ids and generations) through
// encoded requests into one broker on the memory runtime.
// Invariants:
//   1. the broker never closes the connection (no handler throws) and every response decodes;
//   2. every group the coordinator holds is consistent: a non-empty group's leader is a member;
//   3. acknowledged commits are exactly what OffsetFetch returns afterwards (the last
//      acknowledged offset per group/partition; refused commits change nothing);
//   4. the same holds after a restart (replay of __consumer_offsets).
import { ErrorCode } from '@samsa/codec';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '@samsa/codec';
import { GroupTestClient, settle } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const GROUPS = ['ga', 'gb', ''];
const VERSIONS: Versions[] = [
  { join: 0, sync: 0, heartbeat: 0, leave: 0, commit: 2, fetch: 1 },
  { join: 5, sync: 3, heartbeat: 3, leave: 3, commit: 6, fetch: 5 },
  { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 },
];

type Op =
  | { kind: 'join'; client: number; thenSync: boolean }
  | { kind: 'sync'; client: number }
  | { kind: 'heartbeat'; client: number; generationDelta: number }
  | { kind: 'leave'; client: number }
  | { kind: 'commit'; client: number; partition: number; offset: number; simple: boolean }
  | { kind: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), client: fc.nat(5), thenSync: fc.boolean() }),
  fc.record({ kind: fc.constant('sync' as const), client: fc.nat(5) }),
  fc.record({ kind: fc.constant('heartbeat' as const), client: fc.nat(5), generationDelta: fc.constantFrom(0, 0, -1, 3) }),
  fc.record({ kind: fc.constant('leave' as const), client: fc.nat(5) }),
  fc.record({ kind: fc.constant('commit' as const), client: fc.nat(5), partition: fc.nat(2), offset: fc.nat(1000), simple: fc.boolean() }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(100, 4_000, 12_000) }),
);

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

describe('group requests (property)', () => {
  it('never break the connection, keep groups consistent, and fetch exactly the acknowledged commits (also after a restart)', async () => {
    const seen = { ackedGroupCommits: 0, joined: 0, stable: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        await tb?.stop();
        tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=2', 'group.initial.rebalance.delay.ms=0'] });
        const t = tb;
        const conn = await t.connect('prop');
        const created = await conn.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('events', 2), CreateTopicsResponseCodec);
        expect(created.topics[0]!.errorCode).toBe(0);
        // Six members: client i talks to group GROUPS[i % 3] at versions VERSIONS[i % 3], each on its own connection.
        const members: GroupTestClient[] = [];
        for (let i = 0; i < 6; i++) members.push(new GroupTestClient(await t.connect(`c${i}`), t.clock, GROUPS[i % 3]!, VERSIONS[Math.floor(i / 2) % 3]!));
        const acked = new Map<string, number>();
        for (const op of ops) {
          if (op.kind === 'wait') {
            await t.clock.advanceAsync(op.ms);
            continue;
          }
          const m = members[op.client]!;
          if (op.kind === 'join') {
            let res = await settle(t.clock, m.completeJoin(m.joinAsync(['events'])), 500);
            if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
              m.memberId = res.memberId;
              res = await settle(t.clock, m.completeJoin(m.joinAsync(['events'])), 500);
            }
            if (res.errorCode === ErrorCode.NONE) seen.joined++;
            // The usual client: sync right after a successful join.
            if (op.thenSync && res.errorCode === ErrorCode.NONE) await settle(t.clock, m.syncAsync([{ memberId: m.memberId, assignment: new Uint8Array(0) }]), 500);
          }
          else if (op.kind === 'sync') await settle(t.clock, m.syncAsync([{ memberId: m.memberId, assignment: new Uint8Array(0) }]), 500);
          else if (op.kind === 'heartbeat') await m.heartbeat(m.generationId + op.generationDelta);
          else if (op.kind === 'leave') await m.leave();
          else {
            const res = await settle(t.clock, m.commit('events', { [op.partition]: op.offset }, op.simple ? -1 : m.generationId, op.simple ? '' : m.memberId), 500);
            const code = res.topics[0]!.partitions[0]!.errorCode;
            if (op.partition >= 2) expect(code).not.toBe(0);
            if (code === 0) acked.set(`${m.groupId}/${op.partition}`, op.offset);
            if (code === 0 && !op.simple) seen.ackedGroupCommits++;
          }
          for (const c of members) expect(c.client.isClosed).toBe(false);
          for (const g of t.broker.groups.coordinator.describeState()) {
            if (g.state === 'Stable') seen.stable++;
            if (g.members.length > 0 && g.state !== 'PreparingRebalance') expect(g.members.map((x) => x.memberId)).toContain(g.leader);
          }
        }
        const expectOffsets = async (): Promise<void> => {
          const reader = new GroupTestClient(await t.connect('reader'), t.clock, '', VERSIONS[2]!);
          for (const groupId of ['ga', 'gb']) {
            const r = new GroupTestClient(reader.client, t.clock, groupId, VERSIONS[2]!);
            const got = await r.fetch('events', [0, 1]);
            expect(got.errorCode).toBe(0);
            expect(got.offsets).toEqual({ 0: acked.get(`${groupId}/0`) ?? -1, 1: acked.get(`${groupId}/1`) ?? -1 });
          }
        };
        await expectOffsets();
        await t.restart();
        await t.broker.groups.loaded;
        await expectOffsets();
      }),
      { numRuns: 50 },
    );
    // Not vacuous: members did join, groups became Stable, and generation-checked commits were acknowledged.
    expect(seen.joined).toBeGreaterThan(0);
    expect(seen.stable).toBeGreaterThan(0);
    expect(seen.ackedGroupCommits).toBeGreaterThan(0);
  });
});
