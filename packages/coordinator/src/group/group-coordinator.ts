/**
 * GroupCoordinator: Kafka's classic consumer-group coordinator as a pure, sans-I/O state
 * machine. No timers, no promises, no I/O: the broker feeds it requests (each with a
 * requestId and the current time), `tick(nowMs)`, replayed `__consumer_offsets` records
 * and append completions; every call returns the actions to carry out (`respond`,
 * `append`), and `nextTickAtMs()` says when to call `tick` next.
 *
 * Group states and transitions (as in Kafka's GroupMetadata):
 *   Empty ──join──▶ PreparingRebalance ──all joined / deadline──▶ CompletingRebalance
 *   CompletingRebalance ──leader's SyncGroup persisted──▶ Stable
 *   Stable/CompletingRebalance ──join of new/changed member, leave, session expiry──▶ PreparingRebalance
 *   PreparingRebalance ──join phase ends with no members──▶ Empty
 *   Empty ──DeleteGroups, or offsets all expired──▶ Dead (removed from memory)
 *
 * Timers (all checked on every input, and by `tick`): member session expiry (members
 * waiting in a JoinGroup/SyncGroup are kept alive, as Kafka's shouldKeepAlive), the join
 * deadline (rebalance.timeout.ms, or group.initial.rebalance.delay.ms extended while new
 * members keep arriving, capped by the rebalance timeout), MEMBER_ID_REQUIRED pending
 * members, the pending-sync deadline, and the offsets-retention check.
 *
 * Pending sync (KAFKA-13128, Kafka ≥ 3.1): when a join phase ends, every member owes a
 * SyncGroup for the new generation. A SyncGroup in CompletingRebalance or Stable pays it
 * (a Heartbeat, JoinGroup or OffsetCommit does not). Members that still owe one when the
 * group's rebalance timeout has passed since the join ended are removed and the group
 * rebalances, so a member that joins and then goes silent on SyncGroup (while still
 * heartbeating) cannot keep an assignment, or the whole group in CompletingRebalance, forever.
 *
 * Persistence: group metadata is appended when the leader's assignment arrives (the
 * SyncGroup responses wait for that append) and when a rebalance ends Empty; offset
 * commits are appended and acknowledged (and become visible to OffsetFetch) only after
 * `appendCompleted`. The broker must complete appends of one partition in the order it
 * received them.
 *
 * Single-threaded: one caller at a time (the broker's event loop).
 */
import { ErrorCode, utf8Length } from '@samsa/codec';
import type { JoinGroupResponse, JoinGroupResponseJoinGroupResponseMember, OffsetFetchResponseOffsetFetchResponseTopics } from '@samsa/codec';
import {
  decodeConsumerOffsetsRecord,
  encodeGroupMetadataRecord,
  encodeOffsetCommitRecord,
} from './consumer-offsets-records.ts';
import type { GroupMetadataValue, RawRecord } from './consumer-offsets-records.ts';
import { consumerOffsetsPartitionFor } from './coordinator-partition.ts';
import { subscribedTopicsOf } from './consumer-protocol.ts';
import {
  EMPTY_BYTES,
  generateMemberId,
  hasAllMembersJoined,
  metadataFor,
  newGroup,
  offsetCount,
  rebalanceTimeoutOf,
  sameProtocols,
  selectProtocol,
  supportsProtocols,
} from './group-metadata.ts';
import type { GroupMetadata, MemberMetadata, OffsetEntry } from './group-metadata.ts';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from './types.ts';
import type {
  CoordinatorAction,
  CoordinatorRandom,
  CoordinatorResponse,
  DeleteGroupsInput,
  DescribeGroupsInput,
  GroupCoordinatorConfig,
  GroupView,
  HeartbeatInput,
  JoinGroupInput,
  LeaveGroupInput,
  ListGroupsInput,
  OffsetCommitInput,
  OffsetDeleteInput,
  OffsetFetchInput,
  SyncGroupInput,
} from './types.ts';

export interface GroupCoordinatorOptions {
  config?: Partial<GroupCoordinatorConfig>;
  /** Seeds member ids (pass @samsa/runtime's Random). */
  random: CoordinatorRandom;
  /** Does this topic-partition exist? Commits to others get UNKNOWN_TOPIC_OR_PARTITION. Default: all exist. */
  partitionExists?: (topic: string, partition: number) => boolean;
}

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

export interface LoadStats {
  records: number;
  /** Records whose key or value did not decode, or whose key version is unknown. */
  skipped: number;
}

type Completion = (errorCode: number) => void;

const E = ErrorCode;

/** Kafka's mapping of an append error to what a committer sees (GroupMetadataManager.storeOffsets). */
function commitAppendError(code: number): number {
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
function groupAppendError(code: number): number {
  const c = commitAppendError(code);
  return c === E.INVALID_COMMIT_OFFSET_SIZE ? E.UNKNOWN_SERVER_ERROR : c;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly #random: CoordinatorRandom;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #groups = new Map<string, GroupMetadata>();
  readonly #completions = new Map<number, Completion>();
  #nextCompletionId = 1;
  #loading = true;
  #nowMs = 0;
  #nextRetentionCheckMs: number | null = null;
  /** A lower bound of the earliest group deadline (exact after each scan); Infinity = none. */
  #nextDeadlineMs = Infinity;
  #out: CoordinatorAction[] = [];
  readonly #counters: GroupCoordinatorCounters = { rebalancesTotal: 0, offsetCommitsTotal: 0, offsetsExpiredTotal: 0, membersExpiredTotal: 0, pendingSyncMembersRemovedTotal: 0 };

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...options.config };
    this.#random = options.random;
    this.#partitionExists = options.partitionExists ?? (() => true);
  }

  // ─── Replay ────────────────────────────────────────────────────────────────

  get loading(): boolean {
    return this.#loading;
  }

  /** Replays `__consumer_offsets` records in log order (any partitions). Only before loadCompleted. */
  load(records: Iterable<RawRecord>): LoadStats {
    if (!this.#loading) throw new Error('GroupCoordinator.load after loadCompleted');
    const stats: LoadStats = { records: 0, skipped: 0 };
    for (const raw of records) {
      stats.records++;
      let rec;
      try {
        rec = decodeConsumerOffsetsRecord(raw.key, raw.value);
      } catch {
        stats.skipped++;
        continue;
      }
      if (rec.kind === 'unknown') stats.skipped++;
      else if (rec.kind === 'offset') this.#replayOffset(rec.key.group, rec.key.topic, rec.key.partition, rec.value);
      else this.#replayGroup(rec.group, rec.value);
    }
    return stats;
  }

  /** Ends COORDINATOR_LOAD_IN_PROGRESS; members restored from the log get a fresh session from `nowMs`. */
  loadCompleted(nowMs: number): CoordinatorAction[] {
    this.#nowMs = nowMs;
    this.#loading = false;
    for (const g of this.#groups.values()) for (const m of g.members.values()) m.heartbeatDeadlineMs = nowMs + m.sessionTimeoutMs;
    this.#recomputeNextDeadline();
    this.#nextRetentionCheckMs = nowMs + this.config.offsetsRetentionCheckIntervalMs;
    return this.#drain();
  }

  #replayOffset(groupId: string, topic: string, partition: number, v: { offset: number; leaderEpoch: number; metadata: string; commitTimestampMs: number; expireTimestampMs: number } | null): void {
    let g = this.#groups.get(groupId);
    if (v === null) {
      g?.offsets.get(topic)?.delete(partition);
      if (g?.offsets.get(topic)?.size === 0) g.offsets.delete(topic);
      return;
    }
    if (g === undefined) {
      g = newGroup(groupId, v.commitTimestampMs);
      this.#groups.set(groupId, g);
    }
    this.#setOffset(g, topic, partition, { ...v });
  }

  #replayGroup(groupId: string, v: GroupMetadataValue | null): void {
    if (v === null) {
      this.#groups.delete(groupId);
      return;
    }
    const old = this.#groups.get(groupId);
    const g = newGroup(groupId, v.currentStateTimestampMs);
    if (old !== undefined) g.offsets = old.offsets;
    g.protocolType = v.protocolType === '' ? null : v.protocolType;
    g.generation = v.generation;
    g.protocol = v.protocol;
    g.leaderId = v.leader;
    g.state = v.members.length === 0 ? 'Empty' : 'Stable';
    for (const pm of v.members) {
      const m: MemberMetadata = {
        memberId: pm.memberId,
        groupInstanceId: pm.groupInstanceId,
        clientId: pm.clientId,
        clientHost: pm.clientHost,
        rebalanceTimeoutMs: pm.rebalanceTimeoutMs,
        sessionTimeoutMs: pm.sessionTimeoutMs,
        protocolType: v.protocolType,
        protocols: [{ name: v.protocol ?? '', metadata: pm.subscription }],
        assignment: pm.assignment,
        joinRequestId: null,
        syncRequestId: null,
        heartbeatDeadlineMs: 0,
      };
      g.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    if (g.leaderId !== null && !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
    this.#updateSubscribedTopics(g);
    this.#groups.set(groupId, g);
  }

  // ─── Time ──────────────────────────────────────────────────────────────────

  /** Fires every deadline ≤ nowMs. */
  tick(nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    return this.#drain();
  }

  /**
   * When `tick` must be called next (absolute ms), or null while loading. O(1): it may be
   * early (a heartbeat pushed the deadline later since), never late; an early tick is a no-op.
   */
  nextTickAtMs(): number | null {
    if (this.#loading) return null;
    const next = Math.min(this.#nextDeadlineMs, this.#nextRetentionCheckMs ?? Infinity);
    return next === Infinity ? null : next;
  }

  /** Lowers the cached earliest deadline; every place that arms or re-activates a deadline calls it. */
  #armed(deadlineMs: number): void {
    if (deadlineMs < this.#nextDeadlineMs) this.#nextDeadlineMs = deadlineMs;
  }

  /** The exact earliest deadline (members parked in a JoinGroup/SyncGroup are kept alive, so excluded). O(members). */
  #recomputeNextDeadline(): void {
    let next = Infinity;
    for (const g of this.#groups.values()) {
      if (g.joinDeadlineMs !== null) next = Math.min(next, g.joinDeadlineMs);
      if (g.syncDeadlineMs !== null) next = Math.min(next, g.syncDeadlineMs);
      for (const d of g.pendingMembers.values()) next = Math.min(next, d);
      for (const m of g.members.values()) if (m.joinRequestId === null && m.syncRequestId === null) next = Math.min(next, m.heartbeatDeadlineMs);
    }
    this.#nextDeadlineMs = next;
  }

  #advance(nowMs: number): void {
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    if (this.#loading) return;
    const now = this.#nowMs;
    // Only scan the groups when some deadline may be due; the scan ends with an exact recompute.
    if (now >= this.#nextDeadlineMs) {
      for (const g of [...this.#groups.values()]) this.#fireGroupTimers(g, now);
      this.#recomputeNextDeadline();
    }
    if (this.#nextRetentionCheckMs !== null && now >= this.#nextRetentionCheckMs) {
      this.#nextRetentionCheckMs = now + this.config.offsetsRetentionCheckIntervalMs;
      this.#expireOffsets(now);
    }
  }

  #fireGroupTimers(g: GroupMetadata, now: number): void {
    for (const [id, deadline] of [...g.pendingMembers]) {
      if (deadline <= now) {
        g.pendingMembers.delete(id);
        if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g, now);
      }
    }
    for (const m of [...g.members.values()]) {
      if (m.joinRequestId !== null || m.syncRequestId !== null) continue; // kept alive while waiting on us
      if (m.heartbeatDeadlineMs <= now && g.members.get(m.memberId) === m) {
        this.#counters.membersExpiredTotal++;
        this.#removeMemberAndUpdateGroup(g, m, now);
      }
    }
    if (g.syncDeadlineMs !== null && g.syncDeadlineMs <= now) this.#expirePendingSync(g, now);
    // The join deadline may be re-armed (initial delay extension, no joined member yet); bound the loop.
    for (let i = 0; i < 64 && g.joinDeadlineMs !== null && g.joinDeadlineMs <= now; i++) this.#onJoinDeadline(g, now);
  }

  // ─── Completions ───────────────────────────────────────────────────────────

  /** The broker finished (errorCode 0) or failed the append tagged `completionId`. */
  appendCompleted(completionId: number, errorCode = 0, nowMs?: number): CoordinatorAction[] {
    if (nowMs !== undefined) this.#advance(nowMs);
    const then = this.#completions.get(completionId);
    if (then === undefined) throw new Error(`appendCompleted: unknown completion id ${completionId}`);
    this.#completions.delete(completionId);
    then(errorCode);
    return this.#drain();
  }

  /** Appends not yet completed (their count is bounded by config.pendingAppendsMax). */
  get pendingAppends(): number {
    return this.#completions.size;
  }

  #append(groupId: string, records: RawRecord[], then: Completion): void {
    const completionId = this.#nextCompletionId++;
    this.#completions.set(completionId, then);
    const partition = consumerOffsetsPartitionFor(groupId, this.config.offsetsTopicNumPartitions);
    this.#out.push({ type: 'append', completionId, partition, records });
  }

  #appendsFull(): boolean {
    return this.#completions.size >= this.config.pendingAppendsMax;
  }

  #respond(requestId: number, response: CoordinatorResponse): void {
    this.#out.push({ type: 'respond', requestId, response });
  }

  #drain(): CoordinatorAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  // ─── JoinGroup ─────────────────────────────────────────────────────────────

  joinGroup(requestId: number, req: JoinGroupInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const error = this.#joinGroup(requestId, req, this.#nowMs);
    if (error !== null) this.#respondJoinError(requestId, req.memberId, error);
    return this.#drain();
  }

  #respondJoinError(requestId: number, memberId: string, errorCode: number): void {
    this.#respond(requestId, { api: 'JoinGroup', body: joinResponse(errorCode, memberId) });
  }

  /** Returns an error code to answer with, or null when the response was emitted/deferred. */
  #joinGroup(requestId: number, req: JoinGroupInput, now: number): number | null {
    if (req.groupId === '') return E.INVALID_GROUP_ID;
    if (this.#loading) return E.COORDINATOR_LOAD_IN_PROGRESS;
    if (req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) return E.INVALID_SESSION_TIMEOUT;
    let g = this.#groups.get(req.groupId);
    if (g === undefined) {
      if (req.memberId !== '') return E.UNKNOWN_MEMBER_ID;
      if (this.#groups.size >= this.config.groupsMax) return E.COORDINATOR_NOT_AVAILABLE;
      g = newGroup(req.groupId, now);
      this.#groups.set(req.groupId, g);
    }
    if (!this.#acceptJoiningMember(g, req.memberId)) {
      this.#maybeRemoveEmptyGroup(g);
      return E.GROUP_MAX_SIZE_REACHED;
    }
    const error = req.memberId === '' ? this.#newMemberJoin(g, requestId, req, now) : this.#currentMemberJoin(g, requestId, req, now);
    if (error !== null) this.#maybeRemoveEmptyGroup(g);
    return error;
  }

  /** A group created by a failed join and holding nothing is dropped again. */
  #maybeRemoveEmptyGroup(g: GroupMetadata): void {
    if (g.state === 'Empty' && g.members.size === 0 && g.pendingMembers.size === 0 && g.offsets.size === 0 && g.generation === 0 && g.pendingAppends === 0) this.#groups.delete(g.groupId);
  }

  #acceptJoiningMember(g: GroupMetadata, memberId: string): boolean {
    const max = this.config.groupMaxSize;
    switch (g.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        let awaiting = 0;
        for (const m of g.members.values()) if (m.joinRequestId !== null) awaiting++;
        return (g.members.has(memberId) && g.members.get(memberId)!.joinRequestId !== null) || awaiting < max;
      }
      default:
        return g.members.has(memberId) || g.members.size < max;
    }
  }

  #newMemberJoin(g: GroupMetadata, requestId: number, req: JoinGroupInput, now: number): number | null {
    if (!supportsProtocols(g, req.protocolType, req.protocols, null)) return E.INCONSISTENT_GROUP_PROTOCOL;
    if (req.groupInstanceId !== null) {
      const newMemberId = generateMemberId(req.groupInstanceId, this.#random);
      const oldMemberId = g.staticMembers.get(req.groupInstanceId);
      if (oldMemberId !== undefined) return this.#replaceStaticMember(g, requestId, req, oldMemberId, newMemberId, now);
      this.#addMemberAndRebalance(g, requestId, req, newMemberId, now);
      return null;
    }
    const newMemberId = generateMemberId(req.clientId, this.#random);
    if (req.requireKnownMemberId) {
      if (g.pendingMembers.size >= this.config.groupMaxSize) return E.GROUP_MAX_SIZE_REACHED;
      g.pendingMembers.set(newMemberId, now + req.sessionTimeoutMs);
      this.#armed(now + req.sessionTimeoutMs);
      this.#respondJoinError(requestId, newMemberId, E.MEMBER_ID_REQUIRED);
      return null;
    }
    this.#addMemberAndRebalance(g, requestId, req, newMemberId, now);
    return null;
  }

  #currentMemberJoin(g: GroupMetadata, requestId: number, req: JoinGroupInput, now: number): number | null {
    if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
    if (!supportsProtocols(g, req.protocolType, req.protocols, req.memberId)) return E.INCONSISTENT_GROUP_PROTOCOL;
    if (g.pendingMembers.has(req.memberId)) {
      g.pendingMembers.delete(req.memberId);
      this.#addMemberAndRebalance(g, requestId, req, req.memberId, now);
      return null;
    }
    const fenced = this.#staticMemberCheck(g, req.groupInstanceId, req.memberId);
    if (fenced !== null) return fenced;
    const member = g.members.get(req.memberId);
    if (member === undefined) return E.UNKNOWN_MEMBER_ID;
    switch (g.state) {
      case 'PreparingRebalance':
        this.#updateMemberAndRebalance(g, member, requestId, req, now);
        return null;
      case 'CompletingRebalance':
        if (sameProtocols(member.protocols, req.protocols)) {
          this.#resetHeartbeat(member, now);
          this.#respondCurrentGeneration(g, member, requestId, true);
        } else this.#updateMemberAndRebalance(g, member, requestId, req, now);
        return null;
      case 'Stable':
        if (g.leaderId === member.memberId || !sameProtocols(member.protocols, req.protocols)) this.#updateMemberAndRebalance(g, member, requestId, req, now);
        else {
          this.#resetHeartbeat(member, now);
          this.#respondCurrentGeneration(g, member, requestId, false);
        }
        return null;
      default:
        return E.UNKNOWN_MEMBER_ID;
    }
  }

  /** FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID for a static member whose ids do not match, else null. */
  #staticMemberCheck(g: GroupMetadata, groupInstanceId: string | null, memberId: string): number | null {
    if (groupInstanceId === null) return null;
    const current = g.staticMembers.get(groupInstanceId);
    if (current === undefined) return E.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return E.FENCED_INSTANCE_ID;
    return null;
  }

  #newMember(req: JoinGroupInput, memberId: string, now: number): MemberMetadata {
    this.#armed(now + req.sessionTimeoutMs);
    return {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })),
      assignment: EMPTY_BYTES,
      joinRequestId: null,
      syncRequestId: null,
      heartbeatDeadlineMs: now + req.sessionTimeoutMs,
    };
  }

  #addMemberAndRebalance(g: GroupMetadata, requestId: number, req: JoinGroupInput, memberId: string, now: number): void {
    const member = this.#newMember(req, memberId, now);
    member.joinRequestId = requestId;
    if (g.members.size === 0) g.protocolType = req.protocolType;
    g.members.set(memberId, member);
    if (member.groupInstanceId !== null) g.staticMembers.set(member.groupInstanceId, memberId);
    if (g.leaderId === null) g.leaderId = memberId;
    if (g.state === 'PreparingRebalance' && g.initialDelay !== null) g.initialDelay.newMemberAdded = true;
    this.#maybePrepareRebalance(g, now);
    if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g, now);
  }

  #updateMemberAndRebalance(g: GroupMetadata, member: MemberMetadata, requestId: number, req: JoinGroupInput, now: number): void {
    if (member.joinRequestId !== null) this.#respondJoinError(member.joinRequestId, member.memberId, E.REBALANCE_IN_PROGRESS);
    member.protocols = req.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() }));
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    member.joinRequestId = requestId;
    this.#resetHeartbeat(member, now);
    this.#maybePrepareRebalance(g, now);
    if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g, now);
  }

  /**
   * KIP-345: a known group.instance.id rejoins without a member id; the old id is fenced and
   * the member takes over its entry (position, assignment, leadership) under a new id.
   *
   * In Stable with unchanged protocols there is no rebalance, for the leader as for a
   * follower (Kafka's updateStaticMemberAndRebalance): the new id is persisted, then the
   * member gets the current generation. A leader that speaks JoinGroup v9+ (KIP-814) is
   * told it leads, with the members and skipAssignment, so it keeps the current assignment
   * instead of computing one; an older leader is answered with the previous leader id, so
   * it acts as a follower and its SyncGroup returns its assignment. If the append fails the
   * replacement is undone (the old id is back, the fenced requests stay answered) and the
   * member gets the error with no member id, as Kafka does.
   */
  #replaceStaticMember(g: GroupMetadata, requestId: number, req: JoinGroupInput, oldMemberId: string, newMemberId: string, now: number): number | null {
    const old = g.members.get(oldMemberId)!;
    if (old.joinRequestId !== null) this.#respondJoinError(old.joinRequestId, oldMemberId, E.FENCED_INSTANCE_ID);
    if (old.syncRequestId !== null) this.#respondSync(old.syncRequestId, g, E.FENCED_INSTANCE_ID, EMPTY_BYTES);
    old.joinRequestId = null;
    old.syncRequestId = null;
    const wasLeader = g.leaderId === oldMemberId;
    const unchanged = sameProtocols(old.protocols, req.protocols);
    const member: MemberMetadata = { ...this.#newMember(req, newMemberId, now), assignment: old.assignment };
    this.#swapMember(g, req.groupInstanceId!, oldMemberId, newMemberId, member);
    if (wasLeader) g.leaderId = newMemberId;
    if (g.state === 'Stable' && unchanged) {
      // No rebalance: persist the new id, then hand the member the current generation.
      const generation = g.generation;
      this.#persistGroup(g, now, (code) => {
        const current = this.#groups.get(g.groupId) === g && g.members.get(newMemberId) === member;
        if (code !== 0) {
          if (current) {
            this.#swapMember(g, req.groupInstanceId!, newMemberId, oldMemberId, old);
            if (wasLeader) g.leaderId = oldMemberId;
            this.#resetHeartbeat(old, this.#nowMs);
          }
          this.#respondJoinError(requestId, '', groupAppendError(code));
        } else if (current && g.generation === generation) this.#respondReplacedStaticMember(g, member, requestId, req.skipAssignmentSupported, wasLeader ? oldMemberId : null);
        else this.#respondJoinError(requestId, newMemberId, E.REBALANCE_IN_PROGRESS);
      });
      return null;
    }
    member.joinRequestId = requestId;
    this.#maybePrepareRebalance(g, now);
    if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g, now);
    return null;
  }

  /** Puts `member` under `toId` in place of `fromId`, keeping its position (join order decides the fallback leader). */
  #swapMember(g: GroupMetadata, groupInstanceId: string, fromId: string, toId: string, member: MemberMetadata): void {
    const entries = [...g.members].map(([id, m]): [string, MemberMetadata] => (id === fromId ? [toId, member] : [id, m]));
    g.members.clear();
    for (const [id, m] of entries) g.members.set(id, m);
    g.staticMembers.set(groupInstanceId, toId);
  }

  /**
   * The JoinGroup answer to a static member replaced in Stable without a rebalance. A
   * follower gets the current generation. The leader (it was the leader under
   * `previousLeaderId`) gets, at v9+, the members and skipAssignment; before v9, the
   * previous leader id, so it does not compute an assignment a Stable group would ignore.
   */
  #respondReplacedStaticMember(g: GroupMetadata, member: MemberMetadata, requestId: number, skipAssignmentSupported: boolean, previousLeaderId: string | null): void {
    if (previousLeaderId === null || g.leaderId !== member.memberId) {
      this.#respondCurrentGeneration(g, member, requestId, false);
      return;
    }
    const body: JoinGroupResponse = {
      ...joinResponse(E.NONE, member.memberId),
      generationId: g.generation,
      protocolType: g.protocolType,
      protocolName: g.protocol,
      leader: skipAssignmentSupported ? member.memberId : previousLeaderId,
      skipAssignment: skipAssignmentSupported,
      members: skipAssignmentSupported ? this.#memberList(g) : [],
    };
    this.#respond(requestId, { api: 'JoinGroup', body });
  }

  #respondCurrentGeneration(g: GroupMetadata, member: MemberMetadata, requestId: number, leaderGetsMembers: boolean): void {
    const isLeader = g.leaderId === member.memberId;
    const body: JoinGroupResponse = {
      ...joinResponse(E.NONE, member.memberId),
      generationId: g.generation,
      protocolType: g.protocolType,
      protocolName: g.protocol,
      leader: g.leaderId ?? '',
      members: isLeader && leaderGetsMembers ? this.#memberList(g) : [],
    };
    this.#respond(requestId, { api: 'JoinGroup', body });
  }

  #memberList(g: GroupMetadata): JoinGroupResponseJoinGroupResponseMember[] {
    return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: metadataFor(m, g.protocol) }));
  }

  // ─── Rebalance ─────────────────────────────────────────────────────────────

  #maybePrepareRebalance(g: GroupMetadata, now: number): void {
    if (g.state === 'Stable' || g.state === 'CompletingRebalance' || g.state === 'Empty') this.#prepareRebalance(g, now);
  }

  #prepareRebalance(g: GroupMetadata, now: number): void {
    if (g.state === 'CompletingRebalance') this.#failSyncWaiters(g, E.REBALANCE_IN_PROGRESS, now);
    this.#clearPendingSync(g);
    const delay = this.config.groupInitialRebalanceDelayMs;
    if (g.state === 'Empty' && delay > 0) {
      g.initialDelay = { remainingMs: Math.max(rebalanceTimeoutOf(g) - delay, 0), newMemberAdded: false };
      g.joinDeadlineMs = now + delay;
    } else {
      g.initialDelay = null;
      g.joinDeadlineMs = now + rebalanceTimeoutOf(g);
    }
    this.#armed(g.joinDeadlineMs);
    this.#transition(g, 'PreparingRebalance', now);
    // Kafka's tryCompleteElseWatch: with every remaining member already waiting (or none left) the phase ends now.
    this.#maybeCompleteJoin(g, now);
  }

  /**
   * Answers every parked SyncGroup with `errorCode`. As Kafka's propagateAssignment, each
   * answered member gets a fresh session: it was kept alive while parked, and its old deadline
   * may have passed while it waited on the leader.
   */
  #failSyncWaiters(g: GroupMetadata, errorCode: number, now: number): void {
    for (const m of g.members.values()) {
      m.assignment = EMPTY_BYTES;
      if (m.syncRequestId !== null) {
        this.#respondSync(m.syncRequestId, g, errorCode, EMPTY_BYTES);
        m.syncRequestId = null;
        this.#resetHeartbeat(m, now);
      }
    }
  }

  #transition(g: GroupMetadata, state: GroupMetadata['state'], now: number): void {
    g.state = state;
    g.currentStateTimestampMs = now;
  }

  #maybeCompleteJoin(g: GroupMetadata, now: number): void {
    if (g.state !== 'PreparingRebalance' || g.initialDelay !== null) return;
    if (hasAllMembersJoined(g)) this.#completeJoin(g, now);
  }

  #onJoinDeadline(g: GroupMetadata, now: number): void {
    const d = g.initialDelay;
    if (d !== null && d.newMemberAdded && d.remainingMs > 0) {
      const delay = Math.min(this.config.groupInitialRebalanceDelayMs, d.remainingMs);
      g.initialDelay = { remainingMs: d.remainingMs - delay, newMemberAdded: false };
      g.joinDeadlineMs = now + delay;
      this.#armed(g.joinDeadlineMs);
      return;
    }
    g.initialDelay = null;
    this.#completeJoin(g, now);
  }

  /** Ends the join phase: drops dynamic members that did not rejoin, bumps the generation, answers every JoinGroup. */
  #completeJoin(g: GroupMetadata, now: number): void {
    g.joinDeadlineMs = null;
    g.initialDelay = null;
    for (const m of [...g.members.values()]) if (m.joinRequestId === null && m.groupInstanceId === null) this.#removeMember(g, m);
    if (g.members.size > 0 && ![...g.members.values()].some((m) => m.joinRequestId !== null)) {
      // Only static members that have not rejoined are left: wait for them (or their session expiry).
      g.joinDeadlineMs = now + rebalanceTimeoutOf(g);
      this.#armed(g.joinDeadlineMs);
      return;
    }
    g.generation++;
    this.#counters.rebalancesTotal++;
    if (g.members.size === 0) {
      g.protocol = null;
      g.leaderId = null;
      g.subscribedTopics = null;
      this.#transition(g, 'Empty', now);
      this.#persistGroup(g, now, () => {});
      return;
    }
    g.protocol = selectProtocol(g);
    const leader = g.leaderId === null ? undefined : g.members.get(g.leaderId);
    if (leader === undefined || leader.joinRequestId === null) g.leaderId = [...g.members.values()].find((m) => m.joinRequestId !== null)!.memberId;
    this.#updateSubscribedTopics(g);
    this.#transition(g, 'CompletingRebalance', now);
    for (const m of g.members.values()) {
      this.#resetHeartbeat(m, now);
      g.pendingSyncMembers.add(m.memberId);
      if (m.joinRequestId === null) continue;
      const requestId = m.joinRequestId;
      m.joinRequestId = null;
      this.#respondCurrentGeneration(g, m, requestId, true);
    }
    // Kafka's schedulePendingSync: a DelayedSync of the group's rebalance timeout.
    g.syncDeadlineMs = now + rebalanceTimeoutOf(g);
    this.#armed(g.syncDeadlineMs);
  }

  /** `memberId` sent its SyncGroup (or left): it no longer owes one; the deadline goes with the last. */
  #removePendingSync(g: GroupMetadata, memberId: string): void {
    g.pendingSyncMembers.delete(memberId);
    if (g.pendingSyncMembers.size === 0) g.syncDeadlineMs = null;
  }

  /** Kafka's removeSyncExpiration: nobody owes a sync (a new rebalance starts or the group empties). */
  #clearPendingSync(g: GroupMetadata): void {
    g.pendingSyncMembers.clear();
    g.syncDeadlineMs = null;
  }

  /**
   * Kafka's onExpirePendingSync: the rebalance timeout passed since the join ended; members
   * that still owe a SyncGroup are removed (static ones too) and the group rebalances. Ids
   * no longer in the group (a static member replaced in Stable) remove nobody but still
   * trigger the rebalance, as in Kafka.
   */
  #expirePendingSync(g: GroupMetadata, now: number): void {
    const ids = [...g.pendingSyncMembers];
    this.#clearPendingSync(g);
    if (ids.length === 0 || (g.state !== 'CompletingRebalance' && g.state !== 'Stable')) return;
    for (const id of ids) {
      const m = g.members.get(id);
      if (m === undefined) continue;
      this.#counters.pendingSyncMembersRemovedTotal++;
      this.#removeMember(g, m);
    }
    this.#prepareRebalance(g, now);
  }

  #updateSubscribedTopics(g: GroupMetadata): void {
    if (g.protocolType !== 'consumer' || g.protocol === null) {
      g.subscribedTopics = null;
      return;
    }
    const topics = new Set<string>();
    for (const m of g.members.values()) {
      const t = subscribedTopicsOf(metadataFor(m, g.protocol));
      if (t === null) {
        g.subscribedTopics = null;
        return;
      }
      for (const x of t) topics.add(x);
    }
    g.subscribedTopics = topics;
  }

  #resetHeartbeat(m: MemberMetadata, now: number): void {
    m.heartbeatDeadlineMs = now + m.sessionTimeoutMs;
    this.#armed(m.heartbeatDeadlineMs);
  }

  /** Forgets a member (answering its pending requests with UNKNOWN_MEMBER_ID) without changing the state. */
  #removeMember(g: GroupMetadata, m: MemberMetadata): void {
    if (m.joinRequestId !== null) this.#respondJoinError(m.joinRequestId, m.memberId, E.UNKNOWN_MEMBER_ID);
    if (m.syncRequestId !== null) this.#respondSync(m.syncRequestId, g, E.UNKNOWN_MEMBER_ID, EMPTY_BYTES);
    g.members.delete(m.memberId);
    this.#removePendingSync(g, m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
  }

  #removeMemberAndUpdateGroup(g: GroupMetadata, m: MemberMetadata, now: number): void {
    this.#removeMember(g, m);
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.#prepareRebalance(g, now);
    else if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g, now);
  }

  // ─── SyncGroup ─────────────────────────────────────────────────────────────

  syncGroup(requestId: number, req: SyncGroupInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const g = this.#groups.get(req.groupId);
    const error = this.#syncGroup(g, requestId, req, this.#nowMs);
    if (error !== null) this.#respondSync(requestId, g, error, EMPTY_BYTES);
    return this.#drain();
  }

  #respondSync(requestId: number, g: GroupMetadata | undefined, errorCode: number, assignment: Uint8Array): void {
    const ok = errorCode === E.NONE && g !== undefined;
    this.#respond(requestId, {
      api: 'SyncGroup',
      body: { throttleTimeMs: 0, errorCode, protocolType: ok ? g.protocolType : null, protocolName: ok ? g.protocol : null, assignment },
    });
  }

  #syncGroup(g: GroupMetadata | undefined, requestId: number, req: SyncGroupInput, now: number): number | null {
    if (req.groupId === '') return E.INVALID_GROUP_ID;
    if (this.#loading) return E.COORDINATOR_LOAD_IN_PROGRESS;
    if (g === undefined) return E.UNKNOWN_MEMBER_ID;
    if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
    const fenced = this.#staticMemberCheck(g, req.groupInstanceId, req.memberId);
    if (fenced !== null) return fenced;
    const member = g.members.get(req.memberId);
    if (member === undefined) return E.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generation) return E.ILLEGAL_GENERATION;
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocol)) return E.INCONSISTENT_GROUP_PROTOCOL;
    switch (g.state) {
      case 'Empty':
        return E.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        return E.REBALANCE_IN_PROGRESS;
      case 'Stable':
        this.#removePendingSync(g, member.memberId);
        this.#resetHeartbeat(member, now);
        this.#respondSync(requestId, g, E.NONE, member.assignment);
        return null;
      case 'CompletingRebalance': {
        const leaderAssigns = member.memberId === g.leaderId && g.persistingAssignmentGeneration !== g.generation;
        // Refused before parking, so the request is answered once and the leader still owes its sync.
        if (leaderAssigns && this.#appendsFull()) return E.COORDINATOR_NOT_AVAILABLE;
        if (member.syncRequestId !== null) this.#respondSync(member.syncRequestId, g, E.REBALANCE_IN_PROGRESS, EMPTY_BYTES);
        member.syncRequestId = requestId;
        this.#removePendingSync(g, member.memberId);
        this.#resetHeartbeat(member, now);
        if (leaderAssigns) this.#onLeaderSync(g, req, now);
        return null;
      }
    }
  }

  /** The leader's assignment: persist it with the group, then answer every waiting SyncGroup. The caller checked #appendsFull. */
  #onLeaderSync(g: GroupMetadata, req: SyncGroupInput, now: number): void {
    const given = new Map<string, Uint8Array>();
    for (const a of req.assignments) given.set(a.memberId, a.assignment.slice());
    const assignments = new Map<string, Uint8Array>();
    for (const id of g.members.keys()) assignments.set(id, given.get(id) ?? EMPTY_BYTES);
    const generation = g.generation;
    g.persistingAssignmentGeneration = generation;
    g.pendingAppends++;
    this.#persistGroup(g, now, (code) => {
      g.pendingAppends--;
      if (g.persistingAssignmentGeneration === generation) g.persistingAssignmentGeneration = -1;
      if (this.#groups.get(g.groupId) !== g || g.generation !== generation || g.state !== 'CompletingRebalance') return;
      if (code !== 0) {
        this.#failSyncWaiters(g, groupAppendError(code), this.#nowMs);
        this.#prepareRebalance(g, this.#nowMs);
        return;
      }
      for (const m of g.members.values()) {
        m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
        if (m.syncRequestId !== null) {
          this.#respondSync(m.syncRequestId, g, E.NONE, m.assignment);
          m.syncRequestId = null;
          this.#resetHeartbeat(m, this.#nowMs); // kept alive while parked; a fresh session from the answer (Kafka's propagateAssignment)
        }
      }
      this.#transition(g, 'Stable', this.#nowMs);
    }, assignments);
  }

  #groupValue(g: GroupMetadata, now: number, assignments?: Map<string, Uint8Array>): GroupMetadataValue {
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

  #persistGroup(g: GroupMetadata, now: number, then: Completion, assignments?: Map<string, Uint8Array>): void {
    this.#append(g.groupId, [encodeGroupMetadataRecord(g.groupId, this.#groupValue(g, now, assignments))], then);
  }

  // ─── Heartbeat ─────────────────────────────────────────────────────────────

  heartbeat(requestId: number, req: HeartbeatInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const errorCode = this.#heartbeat(req, this.#nowMs);
    this.#respond(requestId, { api: 'Heartbeat', body: { throttleTimeMs: 0, errorCode } });
    return this.#drain();
  }

  #heartbeat(req: HeartbeatInput, now: number): number {
    if (req.groupId === '') return E.INVALID_GROUP_ID;
    if (this.#loading) return E.COORDINATOR_LOAD_IN_PROGRESS;
    const g = this.#groups.get(req.groupId);
    if (g === undefined) return E.UNKNOWN_MEMBER_ID;
    if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
    const fenced = this.#staticMemberCheck(g, req.groupInstanceId, req.memberId);
    if (fenced !== null) return fenced;
    const member = g.members.get(req.memberId);
    if (member === undefined) return E.UNKNOWN_MEMBER_ID;
    switch (g.state) {
      case 'Empty':
        return E.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.#resetHeartbeat(member, now);
        return E.REBALANCE_IN_PROGRESS;
      default:
        if (req.generationId !== g.generation) return E.ILLEGAL_GENERATION;
        this.#resetHeartbeat(member, now);
        return E.NONE;
    }
  }

  // ─── LeaveGroup ────────────────────────────────────────────────────────────

  leaveGroup(requestId: number, req: LeaveGroupInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const now = this.#nowMs;
    let errorCode: number = E.NONE;
    const members = req.members.map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, errorCode: E.UNKNOWN_MEMBER_ID as number }));
    const g = this.#groups.get(req.groupId);
    if (req.groupId === '') errorCode = E.INVALID_GROUP_ID;
    else if (this.#loading) errorCode = E.COORDINATOR_LOAD_IN_PROGRESS;
    else if (g !== undefined && g.state === 'Dead') errorCode = E.COORDINATOR_NOT_AVAILABLE;
    else if (g !== undefined) for (const r of members) r.errorCode = this.#leaveOne(g, r.memberId, r.groupInstanceId, now);
    this.#respond(requestId, { api: 'LeaveGroup', body: { throttleTimeMs: 0, errorCode, members: errorCode === E.NONE ? members : [] } });
    return this.#drain();
  }

  #leaveOne(g: GroupMetadata, memberId: string, groupInstanceId: string | null, now: number): number {
    if (groupInstanceId !== null) {
      const current = g.staticMembers.get(groupInstanceId);
      if (current === undefined) return E.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && current !== memberId) return E.FENCED_INSTANCE_ID;
      memberId = current;
    }
    if (g.pendingMembers.delete(memberId)) {
      if (g.state === 'PreparingRebalance') this.#maybeCompleteJoin(g, now);
      return E.NONE;
    }
    const m = g.members.get(memberId);
    if (m === undefined) return E.UNKNOWN_MEMBER_ID;
    this.#removeMemberAndUpdateGroup(g, m, now);
    return E.NONE;
  }

  // ─── OffsetCommit ──────────────────────────────────────────────────────────

  offsetCommit(requestId: number, req: OffsetCommitInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const now = this.#nowMs;
    const groupError = this.#commitGroupError(req, now);
    const topics = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: groupError ?? (E.NONE as number) })) }));
    const respond = (): void => this.#respond(requestId, { api: 'OffsetCommit', body: { throttleTimeMs: 0, topics } });
    const g = this.#groups.get(req.groupId);
    if (groupError !== null || g === undefined) {
      respond();
      return this.#drain();
    }
    const records: RawRecord[] = [];
    const accepted: { topic: string; partition: number; entry: OffsetEntry; result: { errorCode: number } }[] = [];
    for (let ti = 0; ti < req.topics.length; ti++) {
      const t = req.topics[ti]!;
      for (let pi = 0; pi < t.partitions.length; pi++) {
        const p = t.partitions[pi]!;
        const result = topics[ti]!.partitions[pi]!;
        const metadata = p.committedMetadata ?? '';
        if (utf8Length(metadata) > this.config.offsetMetadataMaxBytes) result.errorCode = E.OFFSET_METADATA_TOO_LARGE;
        else if (!this.#partitionExists(t.name, p.partitionIndex)) result.errorCode = E.UNKNOWN_TOPIC_OR_PARTITION;
        else if (!Number.isSafeInteger(p.committedOffset)) result.errorCode = E.INVALID_COMMIT_OFFSET_SIZE;
        else {
          const entry: OffsetEntry = {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata,
            commitTimestampMs: p.commitTimestamp >= 0 ? p.commitTimestamp : now,
            expireTimestampMs: req.retentionTimeMs > 0 ? now + req.retentionTimeMs : -1,
          };
          records.push(encodeOffsetCommitRecord({ group: g.groupId, topic: t.name, partition: p.partitionIndex }, entry));
          accepted.push({ topic: t.name, partition: p.partitionIndex, entry, result });
        }
      }
    }
    if (records.length === 0) {
      respond();
      return this.#drain();
    }
    g.pendingAppends++;
    this.#append(g.groupId, records, (code) => {
      g.pendingAppends--;
      const mapped = commitAppendError(code);
      for (const a of accepted) {
        if (code !== 0) a.result.errorCode = mapped;
        else {
          this.#counters.offsetCommitsTotal++;
          if (this.#groups.get(g.groupId) === g) this.#setOffset(g, a.topic, a.partition, a.entry);
        }
      }
      respond();
    });
    return this.#drain();
  }

  /** Kafka's group-level commit checks; null = commit (creating a simple group if needed). */
  #commitGroupError(req: OffsetCommitInput, now: number): number | null {
    if (this.#loading) return E.COORDINATOR_LOAD_IN_PROGRESS;
    if (this.#appendsFull()) return E.COORDINATOR_NOT_AVAILABLE;
    let g = this.#groups.get(req.groupId);
    if (g === undefined) {
      // Not managed by the coordinator: a simple commit (generation < 0) is allowed, else stale.
      if (req.generationIdOrMemberEpoch >= 0) return E.ILLEGAL_GENERATION;
      if (this.#groups.size >= this.config.groupsMax) return E.COORDINATOR_NOT_AVAILABLE;
      g = newGroup(req.groupId, now);
      this.#groups.set(req.groupId, g);
      return null;
    }
    if (g.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
    const fenced = this.#staticMemberCheck(g, req.groupInstanceId, req.memberId);
    if (fenced !== null) return fenced;
    if (req.generationIdOrMemberEpoch < 0 && g.state === 'Empty') return null;
    if (g.state === 'CompletingRebalance') return E.REBALANCE_IN_PROGRESS;
    const member = g.members.get(req.memberId);
    if (member === undefined) return E.UNKNOWN_MEMBER_ID;
    if (req.generationIdOrMemberEpoch !== g.generation) return E.ILLEGAL_GENERATION;
    this.#resetHeartbeat(member, now);
    return null;
  }

  #setOffset(g: GroupMetadata, topic: string, partition: number, entry: OffsetEntry): void {
    let parts = g.offsets.get(topic);
    if (parts === undefined) {
      parts = new Map();
      g.offsets.set(topic, parts);
    }
    parts.set(partition, entry);
  }

  // ─── OffsetFetch ───────────────────────────────────────────────────────────

  offsetFetch(requestId: number, req: OffsetFetchInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    let errorCode: number = E.NONE;
    let topics: OffsetFetchResponseOffsetFetchResponseTopics[] = [];
    if (this.#loading) errorCode = E.COORDINATOR_LOAD_IN_PROGRESS;
    else {
      const g = this.#groups.get(req.groupId);
      if (req.topics === null) {
        for (const [name, parts] of g?.offsets ?? []) {
          topics.push({ name, partitions: [...parts].map(([partitionIndex, e]) => ({ partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: E.NONE })) });
        }
      } else {
        topics = req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            const e = g?.offsets.get(t.name)?.get(partitionIndex);
            return e === undefined
              ? { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE }
              : { partitionIndex, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: E.NONE };
          }),
        }));
      }
    }
    this.#respond(requestId, { api: 'OffsetFetch', body: { groupId: req.groupId, topics, errorCode } });
    return this.#drain();
  }

  // ─── ListGroups / DescribeGroups ───────────────────────────────────────────

  listGroups(requestId: number, req: ListGroupsInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((s) => s.toLowerCase()));
    const groups = this.#loading
      ? []
      : [...this.#groups.values()]
          .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has('classic')))
          .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' }));
    this.#respond(requestId, { api: 'ListGroups', body: { throttleTimeMs: 0, errorCode: this.#loading ? E.COORDINATOR_LOAD_IN_PROGRESS : E.NONE, groups } });
    return this.#drain();
  }

  /** Unknown groups are reported as state "Dead" with NONE (v0–v5); the broker maps v6+ to GROUP_ID_NOT_FOUND. */
  describeGroups(requestId: number, req: DescribeGroupsInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const groups = req.groups.map((groupId) => {
      const base = { errorCode: E.NONE as number, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] as never[], authorizedOperations: -2147483648 };
      if (this.#loading) return { ...base, errorCode: E.COORDINATOR_LOAD_IN_PROGRESS, groupState: '' };
      const g = this.#groups.get(groupId);
      if (g === undefined) return base;
      const stable = g.state === 'Stable';
      return {
        ...base,
        groupState: g.state,
        protocolType: g.protocolType ?? '',
        protocolData: stable ? (g.protocol ?? '') : '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? metadataFor(m, g.protocol) : EMPTY_BYTES,
          memberAssignment: stable ? m.assignment : EMPTY_BYTES,
        })),
      };
    });
    this.#respond(requestId, { api: 'DescribeGroups', body: { throttleTimeMs: 0, groups } });
    return this.#drain();
  }

  // ─── DeleteGroups / OffsetDelete / expiration ──────────────────────────────

  deleteGroups(requestId: number, req: DeleteGroupsInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const results = req.groupsNames.map((groupId) => ({ groupId, errorCode: E.NONE as number }));
    let waiting = 1;
    const done = (): void => {
      if (--waiting === 0) this.#respond(requestId, { api: 'DeleteGroups', body: { throttleTimeMs: 0, results } });
    };
    for (const r of results) {
      const g = this.#groups.get(r.groupId);
      if (this.#loading) r.errorCode = E.COORDINATOR_LOAD_IN_PROGRESS;
      else if (g === undefined || g.state === 'Dead') r.errorCode = E.GROUP_ID_NOT_FOUND;
      else if (g.state !== 'Empty') r.errorCode = E.NON_EMPTY_GROUP;
      else if (this.#appendsFull()) r.errorCode = E.COORDINATOR_NOT_AVAILABLE;
      else {
        waiting++;
        this.#deleteGroup(g, (code) => {
          if (code !== 0) r.errorCode = commitAppendError(code);
          done();
        });
      }
    }
    done();
    return this.#drain();
  }

  /** Empty → Dead: tombstones for every offset and the group, and the group leaves memory now. */
  #deleteGroup(g: GroupMetadata, then: Completion): void {
    const records: RawRecord[] = [];
    for (const [topic, parts] of g.offsets) for (const partition of parts.keys()) records.push(encodeOffsetCommitRecord({ group: g.groupId, topic, partition }, null));
    records.push(encodeGroupMetadataRecord(g.groupId, null));
    g.state = 'Dead';
    this.#groups.delete(g.groupId);
    this.#append(g.groupId, records, then);
  }

  offsetDelete(requestId: number, req: OffsetDeleteInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const topics = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: E.NONE as number })) }));
    const body = { errorCode: E.NONE as number, throttleTimeMs: 0, topics };
    const respond = (): void => this.#respond(requestId, { api: 'OffsetDelete', body });
    const g = this.#groups.get(req.groupId);
    if (req.groupId === '') body.errorCode = E.INVALID_GROUP_ID;
    else if (this.#loading) body.errorCode = E.COORDINATOR_LOAD_IN_PROGRESS;
    else if (g === undefined || g.state === 'Dead') body.errorCode = E.GROUP_ID_NOT_FOUND;
    else if (g.state !== 'Empty' && g.protocolType !== 'consumer') body.errorCode = E.NON_EMPTY_GROUP;
    else if (this.#appendsFull()) body.errorCode = E.COORDINATOR_NOT_AVAILABLE;
    if (body.errorCode !== E.NONE || g === undefined) {
      body.topics = [];
      respond();
      return this.#drain();
    }
    const records: RawRecord[] = [];
    for (const t of topics) {
      // Kafka: subscribed unless the subscription is known and does not name the topic.
      const subscribed = g.state !== 'Empty' && (g.subscribedTopics === null || g.subscribedTopics.has(t.name));
      for (const p of t.partitions) {
        if (subscribed) p.errorCode = E.GROUP_SUBSCRIBED_TO_TOPIC;
        else if (g.offsets.get(t.name)?.delete(p.partitionIndex) === true) records.push(encodeOffsetCommitRecord({ group: g.groupId, topic: t.name, partition: p.partitionIndex }, null));
      }
      if (g.offsets.get(t.name)?.size === 0) g.offsets.delete(t.name);
    }
    if (records.length === 0) respond();
    else this.#append(g.groupId, records, (code) => {
      if (code !== 0) body.errorCode = commitAppendError(code);
      respond();
    });
    return this.#drain();
  }

  /** Kafka ≥ 2.1 expiration: offsets of Empty groups expire `offsetsRetentionMs` after the group became Empty. */
  #expireOffsets(now: number): void {
    const retention = this.config.offsetsRetentionMs;
    for (const g of [...this.#groups.values()]) {
      if (g.pendingAppends > 0) continue;
      const records: RawRecord[] = [];
      for (const [topic, parts] of [...g.offsets]) {
        for (const [partition, e] of [...parts]) {
          if (!this.#isExpired(g, topic, e, now, retention)) continue;
          parts.delete(partition);
          this.#counters.offsetsExpiredTotal++;
          records.push(encodeOffsetCommitRecord({ group: g.groupId, topic, partition }, null));
        }
        if (parts.size === 0) g.offsets.delete(topic);
      }
      if (g.state === 'Empty' && offsetCount(g) === 0 && g.members.size === 0 && g.pendingMembers.size === 0) {
        records.push(encodeGroupMetadataRecord(g.groupId, null));
        g.state = 'Dead';
        this.#groups.delete(g.groupId);
      }
      if (records.length > 0) this.#append(g.groupId, records, () => {});
    }
  }

  #isExpired(g: GroupMetadata, topic: string, e: OffsetEntry, now: number, retention: number): boolean {
    if (e.expireTimestampMs >= 0) return now >= e.expireTimestampMs;
    if (g.protocolType === null) return now - e.commitTimestampMs >= retention;
    if (g.state === 'Empty') return now - (g.currentStateTimestampMs >= 0 ? g.currentStateTimestampMs : e.commitTimestampMs) >= retention;
    if (g.state === 'Stable' && g.protocolType === 'consumer' && g.subscribedTopics !== null) return !g.subscribedTopics.has(topic) && now - e.commitTimestampMs >= retention;
    return false;
  }

  // ─── Introspection ─────────────────────────────────────────────────────────

  /** A canonical view of every group (members in join order, offsets sorted), for tests, metrics and describe. */
  describeState(): GroupView[] {
    return [...this.#groups.values()]
      .map((g) => ({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        generation: g.generation,
        leader: g.leaderId,
        members: [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, assignment: m.assignment })),
        offsets: [...g.offsets]
          .flatMap(([topic, parts]) => [...parts].map(([partition, e]) => ({ topic, partition, offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata })))
          .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
      }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** A snapshot of the monotonic counters, for metrics. */
  counters(): GroupCoordinatorCounters {
    return { ...this.#counters };
  }

  /** Counts of groups by state, for metrics. */
  groupCountsByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of this.#groups.values()) out[g.state] = (out[g.state] ?? 0) + 1;
    return out;
  }
}

function joinResponse(errorCode: number, memberId: string): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}
