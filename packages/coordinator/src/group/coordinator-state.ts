/**
 * CoordinatorState: the data of one GroupCoordinator and the plumbing every part of it
 * shares — the groups, the queued actions, the appends awaiting completion, the cached
 * earliest deadline, the counters — behind the GroupCoordinator facade. The parts
 * (rebalance.ts, join-group.ts, member-requests.ts, offsets.ts, group-admin.ts, replay.ts)
 * are functions over this state; only the facade is exported from the package.
 *
 * Invariants:
 *   - `nextDeadlineMs` is a lower bound of every armed deadline (join, sync, pending
 *     member, heartbeat of a member not parked in a JoinGroup/SyncGroup, a KIP-848 member's
 *     session and rebalance deadlines, a classic member's join and sync deadlines in a
 *     consumer group): whoever arms or
 *     re-activates one calls `armed`; `recomputeNextDeadline` makes it exact again.
 *   - `completions.size` ≤ `config.pendingAppendsMax`: callers check `appendsFull()` before
 *     an append a client request causes (retention tombstones are not refused).
 *   - `out` holds the actions of the current input only; the facade drains it before
 *     returning, so actions are never carried over to another caller.
 *   - `nowMs` never decreases (the facade's advance keeps the largest time seen).
 *   - Ownership: with `ownsAllPartitions` (a single broker) every `__consumer_offsets`
 *     partition is owned and `loading` covers them all. Without it (a cluster), only the
 *     partitions in `owned` are, each loading or loaded, and `loading` stays false; a group
 *     is in `groups` only while its partition is owned (unloading drops it), and only the
 *     groups of loaded partitions are `served` (timers, retention, ListGroups).
 *   - Every append carries its partition's incarnation; one that completes after its
 *     partition was unloaded (or unloaded and loaded again) completes as NOT_COORDINATOR.
 *
 * Single-threaded: one caller at a time (the broker's event loop).
 */
import { ErrorCode } from '@samsa/codec';
import type { JoinGroupResponse } from '@samsa/codec';
import { encodeGroupMetadataRecord } from './consumer-offsets-records.ts';
import type { GroupMetadataValue, RawRecord } from './consumer-offsets-records.ts';
import type { ConsumerGroup, SubscribedTopic } from './consumer-group.ts';
import { consumerOffsetsPartitionFor } from './coordinator-partition.ts';
import { metadataFor } from './group-metadata.ts';
import type { GroupMetadata, MemberMetadata, OffsetEntry } from './group-metadata.ts';
import type { CoordinatorAction, CoordinatorRandom, CoordinatorResponse, GroupCoordinatorConfig } from './types.ts';

/** Monotonic counters for metrics (rebalances, commit rate, expirations). */
export interface GroupCoordinatorCounters {
  /** Join phases completed (each bumps a generation). */
  rebalancesTotal: number;
  /** Partition offsets acknowledged to committers. */
  offsetCommitsTotal: number;
  /** Offsets removed by retention. */
  offsetsExpiredTotal: number;
  /** Members removed because their session timed out. */
  membersExpiredTotal: number;
  /** Members removed because they sent no SyncGroup within the rebalance timeout after their join (KAFKA-13128). */
  pendingSyncMembersRemovedTotal: number;
}

/** What runs when an append completes: 0, or the broker's Kafka error code. */
export type Completion = (errorCode: number) => void;

/** An append awaiting completion: what runs then, and the ownership it was issued under. */
export interface PendingCompletion {
  readonly then: Completion;
  readonly partition: number;
  readonly incarnation: number;
}

/** One owned `__consumer_offsets` partition (cluster mode). */
export interface OwnedPartition {
  loading: boolean;
  /** A new number per loadPartition: appends issued under an older one are stale. */
  readonly incarnation: number;
}

const E = ErrorCode;

/** Kafka's mapping of an append error to what a committer sees (GroupMetadataManager.storeOffsets). */
export function commitAppendError(code: number): number {
  switch (code) {
    case E.UNKNOWN_TOPIC_OR_PARTITION:
    case E.NOT_ENOUGH_REPLICAS:
    case E.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case E.REQUEST_TIMED_OUT:
      return E.COORDINATOR_NOT_AVAILABLE;
    case E.NOT_LEADER_OR_FOLLOWER:
    case E.KAFKA_STORAGE_ERROR:
      return E.NOT_COORDINATOR;
    case E.MESSAGE_TOO_LARGE:
    case E.RECORD_LIST_TOO_LARGE:
    case E.INVALID_FETCH_SIZE:
      return E.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

/** Same for group metadata (GroupMetadataManager.storeGroup): size errors become UNKNOWN_SERVER_ERROR. */
export function groupAppendError(code: number): number {
  const c = commitAppendError(code);
  return c === E.INVALID_COMMIT_OFFSET_SIZE ? E.UNKNOWN_SERVER_ERROR : c;
}

/** A JoinGroup answer without a generation (errors, MEMBER_ID_REQUIRED); callers fill in the rest on success. */
export function joinResponse(errorCode: number, memberId: string): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export class CoordinatorState {
  readonly config: GroupCoordinatorConfig;
  /** Seeds member ids. */
  readonly random: CoordinatorRandom;
  readonly partitionExists: (topic: string, partition: number) => boolean;
  readonly groups = new Map<string, GroupMetadata>();
  /**
   * KIP-848 consumer groups (in memory only), by group id. Each also has an entry in
   * `groups`: an Empty "consumer" GroupMetadata that holds its committed offsets.
   */
  readonly consumerGroups = new Map<string, ConsumerGroup>();
  /** A topic's id and partition count, or undefined when it does not exist (consumer-group assignment). */
  readonly topicLookup: (name: string) => SubscribedTopic | undefined;
  readonly completions = new Map<number, PendingCompletion>();
  nextCompletionId = 1;
  /** Single broker: every partition is owned. Cluster: only those in `owned`. */
  readonly ownsAllPartitions: boolean;
  /** Cluster mode: the owned partitions (absent = not owned: NOT_COORDINATOR). */
  readonly owned = new Map<number, OwnedPartition>();
  nextIncarnation = 1;
  /** Single broker: true until loadCompleted (requests get COORDINATOR_LOAD_IN_PROGRESS, no timer fires). Cluster: always false. */
  loading: boolean;
  nowMs = 0;
  nextRetentionCheckMs: number | null = null;
  /** A lower bound of the earliest group deadline (exact after each scan); Infinity = none. */
  nextDeadlineMs = Infinity;
  out: CoordinatorAction[] = [];
  readonly counters: GroupCoordinatorCounters = { rebalancesTotal: 0, offsetCommitsTotal: 0, offsetsExpiredTotal: 0, membersExpiredTotal: 0, pendingSyncMembersRemovedTotal: 0 };

  constructor(
    config: GroupCoordinatorConfig,
    random: CoordinatorRandom,
    partitionExists: (topic: string, partition: number) => boolean,
    ownsAllPartitions: boolean,
    topicLookup: (name: string) => SubscribedTopic | undefined = () => undefined,
  ) {
    this.config = config;
    this.topicLookup = topicLookup;
    this.random = random;
    this.partitionExists = partitionExists;
    this.ownsAllPartitions = ownsAllPartitions;
    this.loading = ownsAllPartitions;
  }

  // ─── Ownership ─────────────────────────────────────────────────────────────────

  /** The `__consumer_offsets` partition of `groupId`. */
  partitionOf(groupId: string): number {
    return consumerOffsetsPartitionFor(groupId, this.config.offsetsTopicNumPartitions);
  }

  /** Why this coordinator cannot serve `groupId` now (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR), or null. */
  unavailable(groupId: string): number | null {
    if (this.ownsAllPartitions) return this.loading ? E.COORDINATOR_LOAD_IN_PROGRESS : null;
    const o = this.owned.get(this.partitionOf(groupId));
    if (o === undefined) return E.NOT_COORDINATOR;
    return o.loading ? E.COORDINATOR_LOAD_IN_PROGRESS : null;
  }

  /** Whether `g` is live: its partition is owned and loaded (its timers run, ListGroups shows it). */
  served(g: GroupMetadata): boolean {
    return this.unavailable(g.groupId) === null;
  }

  /** True while some owned partition (or, single broker, the whole topic) is loading. */
  anyLoading(): boolean {
    if (this.ownsAllPartitions) return this.loading;
    for (const o of this.owned.values()) if (o.loading) return true;
    return false;
  }

  /** The incarnation appends of `partition` are issued under now (-1: not owned). */
  incarnationOf(partition: number): number {
    if (this.ownsAllPartitions) return 0;
    return this.owned.get(partition)?.incarnation ?? -1;
  }

  // ─── Time ──────────────────────────────────────────────────────────────────────

  /** Lowers the cached earliest deadline; every place that arms or re-activates a deadline calls it. */
  armed(deadlineMs: number): void {
    if (deadlineMs < this.nextDeadlineMs) this.nextDeadlineMs = deadlineMs;
  }

  /** The exact earliest deadline (members parked in a JoinGroup/SyncGroup are kept alive, so excluded). O(members). */
  recomputeNextDeadline(): void {
    let next = Infinity;
    for (const g of this.groups.values()) {
      if (!this.served(g)) continue;
      if (g.joinDeadlineMs !== null) next = Math.min(next, g.joinDeadlineMs);
      if (g.syncDeadlineMs !== null) next = Math.min(next, g.syncDeadlineMs);
      for (const d of g.pendingMembers.values()) next = Math.min(next, d);
      for (const m of g.members.values()) if (m.joinRequestId === null && m.syncRequestId === null) next = Math.min(next, m.heartbeatDeadlineMs);
    }
    for (const cg of this.consumerGroups.values()) {
      if (this.unavailable(cg.groupId) !== null) continue;
      for (const m of cg.members.values()) {
        next = Math.min(next, m.sessionDeadlineMs);
        if (m.rebalanceDeadline !== null) next = Math.min(next, m.rebalanceDeadline.deadlineMs);
        if (m.classic !== null) next = Math.min(next, m.classic.joinDeadlineMs ?? Infinity, m.classic.syncDeadlineMs ?? Infinity);
      }
    }
    this.nextDeadlineMs = next;
  }

  /** A fresh session for `m` from `now`. */
  resetHeartbeat(m: MemberMetadata, now: number): void {
    m.heartbeatDeadlineMs = now + m.sessionTimeoutMs;
    this.armed(m.heartbeatDeadlineMs);
  }

  // ─── Output ────────────────────────────────────────────────────────────────────

  /** Queues a `respond` action (returned by the next drain). */
  respond(requestId: number, response: CoordinatorResponse): void {
    this.out.push({ type: 'respond', requestId, response });
  }

  respondJoinError(requestId: number, memberId: string, errorCode: number): void {
    this.respond(requestId, { api: 'JoinGroup', body: joinResponse(errorCode, memberId) });
  }

  /** Answers a SyncGroup; protocol type and name only on success. */
  respondSync(requestId: number, g: GroupMetadata | undefined, errorCode: number, assignment: Uint8Array): void {
    const ok = errorCode === E.NONE && g !== undefined;
    this.respond(requestId, {
      api: 'SyncGroup',
      body: { throttleTimeMs: 0, errorCode, protocolType: ok ? g.protocolType : null, protocolName: ok ? g.protocol : null, assignment },
    });
  }

  /** The actions queued since the last drain, in order; the facade returns them from every input. */
  drain(): CoordinatorAction[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  // ─── Appends ───────────────────────────────────────────────────────────────────

  /** Queues an `append` of `records` to the group's `__consumer_offsets` partition; `then` runs on appendCompleted. */
  append(groupId: string, records: RawRecord[], then: Completion): void {
    const completionId = this.nextCompletionId++;
    const partition = this.partitionOf(groupId);
    this.completions.set(completionId, { then, partition, incarnation: this.incarnationOf(partition) });
    this.out.push({ type: 'append', completionId, partition, records });
  }

  /** At `pendingAppendsMax`: callers refuse with COORDINATOR_NOT_AVAILABLE instead of appending. */
  appendsFull(): boolean {
    return this.completions.size >= this.config.pendingAppendsMax;
  }

  /** Appends the group's metadata record (with `assignments` in place of the members' current ones, if given). */
  persistGroup(g: GroupMetadata, now: number, then: Completion, assignments?: Map<string, Uint8Array>): void {
    this.append(g.groupId, [encodeGroupMetadataRecord(g.groupId, this.groupValue(g, now, assignments))], then);
  }

  groupValue(g: GroupMetadata, now: number, assignments?: Map<string, Uint8Array>): GroupMetadataValue {
    return {
      protocolType: g.protocolType ?? '',
      generation: g.generation,
      protocol: g.protocol,
      leader: g.leaderId,
      currentStateTimestampMs: g.state === 'Empty' ? g.currentStateTimestampMs : now,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: metadataFor(m, g.protocol),
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    };
  }

  // ─── Group helpers ─────────────────────────────────────────────────────────────

  /** Moves `g` to `state`, stamping the time (persisted; Empty-group offset expiry counts from it). */
  transition(g: GroupMetadata, state: GroupMetadata['state'], now: number): void {
    g.state = state;
    g.currentStateTimestampMs = now;
  }

  setOffset(g: GroupMetadata, topic: string, partition: number, entry: OffsetEntry): void {
    let parts = g.offsets.get(topic);
    if (parts === undefined) {
      parts = new Map();
      g.offsets.set(topic, parts);
    }
    parts.set(partition, entry);
  }

  /** FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID for a static member whose ids do not match, else null. */
  staticMemberCheck(g: GroupMetadata, groupInstanceId: string | null, memberId: string): number | null {
    if (groupInstanceId === null) return null;
    const current = g.staticMembers.get(groupInstanceId);
    if (current === undefined) return E.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return E.FENCED_INSTANCE_ID;
    return null;
  }
}
