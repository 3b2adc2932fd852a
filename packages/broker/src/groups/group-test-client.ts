/**
 * Test helpers for the group APIs: encoded requests at a chosen version through a
 * KafkaTestClient, plus `settle`, which moves the ManualClock forward in small steps until
 * a response arrives (rebalance delays and timeouts run on the broker's Clock).
 * Used only by tests (src/groups*.test.ts).
 */
import {
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  HeartbeatRequestCodec,
  HeartbeatResponseCodec,
  JoinGroupRequestCodec,
  JoinGroupResponseCodec,
  LeaveGroupRequestCodec,
  LeaveGroupResponseCodec,
  OffsetCommitRequestCodec,
  OffsetCommitResponseCodec,
  OffsetFetchRequestCodec,
  OffsetFetchResponseCodec,
  SyncGroupRequestCodec,
  SyncGroupResponseCodec,
  ErrorCode,
} from '@samsa/codec';
import type { FindCoordinatorResponse, HeartbeatResponse, JoinGroupResponse, LeaveGroupResponse, OffsetCommitResponse, OffsetFetchResponse, SyncGroupResponse } from '@samsa/codec';
import { encodeMemberSubscription } from '@samsa/coordinator';
import type { ManualClock } from '@samsa/runtime/memory';
import type { KafkaTestClient } from '../testing/kafka-test-client.ts';

export const SESSION_TIMEOUT_MS = 10_000;
const SETTLE_STEPS_MAX = 2_000;

/** Awaits `p`, advancing `clock` by `stepMs` whenever nothing else is left to do. */
export async function settle<T>(clock: ManualClock, p: Promise<T>, stepMs = 50): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown = undefined;
  let failed = false;
  p.then((v) => { done = true; value = v; }, (e: unknown) => { done = true; failed = true; error = e; });
  for (let i = 0; i < SETTLE_STEPS_MAX && !done; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (!done) await clock.advanceAsync(stepMs);
  }
  if (!done) throw new Error('settle: no response after the clock moved');
  if (failed) throw error;
  return value as T;
}

export function subscription(topics: string[]): Uint8Array {
  return encodeMemberSubscription({ topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null });
}

export interface Versions {
  join: number;
  sync: number;
  heartbeat: number;
  leave: number;
  commit: number;
  fetch: number;
}

export class GroupTestClient {
  readonly client: KafkaTestClient;
  readonly clock: ManualClock;
  readonly groupId: string;
  readonly v: Versions;
  memberId = '';
  generationId = -1;
  /** A static member's group.instance.id (KIP-345; JoinGroup v5+, SyncGroup/Heartbeat/OffsetCommit v3+, LeaveGroup v3+), or null. */
  readonly groupInstanceId: string | null;

  constructor(client: KafkaTestClient, clock: ManualClock, groupId: string, v: Versions, groupInstanceId: string | null = null) {
    this.client = client;
    this.clock = clock;
    this.groupId = groupId;
    this.v = v;
    this.groupInstanceId = groupInstanceId;
  }

  findCoordinator(version: number): Promise<FindCoordinatorResponse> {
    const body = version >= 4 ? { key: '', keyType: 0, coordinatorKeys: [this.groupId] } : { key: this.groupId, keyType: 0, coordinatorKeys: [] };
    return this.client.request(10, version, FindCoordinatorRequestCodec, body, FindCoordinatorResponseCodec);
  }

  /** Sends a JoinGroup (not awaited: it may wait for the rebalance). */
  joinAsync(topics: string[], metadata = subscription(topics)): Promise<JoinGroupResponse> {
    return this.client.request(11, this.v.join, JoinGroupRequestCodec, {
      groupId: this.groupId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: SESSION_TIMEOUT_MS,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata }],
      reason: null,
    }, JoinGroupResponseCodec);
  }

  /** Joins, answering MEMBER_ID_REQUIRED (v4+) with the given member id; `settle`s each step. */
  async join(topics: string[]): Promise<JoinGroupResponse> {
    let res = await settle(this.clock, this.joinAsync(topics));
    if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = res.memberId;
      res = await settle(this.clock, this.joinAsync(topics));
    }
    return this.#joined(res);
  }

  #joined(res: JoinGroupResponse): JoinGroupResponse {
    if (res.errorCode === ErrorCode.NONE) {
      this.memberId = res.memberId;
      this.generationId = res.generationId;
    }
    return res;
  }

  async completeJoin(p: Promise<JoinGroupResponse>): Promise<JoinGroupResponse> {
    return this.#joined(await p);
  }

  syncAsync(assignments: { memberId: string; assignment: Uint8Array }[]): Promise<SyncGroupResponse> {
    return this.client.request(14, this.v.sync, SyncGroupRequestCodec, {
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments,
    }, SyncGroupResponseCodec);
  }

  heartbeat(generationId = this.generationId): Promise<HeartbeatResponse> {
    return this.client.request(12, this.v.heartbeat, HeartbeatRequestCodec, { groupId: this.groupId, generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId }, HeartbeatResponseCodec);
  }

  leave(): Promise<LeaveGroupResponse> {
    return this.client.request(13, this.v.leave, LeaveGroupRequestCodec, {
      groupId: this.groupId,
      memberId: this.v.leave >= 3 ? '' : this.memberId,
      members: this.v.leave >= 3 ? [{ memberId: this.memberId, groupInstanceId: this.groupInstanceId, reason: this.v.leave >= 5 ? 'test' : null }] : [],
    }, LeaveGroupResponseCodec);
  }

  commit(topic: string, offsets: Record<number, number>, generationId = this.generationId, memberId = this.memberId): Promise<OffsetCommitResponse> {
    return this.client.request(8, this.v.commit, OffsetCommitRequestCodec, {
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.v.commit >= 1 ? generationId : -1,
      memberId: this.v.commit >= 1 ? memberId : '',
      groupInstanceId: this.groupInstanceId,
      retentionTimeMs: -1,
      topics: [{ name: topic, partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: this.v.commit === 1 ? 1_700_000_000_000 : -1, committedMetadata: `m${o}` })) }],
    }, OffsetCommitResponseCodec);
  }

  fetchRaw(topic: string, partitions: number[]): Promise<OffsetFetchResponse> {
    const topics = [{ name: topic, partitionIndexes: partitions }];
    return this.client.request(9, this.v.fetch, OffsetFetchRequestCodec, {
      groupId: this.v.fetch >= 8 ? '' : this.groupId,
      topics: this.v.fetch >= 8 ? [] : topics,
      groups: this.v.fetch >= 8 ? [{ groupId: this.groupId, memberId: null, memberEpoch: -1, topics }] : [],
      requireStable: false,
    }, OffsetFetchResponseCodec);
  }

  /** Committed offsets by partition (-1 = none), whatever the version's response shape. */
  async fetch(topic: string, partitions: number[]): Promise<{ errorCode: number; offsets: Record<number, number> }> {
    const res = await this.fetchRaw(topic, partitions);
    const offsets: Record<number, number> = {};
    if (this.v.fetch >= 8) {
      const g = res.groups[0]!;
      for (const t of g.topics) for (const p of t.partitions) offsets[p.partitionIndex] = p.committedOffset;
      return { errorCode: g.errorCode, offsets };
    }
    let errorCode = this.v.fetch >= 2 ? res.errorCode : ErrorCode.NONE;
    for (const t of res.topics) {
      for (const p of t.partitions) {
        offsets[p.partitionIndex] = p.committedOffset;
        if (p.errorCode !== ErrorCode.NONE) errorCode = p.errorCode;
      }
    }
    return { errorCode, offsets };
  }
}
