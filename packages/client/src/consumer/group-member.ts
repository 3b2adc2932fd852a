/**
 * GroupMember: the consumer's membership in a classic consumer group — FindCoordinator,
 * JoinGroup (MEMBER_ID_REQUIRED retried with the id the coordinator gave), SyncGroup (the
 * leader runs the chosen assignor over every member's subscription), a Heartbeat loop on
 * the Clock, LeaveGroup on close (not for static members, KIP-345: they keep their
 * assignment across a restart within the session timeout), auto-commit and OffsetCommit /
 * OffsetFetch. What an answer means is group-state.ts's (pure); this file does the I/O.
 *
 * Rebalance protocol (the assignors' common one, consumer-options.ts):
 * - EAGER: before every JoinGroup the member commits what was processed (auto-commit),
 *   revokes everything (onPartitionsRevoked awaited) and then joins.
 * - COOPERATIVE (KIP-429): nothing is revoked before joining; the subscription carries the
 *   owned partitions and generation; after SyncGroup only the partitions that moved away
 *   are revoked (committed first), new ones assigned, and when something was revoked the
 *   member joins once more so the leader can hand those partitions on.
 * Listeners are awaited before the member proceeds; revocation first waits (≤
 * rebalanceTimeoutMs) until the application holds no batch, so nothing revoked is being
 * processed. Losing the membership (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION on a heartbeat)
 * calls onPartitionsLost, without a commit: another member may own them already.
 * Bounded: one join loop, one heartbeat loop, one commit at a time per caller; retries back
 * off retryBackoffMs and give up on non-retriable errors (the consumer surfaces them).
 */
import {
  ErrorCode,
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
} from '@samsa/codec/wire';
import type { JoinGroupResponse, OffsetCommitRequest, OffsetFetchRequest } from '@samsa/codec/wire';
import type { Clock } from '@samsa/runtime';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../assignors/index.ts';
import type { Assignor, GroupMember as AssignorMember } from '../assignors/index.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { KafkaApi } from '../connection/broker-connection.ts';
import { KafkaClientError, KafkaError, KafkaStateError, KafkaTimeoutError } from '../errors.ts';
import { ASSIGNORS_BY_NAME, rebalanceProtocolOf } from './consumer-options.ts';
import type { ResolvedConsumerOptions } from './consumer-options.ts';
import { partitionKey } from './consumer-record.ts';
import type { TopicPartition, TopicPartitionOffset } from './consumer-record.ts';
import { commitGeneration, groupTransition, INITIAL_GROUP_STATE } from './group-state.ts';
import type { GroupEvent, GroupState } from './group-state.ts';

/** Rebalance callbacks, each awaited before the member goes on (Java's ConsumerRebalanceListener). */
export interface RebalanceListener {
  onPartitionsAssigned?(partitions: TopicPartition[]): Promise<void> | void;
  onPartitionsRevoked?(partitions: TopicPartition[]): Promise<void> | void;
  onPartitionsLost?(partitions: TopicPartition[]): Promise<void> | void;
}

/** What the member needs from the consumer it belongs to. */
export interface MemberHost {
  assigned(tps: readonly TopicPartition[], committed: ReadonlyMap<string, TopicPartitionOffset | undefined>): void;
  revoked(tps: readonly TopicPartition[]): void;
  processed(): TopicPartitionOffset[];
  idle(): Promise<void>;
  wake(): void;
}

const COORDINATOR_KEY_TYPE_GROUP = 0;
const CONSUMER_PROTOCOL_TYPE = 'consumer';
const CLIENT_SLACK_MS = 5_000;
const JOIN_ATTEMPTS_MAX = 1_000;
const api = <Req, Res>(request: KafkaApi<Req, Res>['request'], response: KafkaApi<Req, Res>['response']): KafkaApi<Req, Res> => ({ request, response });
const findCoordinatorApi = api(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec);
const joinApi = api(JoinGroupRequestCodec, JoinGroupResponseCodec);
const syncApi = api(SyncGroupRequestCodec, SyncGroupResponseCodec);
const heartbeatApi = api(HeartbeatRequestCodec, HeartbeatResponseCodec);
const leaveApi = api(LeaveGroupRequestCodec, LeaveGroupResponseCodec);
const commitApi = api(OffsetCommitRequestCodec, OffsetCommitResponseCodec);
const offsetFetchApi = api(OffsetFetchRequestCodec, OffsetFetchResponseCodec);

export class GroupMember {
  readonly #cluster: Cluster;
  readonly #clock: Clock;
  readonly #o: ResolvedConsumerOptions;
  readonly #groupId: string;
  readonly #host: MemberHost;
  readonly #protocol: 'EAGER' | 'COOPERATIVE';
  #state: GroupState = INITIAL_GROUP_STATE;
  #topics: readonly string[] = [];
  #listener: RebalanceListener = {};
  #owned: TopicPartition[] = [];
  #coordinator: number | null = null;
  #rejoin = false;
  #wakeLoop: (() => void) | null = null;
  #fatal: KafkaClientError | null = null;
  #loops: Promise<void>[] = [];
  #stopped = false;
  #lastCommitted = new Map<string, bigint>();

  constructor(cluster: Cluster, options: ResolvedConsumerOptions, host: MemberHost) {
    this.#cluster = cluster;
    this.#clock = cluster.clock;
    this.#o = options;
    this.#groupId = options.groupId!;
    this.#host = host;
    this.#protocol = rebalanceProtocolOf(options.assignors);
  }

  snapshot(): { generationId: number; memberId: string; state: string } {
    return { generationId: this.#state.generationId, memberId: this.#state.memberId, state: this.#state.phase };
  }

  takeFatalError(): KafkaClientError | null {
    const error = this.#fatal;
    this.#fatal = null;
    return error;
  }

  subscribe(topics: readonly string[], listener: RebalanceListener): void {
    if (topics.length === 0) throw new RangeError('subscribe() needs at least one topic');
    this.#topics = [...new Set(topics)].sort();
    this.#listener = listener;
    this.#requestRejoin();
    if (this.#loops.length === 0) this.#loops = [this.#joinLoop(), this.#heartbeatLoop(), this.#autoCommitLoop()];
  }

  // ---- membership -------------------------------------------------------------------

  #apply(event: GroupEvent): ReturnType<typeof groupTransition> {
    const t = groupTransition(this.#state, event);
    this.#state = t.state;
    if (t.effect === 'fatal') {
      this.#fatal = new KafkaError(t.state.fatalErrorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `group ${this.#groupId}: membership failed`);
      this.#host.wake();
    }
    if (t.effect === 'rediscover') this.#coordinator = null;
    return t;
  }

  #requestRejoin(): void {
    this.#rejoin = true;
    const wake = this.#wakeLoop;
    this.#wakeLoop = null;
    wake?.();
  }

  async #joinLoop(): Promise<void> {
    let attempts = 0;
    while (!this.#stopped && this.#state.phase !== 'fatal') {
      if (!this.#rejoin) {
        await new Promise<void>((resolve) => (this.#wakeLoop = resolve));
        continue;
      }
      try {
        await this.#joinAndSync();
        attempts = 0;
      } catch (error) {
        if (this.#stopped) return;
        if (!(error instanceof KafkaClientError) || !error.retriable || ++attempts > JOIN_ATTEMPTS_MAX) {
          this.#fatal = error instanceof KafkaClientError ? error : new KafkaStateError(`group ${this.#groupId}: ${String(error)}`, { cause: error });
          this.#host.wake();
          return;
        }
        this.#coordinator = null;
        await this.#clock.sleep(this.#o.retryBackoffMs);
      }
    }
  }

  async #joinAndSync(): Promise<void> {
    this.#rejoin = false;
    await this.#prepareJoin();
    for (let i = 0; i < JOIN_ATTEMPTS_MAX && !this.#stopped; i++) {
      const coordinator = await this.#findCoordinator();
      this.#apply({ type: 'join-sent' });
      const ticket = this.#state.ticket;
      const join = await this.#send(coordinator, joinApi, (v) => this.#joinBody(v), this.#o.rebalanceTimeoutMs);
      const t = this.#apply({ type: 'join-answer', ticket, errorCode: join.errorCode, memberId: join.memberId, generationId: join.generationId, leaderId: join.leader, protocolName: join.protocolName });
      if (t.effect === 'rejoin' || t.effect === 'rediscover') {
        if (t.effect === 'rediscover' || join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) await this.#clock.sleep(this.#o.retryBackoffMs);
        continue;
      }
      if (t.effect === 'fatal') return;
      const assignments = join.leader === join.memberId ? await this.#assign(join) : [];
      const syncTicket = this.#state.ticket;
      const sync = await this.#send(coordinator, syncApi, {
        groupId: this.#groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId: this.#o.groupInstanceId,
        protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: join.protocolName, assignments,
      }, this.#o.rebalanceTimeoutMs);
      const s = this.#apply({ type: 'sync-answer', ticket: syncTicket, errorCode: sync.errorCode });
      if (s.effect === 'assigned') return this.#onAssignment(decodeAssignment(sync.assignment).partitions);
      if (s.effect === 'fatal') return;
      if (s.effect === 'rediscover') await this.#clock.sleep(this.#o.retryBackoffMs);
    }
  }

  /** Java's onJoinPrepare: commit what was processed; EAGER revokes everything first. */
  async #prepareJoin(): Promise<void> {
    if (this.#owned.length === 0) return;
    await this.#waitIdle();
    if (this.#o.autoCommit) await this.#commitProcessed().catch(() => undefined);
    if (this.#protocol === 'EAGER') await this.#revoke(this.#owned);
  }

  #joinBody(version: number): Parameters<typeof JoinGroupRequestCodec.write>[1] {
    const owned = this.#protocol === 'COOPERATIVE' ? toTopicPartitions(this.#owned) : [];
    const metadata = encodeSubscription({ topics: this.#topics, ownedPartitions: owned, generationId: this.#state.generationId });
    return {
      groupId: this.#groupId,
      sessionTimeoutMs: this.#o.sessionTimeoutMs,
      rebalanceTimeoutMs: this.#o.rebalanceTimeoutMs,
      memberId: this.#state.memberId,
      groupInstanceId: version >= 5 ? this.#o.groupInstanceId : null,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: this.#o.assignors.map((a) => ({ name: a.name, metadata })),
      reason: null,
    };
  }

  /** The leader's part: run the chosen assignor over every member's subscription. */
  async #assign(join: JoinGroupResponse): Promise<{ memberId: string; assignment: Uint8Array }[]> {
    const assignor: Assignor | undefined = this.#o.assignors.find((a) => a.name === join.protocolName) ?? ASSIGNORS_BY_NAME.get(join.protocolName ?? '');
    if (assignor === undefined) throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `group ${this.#groupId}: the coordinator chose ${join.protocolName}, which this member does not have`);
    const members: AssignorMember[] = join.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription: decodeSubscription(m.metadata) }));
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))].sort();
    const partitionsPerTopic = new Map<string, number>();
    for (const topic of topics) {
      const info = await this.#cluster.topic(topic).catch(() => undefined);
      if (info !== undefined) partitionsPerTopic.set(topic, info.partitions.length);
    }
    const assignment = assignor.assign(members, partitionsPerTopic);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(assignment.get(m.memberId) ?? new Map()) }));
  }

  async #onAssignment(partitions: Map<string, number[]>): Promise<void> {
    const assigned = [...partitions].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    const assignedKeys = new Set(assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
    const ownedKeys = new Set(this.#owned.map((tp) => partitionKey(tp.topic, tp.partition)));
    const revoked = this.#owned.filter((tp) => !assignedKeys.has(partitionKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !ownedKeys.has(partitionKey(tp.topic, tp.partition)));
    if (revoked.length > 0) {
      await this.#waitIdle();
      if (this.#o.autoCommit) await this.#commitProcessed(revoked).catch(() => undefined);
      await this.#revoke(revoked);
    }
    const committed = added.length === 0 ? new Map<string, TopicPartitionOffset | undefined>() : await this.fetchCommitted(added);
    this.#owned = [...this.#owned, ...added];
    this.#host.assigned(added, committed);
    this.#observeRebalance('assigned', added.length);
    await this.#listener.onPartitionsAssigned?.(added);
    // KIP-429: what moved away was revoked; join once more so the leader can place it.
    if (this.#protocol === 'COOPERATIVE' && revoked.length > 0) this.#requestRejoin();
  }

  async #revoke(tps: readonly TopicPartition[]): Promise<void> {
    const keys = new Set(tps.map((tp) => partitionKey(tp.topic, tp.partition)));
    this.#owned = this.#owned.filter((tp) => !keys.has(partitionKey(tp.topic, tp.partition)));
    this.#host.revoked(tps);
    this.#observeRebalance('revoked', tps.length);
    await this.#listener.onPartitionsRevoked?.([...tps]);
  }

  async #lose(): Promise<void> {
    const lost = this.#owned;
    this.#owned = [];
    this.#host.revoked(lost);
    if (lost.length > 0) this.#observeRebalance('lost', lost.length);
    if (lost.length > 0) await (this.#listener.onPartitionsLost ?? this.#listener.onPartitionsRevoked)?.call(this.#listener, [...lost]);
  }

  #observeRebalance(event: 'assigned' | 'revoked' | 'lost', partitions: number): void {
    const fields = { groupId: this.#groupId, generationId: this.#state.generationId, event, partitions };
    this.#cluster.observer.log(event === 'lost' ? 'warn' : 'info', `partitions ${event}`, fields);
    this.#cluster.observer.rebalance(fields);
  }

  #waitIdle(): Promise<void> {
    return Promise.race([this.#host.idle(), this.#clock.sleep(this.#o.rebalanceTimeoutMs)]);
  }

  async #heartbeatLoop(): Promise<void> {
    while (!this.#stopped && this.#state.phase !== 'fatal') {
      await this.#clock.sleep(this.#o.heartbeatIntervalMs);
      if (this.#stopped || this.#state.phase !== 'stable' || this.#coordinator === null) continue;
      const ticket = this.#state.ticket;
      const s = this.#state;
      let errorCode: number;
      try {
        const r = await this.#send(this.#coordinator, heartbeatApi, { groupId: this.#groupId, generationId: s.generationId, memberId: s.memberId, groupInstanceId: this.#o.groupInstanceId });
        errorCode = r.errorCode;
      } catch (error) {
        if (error instanceof KafkaClientError && error.retriable) this.#coordinator = null;
        continue;
      }
      const t = this.#apply({ type: 'heartbeat-answer', ticket, errorCode });
      if (t.effect === 'lost') {
        await this.#lose();
        this.#requestRejoin();
      } else if (t.effect === 'rejoin' || t.effect === 'rediscover') {
        this.#requestRejoin();
      }
    }
  }

  async #autoCommitLoop(): Promise<void> {
    if (!this.#o.autoCommit) return;
    while (!this.#stopped) {
      await this.#clock.sleep(this.#o.autoCommitIntervalMs);
      if (this.#stopped || this.#state.phase !== 'stable') continue;
      await this.#commitProcessed().catch(() => undefined);
    }
  }

  // ---- offsets -----------------------------------------------------------------------

  /** Commits the processed offsets (of `only` when given) that changed since the last commit. */
  async #commitProcessed(only?: readonly TopicPartition[]): Promise<void> {
    const keys = only === undefined ? null : new Set(only.map((tp) => partitionKey(tp.topic, tp.partition)));
    const offsets = this.#host.processed().filter((o) => (keys === null || keys.has(partitionKey(o.topic, o.partition))) && this.#lastCommitted.get(partitionKey(o.topic, o.partition)) !== o.offset);
    if (offsets.length > 0) await this.commit(offsets);
  }

  /**
   * OffsetCommit at the coordinator with the member id and the generation while stable
   * (-1 otherwise: assign-only mode). Coordinator errors rediscover and retry until the
   * request timeout; REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID fail
   * the commit (the partitions may have moved: Java's CommitFailedException).
   */
  async commit(offsets: readonly TopicPartitionOffset[], signal?: AbortSignal): Promise<void> {
    const deadlineMs = this.#clock.monotonicMs() + this.#o.requestTimeoutMs;
    for (;;) {
      if (signal?.aborted === true) return;
      const coordinator = await this.#findCoordinator();
      const s = this.#state;
      const byTopic = groupByTopic(offsets);
      const body = (version: number): OffsetCommitRequest => ({
        groupId: this.#groupId,
        generationIdOrMemberEpoch: commitGeneration(s),
        memberId: s.phase === 'stable' ? s.memberId : '',
        groupInstanceId: version >= 7 && s.phase === 'stable' ? this.#o.groupInstanceId : null,
        retentionTimeMs: -1,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: Number(p.offset), committedLeaderEpoch: p.leaderEpoch ?? -1, commitTimestamp: -1, committedMetadata: p.metadata ?? null })),
        })),
      });
      const response = await this.#send(coordinator, commitApi, body);
      const errors = response.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ topic: t.name, ...p })));
      if (errors.length === 0) {
        for (const o of offsets) this.#lastCommitted.set(partitionKey(o.topic, o.partition), o.offset);
        return;
      }
      const first = errors[0]!;
      const error = new KafkaError(first.errorCode, `group ${this.#groupId}: OffsetCommit of ${first.topic}-${first.partitionIndex}`);
      const coordinatorMoved = first.errorCode === ErrorCode.NOT_COORDINATOR || first.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || first.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      if (coordinatorMoved) this.#coordinator = null;
      if (!error.retriable || this.#clock.monotonicMs() >= deadlineMs) throw error;
      await this.#clock.sleep(this.#o.retryBackoffMs);
    }
  }

  /** OffsetFetch (requireStable from v7): committed offset per partition key, undefined when none. */
  async fetchCommitted(tps: readonly TopicPartition[], signal?: AbortSignal): Promise<Map<string, TopicPartitionOffset | undefined>> {
    const deadlineMs = this.#clock.monotonicMs() + this.#o.requestTimeoutMs;
    const topics = [...groupByTopic(tps)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) }));
    for (;;) {
      const coordinator = await this.#findCoordinator();
      const body = (version: number): OffsetFetchRequest => version >= 8
        ? { groupId: '', topics: [], groups: [{ groupId: this.#groupId, memberId: null, memberEpoch: -1, topics }], requireStable: true }
        : { groupId: this.#groupId, topics, groups: [], requireStable: version >= 7 };
      const response = await this.#send(coordinator, offsetFetchApi, body);
      const group = response.groups[0];
      const errorCode = group !== undefined ? group.errorCode : response.errorCode;
      const answered = group !== undefined ? group.topics : response.topics;
      const partitionError = answered.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
      const code = errorCode !== ErrorCode.NONE ? errorCode : partitionError;
      if (code === ErrorCode.NONE) {
        const out = new Map<string, TopicPartitionOffset | undefined>();
        for (const t of answered) {
          for (const p of t.partitions) {
            out.set(partitionKey(t.name, p.partitionIndex), p.committedOffset < 0 ? undefined : { topic: t.name, partition: p.partitionIndex, offset: BigInt(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
          }
        }
        return out;
      }
      const error = new KafkaError(code, `group ${this.#groupId}: OffsetFetch`);
      if (code !== ErrorCode.UNSTABLE_OFFSET_COMMIT) this.#coordinator = null;
      if (!error.retriable || this.#clock.monotonicMs() >= deadlineMs || signal?.aborted === true) throw error;
      await this.#clock.sleep(this.#o.retryBackoffMs);
    }
  }

  // ---- coordinator and requests -------------------------------------------------------

  async #findCoordinator(): Promise<number> {
    if (this.#coordinator !== null) return this.#coordinator;
    const deadlineMs = this.#clock.monotonicMs() + this.#o.requestTimeoutMs;
    for (;;) {
      await this.#cluster.refreshMetadata();
      const brokers = this.#cluster.metadata.brokers();
      const asked = brokers[0];
      if (asked === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the metadata lists no brokers');
      const connection = await this.#cluster.connection(asked.nodeId);
      const version = connection.versionOf(FindCoordinatorRequestCodec.meta.apiKey) ?? 0;
      const response = await connection.request(findCoordinatorApi, version >= 4
        ? { key: '', keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [this.#groupId] }
        : { key: this.#groupId, keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [] });
      const answer = version >= 4 ? response.coordinators[0] : response;
      const errorCode = answer?.errorCode ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
      if (errorCode === ErrorCode.NONE) {
        this.#coordinator = answer!.nodeId;
        return answer!.nodeId;
      }
      const error = new KafkaError(errorCode, `group ${this.#groupId}: FindCoordinator`);
      if (!error.retriable) throw error;
      if (this.#clock.monotonicMs() >= deadlineMs) throw new KafkaTimeoutError(`group ${this.#groupId}: no coordinator within ${this.#o.requestTimeoutMs} ms`, { cause: error });
      await this.#clock.sleep(this.#o.retryBackoffMs);
    }
  }

  async #send<Req, Res>(nodeId: number, kafkaApi: KafkaApi<Req, Res>, body: Req | ((version: number) => Req), brokerWaitMs = 0): Promise<Res> {
    const connection = await this.#cluster.connection(nodeId);
    return connection.request(kafkaApi, body, { timeoutMs: Math.max(this.#o.requestTimeoutMs, brokerWaitMs + CLIENT_SLACK_MS) });
  }

  /** Commits what was processed (auto-commit), revokes, leaves (dynamic members only), stops the loops. */
  async close(): Promise<void> {
    if (this.#topics.length > 0 && this.#state.phase === 'stable' && this.#fatal === null) {
      if (this.#o.autoCommit) await this.#commitProcessed().catch(() => undefined);
      await this.#revoke(this.#owned).catch(() => undefined);
    } else if (this.#topics.length === 0 && this.#o.autoCommit) {
      await this.#commitProcessed().catch(() => undefined); // assign-only mode with a groupId
    }
    this.#stopped = true;
    this.#requestRejoin();
    const s = this.#state;
    if (s.memberId !== '' && this.#o.groupInstanceId === null && this.#coordinator !== null) {
      await this.#send(this.#coordinator, leaveApi, (v) => v >= 3
        ? { groupId: this.#groupId, memberId: '', members: [{ memberId: s.memberId, groupInstanceId: this.#o.groupInstanceId, reason: 'the consumer is closing' }] }
        : { groupId: this.#groupId, memberId: s.memberId, members: [] }).catch(() => undefined);
    }
    this.#apply({ type: 'left' });
    await Promise.race([Promise.all(this.#loops), this.#clock.sleep(this.#o.heartbeatIntervalMs)]);
  }
}

function groupByTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(item.topic, [...(out.get(item.topic) ?? []), item]);
  return out;
}

function toTopicPartitions(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  return [...groupByTopic(tps)].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => p.partition).sort((a, b) => a - b) }));
}
