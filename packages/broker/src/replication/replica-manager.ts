/**
 * ReplicaManager: a cluster broker's replication (issue 14) — Kafka's ReplicaManager and
 * Partition, over the pure state machines of @samsa/replication. One per broker in a
 * cluster; a single broker has none (`BrokerContext.replication` is null).
 *
 * Roles follow the topic registry's LeadershipEvents (emitted in view order):
 * - **become leader** at epoch E: appends stop (`Partition.writable = false`), the epoch's
 *   start is recorded at the log end on the partition's append chain
 *   (`Partition.startLeaderEpoch`: after any follower append still queued), then a
 *   `LeaderReplica` is built from the view's partition state and the log, fed every local
 *   append (`log.onAppend` → `localAppended`), and appends open again. Until then a
 *   produce is answered NOT_LEADER_OR_FOLLOWER (retriable).
 * - **become follower** of leader L at epoch E: a `FollowerReplica` in the
 *   `FollowerFetcher` loop for (L, fetcher index), which fetches, truncates by leader epoch
 *   and appends as follower. No slot when the view names no live leader, or this broker
 *   itself (its lease lapsed).
 * - every event first closes the partition's previous slot: a leader's acks=all waiters are
 *   answered NOT_LEADER_OR_FOLLOWER, a follower's loop forgets it.
 *
 * Leader actions are carried out here: `hwAdvanced` sets the log's high watermark (what
 * consumers may read; checkpointed by the log manager), `proposeIsr` sends an
 * AlterPartition through the controller client and reports its fate (applied / stale /
 * not-applied / unknown, as the replication README maps Kafka's errors),
 * `completeWaiter` answers a produce, `resigned` drops the slot. Each new cluster view
 * hands a changed partition state to its leader (`partitionStateChanged`); a tick every
 * `TICK_INTERVAL_MS` (bounded by replica.lag.time.max.ms / 2) runs the ISR lag check and
 * proposal retries.
 *
 * acks=all (`ReplicationService`): `checkBeforeAppend` refuses with NOT_ENOUGH_REPLICAS
 * when the ISR in force is smaller than the topic's min.insync.replicas; `awaitAcks`
 * parks a waiter in the LeaderReplica until the HW passes the batch (bounded by the
 * LeaderReplica's waiter limit and the request's timeout → REQUEST_TIMED_OUT).
 *
 * Followers' fetches arrive through `handleFetch` (the replica-fetch server's handler):
 * see leader-fetch-handler.ts.
 *
 * Time comes from the runtime Clock only (monotonic); nothing is random.
 */
import { ErrorCode } from '@samsa/codec';
import type { AlterPartitionRequest, ControllerReply } from '@samsa/coordinator';
import { FollowerReplica, LeaderReplica } from '@samsa/replication';
import type { AlterPartitionResult, EpochHistory, FollowerFetch, IsrProposal, LeaderAction, LeaderFetchDecision, PartitionState } from '@samsa/replication';
import type { Clock, TimerHandle, Transport } from '@samsa/runtime';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import type { ClusterView, PartitionView } from '../cluster/cluster-view.ts';
import type { LeadershipChange } from '../cluster/leadership-events.ts';
import { offlinePartitionsGauge } from '../cluster/offline-partitions.ts';
import type { Logger } from '../observability/logger.ts';
import type { ReplicationGauge } from '../observability/metrics.ts';
import type { Partition } from '../partitions/partition.ts';
import type { TopicRegistry } from '../topics/topic-registry.ts';
import { FollowerFetcher, type FollowerSlot } from './follower-fetcher.ts';
import { answerReplicaFetch, type LedPartition } from './leader-fetch-handler.ts';
import type { ReplicaFetchConfig } from './replica-fetch-config.ts';
import type { ReplicaFetchRequest, ReplicaFetchResponse } from './replica-fetch-messages.ts';
import { fetcherIndexOf, ReplicaFetcherPool } from './replica-fetcher-pool.ts';
import type { ReplicationService } from './replication-service.ts';

/** How often leaders run their ISR lag check and proposal retries (at most; see the file comment). */
export const TICK_INTERVAL_MS = 250;
/** Longest acks=all wait a produce may ask for (its timeout_ms is clamped to it). */
export const ACKS_TIMEOUT_MS_MAX = 300_000;

/** TEST ONLY (apps/sim): a known bug planted in the replica state machines; see @samsa/replication. */
export type ReplicationPlantedBug = 'hw-is-leader-leo' | 'shrink-without-lag' | 'skip-truncation';

export interface ReplicaManagerOptions {
  readonly registry: TopicRegistry;
  readonly cluster: ClusterLink;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fetch: ReplicaFetchConfig;
  /** `replica.lag.time.max.ms`. */
  readonly replicaLagTimeMaxMs: number;
  /** For the follower connections; absent: this broker leads but never follows (tests without a network). */
  readonly transport?: Transport;
  readonly plantedBugForTesting?: ReplicationPlantedBug;
}

interface LeaderSlot extends LedPartition {
  readonly key: string;
  readonly unsubscribe: () => void;
  readonly waiters: Map<number, { readonly resolve: (errorCode: number) => void; readonly timer: TimerHandle | null }>;
  closed: boolean;
}

export class ReplicaManager implements ReplicationService {
  readonly #o: ReplicaManagerOptions;
  readonly #leaders = new Map<string, LeaderSlot>();
  readonly #followers = new Map<string, FollowerSlot>();
  /** Bumped by every leadership event of a partition: an older become-leader still in progress gives up. */
  readonly #generation = new Map<string, number>();
  readonly #fetchers = new Map<string, FollowerFetcher>();
  readonly #pool: ReplicaFetcherPool | null;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #ticker: TimerHandle;
  #nextRequestId = 1;
  #closed = false;
  #isrShrinks = 0;
  #isrExpands = 0;
  /** Partitions whose become-leader step is in progress (checkBeforeAppend lets their produces queue behind it). */
  readonly #becoming = new Set<string>();
  /** Become-leader steps in progress (`settled` waits for them). */
  readonly #pending = new Set<Promise<void>>();

  constructor(options: ReplicaManagerOptions) {
    this.#o = options;
    const f = options.fetch;
    this.#pool =
      options.transport === undefined
        ? null
        : new ReplicaFetcherPool({
            transport: options.transport,
            clock: options.clock,
            logger: options.logger,
            clusterId: options.cluster.view().clusterId,
            brokerId: options.cluster.nodeId,
            socketTimeoutMs: f.socketTimeoutMs,
            backoffMs: f.backoffMs,
            responseFrameBytesMax: f.responseFrameBytesMax,
            fetchers: f.fetchers,
          });
    this.#unsubscribe.push(options.registry.leadership.subscribe((change) => this.#onLeadership(change)));
    this.#unsubscribe.push(options.cluster.onView((view) => this.#onView(view)));
    this.#ticker = options.clock.setInterval(() => this.#tick(), Math.max(10, Math.min(TICK_INTERVAL_MS, Math.floor(options.replicaLagTimeMaxMs / 2))));
  }

  get #nodeId(): number {
    return this.#o.cluster.nodeId;
  }

  /** Partitions led with a ready LeaderReplica, and followed (tests, metrics). */
  get counts(): { readonly leaders: number; readonly followers: number } {
    return { leaders: this.#leaders.size, followers: this.#followers.size };
  }

  /** The LeaderReplica of a partition this broker leads now, or null (tests, metrics). */
  leaderOf(topic: string, partition: number): LeaderReplica | null {
    return this.#leaders.get(keyOf(topic, partition))?.replica ?? null;
  }

  /** The replication gauges of /metrics (observability/metrics.ts ReplicationGauge). */
  gauges(): ReplicationGauge {
    let underReplicatedPartitions = 0;
    let underMinIsrPartitions = 0;
    for (const slot of this.#leaders.values()) {
      const s = slot.replica.partitionState;
      if (s.isr.length < s.replicas.length) underReplicatedPartitions++;
      if (s.isr.length < slot.partition.config.minInsyncReplicas) underMinIsrPartitions++;
    }
    return {
      leaderPartitions: this.#leaders.size,
      followerPartitions: this.#followers.size,
      underReplicatedPartitions,
      underMinIsrPartitions,
      isrShrinksTotal: this.#isrShrinks,
      isrExpandsTotal: this.#isrExpands,
      ...offlineGauge(this.#o.cluster.view(), this.#nodeId),
    };
  }

  /** Counts an ISR change of a led partition (seen once: from the controller's answer or the view). */
  #noteIsr(before: PartitionState, after: PartitionState): void {
    if (after.partitionEpoch <= before.partitionEpoch || after.leaderEpoch !== before.leaderEpoch) return;
    if (after.isr.length < before.isr.length) this.#isrShrinks++;
    else if (after.isr.length > before.isr.length) this.#isrExpands++;
  }

  /** Resolves once every become-leader step started so far has finished (tests; startup). */
  async settled(): Promise<void> {
    // Bounded: each round waits for the steps started before it; new ones need new views.
    for (let round = 0; round < 100 && this.#pending.size > 0; round++) await Promise.allSettled([...this.#pending]);
  }

  // ---- ReplicationService ---------------------------------------------------------

  checkBeforeAppend(partition: Partition, acks: number): number {
    const slot = this.#slotOf(partition);
    if (slot === null) {
      // Becoming leader (the registry says so, the epoch is being recorded): the append
      // queues behind that step and finds the leader replica there (min.insync.replicas is
      // then checked when answering: NOT_ENOUGH_REPLICAS_AFTER_APPEND). Refusing here would
      // fail one of a producer's pipelined batches and pass the next: an idempotent
      // producer's sequence gap (OUT_OF_ORDER_SEQUENCE_NUMBER, fatal in librdkafka).
      return partition.isLeader && this.#becoming.has(keyOf(partition.topic, partition.index)) ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    }
    if (acks !== -1) return ErrorCode.NONE;
    return slot.replica.checkEnoughReplicas(partition.config.minInsyncReplicas);
  }

  awaitAcks(partition: Partition, lastOffset: number, acks: number, timeoutMs: number): Promise<number> {
    if (acks !== -1) return Promise.resolve(ErrorCode.NONE);
    const slot = this.#slotOf(partition);
    if (slot === null) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const requestId = this.#nextRequestId++;
    return new Promise<number>((resolve) => {
      const waitMs = Math.min(Math.max(0, timeoutMs), ACKS_TIMEOUT_MS_MAX);
      const timer = this.#o.clock.setTimeout(() => {
        if (!slot.closed) this.#applyLeader(slot, slot.replica.expireWaiter(requestId));
        // Answered by the expiry above, else (closed, or the machine forgot it) here.
        this.#completeWaiter(slot, requestId, ErrorCode.REQUEST_TIMED_OUT);
      }, waitMs);
      slot.waiters.set(requestId, { resolve, timer });
      this.#applyLeader(slot, slot.replica.awaitHighWatermark(requestId, lastOffset + 1, -1, partition.config.minInsyncReplicas));
    });
  }

  // ---- follower fetches (the replica-fetch server's handler) ----------------------

  handleFetch(request: ReplicaFetchRequest, signal: AbortSignal, scratch?: Uint8Array): Promise<ReplicaFetchResponse> {
    return answerReplicaFetch(
      {
        clock: this.#o.clock,
        led: (topic, partition) => {
          const slot = this.#leaders.get(keyOf(topic, partition));
          return slot === undefined || slot.closed ? null : slot;
        },
        decide: (led, fetch) => this.#decide(led as LeaderSlot, fetch),
      },
      request,
      signal,
      scratch,
    );
  }

  #decide(slot: LeaderSlot, fetch: FollowerFetch): LeaderFetchDecision {
    slot.replica.logStartAdvanced(slot.partition.log.logStartOffset);
    const { decision, actions } = slot.replica.followerFetch(fetch, this.#o.clock.monotonicMs());
    this.#applyLeader(slot, actions);
    return decision;
  }

  // ---- roles ----------------------------------------------------------------------

  #onLeadership(change: LeadershipChange): void {
    if (this.#closed) return;
    const key = keyOf(change.topic, change.partition);
    const generation = (this.#generation.get(key) ?? 0) + 1;
    this.#generation.set(key, generation);
    this.#becoming.delete(key);
    this.#dropLeader(key);
    this.#dropFollower(key);
    if (change.deleted) {
      this.#generation.delete(key);
      return;
    }
    const partition = this.#o.registry.partition(change.topic, change.partition);
    if (partition === undefined) return;
    // Synchronous with the role change (listeners run inside the registry's emit): no
    // append reaches the log between it and here.
    partition.writable = false;
    partition.leaderHighWatermark = null;
    if (change.role === 'leader') {
      const step = this.#becomeLeader(key, partition, change.leaderEpoch, generation).finally(() => this.#pending.delete(step));
      this.#pending.add(step);
    } else this.#becomeFollower(key, partition, change.leaderEpoch);
  }

  async #becomeLeader(key: string, partition: Partition, leaderEpoch: number, generation: number): Promise<void> {
    this.#becoming.add(key);
    try {
      // The leader replica is set up inside the append chain step that records the epoch:
      // an append queued behind it (a produce pipelined after one that arrived earlier) finds
      // the partition writable, never a gap in the middle of a producer's in-flight batches.
      await partition.startLeaderEpoch(leaderEpoch, () => this.#setUpLeader(key, partition, leaderEpoch, generation));
    } catch (e) {
      this.#o.logger.warn({ topic: partition.topic, partition: partition.index, leaderEpoch, err: e }, 'become-leader: recording the leader epoch failed; the partition takes no writes until its next leadership change');
    } finally {
      if (this.#generation.get(key) === generation) this.#becoming.delete(key);
    }
  }

  #setUpLeader(key: string, partition: Partition, leaderEpoch: number, generation: number): void {
    if (this.#closed || this.#generation.get(key) !== generation || !partition.isLeader || partition.leaderEpoch !== leaderEpoch) return;
    const found = this.#partitionView(partition.topic, partition.index);
    if (found === null || found.pv.leader !== this.#nodeId || found.pv.leaderEpoch !== leaderEpoch) return; // a later event follows
    const log = partition.log;
    const replica = new LeaderReplica({
      localBrokerId: this.#nodeId,
      state: stateOf(found.pv),
      logEndOffset: log.logEndOffset,
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      epochHistory: epochHistoryOf(partition),
      nowMs: this.#o.clock.monotonicMs(),
      config: {
        replicaLagTimeMaxMs: this.#o.replicaLagTimeMaxMs,
        ...(this.#o.plantedBugForTesting === 'hw-is-leader-leo' || this.#o.plantedBugForTesting === 'shrink-without-lag' ? { plantedBug: this.#o.plantedBugForTesting } : {}),
      },
    });
    const slot: LeaderSlot = {
      key,
      partition,
      topicId: found.topicId,
      replica,
      waiters: new Map(),
      closed: false,
      unsubscribe: log.onAppend((e) => {
        if (!slot.closed) this.#applyLeader(slot, slot.replica.localAppended(e.logEndOffset));
      }),
    };
    this.#leaders.set(key, slot);
    partition.writable = true;
    // A lone replica's HW is its log end at once; others wait for their followers' fetches.
    this.#applyLeader(slot, replica.localAppended(log.logEndOffset));
    this.#o.logger.info({ topic: partition.topic, partition: partition.index, leaderEpoch, isr: found.pv.isr, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark }, 'became leader');
  }

  #becomeFollower(key: string, partition: Partition, leaderEpoch: number): void {
    const found = this.#partitionView(partition.topic, partition.index);
    if (found === null || found.pv.leaderEpoch !== leaderEpoch) return; // a later event follows
    const leaderId = found.pv.leader;
    if (leaderId < 0 || leaderId === this.#nodeId) return;
    const replica = new FollowerReplica({
      localBrokerId: this.#nodeId,
      topic: partition.topic,
      partition: partition.index,
      leaderId,
      leaderEpoch,
      log: {
        ...epochHistoryOf(partition),
        logEndOffset: () => partition.log.logEndOffset,
        logStartOffset: () => partition.log.logStartOffset,
        highWatermark: () => partition.log.highWatermark,
      },
      fetchBackoffMs: this.#o.fetch.backoffMs,
      ...(this.#o.plantedBugForTesting === 'skip-truncation' ? { plantedBug: 'skip-truncation' as const } : {}),
    });
    const slot: FollowerSlot = { partition, topicId: found.topicId, replica, leaderId, leaderEpoch, closed: false, pausedUntilMs: 0 };
    this.#followers.set(key, slot);
    if (this.#pool === null) return;
    const index = fetcherIndexOf(found.topicId, partition.index, this.#pool.fetchers);
    const fetcherKey = `${leaderId}/${index}`;
    let fetcher = this.#fetchers.get(fetcherKey);
    if (fetcher === undefined) {
      const pool = this.#pool;
      fetcher = new FollowerFetcher({
        leaderId,
        fetcherIndex: index,
        localBrokerId: this.#nodeId,
        clock: this.#o.clock,
        logger: this.#o.logger,
        config: this.#o.fetch,
        brokerEpoch: () => this.#o.cluster.view().brokers.get(this.#nodeId)?.epoch ?? -1,
        connection: () => {
          const b = this.#o.cluster.view().brokers.get(leaderId);
          if (b === undefined || this.#closed) return null;
          // replica.fetch.endpoint.overrides: dial the configured address (the Hello still checks who answers).
          const override = this.#o.fetch.endpointOverrides.get(leaderId);
          if (override !== undefined) return pool.connectionsOf({ brokerId: leaderId, host: override.host, port: override.port })[index]!;
          if (b.replicationPort === undefined) return null;
          return pool.connectionsOf({ brokerId: leaderId, host: b.host, port: b.replicationPort })[index]!;
        },
      });
      this.#fetchers.set(fetcherKey, fetcher);
    }
    fetcher.add(slot);
  }

  #dropLeader(key: string): void {
    const slot = this.#leaders.get(key);
    if (slot === undefined) return;
    this.#leaders.delete(key);
    slot.closed = true;
    slot.unsubscribe();
    slot.partition.writable = false;
    for (const id of [...slot.waiters.keys()]) this.#completeWaiter(slot, id, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  #dropFollower(key: string): void {
    const slot = this.#followers.get(key);
    if (slot === undefined) return;
    this.#followers.delete(key);
    slot.closed = true;
    if (this.#pool === null) return;
    const index = fetcherIndexOf(slot.topicId, slot.partition.index, this.#pool.fetchers);
    this.#fetchers.get(`${slot.leaderId}/${index}`)?.remove(slot);
  }

  // ---- leader actions -------------------------------------------------------------

  #applyLeader(slot: LeaderSlot, actions: readonly LeaderAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'hwAdvanced':
          if (!slot.closed) slot.partition.log.updateHighWatermark(a.highWatermark);
          break;
        case 'completeWaiter':
          this.#completeWaiter(slot, a.requestId, a.errorCode);
          break;
        case 'proposeIsr':
          if (!slot.closed) this.#propose(slot, a.proposal);
          break;
        case 'resigned':
          if (this.#leaders.get(slot.key) === slot) this.#dropLeader(slot.key);
          break;
      }
    }
  }

  #completeWaiter(slot: LeaderSlot, requestId: number, errorCode: number): void {
    const w = slot.waiters.get(requestId);
    if (w === undefined) return;
    slot.waiters.delete(requestId);
    w.timer?.cancel();
    w.resolve(errorCode);
  }

  #propose(slot: LeaderSlot, proposal: IsrProposal): void {
    const p = slot.partition;
    const req: AlterPartitionRequest = {
      topic: p.topic,
      topicId: slot.topicId,
      partition: p.index,
      leaderId: this.#nodeId,
      leaderEpoch: proposal.leaderEpoch,
      partitionEpoch: proposal.partitionEpoch,
      newIsr: [...proposal.isr],
      newIsrBrokerEpochs: proposal.isr.map((id) => {
        const incarnation = proposal.incarnations[id];
        const epoch = incarnation === undefined ? -1 : Number(incarnation);
        return Number.isSafeInteger(epoch) ? epoch : -1;
      }),
    };
    this.#o.logger.info({ topic: p.topic, partition: p.index, isr: slot.replica.partitionState.isr, proposedIsr: proposal.isr, partitionEpoch: proposal.partitionEpoch }, 'proposing an ISR change');
    void this.#o.cluster.controller.alterPartition(req).then(
      (reply) => this.#proposalDone(slot, proposal.proposalId, resultOf(reply, slot.replica.partitionState)),
      () => this.#proposalDone(slot, proposal.proposalId, { outcome: 'unknown' }),
    );
  }

  #proposalDone(slot: LeaderSlot, proposalId: number, result: AlterPartitionResult): void {
    if (slot.closed) return;
    if (result.outcome !== 'applied') this.#o.logger.info({ topic: slot.partition.topic, partition: slot.partition.index, outcome: result.outcome }, 'ISR proposal not applied');
    const before = slot.replica.partitionState;
    this.#applyLeader(slot, slot.replica.alterPartitionCompleted(proposalId, result, this.#o.clock.monotonicMs()));
    this.#noteIsr(before, slot.replica.partitionState);
  }

  #onView(view: ClusterView): void {
    if (this.#closed) return;
    for (const slot of [...this.#leaders.values()]) {
      const pv = view.topics.get(slot.partition.topic)?.partitions[slot.partition.index];
      if (pv === undefined) continue;
      const current = slot.replica.partitionState;
      if (pv.partitionEpoch === current.partitionEpoch && pv.leaderEpoch === current.leaderEpoch) continue;
      // Another leader or epoch (maybe none: offline): this replica is done; the registry's
      // leadership event for the new state follows. Only a state this broker still leads
      // in the same epoch goes to the machine (an ISR change).
      if (pv.leader !== this.#nodeId || pv.leaderEpoch !== current.leaderEpoch) {
        this.#dropLeader(slot.key);
        continue;
      }
      this.#applyLeader(slot, slot.replica.partitionStateChanged(stateOf(pv), this.#o.clock.monotonicMs()));
      this.#noteIsr(current, slot.replica.partitionState);
    }
  }

  #tick(): void {
    if (this.#closed) return;
    const now = this.#o.clock.monotonicMs();
    for (const slot of [...this.#leaders.values()]) this.#applyLeader(slot, slot.replica.tick(now));
  }

  #slotOf(partition: Partition): LeaderSlot | null {
    const slot = this.#leaders.get(keyOf(partition.topic, partition.index));
    if (slot === undefined || slot.closed || slot.partition !== partition || slot.replica.partitionState.leaderEpoch !== partition.leaderEpoch) return null;
    return slot;
  }

  #partitionView(topic: string, partition: number): { pv: PartitionView; topicId: string } | null {
    const t = this.#o.cluster.view().topics.get(topic);
    const local = this.#o.registry.topic(topic);
    const pv = t?.partitions[partition];
    if (t === undefined || pv === undefined || local === undefined || local.record.topicId !== t.topicId) return null;
    return { pv, topicId: t.topicId };
  }

  /** Stops every loop and timer; answers every waiter NOT_LEADER_OR_FOLLOWER. Before the registry closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ticker.cancel();
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const key of [...this.#leaders.keys()]) this.#dropLeader(key);
    for (const key of [...this.#followers.keys()]) this.#dropFollower(key);
    // The connections first: a fetch waiting on a dead leader (up to replica.socket.timeout.ms)
    // rejects at once, so the loops end now.
    const loops = [...this.#fetchers.values()].map((f) => f.close());
    await this.#pool?.close();
    await Promise.all(loops);
    this.#fetchers.clear();
  }
}

/** Kafka's OfflinePartitionsCount: reported by the controller only (absent elsewhere). */
function offlineGauge(view: ClusterView, nodeId: number): { offlinePartitions?: number } {
  const count = offlinePartitionsGauge(view, nodeId);
  return count === null ? {} : { offlinePartitions: count };
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function stateOf(pv: PartitionView): PartitionState {
  return { leader: pv.leader, leaderEpoch: pv.leaderEpoch, partitionEpoch: pv.partitionEpoch, replicas: [...pv.replicas], isr: [...pv.isr] };
}

/** The log's epoch cache as the state machines read it (null for "unknown", not -1). */
function epochHistoryOf(partition: Partition): EpochHistory {
  return {
    endOffsetFor: (epoch) => {
      const r = partition.log.endOffsetForEpoch(epoch);
      return r.endOffset < 0 ? null : { epoch: r.leaderEpoch, endOffset: r.endOffset };
    },
    latestEpoch: () => partition.log.latestEpoch(),
  };
}

/** The controller's AlterPartition answer as the LeaderReplica's result (the README's table). */
function resultOf(reply: ControllerReply, current: PartitionState): AlterPartitionResult {
  if (reply.ok) {
    const s = reply.partition;
    if (s === undefined) return { outcome: 'unknown' };
    return { outcome: 'applied', state: { leader: s.leader, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, isr: [...s.isr], replicas: [...current.replicas] } };
  }
  switch (reply.code) {
    case 'INELIGIBLE_REPLICA':
    case 'INVALID_REQUEST':
      return { outcome: 'not-applied' };
    case 'INVALID_UPDATE_VERSION':
    case 'FENCED_LEADER_EPOCH':
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'UNKNOWN_TOPIC_ID':
      return { outcome: 'stale' };
    default:
      return { outcome: 'unknown' };
  }
}
