/**
 * Test doubles for the admin path of a cluster, without etcd or a real controller:
 *
 * - `FakeViewSource`: one published ClusterView and its listeners (what a broker's watch
 *   would publish). Several links may share one (brokers that agree) or have their own
 *   (brokers whose views differ). Revisions only grow.
 * - `StubController`: a `LocalController` that records each call and applies it to a view
 *   source the way the real controller's writes would show up there (topic with a new id,
 *   more partitions, topic gone, configs). `deferViews` holds those changes until
 *   `flushViews()`; `hang` never answers; `nextReply` answers one call with a given reply.
 * - `FakeControllerLink`: a `ClusterLink` whose `controller` is a real
 *   ForwardingControllerClient over the given transport, with `isController` settable.
 * - `startLinkedBroker`: a Broker on the memory runtime with that link as `ctx.cluster`.
 *
 * Bounded: at most LISTENERS_MAX view listeners per source, CALLS_MAX recorded calls.
 */
import { newTopicId, type AlterConfigsRequest, type AlterPartitionRequest, type ControllerReply, type CreatePartitionsRequest, type CreateTopicRequest, type ElectLeadersRequest, type ListReassignmentsRequest, type ReassignPartitionsRequest } from '@samsa/coordinator';
import { createRandom, type Clock, type Transport } from '@samsa/runtime';
import { MemoryFileSystem, type MemoryTransport } from '@samsa/runtime/memory';
import { Broker } from '../broker.ts';
import type { ClusterLink } from '../cluster/cluster-link.ts';
import { emptyClusterView, type BrokerView, type ClusterView, type PartitionView, type TopicView } from '../cluster/cluster-view.ts';
import { ForwardingControllerClient, type LocalController } from '../cluster/controller-client.ts';
import { parseServerConfig } from '../config/server-config.ts';
import { silentLogger } from '../observability/logger.ts';

const LISTENERS_MAX = 1000;
const CALLS_MAX = 10_000;

export class FakeViewSource {
  #view: ClusterView;
  readonly #listeners = new Set<(view: ClusterView) => void>();

  constructor(clusterId = 'fake-cluster') {
    this.#view = emptyClusterView(clusterId);
  }

  view(): ClusterView {
    return this.#view;
  }

  /** Publishes `change(current)` at the next revision; listeners run synchronously. */
  publish(change: (view: ClusterView) => Omit<ClusterView, 'revision'>): ClusterView {
    const next: ClusterView = { ...change(this.#view), revision: this.#view.revision + 1 };
    this.#view = next;
    for (const l of [...this.#listeners]) l(next);
    return next;
  }

  /** View listeners subscribed now. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  subscribe(listener: (view: ClusterView) => void): () => void {
    if (this.#listeners.size >= LISTENERS_MAX) throw new RangeError(`more than ${LISTENERS_MAX} view listeners`);
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The brokers (by id, at 127.0.0.1) and the controller id. */
  setBrokers(ports: ReadonlyMap<number, number>, controllerId: number): ClusterView {
    const brokers = new Map<number, BrokerView>();
    for (const [nodeId, port] of ports) brokers.set(nodeId, { nodeId, host: '127.0.0.1', port, rack: null, epoch: 1 });
    return this.publish((v) => ({ ...v, brokers, controllerId, controllerEpoch: controllerId < 0 ? 0 : 1 }));
  }

  /** Adds (or replaces) a topic with one partition per replica list, each led by its first replica. */
  putTopic(name: string, topicId: string, replicas: readonly (readonly number[])[], configs?: Readonly<Record<string, string>>): ClusterView {
    return this.publish((v) => {
      const partitions: PartitionView[] = replicas.map((r, p) => ({ topic: name, partition: p, leader: r[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0, replicas: [...r], isr: [...r] }));
      const topic: TopicView = { name, topicId, partitions };
      const topics = new Map(v.topics);
      const old = topics.get(name);
      topics.set(name, topic);
      const topicsById = new Map(v.topicsById);
      if (old) topicsById.delete(old.topicId);
      topicsById.set(topicId, topic);
      const topicConfigs = new Map(v.topicConfigs);
      if (configs && Object.keys(configs).length > 0) topicConfigs.set(name, { ...configs });
      return { ...v, topics, topicsById, topicConfigs };
    });
  }
}

export type StubCall =
  | { readonly op: 'createTopic'; readonly req: CreateTopicRequest }
  | { readonly op: 'createPartitions'; readonly req: CreatePartitionsRequest }
  | { readonly op: 'deleteTopic'; readonly name: string }
  | { readonly op: 'alterConfigs'; readonly req: AlterConfigsRequest }
  | { readonly op: 'controlledShutdown'; readonly brokerId: number }
  | { readonly op: 'alterPartition'; readonly req: AlterPartitionRequest }
  | { readonly op: 'electLeaders'; readonly req: ElectLeadersRequest }
  | { readonly op: 'reassignPartitions'; readonly req: ReassignPartitionsRequest }
  | { readonly op: 'listReassignments'; readonly req: ListReassignmentsRequest };

export class StubController implements LocalController {
  readonly calls: StubCall[] = [];
  /** Never answer (timeouts, in-flight bounds). */
  hang = false;
  /** Hold the view changes until flushViews(). */
  deferViews = false;
  /** The next call answers this instead of acting. */
  nextReply: ControllerReply | null = null;
  readonly #source: FakeViewSource;
  readonly #nodeId: number;
  readonly #random = createRandom(7);
  #deferred: (() => void)[] = [];

  constructor(source: FakeViewSource, nodeId: number) {
    this.#source = source;
    this.#nodeId = nodeId;
  }

  flushViews(): void {
    for (const apply of this.#deferred.splice(0)) apply();
  }

  createTopic(req: CreateTopicRequest): Promise<ControllerReply> {
    return this.#call({ op: 'createTopic', req }, () => {
      const view = this.#source.view();
      if (view.topics.has(req.name)) return { ok: false, code: 'TOPIC_ALREADY_EXISTS', message: `topic '${req.name}' already exists` };
      const count = req.partitionCount === undefined || req.partitionCount === -1 ? 1 : req.partitionCount;
      const replicas = req.assignment ? req.assignment : Array.from({ length: count }, () => [this.#nodeId]);
      const topicId = newTopicId(this.#random);
      this.#apply(() => this.#source.putTopic(req.name, topicId, replicas, req.configs));
      return { ok: true, topicId };
    });
  }

  createPartitions(req: CreatePartitionsRequest): Promise<ControllerReply> {
    return this.#call({ op: 'createPartitions', req }, () => {
      const t = this.#source.view().topics.get(req.topic);
      if (!t) return { ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION', message: `no topic '${req.topic}'` };
      const added = req.assignment ?? Array.from({ length: req.totalCount - t.partitions.length }, () => [this.#nodeId]);
      this.#apply(() => this.#source.putTopic(req.topic, t.topicId, [...t.partitions.map((p) => p.replicas), ...added], this.#source.view().topicConfigs.get(req.topic)));
      return { ok: true, topicId: t.topicId };
    });
  }

  deleteTopic(name: string): Promise<ControllerReply> {
    return this.#call({ op: 'deleteTopic', name }, () => {
      const t = this.#source.view().topics.get(name);
      if (!t) return { ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION', message: `no topic '${name}'` };
      this.#apply(() =>
        this.#source.publish((v) => {
          const topics = new Map(v.topics);
          topics.delete(name);
          const topicsById = new Map(v.topicsById);
          topicsById.delete(t.topicId);
          const topicConfigs = new Map(v.topicConfigs);
          topicConfigs.delete(name);
          return { ...v, topics, topicsById, topicConfigs };
        }),
      );
      return { ok: true };
    });
  }

  alterConfigs(req: AlterConfigsRequest): Promise<ControllerReply> {
    return this.#call({ op: 'alterConfigs', req }, () => {
      const r = req.resource;
      this.#apply(() =>
        this.#source.publish((v) => {
          const current = (r.type === 'topic' ? v.topicConfigs.get(r.name) : r.type === 'broker' ? v.brokerConfigs.get(r.brokerId) : v.brokerDefaultConfigs) ?? {};
          const next: Record<string, string> = req.mode === 'replace' ? {} : { ...current };
          for (const [k, value] of Object.entries(req.configs)) {
            if (value === null) delete next[k];
            else next[k] = value;
          }
          if (r.type === 'topic') return { ...v, topicConfigs: new Map(v.topicConfigs).set(r.name, next) };
          if (r.type === 'broker-default') return { ...v, brokerDefaultConfigs: next };
          return { ...v, brokerConfigs: new Map(v.brokerConfigs).set(r.brokerId, next) };
        }),
      );
      return { ok: true };
    });
  }

  controlledShutdown(brokerId: number): Promise<ControllerReply> {
    return this.#call({ op: 'controlledShutdown', brokerId }, () => ({ ok: true }));
  }

  // Issue 14: answered from `nextReply`, else these defaults (no view change).
  alterPartition(req: AlterPartitionRequest): Promise<ControllerReply> {
    return this.#call({ op: 'alterPartition', req }, () => ({ ok: false, code: 'UNKNOWN_TOPIC_OR_PARTITION', message: `no partition ${req.topic}-${req.partition}` }));
  }
  electLeaders(req: ElectLeadersRequest): Promise<ControllerReply> {
    return this.#call({ op: 'electLeaders', req }, () => ({ ok: true, partitions: (req.partitions ?? []).map((p) => ({ ...p, error: 'ELECTION_NOT_NEEDED' as const, message: null })) }));
  }
  reassignPartitions(req: ReassignPartitionsRequest): Promise<ControllerReply> {
    return this.#call({ op: 'reassignPartitions', req }, () => ({ ok: true, partitions: req.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: null, message: null })) }));
  }
  listReassignments(req: ListReassignmentsRequest): Promise<ControllerReply> {
    return this.#call({ op: 'listReassignments', req }, () => ({ ok: true, reassignments: [] }));
  }

  #apply(change: () => void): void {
    if (this.deferViews) this.#deferred.push(change);
    else change();
  }

  #call(call: StubCall, act: () => ControllerReply): Promise<ControllerReply> {
    if (this.calls.length >= CALLS_MAX) throw new RangeError(`more than ${CALLS_MAX} stub controller calls`);
    this.calls.push(call);
    if (this.hang) return new Promise(() => undefined);
    const preset = this.nextReply;
    this.nextReply = null;
    return Promise.resolve(preset ?? act());
  }
}

export interface FakeControllerLinkOptions {
  readonly nodeId: number;
  readonly source: FakeViewSource;
  readonly isController: boolean;
  readonly localController: LocalController;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly requestTimeoutMs?: number;
  readonly inFlightMax?: number;
}

export class FakeControllerLink implements ClusterLink {
  readonly nodeId: number;
  readonly leaseValid = true;
  isController: boolean;
  readonly controller: ForwardingControllerClient;
  #producerIds = 0;
  /** Producer ids 0, 1, 2, … (the real member reserves blocks in the store). */
  nextProducerId(): Promise<number> {
    return Promise.resolve(this.#producerIds++);
  }
  readonly #source: FakeViewSource;
  readonly #clock: Clock;

  constructor(o: FakeControllerLinkOptions) {
    this.nodeId = o.nodeId;
    this.#source = o.source;
    this.#clock = o.clock;
    this.isController = o.isController;
    this.controller = new ForwardingControllerClient({
      isController: () => this.isController,
      localController: o.localController,
      view: () => this.#source.view(),
      nodeId: o.nodeId,
      transport: o.transport,
      clock: o.clock,
      logger: silentLogger,
      ...(o.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: o.requestTimeoutMs }),
      ...(o.inFlightMax === undefined ? {} : { inFlightMax: o.inFlightMax }),
    });
  }

  view(): ClusterView {
    return this.#source.view();
  }

  onView(listener: (view: ClusterView) => void): () => void {
    return this.#source.subscribe(listener);
  }

  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.view().revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        stop();
        resolve(false);
      }, timeoutMs);
      const stop = this.onView((v) => {
        if (v.revision < revision) return;
        stop();
        timer.cancel();
        resolve(true);
      });
    });
  }
}

export interface LinkedBroker {
  readonly broker: Broker;
  readonly port: number;
  stop(): Promise<void>;
}

/** A broker on the memory runtime whose `ctx.cluster` is `link`, listening on `transport`. */
export async function startLinkedBroker(o: { readonly nodeId: number; readonly link: ClusterLink; readonly transport: MemoryTransport; readonly clock: Clock }): Promise<LinkedBroker> {
  const fs = new MemoryFileSystem({ clock: o.clock, metadataDurability: 'immediate' });
  const config = parseServerConfig({ overrides: [`node.id=${o.nodeId}`, 'listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data'] });
  const broker = await Broker.open({ config, fs, clock: o.clock, random: createRandom(o.nodeId), cluster: o.link });
  const listener = await broker.listen(o.transport);
  return { broker, port: listener.port, stop: () => broker.shutdown() };
}
