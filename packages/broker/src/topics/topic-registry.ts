/**
 * TopicRegistry: the broker's topics and their partitions — the partition registry over
 * the log store, with metadata persisted through MetadataStore.
 *
 * Ordering for crash safety:
 *   - create: persist the topic first, then open (create) its logs. A crash in between
 *     leaves a persisted topic whose logs are created on the next start.
 *   - delete: persist the removal first, then close and remove the logs. A crash in
 *     between leaves partition directories that no topic refers to; the next start sets
 *     them aside as `-stray` (SamsaLogStore.open), so a new topic of the same name starts
 *     empty.
 *   - create partitions: persist the new count, then open the new logs.
 * Storage failures (a full disk above all) never escape as exceptions: every mutation
 * answers KAFKA_STORAGE_ERROR with a message, and undoes what it did — a failed metadata
 * save leaves memory as it was (`saveOrRevert`); a topic or partition whose logs could not
 * be created is removed again. Deletion must work on a full disk, since it frees the
 * space: when the metadata cannot be saved for lack of space, the logs are removed first
 * (immediately, not after the delete delay) and the save retried. If even that fails the
 * topic is gone from memory and its data from disk, but the file still names it until the
 * next save; a restart before then brings the topic back empty (the request said so).
 * Mutations are serialized through one promise chain so two CreateTopics racing on the
 * same name cannot both succeed.
 *
 * Cluster mode (the broker is a member of a cluster: `applyView` was called). The topics
 * are the cluster view's, not the local metadata file's, and this registry holds only the
 * local replicas: the view's partitions whose `replicas` include this node. Each applied
 * view (serialized on the same chain, so views apply whole and in order):
 *   - removes the local replicas of a topic gone from the view or recreated under a new
 *     topic id (a new incarnation of the name), and the replicas this node no longer
 *     holds: closed, then their logs deleted as DeleteTopics does;
 *   - opens (creates when missing) the replicas it holds, OPEN_CONCURRENCY at a time;
 *   - sets each replica's `isLeader` (leader === this node and the lease is valid) and
 *     `leaderEpoch`, and emits a LeadershipChange on `leadership` for every new replica
 *     and every change of role or epoch, in view order;
 *   - applies the effective topic config (view topic overrides over this node's broker
 *     overrides from the view) to the open replicas whose config changed.
 * In cluster mode `Topic.partitions` lists only the local replicas (dense, by index;
 * `record.partitions` is the view's partition count), `partition(t, i)` finds a local
 * replica by number, and the registry's own mutations (create, delete, partitions,
 * configs) refuse with NOT_CONTROLLER: the controller changes topics, through the view.
 * A view of revision 0 (nothing read yet) changes no replica. A replica that fails to
 * open is logged and retried with the next view.
 */
import { ErrorCode, uuidToString } from '@samsa/codec';
import { isNoSpace, runBounded } from '@samsa/log';
import { effectiveTopicConfig } from '../config/topic-config.ts';
import type { EffectiveTopicConfig } from '../config/topic-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { Logger } from '../observability/logger.ts';
import { Partition } from '../partitions/partition.ts';
import type { PartitionLogConfig, PartitionLogStore, RemoveOptions } from '../partitions/partition-log.ts';
import type { MetadataState, MetadataStore, TopicRecord } from './metadata-store.ts';
import { collisionKey, INTERNAL_TOPICS, topicNameProblem } from './topic-name.ts';
import type { Random } from '@samsa/runtime';
import { leadsInThisIncarnation, type ClusterView, type PartitionView, type TopicView } from '../cluster/cluster-view.ts';
import { LeadershipEvents } from '../cluster/leadership-events.ts';

export const PARTITIONS_PER_TOPIC_MAX = 10_000;
export const PRODUCER_ID_BLOCK = 1000;
/** Partitions opened at once at startup (as LogManager's loadConcurrency). */
export const OPEN_CONCURRENCY = 16;

export interface Topic {
  readonly record: TopicRecord;
  readonly partitions: readonly Partition[];
}

export interface TopicResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const ok: TopicResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): TopicResult => ({ errorCode, errorMessage });
const clusterRefusal = (what: string): TopicResult =>
  fail(ErrorCode.NOT_CONTROLLER, `This broker is a cluster member: ${what} goes through the controller, not the local topic registry`);

/** What the last `applyView` applied (cluster mode). */
interface AppliedCluster {
  readonly nodeId: number;
  readonly view: ClusterView;
  readonly leaseValid: boolean;
}

export interface TopicRegistryOptions {
  readonly server: ServerConfig;
  readonly store: MetadataStore;
  readonly logs: PartitionLogStore;
  readonly logger: Logger;
  /** Topic ids come from here (one seed reproduces a run). */
  readonly random: Random;
}

export class TopicRegistry {
  readonly #server: ServerConfig;
  readonly #store: MetadataStore;
  readonly #logs: PartitionLogStore;
  readonly #logger: Logger;
  readonly #random: Random;
  readonly #topics = new Map<string, Topic>();
  readonly #byId = new Map<string, string>();
  /** Cluster mode: the local replicas by topic and partition number. */
  readonly #replicas = new Map<string, Map<number, Partition>>();
  /** Cluster mode: the effective config last applied to each topic's replicas (as JSON). */
  readonly #configJson = new Map<string, string>();
  #chain: Promise<unknown> = Promise.resolve();
  #nextProducerId = 0;
  /** Null on a single broker; set by the first `applyView`. */
  #cluster: AppliedCluster | null = null;
  #closed = false;
  /** Become-leader / become-follower notices (cluster mode only; see leadership-events.ts). */
  readonly leadership = new LeadershipEvents();

  private constructor(options: TopicRegistryOptions) {
    this.#server = options.server;
    this.#store = options.store;
    this.#logs = options.logs;
    this.#logger = options.logger;
    this.#random = options.random;
    this.#nextProducerId = options.store.state.producerIdBlockEnd;
  }

  /**
   * Opens every persisted topic's logs and rebuilds producer state, OPEN_CONCURRENCY
   * partitions at a time (each reads its log's tail: overlapping that I/O is most of a
   * clean restart's speed at 20,000 partitions).
   */
  static async open(options: TopicRegistryOptions): Promise<TopicRegistry> {
    const registry = new TopicRegistry(options);
    for (const record of options.store.state.topics) {
      const partitions: Partition[] = new Array<Partition>(record.partitions);
      const indices = Array.from({ length: record.partitions }, (_, i) => i);
      await runBounded(indices, OPEN_CONCURRENCY, async (i) => {
        partitions[i] = await registry.#openPartition(record, i);
      });
      registry.#topics.set(record.name, { record, partitions });
      registry.#byId.set(record.topicId, record.name);
    }
    return registry;
  }

  get server(): ServerConfig {
    return this.#server;
  }

  get clusterId(): string {
    return this.#cluster ? this.#cluster.view.clusterId : this.#store.state.clusterId;
  }

  /** This node's dynamic broker overrides: the local file's, or in a cluster the view's. */
  get dynamicBrokerConfigs(): Readonly<Record<string, string>> {
    if (this.#cluster) return this.#cluster.view.brokerConfigs.get(this.#cluster.nodeId) ?? {};
    return this.#store.state.dynamicBrokerConfigs;
  }

  /** The cluster-wide default broker configs below this node's own (the view's; none on a single broker). */
  get clusterDefaultBrokerConfigs(): Readonly<Record<string, string>> {
    return this.#cluster?.view.brokerDefaultConfigs ?? {};
  }

  /** True once the registry follows a cluster view (`applyView`). */
  get clusterMode(): boolean {
    return this.#cluster !== null;
  }

  topics(): IterableIterator<Topic> {
    return this.#topics.values();
  }

  get topicCount(): number {
    return this.#topics.size;
  }

  topic(name: string): Topic | undefined {
    return this.#topics.get(name);
  }

  topicById(topicId: string): Topic | undefined {
    const name = this.#byId.get(topicId);
    return name === undefined ? undefined : this.#topics.get(name);
  }

  /** The local replica `index` of `topic` (in a cluster, only those this node holds). */
  partition(topic: string, index: number): Partition | undefined {
    if (this.#cluster) return this.#replicas.get(topic)?.get(index);
    return this.#topics.get(topic)?.partitions[index];
  }

  effectiveConfig(overrides: Readonly<Record<string, string>>): EffectiveTopicConfig {
    return effectiveTopicConfig(this.#server, this.dynamicBrokerConfigs, overrides, this.clusterDefaultBrokerConfigs);
  }

  /** Checks a CreateTopics entry without changing anything. */
  checkCreate(name: string, partitions: number, replicationFactor: number): TopicResult {
    const problem = topicNameProblem(name);
    if (problem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (INTERNAL_TOPICS.has(name) || name.startsWith('__samsa')) return fail(ErrorCode.INVALID_REQUEST, `Topic name ${name} is reserved for internal use`);
    if (this.#topics.has(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const key = collisionKey(name);
    for (const existing of this.#topics.keys()) {
      if (collisionKey(existing) === key) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${existing}`);
    }
    if (!Number.isInteger(partitions) || partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    if (partitions > PARTITIONS_PER_TOPIC_MAX) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.`);
    if (replicationFactor !== 1) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be 1 on this single-node cluster (got ${replicationFactor}).`);
    }
    return ok;
  }

  /** Creates a topic (after `checkCreate` and config validation passed). */
  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>>): Promise<TopicResult> {
    if (this.#cluster) return Promise.resolve(clusterRefusal(`creating topic ${name}`));
    return this.#serialized(async () => {
      const check = this.checkCreate(name, partitions, 1);
      if (check.errorCode !== ErrorCode.NONE) return check;
      try {
        await this.#addTopic(name, partitions, configs, 'created topic');
      } catch (e) {
        return this.#storageFailure(`Could not create topic ${name}`, e);
      }
      return ok;
    });
  }

  /**
   * Creates a broker-internal topic (`__consumer_offsets`) that CreateTopics refuses; a
   * no-op when it exists. Used by the group coordinator on first use.
   */
  createInternalTopic(name: string, partitions: number, configs: Readonly<Record<string, string>>): Promise<TopicResult> {
    if (this.#cluster) return Promise.resolve(clusterRefusal(`creating internal topic ${name}`));
    return this.#serialized(async () => {
      if (this.#topics.has(name)) return ok;
      if (!INTERNAL_TOPICS.has(name)) return fail(ErrorCode.INVALID_REQUEST, `${name} is not an internal topic`);
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > PARTITIONS_PER_TOPIC_MAX) return fail(ErrorCode.INVALID_PARTITIONS, `Bad partition count ${partitions}`);
      try {
        await this.#addTopic(name, partitions, configs, 'created internal topic');
      } catch (e) {
        return this.#storageFailure(`Could not create topic ${name}`, e);
      }
      return ok;
    });
  }

  /**
   * Persists a new topic's record (metadata first), then opens its partitions; on a
   * failure undoes both (best effort) and rethrows. Runs inside `#serialized`.
   */
  async #addTopic(name: string, partitions: number, configs: Readonly<Record<string, string>>, logMessage: string): Promise<void> {
    const record: TopicRecord = { name, topicId: this.#newTopicId(), partitions, configs: { ...configs } };
    // (A record of the same name can be left in the state by an undo whose save failed.)
    const others = () => this.#store.state.topics.filter((t) => t.name !== name);
    await this.#store.saveOrRevert({ ...this.#store.state, topics: [...others(), record] });
    const opened: Partition[] = [];
    try {
      for (let i = 0; i < partitions; i++) opened.push(await this.#openPartition(record, i));
    } catch (e) {
      await this.#removePartitions(name, opened, 0, partitions);
      await this.#store.saveOrRevert({ ...this.#store.state, topics: others() }).catch((undo: unknown) => {
        this.#logger.warn({ topic: name, err: undo }, 'could not remove the half-created topic from the metadata; a restart opens it empty');
      });
      throw e;
    }
    this.#topics.set(name, { record, partitions: opened });
    this.#byId.set(record.topicId, name);
    this.#logger.info({ topic: name, partitions, topicId: record.topicId }, logMessage);
  }

  /** Deletes a topic; `immediately` removes its files before answering (a low disk), not after the delete delay. */
  deleteTopic(name: string, options: RemoveOptions = {}): Promise<TopicResult> {
    if (this.#cluster) return Promise.resolve(clusterRefusal(`deleting topic ${name}`));
    return this.#serialized(async () => {
      const topic = this.#topics.get(name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      if (!this.#server.deleteTopicEnable) return fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      const without = () => ({ ...this.#store.state, topics: this.#store.state.topics.filter((t) => t.name !== name) });
      let saved = true;
      try {
        await this.#store.saveOrRevert(without());
      } catch (e) {
        if (!causedByNoSpace(e)) return this.#storageFailure(`Could not delete topic ${name}`, e);
        saved = false;
        this.#logger.warn({ topic: name }, 'no space to save the metadata: deleting the topic\'s logs first to free space');
      }
      this.#topics.delete(name);
      this.#byId.delete(topic.record.topicId);
      const removed = await this.#removePartitions(name, topic.partitions, 0, topic.partitions.length, { immediately: !saved || options.immediately === true });
      if (!saved) {
        try {
          // `save`, not `saveOrRevert`: the topic is gone either way; a later save persists it.
          await this.#store.save(without());
        } catch (e) {
          return this.#storageFailure(`Deleted the data of topic ${name}, but could not save the metadata (a restart before the next change brings the topic back empty)`, e);
        }
      }
      if (!removed) return fail(ErrorCode.KAFKA_STORAGE_ERROR, `Topic ${name} is deleted, but some of its files could not be removed (see the broker log)`);
      this.#logger.info({ topic: name }, 'deleted topic');
      return ok;
    });
  }

  /**
   * Closes `opened` and removes the logs of partitions [from, to) of `topic` (best effort:
   * failures are logged). True when every log was removed.
   */
  async #removePartitions(topic: string, opened: readonly Partition[], from: number, to: number, options: RemoveOptions = { immediately: true }): Promise<boolean> {
    let allRemoved = true;
    for (const p of opened) {
      await p.close();
      await p.log.close().catch((e: unknown) => this.#logger.warn({ topic, partition: p.index, err: e }, 'closing a partition log failed'));
    }
    for (let i = from; i < to; i++) {
      try {
        await this.#logs.remove(topic, i, options);
      } catch (e) {
        allRemoved = false;
        this.#logger.warn({ topic, partition: i, err: e }, 'removing a partition log failed');
      }
    }
    return allRemoved;
  }

  #storageFailure(what: string, e: unknown): TopicResult {
    const reason = causedByNoSpace(e) ? 'the disk is full' : e instanceof Error ? e.message : String(e);
    this.#logger.warn({ err: e }, `${what}: ${reason}`);
    return fail(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${reason}`);
  }

  checkCreatePartitions(name: string, count: number): TopicResult {
    const topic = this.#topics.get(name);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = topic.partitions.length;
    if (count < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    if (count === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (count > PARTITIONS_PER_TOPIC_MAX) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.`);
    return ok;
  }

  createPartitions(name: string, count: number): Promise<TopicResult> {
    if (this.#cluster) return Promise.resolve(clusterRefusal(`adding partitions to topic ${name}`));
    return this.#serialized(async () => {
      const check = this.checkCreatePartitions(name, count);
      if (check.errorCode !== ErrorCode.NONE) return check;
      const topic = this.#topics.get(name)!;
      const record: TopicRecord = { ...topic.record, partitions: count };
      const withRecord = (r: TopicRecord) => ({ ...this.#store.state, topics: this.#store.state.topics.map((t) => (t.name === name ? r : t)) });
      try {
        await this.#store.saveOrRevert(withRecord(record));
      } catch (e) {
        return this.#storageFailure(`Could not add partitions to topic ${name}`, e);
      }
      const partitions = [...topic.partitions];
      try {
        for (let i = partitions.length; i < count; i++) partitions.push(await this.#openPartition(record, i));
      } catch (e) {
        const current = topic.partitions.length;
        await this.#removePartitions(name, partitions.slice(current), current, count);
        await this.#store.saveOrRevert(withRecord(topic.record)).catch((undo: unknown) => {
          this.#logger.warn({ topic: name, err: undo }, 'could not take the new partition count back in the metadata; a restart opens the new partitions empty');
        });
        return this.#storageFailure(`Could not add partitions to topic ${name}`, e);
      }
      this.#topics.set(name, { record, partitions });
      return ok;
    });
  }

  /** Replaces a topic's config overrides (callers validated them). */
  setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicResult> {
    if (this.#cluster) return Promise.resolve(clusterRefusal(`changing the configs of topic ${name}`));
    return this.#serialized(async () => {
      const topic = this.#topics.get(name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
      const record: TopicRecord = { ...topic.record, configs: { ...configs } };
      try {
        await this.#store.saveOrRevert({ ...this.#store.state, topics: this.#store.state.topics.map((t) => (t.name === name ? record : t)) });
      } catch (e) {
        return this.#storageFailure(`Could not save the configs of topic ${name}`, e);
      }
      this.#topics.set(name, { record, partitions: topic.partitions });
      this.#applyConfigs();
      return ok;
    });
  }

  setDynamicBrokerConfigs(configs: Readonly<Record<string, string>>): Promise<TopicResult> {
    if (this.#cluster) return Promise.resolve(clusterRefusal('changing broker configs'));
    return this.#serialized(async () => {
      try {
        await this.#store.saveOrRevert({ ...this.#store.state, dynamicBrokerConfigs: { ...configs } });
      } catch (e) {
        return this.#storageFailure('Could not save the broker configs', e);
      }
      this.#applyConfigs();
      return ok;
    });
  }

  /**
   * Cluster mode: makes the local replicas, their roles and configs those of `view` for
   * node `nodeId` (see the file comment). Called for the first view at open, for every
   * later view and on every lease change; serialized with the other mutations. Never
   * rejects: a replica that cannot be opened or removed is logged and retried next view.
   * A view older than the one applied keeps the applied one (only the lease changes).
   */
  applyView(view: ClusterView, nodeId: number, leaseValid: boolean): Promise<void> {
    return this.#serialized(async () => {
      if (this.#closed) return;
      const previous = this.#cluster;
      const current = previous !== null && view.revision < previous.view.revision ? previous.view : view;
      if (previous === null) await this.#forgetLocalFileTopics();
      this.#cluster = { nodeId, view: current, leaseValid };
      if (current.revision === 0) return;
      await this.#removeReplicasNotIn(current, nodeId);
      if (previous === null || previous.view.revision === 0) await this.#removeUnheldLogs(current, nodeId);
      for (const topic of current.topics.values()) await this.#applyTopicView(topic, current, nodeId, leaseValid);
    }).catch((e: unknown) => {
      this.#logger.error({ err: e, revision: view.revision }, 'applying a cluster view failed; the next view retries');
    });
  }

  /** Resolves once every mutation and view handed to the registry so far is done (tests, shutdown order). */
  applied(): Promise<void> {
    return this.#chain.then(() => {});
  }

  /** Topics opened from the local metadata file before cluster mode began: closed, data left as it is. */
  async #forgetLocalFileTopics(): Promise<void> {
    for (const [name, topic] of this.#topics) {
      this.#logger.warn({ topic: name }, 'cluster mode: closing a topic of the local metadata file (the cluster view decides the topics; its data is left on disk)');
      for (const p of topic.partitions) {
        await p.close();
        await p.log.close().catch((e: unknown) => this.#logger.warn({ topic: name, partition: p.index, err: e }, 'closing a partition log failed'));
      }
    }
    this.#topics.clear();
    this.#byId.clear();
  }

  /** Drops the replicas of topics gone or recreated, and those this node no longer holds. */
  async #removeReplicasNotIn(view: ClusterView, nodeId: number): Promise<void> {
    for (const [name, replicas] of [...this.#replicas]) {
      const known = this.#topics.get(name);
      const topic = view.topics.get(name);
      const sameTopic = topic !== undefined && known !== undefined && topic.topicId === known.record.topicId;
      const drop = [...replicas.values()].filter((p) => !sameTopic || !holds(topic.partitions[p.index], nodeId));
      for (const p of drop) {
        replicas.delete(p.index);
        await this.#removeReplica(p);
        this.leadership.emit({ topic: name, partition: p.index, role: 'follower', leaderEpoch: p.leaderEpoch, deleted: true });
      }
      if (replicas.size === 0) {
        this.#replicas.delete(name);
        this.#configJson.delete(name);
        this.#topics.delete(name);
        if (known) this.#byId.delete(known.record.topicId);
      } else if (drop.length > 0 && known) {
        this.#topics.set(name, { record: known.record, partitions: sortedReplicas(replicas) });
      }
    }
  }

  /**
   * First view after start: logs on disk of partitions this node does not hold (moved away
   * while it was down) are deleted. Logs of topics the view lacks were set aside as stray
   * when the log store opened (the broker's `topicConfig` follows the view).
   */
  async #removeUnheldLogs(view: ClusterView, nodeId: number): Promise<void> {
    for (const topic of view.topics.values()) {
      for (const p of topic.partitions) {
        if (holds(p, nodeId)) continue;
        await this.#logs.remove(topic.name, p.partition).catch((e: unknown) => this.#logger.warn({ topic: topic.name, partition: p.partition, err: e }, 'removing a replica this node no longer holds failed'));
      }
    }
  }

  async #removeReplica(p: Partition): Promise<void> {
    await p.close();
    await p.log.close().catch((e: unknown) => this.#logger.warn({ topic: p.topic, partition: p.index, err: e }, 'closing a partition log failed'));
    try {
      await this.#logs.remove(p.topic, p.index);
      this.#logger.info({ topic: p.topic, partition: p.index }, 'removed a local replica the cluster view no longer gives this node');
    } catch (e) {
      this.#logger.warn({ topic: p.topic, partition: p.index, err: e }, 'removing a partition log failed');
    }
  }

  /** Opens the replicas of `topic` this node holds, sets their roles and applies config changes. */
  async #applyTopicView(topic: TopicView, view: ClusterView, nodeId: number, leaseValid: boolean): Promise<void> {
    const held = topic.partitions.filter((p) => holds(p, nodeId));
    const replicas = this.#replicas.get(topic.name) ?? new Map<number, Partition>();
    if (held.length === 0 && replicas.size === 0) return;
    const record: TopicRecord = { name: topic.name, topicId: topic.topicId, partitions: topic.partitions.length, configs: { ...(view.topicConfigs.get(topic.name) ?? {}) } };
    const config = this.effectiveConfig(record.configs);
    // One comparison per topic and view, not per replica (views come often in a failover).
    const configJson = JSON.stringify(config);
    const configChanged = this.#configJson.get(topic.name) !== configJson;
    const missing = held.filter((p) => !replicas.has(p.partition));
    const opened = new Map<number, Partition>();
    await runBounded(missing, OPEN_CONCURRENCY, async (p) => {
      try {
        opened.set(p.partition, await this.#openPartition(record, p.partition));
      } catch (e) {
        this.#logger.warn({ topic: topic.name, partition: p.partition, err: e }, 'could not open a local replica; the next view retries');
      }
    });
    for (const pv of held) {
      const fresh = opened.get(pv.partition);
      const p = fresh ?? replicas.get(pv.partition);
      if (!p) continue;
      if (fresh) replicas.set(pv.partition, fresh);
      else if (configChanged) {
        p.config = config;
        this.#logs.reconfigure?.(p.log, toLogConfig(config));
      }
    }
    if (replicas.size === 0) return;
    this.#configJson.set(topic.name, configJson);
    this.#replicas.set(topic.name, replicas);
    this.#topics.set(topic.name, { record, partitions: sortedReplicas(replicas) });
    this.#byId.set(topic.topicId, topic.name);
    // Roles last: a leadership listener finds the replica it is told about (`partition(t, i)`).
    for (const pv of held) {
      const p = replicas.get(pv.partition);
      // A record written before this incarnation registered names the previous one: not led until the controller elects again.
      if (p) this.#setRole(p, leadsInThisIncarnation(view, pv, nodeId) && leaseValid, pv.leaderEpoch, opened.has(pv.partition));
    }
  }

  /** Sets a replica's role and epoch; emits when it is new or either changed. */
  #setRole(p: Partition, isLeader: boolean, leaderEpoch: number, isNew: boolean): void {
    if (!isNew && p.isLeader === isLeader && p.leaderEpoch === leaderEpoch) return;
    const wasLeader = p.isLeader && !isNew;
    p.isLeader = isLeader;
    p.leaderEpoch = leaderEpoch;
    // Its consumers' long polls answer NOT_LEADER_OR_FOLLOWER now, not at max_wait_ms.
    if (wasLeader && !isLeader) p.wakePolls();
    this.leadership.emit({ topic: p.topic, partition: p.index, role: isLeader ? 'leader' : 'follower', leaderEpoch, deleted: false });
  }

  /** Hands out a producer id; persists a new block of ids before using it. */
  nextProducerId(): Promise<number> {
    return this.#serialized(async () => {
      if (this.#nextProducerId >= this.#store.state.producerIdBlockEnd) {
        await this.#save({ ...this.#store.state, producerIdBlockEnd: this.#nextProducerId + PRODUCER_ID_BLOCK });
      }
      return this.#nextProducerId++;
    });
  }

  /** Ends every long poll, parked or to come (shutdown). */
  wakeAllWaiters(): void {
    for (const topic of this.#topics.values()) for (const p of topic.partitions) p.endPolls();
  }

  /**
   * Finishes in-flight appends (each partition stops taking new ones), then has the store
   * flush and close every log at once: the store closes them in parallel and writes its
   * checkpoints and clean-shutdown marker once at the end. (Closing each log here, one by
   * one, made the store rewrite every checkpoint file after each one: O(partitions²).)
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain;
    for (const topic of this.#topics.values()) for (const p of topic.partitions) await p.close();
    await this.#logs.close();
  }

  #applyConfigs(): void {
    for (const topic of this.#topics.values()) {
      const config = this.effectiveConfig(topic.record.configs);
      for (const p of topic.partitions) {
        p.config = config;
        this.#logs.reconfigure?.(p.log, toLogConfig(config));
      }
    }
  }

  async #openPartition(record: TopicRecord, index: number): Promise<Partition> {
    const config = this.effectiveConfig(record.configs);
    const log = await this.#logs.open(record.name, index, toLogConfig(config));
    const partition = new Partition(record.name, index, log, config);
    await partition.rebuildProducerState();
    return partition;
  }

  #save(next: MetadataState): Promise<void> {
    return this.#store.save(next);
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => {});
    return run;
  }

  #newTopicId(): string {
    // Kafka never hands out ids whose text starts with '-' (they read like CLI flags), nor the zero uuid.
    for (let attempt = 0; attempt < 100; attempt++) {
      const bytes = this.#random.fill(new Uint8Array(16));
      const id = uuidToString(bytes, 0);
      if (!id.startsWith('-') && !this.#byId.has(id) && bytes.some((b) => b !== 0)) return id;
    }
    throw new Error('could not generate a unique topic id');
  }
}

function holds(p: PartitionView | undefined, nodeId: number): boolean {
  return p !== undefined && p.replicas.includes(nodeId);
}

function sortedReplicas(replicas: ReadonlyMap<number, Partition>): Partition[] {
  return [...replicas.values()].sort((a, b) => a.index - b.index);
}

/** True when `e` or one of its causes (a LogStorageError wraps the FileSystemError) is a full disk. */
function causedByNoSpace(e: unknown): boolean {
  let at: unknown = e;
  for (let depth = 0; depth < 5 && at instanceof Error; depth++) {
    if (isNoSpace(at)) return true;
    at = at.cause;
  }
  return false;
}

export function toLogConfig(c: EffectiveTopicConfig): PartitionLogConfig {
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    segmentIndexBytes: c.segmentIndexBytes,
    indexIntervalBytes: c.indexIntervalBytes,
    maxMessageBytes: c.maxMessageBytes,
    logAppendTime: c.logAppendTime,
    flushMessages: c.flushMessages,
    flushMs: c.flushMs,
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    cleanupPolicy: c.cleanupPolicy,
  };
}
