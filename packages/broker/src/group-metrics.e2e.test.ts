// The group share of `broker.metricsSnapshot()`: groups by state, rebalances, offset
// commits (the commit rate is its rate) and session expirations, driven through real
// group requests on the memory runtime with the ManualClock.
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupTestClient, SESSION_TIMEOUT_MS, settle } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const NEWEST: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

describe('group metrics in metricsSnapshot()', () => {
  it('counts groups by state, rebalances, acknowledged commits and expired members', async () => {
    tb = await startTestBroker({ overrides: ['offsets.topic.num.partitions=3', 'group.initial.rebalance.delay.ms=0'] });
    const t = tb;
    const client = await t.connect('metrics-test');
    const created = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('events', 2), CreateTopicsResponseCodec);
    expect(created.topics[0]?.errorCode).toBe(ErrorCode.NONE);

    const before = t.broker.metricsSnapshot().groups;
    expect(before.byState).toEqual({ Empty: 0, PreparingRebalance: 0, CompletingRebalance: 0, Stable: 0, Dead: 0 });
    expect(before.rebalancesTotal).toBe(0);
    expect(before.offsetCommitsTotal).toBe(0);

    const a = new GroupTestClient(client, t.clock, 'stable-group', NEWEST);
    expect((await a.join(['events'])).errorCode).toBe(ErrorCode.NONE);
    expect(t.broker.metricsSnapshot().groups.byState.CompletingRebalance).toBe(1);
    expect((await settle(t.clock, a.syncAsync([{ memberId: a.memberId, assignment: new Uint8Array(0) }]))).errorCode).toBe(ErrorCode.NONE);
    // Two partitions in one request count as two commits; a second request adds one more.
    const commit = await settle(t.clock, a.commit('events', { 0: 10, 1: 20 }));
    expect(commit.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    await settle(t.clock, a.commit('events', { 0: 11 }));
    // A rejected commit (unknown partition) is not counted.
    const bad = await settle(t.clock, a.commit('events', { 7: 1 }));
    expect(bad.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    const b = new GroupTestClient(client, t.clock, 'short-lived', NEWEST);
    expect((await b.join(['events'])).errorCode).toBe(ErrorCode.NONE);
    expect((await settle(t.clock, b.syncAsync([{ memberId: b.memberId, assignment: new Uint8Array(0) }]))).errorCode).toBe(ErrorCode.NONE);

    const mid = t.broker.metricsSnapshot().groups;
    expect(mid.byState).toEqual({ Empty: 0, PreparingRebalance: 0, CompletingRebalance: 0, Stable: 2, Dead: 0 });
    expect(mid.rebalancesTotal).toBe(2);
    expect(mid.offsetCommitsTotal).toBe(3);
    expect(mid.membersExpiredTotal).toBe(0);
    expect(mid.pendingSyncMembersRemovedTotal).toBe(0);

    // Only `a` heartbeats; `b`'s session runs out and its group goes Empty.
    await t.clock.advanceAsync(SESSION_TIMEOUT_MS / 2);
    expect((await a.heartbeat()).errorCode).toBe(ErrorCode.NONE);
    await t.clock.advanceAsync(SESSION_TIMEOUT_MS / 2 + 1);
    const after = t.broker.metricsSnapshot().groups;
    expect(after.byState.Stable).toBe(1);
    expect(after.byState.Empty).toBe(1);
    expect(after.membersExpiredTotal).toBe(1);
    expect(after.offsetCommitsTotal).toBe(3);
  });
});
