/**
 * GroupService: binds the pure GroupCoordinator (@samsa/coordinator) to the broker — the
 * `__consumer_offsets` topic, the Clock and the request handlers.
 *
 *   handler ──request(kind, input)──▶ coordinator.<kind>(requestId, input, now)
 *   actions: respond → resolves that handler's promise
 *            append  → ConsumerOffsetsAppender (coalesces the appends queued behind the one
 *                      in flight per partition into one batch) → Partition.produce on
 *                      __consumer_offsets-<p> → appendCompleted(id, code) for each, in order
 *   timer:   one Clock timeout at coordinator.nextTickAtMs(), re-armed after every call
 *
 * Startup: `start()` replays every partition of the topic (if it exists) from its log
 * start; until that finishes the coordinator answers COORDINATOR_LOAD_IN_PROGRESS. The
 * topic is created on first use (`ensureTopic`: FindCoordinator for a group, or the first
 * group request), with `offsets.topic.num.partitions` partitions; an existing topic keeps
 * its own partition count (that is what partitionFor uses).
 *
 * Cluster mode (`cluster` and `leadership` given, metadata.store=etcd): the coordinator
 * owns no `__consumer_offsets` partition at start. When this broker becomes leader of
 * partition p (a `leader` LeadershipChange), the service loads p: the coordinator answers
 * COORDINATOR_LOAD_IN_PROGRESS for p's groups while the service waits for p's earlier
 * writes still queued or in flight to settle (refused, or in the log), replays p's log
 * and completes the load. On `follower` it unloads p (its groups answer NOT_COORDINATOR;
 * the client finds the new coordinator). Each load is one object in `#owned`: a load whose
 * object was replaced (an unload, or a new leader epoch while it ran) stops feeding the
 * coordinator and never completes. A leader event with a new epoch for a partition that
 * is already loaded keeps it (no follower event came between: this broker led the
 * partition all along). Writes to a partition that is not loaded are refused (they come
 * from a previous leadership) with NOT_COORDINATOR. The topic is created by the
 * controller, never locally (`ensureTopic` asks it, one creation in flight); a commit's
 * topic-partition must exist in the cluster view.
 *
 * Replication (`replication` given: a cluster broker's ReplicationService): every
 * `__consumer_offsets` write is appended with acks=all semantics — refused before the append
 * when the ISR is below `min.insync.replicas`, acknowledged to the coordinator (and so to
 * the OffsetCommit / SyncGroup / JoinGroup waiting on it) only once the high watermark
 * passed it, failed after `offsets.commit.timeout.ms` (see ./consumer-offsets-log.ts). The
 * appender pipelines: the next batch is appended while earlier ones wait for replication,
 * completions stay in emission order. Without it (a single broker) nothing changes.
 * In a cluster the topic is created with min(`offsets.topic.replication.factor`, brokers in
 * the view) replicas: Kafka refuses to create it until enough brokers are alive; we let a
 * 1- or 2-broker cluster have groups (with fewer copies).
 *
 * KIP-848 consumer groups (ConsumerGroupHeartbeat) assign partitions of the topics the
 * coordinator looks up here: the registry's (single broker) or the cluster view's topic
 * id and partition count. Their state is in memory only: a restart or a coordinator move
 * makes their members rejoin (the heartbeat answers UNKNOWN_MEMBER_ID / GROUP_ID_NOT_FOUND).
 *
 * Time: the coordinator runs on wall-clock ms (commit timestamps are persisted).
 * Shutdown: cancels the timer and ends every waiting request with CloseConnection (a
 * JoinGroup may otherwise wait for a whole rebalance timeout).
 *
 * Limits: at most `PENDING_REQUESTS_MAX` requests wait on the coordinator at once (more
 * get COORDINATOR_NOT_AVAILABLE from the handler). Single-threaded (one event loop).
 */
import { ErrorCode } from '@samsa/codec';
import { GroupCoordinator } from '@samsa/coordinator';
import type {
  ConsumerGroupDescribeInput,
  ConsumerGroupHeartbeatInput,
  CoordinatorAction,
  CoordinatorResponse,
  DeleteGroupsInput,
  DescribeGroupsInput,
  GroupCoordinatorConfig,
  HeartbeatInput,
  JoinGroupInput,
  LeaveGroupInput,
  ListGroupsInput,
  OffsetCommitInput,
  OffsetDeleteInput,
  OffsetFetchInput,
  RawRecord,
  SyncGroupInput,
} from '@samsa/coordinator';
import type { Clock, Random, TimerHandle } from '@samsa/runtime';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import type { LeadershipChange, LeadershipEvents } from '../cluster/leadership-events.ts';
import { CloseConnection } from '../handlers/close-connection.ts';
import type { Logger } from '../observability/logger.ts';
import type { ReplicationService } from '../replication/replication-service.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import { ConsumerOffsetsAppender } from './consumer-offsets-appender.ts';
import type { ConsumerOffsetsAppenderStats } from './consumer-offsets-appender.ts';
import {
  appendConsumerOffsetsRecords,
  CONSUMER_OFFSETS_TOPIC,
  consumerOffsetsTopicConfigs,
  ensureConsumerOffsetsTopic,
  offsetsCommitTimeoutMs,
  OFFSETS_TOPIC_REPLICATION_FACTOR_DEFAULT,
  replayConsumerOffsetsPartition,
} from './consumer-offsets-log.ts';
import type { OffsetsReplication } from './consumer-offsets-log.ts';

export const PENDING_REQUESTS_MAX = 100_000;

/** The coordinator call for each request kind, with its input type. */
export interface GroupRequests {
  joinGroup: JoinGroupInput;
  syncGroup: SyncGroupInput;
  heartbeat: HeartbeatInput;
  leaveGroup: LeaveGroupInput;
  offsetCommit: OffsetCommitInput;
  offsetFetch: OffsetFetchInput;
  listGroups: ListGroupsInput;
  describeGroups: DescribeGroupsInput;
  deleteGroups: DeleteGroupsInput;
  offsetDelete: OffsetDeleteInput;
  consumerGroupHeartbeat: ConsumerGroupHeartbeatInput;
  consumerGroupDescribe: ConsumerGroupDescribeInput;
}
export type GroupRequestKind = keyof GroupRequests;

/** The response body type for an api name. */
export type ResponseOf<A extends CoordinatorResponse['api']> = Extract<CoordinatorResponse, { api: A }>['body'];

export interface GroupServiceOptions {
  readonly registry: TopicRegistry;
  readonly clock: Clock;
  /** Member ids come from here (the coordinator's `<clientId>-<uuid>`). */
  readonly random: Random;
  readonly logger: Logger;
  readonly config: Partial<GroupCoordinatorConfig> & { offsetsTopicNumPartitions: number };
  /** Tests: the replay waits for this promise (so COORDINATOR_LOAD_IN_PROGRESS is observable). */
  readonly loadGate?: Promise<unknown>;
  /** Cluster mode: the cluster view and the controller (the topic is created there; commits check the view). */
  readonly cluster?: ClusterLink;
  /** Cluster mode: become-leader / become-follower of local replicas (`registry.leadership`); the coordinator then owns only the partitions this broker leads. */
  readonly leadership?: LeadershipEvents;
  /** Tests, cluster mode: each partition's load waits for this before its replay. */
  readonly partitionLoadGate?: (partition: number) => Promise<unknown>;
  /**
   * A cluster broker's replication (`BrokerContext.replication`): `__consumer_offsets` writes
   * are acknowledged once replicated (acks=all, `offsets.commit.timeout.ms`). Absent or null
   * on a single broker: acknowledged once in the local log.
   */
  readonly replication?: ReplicationService | null;
}

/** One load of an owned partition (cluster mode); replaced by the next load, dropped by an unload. */
interface PartitionLoad {
  readonly leaderEpoch: number;
  loaded: boolean;
}

/** Thrown inside a replay whose load was superseded, to stop reading. */
class StaleLoad extends Error {}

interface Waiter {
  resolve(r: CoordinatorResponse): void;
  reject(e: unknown): void;
}

export class GroupService {
  readonly coordinator: GroupCoordinator;
  readonly #registry: TopicRegistry;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #numPartitionsWanted: number;
  readonly #waiters = new Map<number, Waiter>();
  #nextRequestId = 1;
  #timer: TimerHandle | null = null;
  #timerAtMs: number | null = null;
  #closed = false;
  #ensuring: Promise<number> | null = null;
  /** Resolves when the replay finished (or failed and was logged); at once in cluster mode (partitions load one by one). */
  readonly loaded: Promise<void>;
  #loadGate: Promise<unknown>;
  readonly #appender: ConsumerOffsetsAppender;
  readonly #cluster: ClusterLink | null;
  readonly #partitionLoadGate: ((partition: number) => Promise<unknown>) | null;
  readonly #replication: OffsetsReplication | null;
  /** Cluster mode: the partitions this broker leads, each with its current load. */
  readonly #owned = new Map<number, PartitionLoad>();
  #unsubscribe: (() => void) | null = null;
  /** Cluster mode: the controller's creation of the topic, while in flight (at most one). */
  #creating: Promise<void> | null = null;
  /** The last `__consumer_offsets` partition count seen in the view that differs from the coordinator's (logged once). */
  #countMismatchLogged = -1;

  constructor(options: GroupServiceOptions) {
    this.#registry = options.registry;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#numPartitionsWanted = options.config.offsetsTopicNumPartitions;
    this.#cluster = options.cluster ?? null;
    this.#partitionLoadGate = options.partitionLoadGate ?? null;
    const replication = options.replication ?? null;
    this.#replication = replication === null ? null : { service: replication, clock: options.clock, timeoutMs: offsetsCommitTimeoutMs(options.registry.server) };
    const cluster = this.#cluster;
    // In a cluster the registry holds only the local replicas: the partition count is the view's.
    const existing = cluster === null ? options.registry.topic(CONSUMER_OFFSETS_TOPIC)?.partitions : cluster.view().topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions;
    const numPartitions = existing ? existing.length : options.config.offsetsTopicNumPartitions;
    const registry = options.registry;
    this.coordinator = new GroupCoordinator({
      config: { ...options.config, offsetsTopicNumPartitions: numPartitions },
      random: options.random,
      partitionExists:
        cluster === null
          ? (topic, partition) => topic !== CONSUMER_OFFSETS_TOPIC && registry.partition(topic, partition) !== undefined
          : (topic, partition) => topic !== CONSUMER_OFFSETS_TOPIC && partition >= 0 && partition < (cluster.view().topics.get(topic)?.partitions.length ?? 0),
      ownsAllPartitions: options.leadership === undefined,
      topicLookup:
        cluster === null
          ? (name) => {
              const t = name === CONSUMER_OFFSETS_TOPIC ? undefined : registry.topic(name);
              return t === undefined ? undefined : { topicId: t.record.topicId, numPartitions: t.record.partitions };
            }
          : (name) => {
              const t = name === CONSUMER_OFFSETS_TOPIC ? undefined : cluster.view().topics.get(name);
              return t === undefined ? undefined : { topicId: t.topicId, numPartitions: t.partitions.length };
            },
    });
    this.#loadGate = options.loadGate ?? Promise.resolve();
    this.#appender = new ConsumerOffsetsAppender({
      write: (partition, records, appended) => this.#write(partition, records, appended),
      complete: (completionId, code) => this.#run(() => this.coordinator.appendCompleted(completionId, code, this.#clock.wallMs())),
    });
    if (options.leadership === undefined) this.loaded = this.#load();
    else {
      this.loaded = Promise.resolve();
      this.#unsubscribe = options.leadership.subscribe((change) => this.#onLeadership(change));
    }
  }

  /** The `__consumer_offsets` partition that coordinates `groupId` (FindCoordinator in a cluster). */
  partitionFor(groupId: string): number {
    return this.coordinator.partitionFor(groupId);
  }

  /** Append actions received, batches written to `__consumer_offsets`, appends refused by the queue bound. */
  get appendStats(): ConsumerOffsetsAppenderStats {
    return this.#appender.stats;
  }

  get loading(): boolean {
    return this.coordinator.loading;
  }

  /**
   * Creates `__consumer_offsets` on first use; resolves an error code (0 = exists). In a
   * cluster: 0 once the view shows the topic; until then the controller is asked to create
   * it (one request in flight) and the answer is COORDINATOR_NOT_AVAILABLE (clients retry).
   */
  ensureTopic(): Promise<number> {
    if (this.#cluster !== null) return Promise.resolve(this.#ensureClusterTopic(this.#cluster));
    if (this.#registry.topic(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve(ErrorCode.NONE);
    this.#ensuring ??= ensureConsumerOffsetsTopic(this.#registry, this.#numPartitionsWanted).then((r) => {
      this.#ensuring = null;
      if (r.errorCode !== ErrorCode.NONE) this.#logger.warn({ errorCode: r.errorCode }, 'could not create __consumer_offsets');
      return r.errorCode;
    });
    return this.#ensuring;
  }

  /**
   * Runs one request through the coordinator; resolves with its response (maybe much
   * later: a JoinGroup waits for the rebalance). Rejects with CloseConnection on shutdown.
   */
  async request<K extends GroupRequestKind>(kind: K, input: GroupRequests[K]): Promise<CoordinatorResponse> {
    if (this.#closed) throw new CloseConnection('shutdown');
    if (this.#waiters.size >= PENDING_REQUESTS_MAX) throw new CloseConnection('too-many-group-requests');
    const requestId = this.#nextRequestId++;
    const response = new Promise<CoordinatorResponse>((resolve, reject) => this.#waiters.set(requestId, { resolve, reject }));
    const call = this.coordinator[kind] as (id: number, input: GroupRequests[K], nowMs: number) => CoordinatorAction[];
    this.#run(() => call.call(this.coordinator, requestId, input, this.#clock.wallMs()));
    return response;
  }

  #ensureClusterTopic(cluster: ClusterLink): number {
    const view = cluster.view();
    if (view.topics.has(CONSUMER_OFFSETS_TOPIC)) return ErrorCode.NONE;
    if (this.#creating === null && !this.#closed) {
      const wanted = this.#registry.server.values.get('offsets.topic.replication.factor');
      const replicationFactor = Math.max(1, Math.min(typeof wanted === 'number' ? wanted : OFFSETS_TOPIC_REPLICATION_FACTOR_DEFAULT, view.brokers.size));
      const request = { name: CONSUMER_OFFSETS_TOPIC, partitionCount: this.#numPartitionsWanted, replicationFactor, configs: consumerOffsetsTopicConfigs(this.#registry.server) };
      this.#logger.info({ partitions: request.partitionCount, replicationFactor }, 'asking the controller to create __consumer_offsets');
      const done = (): void => {
        this.#creating = null;
      };
      this.#creating = cluster.controller.createTopic(request).then(
        (reply) => {
          done();
          if (!reply.ok && reply.code !== 'TOPIC_ALREADY_EXISTS') this.#logger.warn({ code: reply.code, message: reply.message }, 'the controller did not create __consumer_offsets; the next group lookup asks again');
        },
        (e: unknown) => {
          done();
          this.#logger.warn({ err: e }, 'asking the controller to create __consumer_offsets failed; the next group lookup asks again');
        },
      );
    }
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  /** The `__consumer_offsets` partitions this broker leads (cluster mode), ascending, and whether each is loaded. */
  ownedPartitions(): { partition: number; loaded: boolean; leaderEpoch: number }[] {
    return [...this.#owned].map(([partition, l]) => ({ partition, loaded: l.loaded, leaderEpoch: l.leaderEpoch })).sort((a, b) => a.partition - b.partition);
  }

  #onLeadership(change: LeadershipChange): void {
    if (this.#closed || change.topic !== CONSUMER_OFFSETS_TOPIC) return;
    const p = change.partition;
    const hashedOver = this.coordinator.config.offsetsTopicNumPartitions;
    const inView = this.#cluster?.view().topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions.length;
    if (inView !== undefined && inView !== hashedOver && inView !== this.#countMismatchLogged) {
      this.#countMismatchLogged = inView;
      this.#logger.error({ partitions: inView, hashedOver }, '__consumer_offsets has another partition count than this coordinator hashes groups over (offsets.topic.num.partitions when it started): groups may be looked for on the wrong broker; restart with the same count on every broker');
    }
    if (p >= hashedOver) return;
    const current = this.#owned.get(p);
    if (change.role === 'follower') {
      if (current === undefined) return;
      this.#owned.delete(p);
      this.#run(() => this.coordinator.unloadPartition(p));
      this.#logger.info({ partition: p, leaderEpoch: change.leaderEpoch, deleted: change.deleted }, 'no longer the group coordinator of this __consumer_offsets partition; its groups are unloaded');
      return;
    }
    if (current !== undefined && (current.loaded || current.leaderEpoch === change.leaderEpoch)) return;
    // Newly led, or a new leader epoch while a load runs: a fresh load supersedes the old one.
    const load: PartitionLoad = { leaderEpoch: change.leaderEpoch, loaded: false };
    this.#owned.set(p, load);
    this.#run(() => this.coordinator.loadPartition(p));
    void this.#loadPartition(p, load);
  }

  /** Replays partition `p` into the coordinator for `load`, unless a newer load or an unload replaced it meanwhile. */
  async #loadPartition(p: number, load: PartitionLoad): Promise<void> {
    const current = (): boolean => !this.#closed && this.#owned.get(p) === load;
    const superseded = (): void => this.#logger.info({ partition: p, leaderEpoch: load.leaderEpoch }, 'a superseded load of a __consumer_offsets partition stopped');
    const startedMs = this.#clock.monotonicMs();
    let records = 0;
    let skipped = 0;
    try {
      // Writes of an earlier leadership still queued are refused now (#write); one in flight may still land: replay after it.
      await this.#appender.idle(p);
      await this.#partitionLoadGate?.(p);
      if (!current()) {
        superseded();
        return;
      }
      const partition = this.#registry.partition(CONSUMER_OFFSETS_TOPIC, p);
      if (partition === undefined) this.#logger.warn({ partition: p }, 'leading a __consumer_offsets partition with no local replica; its groups start empty');
      else {
        records = await replayConsumerOffsetsPartition(partition, (chunk) => {
          if (!current()) throw new StaleLoad();
          skipped += this.coordinator.load(chunk).skipped;
        });
      }
    } catch (e) {
      if (e instanceof StaleLoad) {
        superseded();
        return;
      }
      this.#logger.error({ err: e, partition: p }, 'replaying a __consumer_offsets partition failed; its groups start from what was read');
    }
    if (!current()) {
      superseded();
      return;
    }
    if (skipped > 0) this.#logger.warn({ partition: p, skipped }, 'skipped undecodable __consumer_offsets records');
    load.loaded = true;
    this.#run(() => this.coordinator.loadPartitionCompleted(p, this.#clock.wallMs()));
    this.#logger.info({ partition: p, leaderEpoch: load.leaderEpoch, records, ms: this.#clock.monotonicMs() - startedMs }, 'group coordinator loaded a __consumer_offsets partition');
  }

  /** Stops the timer and ends every waiting request (their connections close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#timer?.cancel();
    this.#timer = null;
    const waiting = [...this.#waiters.values()];
    this.#waiters.clear();
    for (const w of waiting) w.reject(new CloseConnection('shutdown'));
  }

  async #load(): Promise<void> {
    const startedMs = this.#clock.monotonicMs();
    let records = 0;
    try {
      await this.#loadGate;
      const topic = this.#registry.topic(CONSUMER_OFFSETS_TOPIC);
      for (const p of topic?.partitions ?? []) {
        let skipped = 0;
        records += await replayConsumerOffsetsPartition(p, (chunk) => {
          skipped += this.coordinator.load(chunk).skipped;
        });
        if (skipped > 0) this.#logger.warn({ partition: p.index, skipped }, 'skipped undecodable __consumer_offsets records');
      }
    } catch (e) {
      this.#logger.error({ err: e }, 'replaying __consumer_offsets failed; groups start from what was read');
    }
    if (this.#closed) return;
    this.#run(() => this.coordinator.loadCompleted(this.#clock.wallMs()));
    this.#logger.info({ records, groups: this.coordinator.describeState().length, ms: this.#clock.monotonicMs() - startedMs }, 'group coordinator loaded');
  }

  /** Calls the coordinator, carries out its actions and re-arms the tick timer. */
  #run(call: () => CoordinatorAction[]): void {
    let actions: CoordinatorAction[];
    try {
      actions = call();
    } catch (e) {
      this.#logger.error({ err: e }, 'group coordinator call failed');
      return;
    }
    for (const a of actions) {
      if (a.type === 'respond') {
        const w = this.#waiters.get(a.requestId);
        this.#waiters.delete(a.requestId);
        w?.resolve(a.response);
      } else {
        this.#appender.append(a.partition, a.completionId, a.records);
      }
    }
    this.#rearm();
  }

  /** One coalesced batch to `__consumer_offsets-<partition>`; resolves a Kafka error code (0 = durable, and replicated with replication). */
  async #write(partition: number, records: readonly RawRecord[], appended: () => void): Promise<number> {
    let code: number;
    // Cluster mode: only a loaded partition is written; a write queued under an earlier leadership is refused.
    const stale = !this.coordinator.ownsAllPartitions && this.#owned.get(partition)?.loaded !== true;
    const ensured = stale ? ErrorCode.NOT_COORDINATOR : await this.ensureTopic();
    if (ensured !== ErrorCode.NONE) code = ensured;
    else code = await appendConsumerOffsetsRecords(this.#registry.partition(CONSUMER_OFFSETS_TOPIC, partition), records, this.#clock.wallMs(), this.#replication, appended);
    if (code !== ErrorCode.NONE) this.#logger.warn({ partition, errorCode: code, records: records.length }, '__consumer_offsets append failed');
    return code;
  }

  #rearm(): void {
    if (this.#closed) return;
    const at = this.coordinator.nextTickAtMs();
    if (at === this.#timerAtMs && this.#timer !== null) return;
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerAtMs = at;
    if (at === null) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAtMs = null;
      this.#run(() => this.coordinator.tick(this.#clock.wallMs()));
    }, Math.max(0, at - this.#clock.wallMs()));
  }
}
