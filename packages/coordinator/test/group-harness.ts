/**
 * Test driver for GroupCoordinator: issues requests with fresh request ids, collects the
 * `respond` actions by id, and either completes `append` actions at once (autoComplete)
 * or queues them so a test can complete or fail them later. Every completed append's
 * records land in `log` (per partition order = completion order), which a test can
 * replay into a fresh coordinator.
 */
import {
  ConsumerGroupDescribeResponseCodec,
  ConsumerGroupHeartbeatResponseCodec,
  DeleteGroupsResponseCodec,
  DescribeGroupsResponseCodec,
  HeartbeatResponseCodec,
  JoinGroupResponseCodec,
  LeaveGroupResponseCodec,
  ListGroupsResponseCodec,
  OffsetCommitResponseCodec,
  OffsetDeleteResponseCodec,
  OffsetFetchResponseCodec,
  SyncGroupResponseCodec,
  encodeMessage,
} from '@samsa/codec';
import type { MessageCodec } from '@samsa/codec';
import { GroupCoordinator, encodeMemberSubscription, joinGroupResponseFor, leaveGroupResponseFor, offsetFetchResponseFor } from '../src/index.ts';
import type { CoordinatorAction, CoordinatorResponse, GroupCoordinatorConfig, JoinGroupInput, RawRecord } from '../src/index.ts';

/** A deterministic CoordinatorRandom (xorshift32) so member ids repeat across runs. */
export function seededRandom(seed: number): { nextUint32(): number } {
  let s = seed >>> 0 || 0x9e3779b9;
  return {
    nextUint32() {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s;
    },
  };
}

export function subscription(topics: string[]): Uint8Array {
  return encodeMemberSubscription({ topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0);
}

type Bodies = { [R in CoordinatorResponse as R['api']]: R['body'] };
type ResponseBody<A extends CoordinatorResponse['api']> = Bodies[A];

export type PendingAppend = Extract<CoordinatorAction, { type: 'append' }>;

export const TEST_CONFIG: Partial<GroupCoordinatorConfig> = {
  groupInitialRebalanceDelayMs: 0,
  groupMinSessionTimeoutMs: 1000,
  groupMaxSessionTimeoutMs: 60_000,
};

export class Harness {
  c: GroupCoordinator;
  nowMs = 1_000_000;
  autoComplete = true;
  readonly responses = new Map<number, CoordinatorResponse>();
  readonly pending: PendingAppend[] = [];
  /** Completed appends' records in completion order. */
  readonly log: RawRecord[] = [];
  /** The same, per `__consumer_offsets` partition (what each partition's log holds). */
  readonly logByPartition = new Map<number, RawRecord[]>();
  #nextRequestId = 1;

  /** `ownsAllPartitions: false`: a cluster's coordinator, owning no partition until the test loads some (`loaded` is then ignored). */
  constructor(config: Partial<GroupCoordinatorConfig> = TEST_CONFIG, seed = 42, loaded = true, ownsAllPartitions = true) {
    this.c = new GroupCoordinator({ config, random: seededRandom(seed), ownsAllPartitions });
    if (loaded && ownsAllPartitions) this.apply(this.c.loadCompleted(this.nowMs));
  }

  /** Cluster mode: loads `partition` from `records` (a log), as a broker that became its leader. */
  loadPartition(partition: number, records: readonly RawRecord[] = []): void {
    this.apply(this.c.loadPartition(partition));
    this.c.load(records);
    this.apply(this.c.loadPartitionCompleted(partition, this.nowMs));
  }

  apply(actions: CoordinatorAction[]): void {
    for (const a of actions) {
      if (a.type === 'respond') {
        if (this.responses.has(a.requestId)) throw new Error(`request ${a.requestId} answered twice`);
        encodesAtEveryVersion(a.response);
        this.responses.set(a.requestId, a.response);
      } else if (this.autoComplete) this.complete(a, 0);
      else this.pending.push(a);
    }
  }

  complete(a: PendingAppend, errorCode = 0): void {
    const i = this.pending.indexOf(a);
    if (i >= 0) this.pending.splice(i, 1);
    if (errorCode === 0) {
      this.log.push(...a.records);
      const log = this.logByPartition.get(a.partition) ?? [];
      log.push(...a.records);
      this.logByPartition.set(a.partition, log);
    }
    this.apply(this.c.appendCompleted(a.completionId, errorCode, this.nowMs));
  }

  completeAll(errorCode = 0): void {
    for (let i = 0; i < 10_000 && this.pending.length > 0; i++) this.complete(this.pending[0]!, errorCode);
  }

  /** Moves time forward by `ms`, ticking at every deadline on the way (as a broker's timer would). */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (let i = 0; i < 100_000; i++) {
      const next = this.c.nextTickAtMs();
      if (next === null || next > target) break;
      this.nowMs = Math.max(this.nowMs, next);
      this.apply(this.c.tick(this.nowMs));
    }
    this.nowMs = target;
    this.apply(this.c.tick(this.nowMs));
  }

  /** Moves time forward by `ms` in one jump (a late tick). */
  jump(ms: number): void {
    this.nowMs += ms;
    this.apply(this.c.tick(this.nowMs));
  }

  #id(): number {
    return this.#nextRequestId++;
  }

  response<A extends CoordinatorResponse['api']>(requestId: number, api: A): ResponseBody<A> | undefined {
    const r = this.responses.get(requestId);
    if (r === undefined) return undefined;
    if (r.api !== api) throw new Error(`request ${requestId}: expected ${api}, got ${r.api}`);
    const body: unknown = r.body;
    return body as ResponseBody<A>;
  }

  join(groupId: string, o: Partial<JoinGroupInput> = {}): number {
    const id = this.#id();
    const req: JoinGroupInput = {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['t']) }],
      reason: null,
      clientId: 'client',
      clientHost: '/127.0.0.1',
      requireKnownMemberId: false,
      skipAssignmentSupported: false,
      ...o,
    };
    this.apply(this.c.joinGroup(id, req, this.nowMs));
    return id;
  }

  sync(groupId: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Uint8Array }[] = [], groupInstanceId: string | null = null): number {
    const id = this.#id();
    this.apply(this.c.syncGroup(id, { groupId, generationId, memberId, groupInstanceId, protocolType: null, protocolName: null, assignments }, this.nowMs));
    return id;
  }

  heartbeat(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): number {
    const id = this.#id();
    this.apply(this.c.heartbeat(id, { groupId, memberId, generationId, groupInstanceId }, this.nowMs));
    return id;
  }

  leave(groupId: string, members: { memberId: string; groupInstanceId?: string | null }[]): number {
    const id = this.#id();
    this.apply(this.c.leaveGroup(id, { groupId, members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: null })) }, this.nowMs));
    return id;
  }

  commit(groupId: string, memberId: string, generation: number, offsets: { topic: string; partition: number; offset: number; metadata?: string | null }[], groupInstanceId: string | null = null, retentionTimeMs = -1): number {
    const id = this.#id();
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: o.metadata === undefined ? '' : o.metadata });
      byTopic.set(o.topic, list);
    }
    this.apply(
      this.c.offsetCommit(id, { groupId, generationIdOrMemberEpoch: generation, memberId, groupInstanceId, retentionTimeMs, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }, this.nowMs),
    );
    return id;
  }

  fetch(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null = null): number {
    const id = this.#id();
    this.apply(this.c.offsetFetch(id, { groupId, topics, requireStable: false }, this.nowMs));
    return id;
  }

  /** Committed offset of one partition as OffsetFetch reports it (-1 = none). */
  fetchOffset(groupId: string, topic: string, partition: number): number {
    const body = this.response(this.fetch(groupId, [{ name: topic, partitionIndexes: [partition] }]), 'OffsetFetch')!;
    return body.topics[0]!.partitions[0]!.committedOffset;
  }

  listGroups(statesFilter: string[] = []): number {
    const id = this.#id();
    this.apply(this.c.listGroups(id, { statesFilter, typesFilter: [] }, this.nowMs));
    return id;
  }

  describe(groups: string[]): number {
    const id = this.#id();
    this.apply(this.c.describeGroups(id, { groups }, this.nowMs));
    return id;
  }

  deleteGroups(groupsNames: string[]): number {
    const id = this.#id();
    this.apply(this.c.deleteGroups(id, { groupsNames }, this.nowMs));
    return id;
  }

  offsetDelete(groupId: string, topic: string, partitions: number[]): number {
    const id = this.#id();
    this.apply(this.c.offsetDelete(id, { groupId, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] }, this.nowMs));
    return id;
  }
}

/** Broker-side versions of each API (ApiVersions ranges of issue 6). */
const VERSIONS: Record<CoordinatorResponse['api'], [number, number]> = {
  JoinGroup: [0, 9],
  SyncGroup: [0, 5],
  Heartbeat: [0, 4],
  LeaveGroup: [0, 5],
  OffsetCommit: [0, 8],
  OffsetFetch: [0, 8],
  ListGroups: [0, 5],
  DescribeGroups: [0, 5],
  DeleteGroups: [0, 2],
  OffsetDelete: [0, 0],
  ConsumerGroupHeartbeat: [0, 1],
  ConsumerGroupDescribe: [0, 0],
};

/** Every response the coordinator emits must encode at every advertised version (after the version glue). */
export function encodesAtEveryVersion(r: CoordinatorResponse): void {
  const [lo, hi] = VERSIONS[r.api];
  for (let v = lo; v <= hi; v++) {
    try {
      switch (r.api) {
        case 'JoinGroup': encodeMessage(JoinGroupResponseCodec, joinGroupResponseFor(r.body, v), v); break;
        case 'SyncGroup': encodeMessage(SyncGroupResponseCodec, r.body, v); break;
        case 'Heartbeat': encodeMessage(HeartbeatResponseCodec, r.body, v); break;
        case 'LeaveGroup': encodeMessage(LeaveGroupResponseCodec, leaveGroupResponseFor(r.body, v), v); break;
        case 'OffsetCommit': encodeMessage(OffsetCommitResponseCodec, r.body, v); break;
        case 'OffsetFetch': encodeMessage(OffsetFetchResponseCodec, offsetFetchResponseFor([r.body], [{ groupId: r.body.groupId, topics: [], requireStable: false }], v), v); break;
        case 'ListGroups': encodeMessage(ListGroupsResponseCodec, r.body, v); break;
        case 'DescribeGroups': encodeMessage(DescribeGroupsResponseCodec, r.body, v); break;
        case 'DeleteGroups': encodeMessage(DeleteGroupsResponseCodec, r.body, v); break;
        case 'OffsetDelete': encodeMessage(OffsetDeleteResponseCodec as MessageCodec<typeof r.body>, r.body, v); break;
        case 'ConsumerGroupHeartbeat': encodeMessage(ConsumerGroupHeartbeatResponseCodec, r.body, v); break;
        case 'ConsumerGroupDescribe': encodeMessage(ConsumerGroupDescribeResponseCodec, r.body, v); break;
      }
    } catch (e) {
      throw new Error(`${r.api} response does not encode at v${v}: ${(e as Error).message}`);
    }
  }
}
