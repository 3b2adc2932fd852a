/**
 * GroupCoordinator: Kafka's classic consumer-group coordinator as a pure, sans-I/O state
 * machine. No timers, no promises, no I/O: the broker feeds it requests (each with a
 * requestId and the current time), `tick(nowMs)`, replayed `__consumer_offsets` records
 * and append completions; every call returns the actions to carry out (`respond`,
 * `append`), and `nextTickAtMs()` says when to call `tick` next.
 *
 * This file is the facade: the API the broker and the tests use. The parts behind it are
 * functions over one CoordinatorState (coordinator-state.ts):
 *   rebalance.ts        join/sync phases, member removal, the group timers, pending sync
 *   join-group.ts       JoinGroup: admission, new/known members, static-member replacement
 *   member-requests.ts  SyncGroup, Heartbeat, LeaveGroup
 *   offsets.ts          OffsetCommit, OffsetFetch, OffsetDelete, retention
 *   group-admin.ts      ListGroups, DescribeGroups, DeleteGroups, introspection
 *   replay.ts           load / loadCompleted from `__consumer_offsets`
 *   consumer-group-heartbeat.ts  KIP-848 consumer groups: ConsumerGroupHeartbeat and their timers
 *   consumer-group-describe.ts   ConsumerGroupDescribe, and their commit / fetch checks
 *   consumer-group-classic-members.ts  classic members inside a consumer group (JoinGroup,
 *                                SyncGroup, Heartbeat, LeaveGroup of a mixed group)
 *   partition-ownership.ts  cluster mode: loadPartition / loadPartitionCompleted / unloadPartition
 *
 * Ownership: a single broker's coordinator (`ownsAllPartitions`, the default) owns every
 * `__consumer_offsets` partition and loads them all at once (load, loadCompleted). In a
 * cluster it owns only the partitions this broker leads, each loaded and unloaded on its
 * own (partition-ownership.ts); requests for the groups of other partitions get
 * NOT_COORDINATOR.
 *
 * Every input first advances time (firing the group timers when the cached earliest
 * deadline is due, and the retention check when it is due), then runs its part, then
 * returns the actions queued meanwhile. Time never goes backwards: an older `nowMs` is
 * taken as the latest seen.
 *
 * Persistence: group metadata is appended when the leader's assignment arrives (the
 * SyncGroup responses wait for that append) and when a rebalance ends Empty; offset
 * commits are appended and acknowledged (and become visible to OffsetFetch) only after
 * `appendCompleted`. The broker must complete appends of one partition in the order it
 * received them.
 *
 * Single-threaded: one caller at a time (the broker's event loop).
 */
import { ErrorCode } from '@samsa/codec';
import type { SubscribedTopic } from './consumer-group.ts';
import * as consumerGroup from './consumer-group-heartbeat.ts';
import { consumerGroupDescribe } from './consumer-group-describe.ts';
import type { RawRecord } from './consumer-offsets-records.ts';
import { CoordinatorState } from './coordinator-state.ts';
import type { GroupCoordinatorCounters } from './coordinator-state.ts';
import * as admin from './group-admin.ts';
import { EMPTY_BYTES } from './group-metadata.ts';
import * as join from './join-group.ts';
import * as member from './member-requests.ts';
import * as offsets from './offsets.ts';
import * as ownership from './partition-ownership.ts';
import { fireGroupTimers } from './rebalance.ts';
import * as replay from './replay.ts';
import type { LoadStats } from './replay.ts';
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from './types.ts';
import type {
  ConsumerGroupDescribeInput,
  ConsumerGroupHeartbeatInput,
  CoordinatorAction,
  CoordinatorRandom,
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

export type { GroupCoordinatorCounters } from './coordinator-state.ts';
export type { LoadStats } from './replay.ts';

export interface GroupCoordinatorOptions {
  config?: Partial<GroupCoordinatorConfig>;
  /** Seeds member ids (pass @samsa/runtime's Random). */
  random: CoordinatorRandom;
  /** Does this topic-partition exist? Commits to others get UNKNOWN_TOPIC_OR_PARTITION. Default: all exist. */
  partitionExists?: (topic: string, partition: number) => boolean;
  /**
   * True (default, a single broker): every `__consumer_offsets` partition is owned, loaded
   * once by load + loadCompleted. False (a cluster): none is owned until loadPartition.
   */
  ownsAllPartitions?: boolean;
  /**
   * A topic's id and partition count, or undefined if it does not exist: KIP-848 consumer
   * groups assign from it. Default: no topic exists (members get empty assignments).
   */
  topicLookup?: (name: string) => SubscribedTopic | undefined;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly #s: CoordinatorState;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...options.config };
    this.#s = new CoordinatorState(this.config, options.random, options.partitionExists ?? (() => true), options.ownsAllPartitions ?? true, options.topicLookup);
  }

  // ─── Replay ────────────────────────────────────────────────────────────────

  /** Single broker: true until loadCompleted. Cluster: true while some owned partition is loading. */
  get loading(): boolean {
    return this.#s.anyLoading();
  }

  /** Whether this coordinator owns every partition (a single broker). */
  get ownsAllPartitions(): boolean {
    return this.#s.ownsAllPartitions;
  }

  /**
   * Replays `__consumer_offsets` records in log order. Single broker: any partitions, only
   * before loadCompleted. Cluster: only records of groups whose partition is loading are kept.
   */
  load(records: Iterable<RawRecord>): LoadStats {
    return replay.load(this.#s, records);
  }

  /** Ends COORDINATOR_LOAD_IN_PROGRESS; members restored from the log get a fresh session from `nowMs`. */
  loadCompleted(nowMs: number): CoordinatorAction[] {
    replay.loadCompleted(this.#s, nowMs);
    return this.#s.drain();
  }

  // ─── Ownership (cluster mode, partition-ownership.ts) ───────────────────────

  /** `partition` is now loading (a fresh load if it was owned): feed its records to `load`, then loadPartitionCompleted. */
  loadPartition(partition: number): CoordinatorAction[] {
    ownership.loadPartition(this.#s, partition);
    consumerGroup.dropConsumerGroupsOf(this.#s, partition);
    return this.#s.drain();
  }

  /** Ends the load of `partition`: its groups are served from now on. */
  loadPartitionCompleted(partition: number, nowMs: number): CoordinatorAction[] {
    ownership.loadPartitionCompleted(this.#s, partition, nowMs);
    this.#advance(nowMs);
    return this.#s.drain();
  }

  /** This broker no longer coordinates `partition`: its groups leave memory (waiters get NOT_COORDINATOR). */
  unloadPartition(partition: number): CoordinatorAction[] {
    ownership.unloadPartition(this.#s, partition);
    consumerGroup.dropConsumerGroupsOf(this.#s, partition);
    return this.#s.drain();
  }

  /** The owned partitions (cluster mode), ascending. */
  ownedPartitions(): { partition: number; loading: boolean }[] {
    return ownership.ownedPartitions(this.#s);
  }

  /** The `__consumer_offsets` partition that coordinates `groupId`. */
  partitionFor(groupId: string): number {
    return this.#s.partitionOf(groupId);
  }

  // ─── Time ──────────────────────────────────────────────────────────────────

  /** Fires every deadline ≤ nowMs. */
  tick(nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    return this.#s.drain();
  }

  /**
   * When `tick` must be called next (absolute ms), or null while loading. O(1): it may be
   * early (a heartbeat pushed the deadline later since), never late; an early tick is a no-op.
   */
  nextTickAtMs(): number | null {
    const s = this.#s;
    if (s.loading) return null;
    const next = Math.min(s.nextDeadlineMs, s.nextRetentionCheckMs ?? Infinity);
    return next === Infinity ? null : next;
  }

  #advance(nowMs: number): void {
    const s = this.#s;
    if (nowMs > s.nowMs) s.nowMs = nowMs;
    if (s.loading) return;
    const now = s.nowMs;
    // Only scan the groups when some deadline may be due; the scan ends with an exact recompute.
    if (now >= s.nextDeadlineMs) {
      for (const g of [...s.groups.values()]) if (s.served(g)) fireGroupTimers(s, g, now);
      for (const cg of [...s.consumerGroups.values()]) if (s.unavailable(cg.groupId) === null) consumerGroup.fireConsumerGroupTimers(s, cg, now);
      s.recomputeNextDeadline();
    }
    if (s.nextRetentionCheckMs !== null && now >= s.nextRetentionCheckMs) {
      s.nextRetentionCheckMs = now + s.config.offsetsRetentionCheckIntervalMs;
      offsets.expireOffsets(s, now);
    }
  }

  // ─── Completions ───────────────────────────────────────────────────────────

  /** The broker finished (errorCode 0) or failed the append tagged `completionId`. */
  appendCompleted(completionId: number, errorCode = 0, nowMs?: number): CoordinatorAction[] {
    if (nowMs !== undefined) this.#advance(nowMs);
    const pending = this.#s.completions.get(completionId);
    if (pending === undefined) throw new Error(`appendCompleted: unknown completion id ${completionId}`);
    this.#s.completions.delete(completionId);
    // The partition was unloaded since the append was issued: whatever the log did, this coordinator no longer answers for it.
    const stale = pending.incarnation !== this.#s.incarnationOf(pending.partition);
    pending.then(stale ? ErrorCode.NOT_COORDINATOR : errorCode);
    return this.#s.drain();
  }

  /** Appends not yet completed (their count is bounded by config.pendingAppendsMax). */
  get pendingAppends(): number {
    return this.#s.completions.size;
  }

  // ─── Membership (join-group.ts, member-requests.ts) ────────────────────────

  joinGroup(requestId: number, req: JoinGroupInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const error = join.joinGroup(this.#s, requestId, req, this.#s.nowMs);
    if (error !== null) this.#s.respondJoinError(requestId, req.memberId, error);
    return this.#s.drain();
  }

  syncGroup(requestId: number, req: SyncGroupInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const g = this.#s.groups.get(req.groupId);
    const error = member.syncGroup(this.#s, g, requestId, req, this.#s.nowMs);
    if (error !== null) this.#s.respondSync(requestId, g, error, EMPTY_BYTES);
    return this.#s.drain();
  }

  heartbeat(requestId: number, req: HeartbeatInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    const errorCode = member.heartbeat(this.#s, req, this.#s.nowMs);
    this.#s.respond(requestId, { api: 'Heartbeat', body: { throttleTimeMs: 0, errorCode } });
    return this.#s.drain();
  }

  leaveGroup(requestId: number, req: LeaveGroupInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    member.leaveGroup(this.#s, requestId, req);
    return this.#s.drain();
  }

  // ─── KIP-848 consumer groups (consumer-group-heartbeat.ts, consumer-group-describe.ts) ──

  /** ConsumerGroupHeartbeat: join, heartbeat, reconcile, leave (memberEpoch -1 / -2); answered at once. */
  consumerGroupHeartbeat(requestId: number, req: ConsumerGroupHeartbeatInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    consumerGroup.consumerGroupHeartbeat(this.#s, requestId, req);
    return this.#s.drain();
  }

  consumerGroupDescribe(requestId: number, req: ConsumerGroupDescribeInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    consumerGroupDescribe(this.#s, requestId, req);
    return this.#s.drain();
  }

  // ─── Offsets (offsets.ts) ──────────────────────────────────────────────────

  offsetCommit(requestId: number, req: OffsetCommitInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    offsets.offsetCommit(this.#s, requestId, req);
    return this.#s.drain();
  }

  offsetFetch(requestId: number, req: OffsetFetchInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    offsets.offsetFetch(this.#s, requestId, req);
    return this.#s.drain();
  }

  offsetDelete(requestId: number, req: OffsetDeleteInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    offsets.offsetDelete(this.#s, requestId, req);
    return this.#s.drain();
  }

  // ─── Administration (group-admin.ts) ───────────────────────────────────────

  listGroups(requestId: number, req: ListGroupsInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    admin.listGroups(this.#s, requestId, req);
    return this.#s.drain();
  }

  /** Unknown groups are reported as state "Dead" with NONE (v0–v5); the broker maps v6+ to GROUP_ID_NOT_FOUND. */
  describeGroups(requestId: number, req: DescribeGroupsInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    admin.describeGroups(this.#s, requestId, req);
    return this.#s.drain();
  }

  deleteGroups(requestId: number, req: DeleteGroupsInput, nowMs: number): CoordinatorAction[] {
    this.#advance(nowMs);
    admin.deleteGroups(this.#s, requestId, req);
    return this.#s.drain();
  }

  // ─── Introspection ─────────────────────────────────────────────────────────

  /** A canonical view of every group (members in join order, offsets sorted), for tests, metrics and describe. */
  describeState(): GroupView[] {
    return admin.describeState(this.#s);
  }

  /** A snapshot of the monotonic counters, for metrics. */
  counters(): GroupCoordinatorCounters {
    return { ...this.#s.counters };
  }

  /** Counts of groups by state, for metrics. */
  groupCountsByState(): Record<string, number> {
    return admin.groupCountsByState(this.#s);
  }
}
