/**
 * The controller's decisions, as a pure state machine: metadata (a range, then watch
 * batches), election results, requests and timer ticks go in; store transactions and
 * replies come out (controller-types.ts). No I/O, no clock: the driver (controller.ts)
 * runs the transactions and feeds their outcomes back.
 *
 * Level-triggered: after every input the controller compares each partition of the image
 * with what the live brokers allow (partition-election.ts) and issues compare-and-set
 * changes for those that differ, so a lost or failed write is simply decided again from
 * the next image. Invariants:
 * - only while active (a session whose key the image has not seen replaced) does it issue
 *   anything; every txn's compares begin with the fence (controller-election.ts);
 * - a partition has at most one change in flight; a change compares the key's modRevision
 *   as the image had it, so it never overwrites a state it has not seen; after a failed
 *   change the partition waits for a newer image (or a tick) before it is decided again;
 * - a topic is created partitions first, topic record last (the commit point), each step
 *   also comparing that the topic key does not exist; a creation is acknowledged only once
 *   the topic record is known to be in the store (applied, or read back with our topic id);
 * - at most one request per topic name is in flight; `requestsMax` requests at once.
 */
import type { Random } from '@samsa/runtime';
import type { Compare, KeyValue, Txn, TxnOp, TxnOpResult, WatchBatch } from '../metadata/metadata-store.ts';
import { isLegalTopicName, type ClusterKeys } from './cluster-keys.ts';
import { ClusterImage } from './cluster-image.ts';
import { configEntriesMax, decodeTopicRecord, encodeConfigRecord, encodePartitionRecord, encodeTopicRecord, isReassigning, newTopicId, replicasMax, type PartitionRecord, type TopicRecord } from './cluster-records.ts';
import { fenceCompares, isDeposedBy, type ControllerSession } from './controller-election.ts';
import type {
  AlterConfigsRequest,
  AlterPartitionRequest,
  ControllerAction,
  ControllerConfig,
  ControllerErrorCode,
  ControllerReply,
  CreatePartitionsRequest,
  CreateTopicRequest,
  ElectLeadersRequest,
  ListReassignmentsRequest,
  OngoingReassignment,
  PartitionResult,
  PartitionState,
  Probe,
  ReassignPartitionsRequest,
  TopicPartitionRef,
  TxnOutcome,
} from './controller-types.ts';
import { nextPartitionState, preferredElection, uncleanElection } from './partition-election.ts';
import { completedReassignment, ReassignmentError, startReassignment } from './partition-reassignment.ts';
import { AssignmentError, assignReplicas, validateAssignment } from './replica-assignment.ts';

interface Step {
  readonly txn: Txn;
  readonly probe: Probe | null;
}

type Work =
  | { readonly kind: 'steps'; readonly requestId: number; readonly topic: string; readonly topicId: string; readonly steps: Step[]; index: number; attempts: number; uncertain: boolean }
  | { readonly kind: 'delete'; readonly requestId: number; readonly topic: string; attempts: number; retried: boolean }
  | { readonly kind: 'config'; readonly requestId: number; readonly busyKey: string; readonly step: Step; attempts: number }
  | { readonly kind: 'changes'; readonly keys: readonly string[] }
  | { readonly kind: 'partitions'; readonly group: PartitionGroup; readonly changes: readonly PartitionChange[] };

/** A partition compare-and-set: the key's modRevision as the image had it, and the record to put. */
interface PartitionChange {
  readonly key: string;
  readonly modRevision: number;
  readonly next: PartitionRecord;
  readonly ref: TopicPartitionRef;
}

/** The partition changes one request asked for (AlterPartition, ElectLeaders, reassignments): it is answered when the last txn ends. */
interface PartitionGroup {
  readonly requestId: number;
  /** AlterPartition: one change, its reply carries the new record; a lost compare is INVALID_UPDATE_VERSION. */
  readonly alter: boolean;
  /** By `topic/partition`, in request order; null while its change is in flight. */
  readonly results: Map<string, PartitionResult | null>;
  pendingTxns: number;
}

const uncleanConfig = 'unclean.leader.election.enable';
/** Partitions one ElectLeaders / reassignment request may name. */
const partitionsPerRequestMax = 100_000;

const attemptsMax = 3;
/** Controlled-shutdown requests of one broker waiting for its leaderships to move. */
const shutdownRequestsPerBrokerMax = 16;
/** Compares of one txn, fence and broker checks included (etcd allows 128). */
const brokerComparesMax = 120;

export class ControllerState {
  readonly image: ClusterImage;
  private readonly keys: ClusterKeys;
  private readonly random: Random;
  private readonly config: Required<ControllerConfig>;
  private session: ControllerSession | null = null;
  private nextTxnId = 1;
  private readonly work = new Map<number, Work>();
  private readonly changing = new Set<string>();
  private readonly retryAfterRevision = new Map<string, number>();
  private readonly busyTopics = new Set<string>();
  /** Brokers in controlled shutdown: the registration incarnation, and the requests to answer when it leads nothing. */
  private readonly shutdowns = new Map<number, { readonly incarnation: string; readonly requestIds: number[] }>();

  constructor(options: { readonly keys: ClusterKeys; readonly random: Random; readonly config?: ControllerConfig }) {
    this.keys = options.keys;
    this.random = options.random;
    this.image = new ClusterImage(options.keys);
    const c = options.config ?? {};
    this.config = {
      defaultPartitionCount: bounded('defaultPartitionCount', c.defaultPartitionCount ?? 1, 1, 100_000),
      defaultReplicationFactor: bounded('defaultReplicationFactor', c.defaultReplicationFactor ?? 1, 1, 1024),
      // etcd allows 128 ops and 128 compares per txn: fence, topic and broker compares included.
      partitionsPerTxnMax: bounded('partitionsPerTxnMax', c.partitionsPerTxnMax ?? 100, 1, 120),
      changesPerTxnMax: bounded('changesPerTxnMax', c.changesPerTxnMax ?? 60, 1, 60),
      txnsInFlightMax: bounded('txnsInFlightMax', c.txnsInFlightMax ?? 64, 1, 100_000),
      requestsMax: bounded('requestsMax', c.requestsMax ?? 10_000, 1, 1_000_000),
      uncleanLeaderElectionEnable: c.uncleanLeaderElectionEnable ?? false,
      autoLeaderRebalanceEnable: c.autoLeaderRebalanceEnable ?? true,
      leaderImbalancePerBrokerPercentage: bounded('leaderImbalancePerBrokerPercentage', c.leaderImbalancePerBrokerPercentage ?? 10, 0, 100),
    };
  }

  /** The session while this controller may act (not yet seen deposed), else null. */
  get activeSession(): ControllerSession | null {
    return this.session;
  }

  /** Brokers in controlled shutdown (leadership moving away). */
  get shuttingDown(): ReadonlySet<number> {
    return new Set(this.shutdowns.keys());
  }

  load(kvs: readonly KeyValue[], revision: number): ControllerAction[] {
    this.image.load(kvs, revision);
    this.retryAfterRevision.clear();
    return this.afterImage();
  }

  apply(batch: WatchBatch): ControllerAction[] {
    if (!this.image.apply(batch)) return [];
    return this.afterImage();
  }

  /** This broker won the campaign. */
  becomeController(session: ControllerSession): ControllerAction[] {
    this.session = session;
    return this.afterImage();
  }

  /** This broker lost its lease or saw another controller: stop acting. */
  resign(): ControllerAction[] {
    this.session = null;
    const out: ControllerAction[] = [];
    for (const { requestIds } of this.shutdowns.values()) for (const id of requestIds) out.push(fail(id, 'NOT_CONTROLLER', 'the controller moved'));
    this.shutdowns.clear();
    return out;
  }

  /** A timer tick: partitions whose change failed are decided again even without a newer image. */
  tick(): ControllerAction[] {
    this.retryAfterRevision.clear();
    return this.session ? this.reconcile() : [];
  }

  createTopic(requestId: number, req: CreateTopicRequest): ControllerAction[] {
    const refused = this.refuse(requestId, req.name);
    if (refused) return refused;
    if (this.image.topics.has(req.name)) return [fail(requestId, 'TOPIC_ALREADY_EXISTS', `topic '${req.name}' already exists`)];
    if (req.assignment && ((req.partitionCount ?? -1) !== -1 || (req.replicationFactor ?? -1) !== -1)) return [fail(requestId, 'INVALID_REQUEST', 'give either an assignment or a partition count and replication factor')];
    const session = this.session!;
    let assignment: number[][];
    try {
      assignment = this.assignmentFor(req);
    } catch (error) {
      if (error instanceof AssignmentError) return [fail(requestId, error.code, error.message)];
      throw error;
    }
    for (const [k, v] of Object.entries(req.configs ?? {})) if (typeof v !== 'string' || k.length === 0) return [fail(requestId, 'INVALID_CONFIG', `config '${k}' must be a string`)];
    const topic: TopicRecord = { name: req.name, topicId: newTopicId(this.random), partitionCount: assignment.length };
    const topicKey = this.keys.topic(req.name);
    const compare = [...fenceCompares(this.keys, session), { key: topicKey, target: 'createRevision' as const, op: 'equal' as const, value: 0 }];
    const failure: TxnOp[] = [{ type: 'get', key: this.keys.controller }, { type: 'get', key: topicKey }];
    // Step 0 removes what a creation cut short may have left (partitions without a topic record).
    const steps: Step[] = [{ txn: { compare, success: [{ type: 'delete-prefix', prefix: this.keys.topicPartitionsPrefix(req.name) }, { type: 'delete', key: this.keys.topicConfig(req.name) }], failure }, probe: null }];
    const puts = assignment.map((replicas, p) => this.partitionPut(req.name, initialPartition(topic.topicId, p, replicas, this.liveBrokerIds())));
    const final: TxnOp[] = [{ type: 'put', key: topicKey, value: encodeTopicRecord(topic) }];
    if (req.configs && Object.keys(req.configs).length > 0) final.push({ type: 'put', key: this.keys.topicConfig(req.name), value: encodeConfigRecord({ configs: req.configs }) });
    this.addChunks(steps, puts, assignment, final, compare, failure, { key: topicKey, value: encodeTopicRecord(topic) });
    return this.startSteps(requestId, req.name, topic.topicId, steps);
  }

  createPartitions(requestId: number, req: CreatePartitionsRequest): ControllerAction[] {
    const refused = this.refuse(requestId, req.topic);
    if (refused) return refused;
    const t = this.image.topics.get(req.topic);
    if (!t) return [fail(requestId, 'UNKNOWN_TOPIC_OR_PARTITION', `no topic '${req.topic}'`)];
    const current = t.record.partitionCount;
    if (!Number.isInteger(req.totalCount) || req.totalCount <= current) return [fail(requestId, 'INVALID_PARTITIONS', `topic '${req.topic}' has ${current} partitions; the new count must be larger, got ${req.totalCount}`)];
    const existing = this.image.partitionsOf(req.topic);
    const p0 = existing.get(0)?.record;
    if (!p0 || existing.size !== current) return [fail(requestId, 'INVALID_REQUEST', `topic '${req.topic}' is missing partition records`)];
    let assignment: number[][];
    try {
      if (req.assignment) {
        if (req.assignment.length !== req.totalCount - current) throw new AssignmentError('INVALID_REPLICA_ASSIGNMENT', `${req.assignment.length} replica lists for ${req.totalCount - current} new partitions`);
        validateAssignment(req.assignment, new Set(this.image.brokers.keys()), p0.replicas.length);
        assignment = req.assignment.map((r) => [...r]);
      } else {
        const brokers = this.eligibleBrokers();
        const start = brokers.map((b) => b.brokerId).sort((a, b) => a - b).indexOf(p0.replicas[0]!);
        assignment = assignReplicas({ partitionCount: req.totalCount - current, replicationFactor: p0.replicas.length, brokers, random: this.random, startPartitionId: current, ...(start >= 0 ? { fixedStartIndex: start } : {}) });
      }
    } catch (error) {
      if (error instanceof AssignmentError) return [fail(requestId, error.code, error.message)];
      throw error;
    }
    const session = this.session!;
    const topicKey = this.keys.topic(req.topic);
    const compare = [...fenceCompares(this.keys, session), { key: topicKey, target: 'modRevision' as const, op: 'equal' as const, value: t.modRevision }];
    const failure: TxnOp[] = [{ type: 'get', key: this.keys.controller }, { type: 'get', key: topicKey }];
    const topic: TopicRecord = { ...t.record, partitionCount: req.totalCount };
    const puts = assignment.map((replicas, i) => this.partitionPut(req.topic, initialPartition(t.record.topicId, current + i, replicas, this.liveBrokerIds())));
    const steps: Step[] = [];
    this.addChunks(steps, puts, assignment, [{ type: 'put', key: topicKey, value: encodeTopicRecord(topic) }], compare, failure, { key: topicKey, value: encodeTopicRecord(topic) });
    return this.startSteps(requestId, req.topic, t.record.topicId, steps);
  }

  deleteTopic(requestId: number, name: string): ControllerAction[] {
    const refused = this.refuse(requestId, name);
    if (refused) return refused;
    if (!this.image.topics.has(name)) return [fail(requestId, 'UNKNOWN_TOPIC_OR_PARTITION', `no topic '${name}'`)];
    this.busyTopics.add(name);
    const w: Work = { kind: 'delete', requestId, topic: name, attempts: 0, retried: false };
    return [this.issue(w, this.deleteStep(name, this.image.topics.get(name)!.modRevision))];
  }

  /**
   * AlterConfigs / IncrementalAlterConfigs: one put (or delete, when no override is left) of
   * the resource's config key, compare-and-set on that key as the image has it; a topic's
   * also compares that the topic is the one the image has.
   */
  alterConfigs(requestId: number, req: AlterConfigsRequest): ControllerAction[] {
    const r = req.resource;
    // Busy keys of brokers hold a ':', which no topic name has.
    const busyKey = r.type === 'topic' ? r.name : r.type === 'broker' ? `broker:${r.brokerId}` : 'broker:default';
    if (r.type === 'topic') {
      const refused = this.refuse(requestId, r.name);
      if (refused) return refused;
      if (!this.image.topics.has(r.name)) return [fail(requestId, 'UNKNOWN_TOPIC_OR_PARTITION', `no topic '${r.name}'`)];
    } else {
      if (!this.session) return [fail(requestId, 'NOT_CONTROLLER', 'this broker is not the controller')];
      if (r.type === 'broker' && (!Number.isInteger(r.brokerId) || r.brokerId < 0 || r.brokerId > 0x7fffffff)) return [fail(requestId, 'INVALID_REQUEST', `illegal broker id ${r.brokerId}`)];
      const whose = r.type === 'broker' ? `broker ${r.brokerId}'s configs` : 'the cluster-wide default broker configs';
      if (this.busyTopics.has(busyKey)) return [fail(requestId, 'INVALID_REQUEST', `another request for ${whose} is in progress`)];
    }
    const entries = Object.entries(req.configs);
    if (entries.length > configEntriesMax) return [fail(requestId, 'INVALID_CONFIG', `more than ${configEntriesMax} configs`)];
    for (const [k, v] of entries) if (k.length === 0 || (v !== null && typeof v !== 'string') || (v === null && req.mode === 'replace')) return [fail(requestId, 'INVALID_CONFIG', `config '${k}': bad value ${JSON.stringify(v)}`)];
    const key = r.type === 'topic' ? this.keys.topicConfig(r.name) : r.type === 'broker' ? this.keys.brokerConfig(r.brokerId) : this.keys.brokerDefaultConfig;
    const current = r.type === 'topic' ? this.image.topicConfigs.get(r.name) : r.type === 'broker' ? this.image.brokerConfigs.get(r.brokerId) : (this.image.brokerDefaultConfig ?? undefined);
    const next: Record<string, string> = req.mode === 'replace' ? {} : { ...(current?.record.configs ?? {}) };
    for (const [k, v] of entries) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    const compare: Compare[] = [...fenceCompares(this.keys, this.session!), { key, target: 'modRevision', op: 'equal', value: current?.modRevision ?? 0 }];
    if (r.type === 'topic') compare.push({ key: this.keys.topic(r.name), target: 'createRevision', op: 'equal', value: this.image.topics.get(r.name)!.createRevision });
    const value = Object.keys(next).length > 0 ? encodeConfigRecord({ configs: next }) : null;
    const op: TxnOp = value ? { type: 'put', key, value } : { type: 'delete', key };
    this.busyTopics.add(busyKey);
    const w: Work = { kind: 'config', requestId, busyKey, attempts: 0, step: { txn: { compare, success: [op], failure: [{ type: 'get', key: this.keys.controller }] }, probe: { key, value } } };
    return [this.issue(w, w.step)];
  }

  /** A broker asks to shut down: its leaderships move away first; the reply comes when it leads nothing. */
  controlledShutdown(requestId: number, brokerId: number): ControllerAction[] {
    if (!this.session) return [fail(requestId, 'NOT_CONTROLLER', 'this broker is not the controller')];
    const reg = this.image.brokers.get(brokerId);
    if (!reg) return [fail(requestId, 'BROKER_NOT_AVAILABLE', `broker ${brokerId} is not registered`)];
    const entry = this.shutdowns.get(brokerId);
    if (entry && entry.requestIds.length >= shutdownRequestsPerBrokerMax) return [fail(requestId, 'REQUEST_TIMED_OUT', `broker ${brokerId} already has ${shutdownRequestsPerBrokerMax} shutdown requests waiting`)];
    if (entry) entry.requestIds.push(requestId);
    else this.shutdowns.set(brokerId, { incarnation: reg.record.incarnation, requestIds: [requestId] });
    return [...this.reconcile(), ...this.answerShutdowns()];
  }

  /**
   * AlterPartition: the leader's ISR proposal (checks in Kafka's order, KIP-497/KIP-841).
   * Epochs newer than the image (the controller's own write not yet seen) are retriable
   * (REQUEST_TIMED_OUT); an older leader epoch is FENCED_LEADER_EPOCH; a proposer that is not
   * the leader NOT_LEADER_OR_FOLLOWER; an older partition epoch INVALID_UPDATE_VERSION; an
   * added member that is fenced or shutting down INELIGIBLE_REPLICA; an ISR without the
   * leader or outside the replicas INVALID_REQUEST. Accepted: compare-and-set with
   * partitionEpoch + 1 (the same ISR: answered with the current state, nothing written).
   */
  alterPartition(requestId: number, req: AlterPartitionRequest): ControllerAction[] {
    if (!this.session) return [fail(requestId, 'NOT_CONTROLLER', 'this broker is not the controller')];
    if (this.work.size >= this.config.requestsMax) return [fail(requestId, 'REQUEST_TIMED_OUT', `more than ${this.config.requestsMax} requests in progress`)];
    const found = this.findPartition(req);
    if (typeof found === 'string') return [fail(requestId, found, notFoundMessage(found, req))];
    const t = this.image.topics.get(req.topic)!;
    if (t.record.topicId !== req.topicId) return [fail(requestId, 'UNKNOWN_TOPIC_ID', `topic '${req.topic}' has id ${t.record.topicId}, not ${req.topicId}`)];
    const { key, v } = found;
    const r = v.record;
    const where = `${req.topic}-${req.partition}`;
    if (req.leaderEpoch > r.leaderEpoch || req.partitionEpoch > r.partitionEpoch) return [fail(requestId, 'REQUEST_TIMED_OUT', `${where}: the controller has not yet seen leader epoch ${req.leaderEpoch} / partition epoch ${req.partitionEpoch}; retry`)];
    if (req.leaderEpoch < r.leaderEpoch) return [fail(requestId, 'FENCED_LEADER_EPOCH', `${where}: leader epoch ${req.leaderEpoch} is older than ${r.leaderEpoch}`)];
    if (req.leaderId !== r.leader) return [fail(requestId, 'NOT_LEADER_OR_FOLLOWER', `${where}: broker ${req.leaderId} is not the leader (${r.leader})`)];
    // The leader restarted since it was elected (see removedForRecord): a new election follows; its proposals wait for it.
    if ((this.image.brokers.get(req.leaderId)?.createRevision ?? 0) > v.modRevision) return [fail(requestId, 'FENCED_LEADER_EPOCH', `${where}: broker ${req.leaderId} restarted since it was elected in epoch ${r.leaderEpoch}; a new leader epoch follows`)];
    if (req.partitionEpoch < r.partitionEpoch) return [fail(requestId, 'INVALID_UPDATE_VERSION', `${where}: partition epoch ${req.partitionEpoch} is older than ${r.partitionEpoch}`)];
    const isr = req.newIsr;
    if (!Array.isArray(isr) || isr.length === 0 || new Set(isr).size !== isr.length || !isr.includes(r.leader) || isr.some((b) => !r.replicas.includes(b))) {
      return [fail(requestId, 'INVALID_REQUEST', `${where}: the ISR [${String(isr)}] must be distinct replicas of [${r.replicas.join(',')}] including the leader ${r.leader}`)];
    }
    const ineligible = isr.filter((b) => !r.isr.includes(b) && (!this.image.brokers.has(b) || this.shutdowns.has(b)));
    if (ineligible.length > 0) return [fail(requestId, 'INELIGIBLE_REPLICA', `${where}: broker(s) ${ineligible.join(',')} are fenced or shutting down`)];
    const epochs = req.newIsrBrokerEpochs;
    if (epochs !== undefined && (!Array.isArray(epochs) || epochs.length !== isr.length)) return [fail(requestId, 'INVALID_REQUEST', `${where}: ${String(epochs?.length)} broker epochs for ${isr.length} ISR members`)];
    const restarted = epochs === undefined ? [] : isr.filter((b, i) => epochs[i] !== -1 && this.image.brokers.get(b)?.createRevision !== epochs[i]);
    if (restarted.length > 0) return [fail(requestId, 'INELIGIBLE_REPLICA', `${where}: broker(s) ${restarted.join(',')} have another broker epoch than proposed (restarted or fenced)`)];
    if (this.changing.has(key)) return [fail(requestId, 'REQUEST_TIMED_OUT', `${where}: another change of the partition is in flight; retry`)];
    if (isr.length === r.isr.length && isr.every((b, i) => b === r.isr[i])) return [{ type: 'reply', requestId, reply: { ok: true, partition: stateOf(r) } }];
    const next: PartitionRecord = { ...r, isr: [...isr], partitionEpoch: r.partitionEpoch + 1 };
    return this.startPartitionChanges(requestId, true, new Map([[`${req.topic}/${req.partition}`, null]]), [{ key, modRevision: v.modRevision, next, ref: req }]);
  }

  /** ElectLeaders: per partition, a preferred or unclean election (partition-election.ts), written by compare-and-set. */
  electLeaders(requestId: number, req: ElectLeadersRequest): ControllerAction[] {
    const refused = this.refusePartitionRequest(requestId, req.partitions?.length ?? 0);
    if (refused) return refused;
    const removed = this.removedFn();
    const results = new Map<string, PartitionResult | null>();
    const changes: PartitionChange[] = [];
    for (const ref of req.partitions ?? this.allPartitions()) {
      const id = `${ref.topic}/${ref.partition}`;
      if (results.has(id)) continue;
      const found = this.findPartition(ref);
      if (typeof found === 'string') {
        results.set(id, { ...ref, error: found, message: notFoundMessage(found, ref) });
        continue;
      }
      if (this.changing.has(found.key)) {
        results.set(id, { ...ref, error: 'REQUEST_TIMED_OUT', message: 'another change of the partition is in flight; retry' });
        continue;
      }
      const eligible = this.removedForRecord(removed, found.v);
      const outcome = req.type === 'preferred' ? preferredElection(found.v.record, eligible) : uncleanElection(found.v.record, eligible);
      if (typeof outcome === 'string') {
        if (req.partitions !== null || outcome !== 'ELECTION_NOT_NEEDED') results.set(id, { ...ref, error: outcome, message: null });
        continue;
      }
      results.set(id, null);
      changes.push({ key: found.key, modRevision: found.v.modRevision, next: outcome, ref });
    }
    return this.startPartitionChanges(requestId, false, results, changes);
  }

  /**
   * AlterPartitionReassignments: per partition, start (or replace) a reassignment to the
   * target replicas, or cancel the ongoing one (replicas null). The new replicas join the
   * ISR only through the leader's AlterPartition; the move completes on a later image
   * (reconcile).
   */
  reassignPartitions(requestId: number, req: ReassignPartitionsRequest): ControllerAction[] {
    const refused = this.refusePartitionRequest(requestId, req.partitions.length);
    if (refused) return refused;
    const removed = this.removedFn();
    const results = new Map<string, PartitionResult | null>();
    const changes: PartitionChange[] = [];
    for (const entry of req.partitions) {
      const ref = { topic: entry.topic, partition: entry.partition };
      const id = `${ref.topic}/${ref.partition}`;
      const answer = (error: ControllerErrorCode, message: string): void => void results.set(id, { ...ref, error, message });
      if (results.has(id)) {
        answer('INVALID_REQUEST', 'the partition is named twice');
        continue;
      }
      const found = this.findPartition(ref);
      if (typeof found === 'string') {
        answer(found, notFoundMessage(found, ref));
        continue;
      }
      const r = found.v.record;
      let target: readonly number[];
      if (entry.replicas === null) {
        if (!isReassigning(r)) {
          answer('NO_REASSIGNMENT_IN_PROGRESS', `${ref.topic}-${ref.partition} is not being reassigned`);
          continue;
        }
        target = r.replicas.filter((b) => !(r.addingReplicas ?? []).includes(b));
      } else {
        target = entry.replicas;
        const bad = !Array.isArray(target) || target.length === 0 || target.length > replicasMax || new Set(target).size !== target.length;
        const unknown = bad ? [] : target.filter((b) => !this.image.brokers.has(b));
        if (bad || unknown.length > 0) {
          answer('INVALID_REPLICA_ASSIGNMENT', bad ? `the target replicas [${String(target)}] must be 1 to ${replicasMax} distinct broker ids` : `broker(s) ${unknown.join(',')} are not registered`);
          continue;
        }
      }
      if (this.changing.has(found.key)) {
        answer('REQUEST_TIMED_OUT', 'another change of the partition is in flight; retry');
        continue;
      }
      let next: PartitionRecord | null;
      try {
        next = startReassignment(r, target, removed);
      } catch (error) {
        if (!(error instanceof ReassignmentError)) throw error;
        answer('INVALID_REPLICA_ASSIGNMENT', error.message);
        continue;
      }
      if (!next) {
        results.set(id, { ...ref, error: null, message: null });
        continue;
      }
      results.set(id, null);
      changes.push({ key: found.key, modRevision: found.v.modRevision, next, ref });
    }
    return this.startPartitionChanges(requestId, false, results, changes);
  }

  /** ListPartitionReassignments: read from the image, nothing written. */
  listReassignments(requestId: number, req: ListReassignmentsRequest): ControllerAction[] {
    if (!this.session) return [fail(requestId, 'NOT_CONTROLLER', 'this broker is not the controller')];
    if ((req.partitions?.length ?? 0) > partitionsPerRequestMax) return [fail(requestId, 'INVALID_REQUEST', `more than ${partitionsPerRequestMax} partitions`)];
    const reassignments: OngoingReassignment[] = [];
    for (const ref of req.partitions ?? this.allPartitions()) {
      const found = this.findPartition(ref);
      if (typeof found === 'string' || !isReassigning(found.v.record)) continue;
      const r = found.v.record;
      reassignments.push({ topic: ref.topic, partition: ref.partition, replicas: r.replicas, addingReplicas: r.addingReplicas ?? [], removingReplicas: r.removingReplicas ?? [] });
    }
    return [{ type: 'reply', requestId, reply: { ok: true, reassignments } }];
  }

  /**
   * The auto leader rebalance (`auto.leader.rebalance.enable`): for every broker whose share
   * of partitions it prefers but does not lead exceeds `leader.imbalance.per.broker.percentage`,
   * leadership of those partitions moves back to it where it is live and in the ISR. The
   * driver calls this every `leader.imbalance.check.interval.seconds`.
   */
  rebalanceLeaders(): ControllerAction[] {
    if (!this.session || !this.config.autoLeaderRebalanceEnable) return [];
    const removed = this.removedFn();
    const preferred = new Map<number, { count: number; notLed: PartitionChange[] }>();
    for (const ref of this.allPartitions()) {
      const found = this.findPartition(ref);
      if (typeof found === 'string') continue;
      const r = found.v.record;
      const b = r.replicas[0]!;
      const entry = preferred.get(b) ?? { count: 0, notLed: [] };
      preferred.set(b, entry);
      entry.count += 1;
      if (r.leader === b || this.changing.has(found.key)) continue;
      const next = preferredElection(r, removed);
      if (typeof next !== 'string') entry.notLed.push({ key: found.key, modRevision: found.v.modRevision, next, ref });
    }
    const moves: PartitionChange[] = [];
    for (const { count, notLed } of preferred.values()) if (notLed.length * 100 > count * this.config.leaderImbalancePerBrokerPercentage) moves.push(...notLed);
    return this.changeTxns(moves, this.config.txnsInFlightMax - this.work.size);
  }

  txnCompleted(txnId: number, outcome: TxnOutcome): ControllerAction[] {
    const w = this.work.get(txnId);
    if (!w) return [];
    this.work.delete(txnId);
    if (w.kind === 'partitions') return this.partitionsCompleted(w, outcome);
    if (w.kind === 'changes') {
      for (const key of w.keys) {
        this.changing.delete(key);
        if (outcome.status !== 'applied') this.retryAfterRevision.set(key, this.image.revision);
      }
      return [];
    }
    if (w.kind === 'delete') return this.deleteCompleted(w, outcome);
    if (w.kind === 'config') return this.configCompleted(w, outcome);
    return this.stepCompleted(w, outcome);
  }

  // ---- requests ---------------------------------------------------------------------

  private refuse(requestId: number, topic: string): ControllerAction[] | null {
    if (!this.session) return [fail(requestId, 'NOT_CONTROLLER', 'this broker is not the controller')];
    if (!isLegalTopicName(topic)) return [fail(requestId, 'INVALID_TOPIC_EXCEPTION', `illegal topic name '${topic}'`)];
    if (this.busyTopics.has(topic)) return [fail(requestId, 'INVALID_REQUEST', `another request for topic '${topic}' is in progress`)];
    if (this.work.size >= this.config.requestsMax) return [fail(requestId, 'REQUEST_TIMED_OUT', `more than ${this.config.requestsMax} requests in progress`)];
    return null;
  }

  private refusePartitionRequest(requestId: number, partitions: number): ControllerAction[] | null {
    if (!this.session) return [fail(requestId, 'NOT_CONTROLLER', 'this broker is not the controller')];
    if (this.work.size >= this.config.requestsMax) return [fail(requestId, 'REQUEST_TIMED_OUT', `more than ${this.config.requestsMax} requests in progress`)];
    if (partitions > partitionsPerRequestMax) return [fail(requestId, 'INVALID_REQUEST', `more than ${partitionsPerRequestMax} partitions in one request`)];
    return null;
  }

  /** The partition's key and record in the image (current incarnation of the topic, no request on the topic in flight), or why not. */
  private findPartition(ref: TopicPartitionRef): { key: string; v: { record: PartitionRecord; modRevision: number } } | 'UNKNOWN_TOPIC_OR_PARTITION' | 'REQUEST_TIMED_OUT' {
    const t = this.image.topics.get(ref.topic);
    if (!t || !Number.isInteger(ref.partition) || ref.partition < 0 || ref.partition >= t.record.partitionCount) return 'UNKNOWN_TOPIC_OR_PARTITION';
    if (this.busyTopics.has(ref.topic)) return 'REQUEST_TIMED_OUT';
    const key = this.keys.partition(ref.topic, ref.partition);
    const v = this.image.partitions.get(key);
    if (!v || v.record.topicId !== t.record.topicId) return 'UNKNOWN_TOPIC_OR_PARTITION';
    return { key, v };
  }

  /** Every partition of the image, topic by topic. */
  private allPartitions(): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const [topic, t] of this.image.topics) for (let partition = 0; partition < t.record.partitionCount; partition++) out.push({ topic, partition });
    return out;
  }

  /** True for a broker that may not lead or join an ISR: fenced (not registered) or in controlled shutdown. */
  private removedFn(): (brokerId: number) => boolean {
    const live = this.liveBrokerIds();
    return (b) => !live.has(b) || this.shutdowns.has(b);
  }

  /**
   * `removed` for one partition record written at `modRevision`: also a broker whose
   * registration is newer than the record — it restarted since (Kafka's unclean shutdown:
   * a new broker epoch). Its unsynced writes may be gone, so it leaves the ISR (it rejoins
   * through its leader's AlterPartition once caught up), and it must not lead again in a
   * leader epoch its previous incarnation led: a leader it was gets a new epoch (another
   * ISR member, or itself after the partition went offline for one step when it was the
   * last). An offline record (leader -1) has no epoch anyone is leading: a restarted ISR
   * member is eligible there (the election bumps the epoch anyway). A controller that
   * missed the restart (delete and re-create of the registration in one watch batch) still
   * sees it here, from the revisions alone.
   */
  private removedForRecord(removed: (brokerId: number) => boolean, v: { readonly record: PartitionRecord; readonly modRevision: number }): (brokerId: number) => boolean {
    if (v.record.leader === -1) return removed;
    return (b) => removed(b) || (this.image.brokers.get(b)?.createRevision ?? 0) > v.modRevision;
  }

  private uncleanEnabled(topic: string): boolean {
    const v = this.image.topicConfigs.get(topic)?.record.configs[uncleanConfig];
    return v === undefined ? this.config.uncleanLeaderElectionEnable : v.trim().toLowerCase() === 'true';
  }

  /** Issues the request's changes in txns of at most `changesPerTxnMax`; answers at once when there is none. */
  private startPartitionChanges(requestId: number, alter: boolean, results: Map<string, PartitionResult | null>, changes: PartitionChange[]): ControllerAction[] {
    const group: PartitionGroup = { requestId, alter, results, pendingTxns: 0 };
    if (changes.length === 0) return [this.answerGroup(group)];
    const out: ControllerAction[] = [];
    for (let i = 0; i < changes.length; i += this.config.changesPerTxnMax) {
      const chunk = changes.slice(i, i + this.config.changesPerTxnMax);
      group.pendingTxns += 1;
      for (const c of chunk) this.changing.add(c.key);
      out.push(this.issue({ kind: 'partitions', group, changes: chunk }, this.changeStep(chunk, alter)));
    }
    return out;
  }

  private changeStep(chunk: readonly PartitionChange[], alter = false): Step {
    const compare = [...fenceCompares(this.keys, this.session!), ...chunk.map((c): Compare => ({ key: c.key, target: 'modRevision', op: 'equal', value: c.modRevision })), ...this.registrationCompares(chunk, alter)];
    const puts = chunk.map((c) => this.partitionPut(null, c.next, c.key));
    return { txn: { compare, success: puts, failure: [{ type: 'get', key: this.keys.controller }] }, probe: { key: chunk[0]!.key, value: (puts[0] as { value: Uint8Array }).value } };
  }

  /**
   * The registrations the chunk's new records rely on — each new leader's and ISR member's
   * (createRevision as in the image; 0: not registered) — so a change decided before a
   * broker re-registered fails its compare-and-set instead of landing after the restart
   * with the old incarnation still leader or in the ISR (which would hide the restart from
   * `removedForRecord`). Leaders first; ISR members while the txn stays within etcd's
   * 128 compares (REGISTRATION_COMPARES_MAX). An AlterPartition (`leaderOnly`) compares
   * its leader only: the members it adds are checked by their broker epochs (KIP-903), and
   * a failed compare answers the leader INVALID_UPDATE_VERSION, which it keeps counting
   * until a newer state — one a restart of a member it merely proposes would never bring.
   */
  private registrationCompares(chunk: readonly PartitionChange[], leaderOnly: boolean): Compare[] {
    const ids = new Set<number>();
    for (const c of chunk) if (c.next.leader !== -1) ids.add(c.next.leader);
    if (!leaderOnly) for (const c of chunk) for (const b of c.next.isr) if (ids.size < REGISTRATION_COMPARES_MAX) ids.add(b);
    return [...ids].map((b) => ({ key: this.keys.broker(b), target: 'createRevision', op: 'equal', value: this.image.brokers.get(b)?.createRevision ?? 0 }));
  }

  private partitionsCompleted(w: Extract<Work, { kind: 'partitions' }>, outcome: TxnOutcome): ControllerAction[] {
    const g = w.group;
    let error: ControllerErrorCode | null = null;
    let message: string | null = null;
    if (outcome.status === 'failed') {
      const controllerKv = getResult(outcome.results, 0);
      const moved = !this.session || !controllerKv || controllerKv.createRevision !== this.session.epoch;
      error = moved ? 'NOT_CONTROLLER' : g.alter ? 'INVALID_UPDATE_VERSION' : 'REQUEST_TIMED_OUT';
      message = moved ? 'the controller moved' : 'the partition changed meanwhile; retry';
    } else if (outcome.status === 'unknown') {
      error = 'REQUEST_TIMED_OUT';
      message = 'the metadata store did not answer';
    }
    for (const c of w.changes) {
      this.changing.delete(c.key);
      if (outcome.status !== 'applied') this.retryAfterRevision.set(c.key, this.image.revision);
      g.results.set(`${c.ref.topic}/${c.ref.partition}`, { topic: c.ref.topic, partition: c.ref.partition, error, message });
    }
    if (--g.pendingTxns > 0) return [];
    if (g.alter) {
      const only = w.changes[0]!;
      return [{ type: 'reply', requestId: g.requestId, reply: error ? { ok: false, code: error, message: message! } : { ok: true, partition: stateOf(only.next) } }];
    }
    return [this.answerGroup(g)];
  }

  private answerGroup(g: PartitionGroup): ControllerAction {
    const partitions = [...g.results.values()].filter((r): r is PartitionResult => r !== null);
    return { type: 'reply', requestId: g.requestId, reply: { ok: true, partitions } };
  }

  private assignmentFor(req: CreateTopicRequest): number[][] {
    if (req.assignment) {
      validateAssignment(req.assignment, new Set(this.image.brokers.keys()), null);
      return req.assignment.map((r) => [...r]);
    }
    const count = req.partitionCount === undefined || req.partitionCount === -1 ? this.config.defaultPartitionCount : req.partitionCount;
    const rf = req.replicationFactor === undefined || req.replicationFactor === -1 ? this.config.defaultReplicationFactor : req.replicationFactor;
    return assignReplicas({ partitionCount: count, replicationFactor: rf, brokers: this.eligibleBrokers(), random: this.random });
  }

  /**
   * Splits the partition puts into txns of at most `partitionsPerTxnMax` ops, `final` in the
   * last. Each txn also compares the registration (createRevision) of every broker its
   * partitions name: a broker that died since the image was read fails the step instead of
   * getting replicas.
   */
  private addChunks(steps: Step[], puts: TxnOp[], replicas: (readonly number[])[], final: TxnOp[], compare: Txn['compare'], failure: TxnOp[], finalProbe: Probe): void {
    const per = this.config.partitionsPerTxnMax;
    const chunk = (from: number, to: number): Compare[] => {
      const brokers = new Set(replicas.slice(from, to).flat());
      const out = [...compare];
      for (const b of brokers) {
        const reg = this.image.brokers.get(b);
        if (reg && out.length < brokerComparesMax) out.push({ key: this.keys.broker(b), target: 'createRevision', op: 'equal', value: reg.createRevision });
      }
      return out;
    };
    let i = 0;
    for (; puts.length - i + final.length > per; i += per) steps.push({ txn: { compare: chunk(i, i + per), success: puts.slice(i, i + per), failure }, probe: null });
    steps.push({ txn: { compare: chunk(i, puts.length), success: [...puts.slice(i), ...final], failure }, probe: finalProbe });
  }

  private startSteps(requestId: number, topic: string, topicId: string, steps: Step[]): ControllerAction[] {
    this.busyTopics.add(topic);
    const w: Work = { kind: 'steps', requestId, topic, topicId, steps, index: 0, attempts: 0, uncertain: false };
    return [this.issue(w, steps[0]!)];
  }

  private stepCompleted(w: Extract<Work, { kind: 'steps' }>, outcome: TxnOutcome): ControllerAction[] {
    const last = w.index === w.steps.length - 1;
    if (outcome.status === 'applied') {
      if (last) return this.finish(w.requestId, w.topic, { ok: true, topicId: w.topicId });
      w.index += 1;
      w.attempts = 0;
      w.uncertain = false;
      return [this.issue(w, w.steps[w.index]!)];
    }
    if (outcome.status === 'failed') {
      const topicKv = getResult(outcome.results, 1);
      // Our own topic record is there: an earlier attempt whose answer was lost did land.
      if (topicKv && last && w.uncertain && sameTopic(topicKv, w.topicId, w.steps[w.index]!.probe)) return this.finish(w.requestId, w.topic, { ok: true, topicId: w.topicId });
      const controllerKv = getResult(outcome.results, 0);
      if (!this.session || !controllerKv || controllerKv.createRevision !== this.session.epoch) return this.finish(w.requestId, w.topic, { ok: false, code: 'NOT_CONTROLLER', message: 'the controller moved' });
      if (topicKv && w.steps[0]!.txn.compare.some((c) => c.target === 'createRevision' && c.key === topicKv.key)) return this.finish(w.requestId, w.topic, { ok: false, code: 'TOPIC_ALREADY_EXISTS', message: `topic '${w.topic}' already exists` });
      return this.finish(w.requestId, w.topic, { ok: false, code: 'REQUEST_TIMED_OUT', message: `the cluster changed while topic '${w.topic}' was being written (a broker left, or the topic changed); retry` });
    }
    w.uncertain = true;
    if (++w.attempts >= attemptsMax) return this.finish(w.requestId, w.topic, { ok: false, code: 'REQUEST_TIMED_OUT', message: 'the metadata store did not answer' });
    return [this.issue(w, w.steps[w.index]!)];
  }

  private deleteStep(name: string, topicModRevision: number): Step {
    const topicKey = this.keys.topic(name);
    return {
      txn: {
        compare: [...fenceCompares(this.keys, this.session!), { key: topicKey, target: 'modRevision', op: 'equal', value: topicModRevision }],
        success: [{ type: 'delete', key: topicKey }, { type: 'delete-prefix', prefix: this.keys.topicPartitionsPrefix(name) }, { type: 'delete', key: this.keys.topicConfig(name) }],
        failure: [{ type: 'get', key: this.keys.controller }, { type: 'get', key: topicKey }],
      },
      probe: { key: topicKey, value: null },
    };
  }

  private deleteCompleted(w: Extract<Work, { kind: 'delete' }>, outcome: TxnOutcome): ControllerAction[] {
    if (outcome.status === 'applied') return this.finish(w.requestId, w.topic, { ok: true });
    if (outcome.status === 'failed') {
      const controllerKv = getResult(outcome.results, 0);
      const topicKv = getResult(outcome.results, 1);
      if (!this.session || !controllerKv || controllerKv.createRevision !== this.session.epoch) return this.finish(w.requestId, w.topic, { ok: false, code: 'NOT_CONTROLLER', message: 'the controller moved' });
      if (!topicKv) return this.finish(w.requestId, w.topic, w.retried ? { ok: true } : { ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION', message: `no topic '${w.topic}'` });
      if (++w.attempts >= attemptsMax) return this.finish(w.requestId, w.topic, { ok: false, code: 'REQUEST_TIMED_OUT', message: `topic '${w.topic}' kept changing` });
      return [this.issue(w, this.deleteStep(w.topic, topicKv.modRevision))];
    }
    if (++w.attempts >= attemptsMax || !this.session) return this.finish(w.requestId, w.topic, { ok: false, code: 'REQUEST_TIMED_OUT', message: 'the metadata store did not answer' });
    w.retried = true;
    const t = this.image.topics.get(w.topic);
    return [this.issue(w, this.deleteStep(w.topic, t ? t.modRevision : 0))];
  }

  private configCompleted(w: Extract<Work, { kind: 'config' }>, outcome: TxnOutcome): ControllerAction[] {
    if (outcome.status === 'applied') return this.finish(w.requestId, w.busyKey, { ok: true });
    if (outcome.status === 'failed') {
      const controllerKv = getResult(outcome.results, 0);
      if (!this.session || !controllerKv || controllerKv.createRevision !== this.session.epoch) return this.finish(w.requestId, w.busyKey, { ok: false, code: 'NOT_CONTROLLER', message: 'the controller moved' });
      return this.finish(w.requestId, w.busyKey, { ok: false, code: 'REQUEST_TIMED_OUT', message: 'the configs or the topic changed meanwhile; retry' });
    }
    // Unknown: the compare on the config key's modRevision makes a retry safe (it fails if the first landed).
    if (++w.attempts >= attemptsMax) return this.finish(w.requestId, w.busyKey, { ok: false, code: 'REQUEST_TIMED_OUT', message: 'the metadata store did not answer' });
    return [this.issue(w, w.step)];
  }

  private finish(requestId: number, topic: string, reply: ControllerReply): ControllerAction[] {
    this.busyTopics.delete(topic);
    return [{ type: 'reply', requestId, reply }];
  }

  private issue(w: Work, step: Step): ControllerAction {
    const txnId = this.nextTxnId++;
    this.work.set(txnId, w);
    return { type: 'txn', txnId, txn: step.txn, probe: step.probe };
  }

  // ---- the image --------------------------------------------------------------------

  private afterImage(): ControllerAction[] {
    if (this.session && isDeposedBy(this.session, this.image.controller, this.image.revision)) return this.resign();
    for (const [id, s] of this.shutdowns) {
      const reg = this.image.brokers.get(id);
      if (!reg || reg.record.incarnation !== s.incarnation) this.shutdowns.delete(id); // fenced or restarted: nothing left to move
    }
    if (!this.session) return [];
    return [...this.reconcile(), ...this.answerShutdowns()];
  }

  private liveBrokerIds(): Set<number> {
    return new Set(this.image.brokers.keys());
  }

  /** Live brokers not shutting down: where new replicas and leaders may go. */
  private eligibleBrokers(): { brokerId: number; rack: string | null }[] {
    return [...this.image.brokers.values()].filter((b) => !this.shutdowns.has(b.record.brokerId)).map((b) => ({ brokerId: b.record.brokerId, rack: b.record.rack }));
  }

  /**
   * Issues a compare-and-set for every partition whose state the live brokers no longer
   * allow (partition-election.ts, unclean election where the topic enables it), or whose
   * reassignment can complete (partition-reassignment.ts).
   */
  private reconcile(): ControllerAction[] {
    if (!this.session) return [];
    const removed = this.removedFn();
    const changes: PartitionChange[] = [];
    const room = this.config.txnsInFlightMax - this.work.size;
    for (const name of this.image.topics.keys()) {
      if (this.busyTopics.has(name)) continue;
      const unclean = this.uncleanEnabled(name);
      for (const [p, v] of this.image.partitionsOf(name)) {
        const key = this.keys.partition(name, p);
        if (this.changing.has(key)) continue;
        const after = this.retryAfterRevision.get(key);
        if (after !== undefined && this.image.revision <= after) continue;
        this.retryAfterRevision.delete(key);
        const restarted = this.removedForRecord(removed, v);
        const next = nextPartitionState(v.record, restarted, unclean) ?? completedReassignment(v.record, restarted);
        if (!next) continue;
        if (Math.ceil((changes.length + 1) / this.config.changesPerTxnMax) > room) return this.changeTxns(changes, room);
        changes.push({ key, modRevision: v.modRevision, next, ref: { topic: name, partition: p } });
      }
    }
    return this.changeTxns(changes, room);
  }

  /** Controller-initiated changes (no request waits): at most `txnsMax` txns of `changesPerTxnMax`. */
  private changeTxns(changes: readonly PartitionChange[], txnsMax: number): ControllerAction[] {
    const out: ControllerAction[] = [];
    for (let i = 0; i < changes.length && out.length < txnsMax; i += this.config.changesPerTxnMax) {
      const chunk = changes.slice(i, i + this.config.changesPerTxnMax);
      for (const c of chunk) this.changing.add(c.key);
      const step = this.changeStep(chunk);
      out.push(this.issue({ kind: 'changes', keys: chunk.map((c) => c.key) }, { txn: { compare: step.txn.compare, success: step.txn.success }, probe: step.probe }));
    }
    return out;
  }

  private answerShutdowns(): ControllerAction[] {
    const out: ControllerAction[] = [];
    for (const [id, s] of this.shutdowns) {
      const leads = [...this.image.partitions.values()].some((v) => v.record.leader === id && this.image.topics.get(v.topic)?.record.topicId === v.record.topicId);
      if (leads) continue;
      for (const requestId of s.requestIds.splice(0)) out.push({ type: 'reply', requestId, reply: { ok: true } });
    }
    return out;
  }

  private partitionPut(topic: string | null, r: PartitionRecord, key?: string): TxnOp {
    return { type: 'put', key: key ?? this.keys.partition(topic!, r.partition), value: encodePartitionRecord(r) };
  }
}

/** Registration compares per partition-change txn: with ≤ 60 changes and the fence, etcd's 128 compares hold. */
const REGISTRATION_COMPARES_MAX = 64;

function initialPartition(topicId: string, partition: number, replicas: readonly number[], live: ReadonlySet<number>): PartitionRecord {
  const inSync = replicas.filter((b) => live.has(b));
  const isr = inSync.length > 0 ? inSync : [replicas[0]!];
  const leader = replicas.find((b) => isr.includes(b) && live.has(b)) ?? -1;
  return { topicId, partition, replicas: [...replicas], isr, leader, leaderEpoch: 0, partitionEpoch: 0 };
}

function notFoundMessage(code: 'UNKNOWN_TOPIC_OR_PARTITION' | 'REQUEST_TIMED_OUT', ref: TopicPartitionRef): string {
  return code === 'REQUEST_TIMED_OUT' ? `another request for topic '${ref.topic}' is in progress; retry` : `no partition ${ref.topic}-${ref.partition}`;
}

function stateOf(r: PartitionRecord): PartitionState {
  return { leader: r.leader, leaderEpoch: r.leaderEpoch, isr: r.isr, partitionEpoch: r.partitionEpoch };
}

function bounded(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`controller config ${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

function fail(requestId: number, code: ControllerErrorCode, message: string): ControllerAction {
  return { type: 'reply', requestId, reply: { ok: false, code, message } };
}

function getResult(results: readonly TxnOpResult[], index: number): KeyValue | null {
  const r = results[index];
  return r && (r.type === 'get' || r.type === 'range') ? (r.kvs[0] ?? null) : null;
}

function sameTopic(kv: KeyValue, topicId: string, probe: Probe | null): boolean {
  try {
    const t = decodeTopicRecord(kv.value);
    return t.topicId === topicId && (probe?.value ? bytesEqual(kv.value, probe.value) : true);
  } catch {
    return false;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
