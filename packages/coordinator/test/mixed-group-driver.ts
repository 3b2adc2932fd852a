/**
 * Test driver for mixed groups (classic members inside KIP-848 consumer groups): one
 * GroupCoordinator with topic "t" (6 partitions), requests with fresh ids, appends
 * completed at once, answers returned as bodies. Used by consumer-group-classic-members
 * and consumer-group-migration tests.
 */
import { ErrorCode as E } from '@samsa/codec';
import type {
  ConsumerGroupDescribeResponse,
  ConsumerGroupHeartbeatResponse,
  DescribeGroupsResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  ListGroupsResponse,
  OffsetCommitResponse,
  OffsetFetchResponseOffsetFetchResponseGroup,
  SyncGroupResponse,
} from '@samsa/codec';
import { GroupCoordinator, decodeMemberAssignment, encodeMemberAssignment, encodeMemberSubscription } from '../src/index.ts';
import type { ConsumerGroupHeartbeatInput, CoordinatorAction, GroupCoordinatorConfig, JoinGroupInput, RawRecord } from '../src/index.ts';

export const G = 'g1';
export const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
const TOPICS = new Map([['t', { topicId: T, numPartitions: 6 }]]);

export type Owned = { topicId: string; partitions: number[] }[];

export class Driver {
  readonly c: GroupCoordinator;
  nowMs = 1_000;
  #id = 1;

  constructor(config: Partial<GroupCoordinatorConfig> = {}) {
    let x = 777;
    this.c = new GroupCoordinator({ random: { nextUint32: () => (x = (x * 1103515245 + 12345) >>> 0) }, topicLookup: (name) => TOPICS.get(name), config });
    this.c.loadCompleted(this.nowMs);
  }

  /** Every record appended (and completed), in order. */
  readonly appended: RawRecord[] = [];

  #answer<B>(actions: CoordinatorAction[], id: number): B {
    for (const a of actions) {
      if (a.type !== 'append') continue;
      this.appended.push(...a.records);
      this.c.appendCompleted(a.completionId, 0, this.nowMs).forEach((b) => actions.push(b));
    }
    const r = actions.find((a) => a.type === 'respond' && a.requestId === id);
    if (r === undefined || r.type !== 'respond') throw new Error('no answer');
    return r.response.body as B;
  }

  hb(req: Partial<ConsumerGroupHeartbeatInput> & { memberId: string; memberEpoch: number }): ConsumerGroupHeartbeatResponse {
    const id = this.#id++;
    const full: ConsumerGroupHeartbeatInput = {
      groupId: G,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: req.memberEpoch === 0 ? 30_000 : -1,
      subscribedTopicNames: req.memberEpoch === 0 ? ['t'] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: req.memberEpoch === 0 ? [] : null,
      memberIdRequired: true,
      clientId: 'c',
      clientHost: '/127.0.0.1',
      ...req,
    };
    return this.#answer(this.c.consumerGroupHeartbeat(id, full, this.nowMs), id);
  }

  /** A classic JoinGroup whose subscription lists `owned` partitions of topic t. */
  join(memberId: string, owned: number[] = [], extra: Partial<JoinGroupInput> = {}): JoinGroupResponse {
    const id = this.#id++;
    const metadata = subscription(owned);
    const req: JoinGroupInput = {
      groupId: G,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 20_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'cooperative-sticky', metadata }],
      reason: null,
      clientId: 'classic',
      clientHost: '/1',
      requireKnownMemberId: true,
      skipAssignmentSupported: true,
      ...extra,
    };
    return this.#answer(this.c.joinGroup(id, req, this.nowMs), id);
  }

  sync(memberId: string, generationId: number, protocolName: string | null = 'cooperative-sticky', groupInstanceId: string | null = null): SyncGroupResponse & { partitions: number[] } {
    const id = this.#id++;
    const r = this.#answer<SyncGroupResponse>(this.c.syncGroup(id, { groupId: G, generationId, memberId, groupInstanceId, protocolType: 'consumer', protocolName, assignments: [] }, this.nowMs), id);
    const partitions = r.errorCode === E.NONE ? decodeMemberAssignment(r.assignment).assignedPartitions.flatMap((t) => t.partitions) : [];
    return { ...r, partitions };
  }

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null): number {
    const id = this.#id++;
    return this.#answer<{ errorCode: number }>(this.c.heartbeat(id, { groupId: G, generationId, memberId, groupInstanceId }, this.nowMs), id).errorCode;
  }

  leave(memberId: string, groupInstanceId: string | null = null): LeaveGroupResponse {
    const id = this.#id++;
    return this.#answer(this.c.leaveGroup(id, { groupId: G, members: [{ memberId, groupInstanceId, reason: null }] }, this.nowMs), id);
  }

  describe(): ConsumerGroupDescribeResponse['groups'][number] {
    const id = this.#id++;
    return this.#answer<ConsumerGroupDescribeResponse>(this.c.consumerGroupDescribe(id, { groupIds: [G] }, this.nowMs), id).groups[0]!;
  }

  commit(memberId: string, generation: number, apiVersion: number): number {
    const id = this.#id++;
    const topics = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }];
    const r = this.#answer<OffsetCommitResponse>(this.c.offsetCommit(id, { groupId: G, generationIdOrMemberEpoch: generation, memberId, groupInstanceId: null, retentionTimeMs: -1, topics, apiVersion }, this.nowMs), id);
    return r.topics[0]!.partitions[0]!.errorCode;
  }

  fetch(memberId: string | null, memberEpoch: number): OffsetFetchResponseOffsetFetchResponseGroup {
    const id = this.#id++;
    return this.#answer(this.c.offsetFetch(id, { groupId: G, topics: null, requireStable: false, memberId, memberEpoch }, this.nowMs), id);
  }

  /** A SyncGroup of a classic group's leader handing out `assignments` (member id → partitions of t). */
  leaderSync(memberId: string, generationId: number, protocolName: string, assignments: Map<string, number[]>): SyncGroupResponse & { partitions: number[] } {
    const id = this.#id++;
    const list = [...assignments].map(([m, ps]) => ({ memberId: m, assignment: encodeAssignment(ps) }));
    const r = this.#answer<SyncGroupResponse>(this.c.syncGroup(id, { groupId: G, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName, assignments: list }, this.nowMs), id);
    const partitions = r.errorCode === E.NONE ? decodeMemberAssignment(r.assignment).assignedPartitions.flatMap((t) => t.partitions) : [];
    return { ...r, partitions };
  }

  /** Issues a request and returns its actions (for requests that may park). */
  raw(issue: (id: number) => CoordinatorAction[]): { id: number; actions: CoordinatorAction[] } {
    const id = this.#id++;
    return { id, actions: issue(id) };
  }

  listGroups(): ListGroupsResponse {
    const id = this.#id++;
    return this.#answer(this.c.listGroups(id, { statesFilter: [], typesFilter: [] }, this.nowMs), id);
  }

  describeGroup(): DescribeGroupsResponse['groups'][number] {
    const id = this.#id++;
    return this.#answer<DescribeGroupsResponse>(this.c.describeGroups(id, { groups: [G] }, this.nowMs), id).groups[0]!;
  }

  advance(ms: number): void {
    this.nowMs += ms;
    this.c.tick(this.nowMs);
  }
}


function encodeAssignment(partitions: number[]): Uint8Array {
  return encodeMemberAssignment({ assignedPartitions: partitions.length > 0 ? [{ topic: 't', partitions }] : [], userData: null }, 1);
}

/** A subscription to t listing `owned` partitions of t, at `version`. */
export function subscription(owned: number[] = [], version = 1): Uint8Array {
  return encodeMemberSubscription({ topics: ['t'], userData: null, ownedPartitions: owned.length > 0 ? [{ topic: 't', partitions: owned }] : [], generationId: -1, rackId: null }, version);
}

export const owned = (r: ConsumerGroupHeartbeatResponse): Owned => r.assignment?.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })) ?? [];
export const partitionsOf = (o: Owned): number[] => o.flatMap((t) => t.partitions).sort((a, b) => a - b);
