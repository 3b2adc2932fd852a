/**
 * FakeClusterLink: a ClusterLink whose views and lease a test sets by hand, and a
 * ControllerClient stub that records every call — the broker's cluster mode without etcd
 * or a controller.
 *
 *   const link = new FakeClusterLink(1, buildClusterView({ revision: 1, brokers: [...], topics: [...] }));
 *   const broker = await Broker.open({ ..., cluster: link });
 *   link.publish(buildClusterView({ revision: 2, ... }));   // listeners run synchronously
 *   link.setLeaseValid(false);
 *
 * Invariants (as ClusterLink's): `publish` refuses a view whose revision is lower than the
 * current one; listeners see every published view once, in order. Bounded: at most
 * LISTENERS_MAX listeners of each kind and CALLS_MAX recorded controller calls.
 */
import type { AlterConfigsRequest, AlterPartitionRequest, ControllerReply, CreatePartitionsRequest, CreateTopicRequest, ElectLeadersRequest, ListReassignmentsRequest, ReassignPartitionsRequest } from '@samsa/coordinator';
import type { ClusterLink, ControllerClient } from '../cluster/cluster-link.ts';
import type { BrokerView, ClusterView, PartitionView, TopicView } from '../cluster/cluster-view.ts';

export const LISTENERS_MAX = 64;
export const CALLS_MAX = 10_000;

export interface PartitionSpec {
  readonly leader: number;
  readonly leaderEpoch?: number;
  readonly replicas: readonly number[];
  /** Default: the replicas (when the leader is one of them) or [] (leader -1). */
  readonly isr?: readonly number[];
}

export interface TopicSpec {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly PartitionSpec[];
}

export interface BrokerSpec {
  readonly nodeId: number;
  readonly host?: string;
  readonly port?: number;
  readonly rack?: string | null;
}

export interface ClusterViewSpec {
  readonly revision: number;
  readonly clusterId?: string;
  readonly controllerId?: number;
  readonly brokers?: readonly BrokerSpec[];
  readonly topics?: readonly TopicSpec[];
  readonly topicConfigs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly brokerConfigs?: Readonly<Record<number, Readonly<Record<string, string>>>>;
  /** The cluster-wide default broker configs (default: none). */
  readonly brokerDefaultConfigs?: Readonly<Record<string, string>>;
}

export const FAKE_CLUSTER_ID = 'fake-cluster-id-00000A';

/** A ClusterView from a compact description (broker n listens on 127.0.0.1:9090+n by default). */
export function buildClusterView(spec: ClusterViewSpec): ClusterView {
  const brokers = new Map<number, BrokerView>();
  for (const b of spec.brokers ?? []) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host ?? '127.0.0.1', port: b.port ?? 9090 + b.nodeId, rack: b.rack ?? null, epoch: 1 });
  const topics = new Map<string, TopicView>();
  const topicsById = new Map<string, TopicView>();
  for (const t of spec.topics ?? []) {
    const partitions: PartitionView[] = t.partitions.map((p, i) => ({
      topic: t.name,
      partition: i,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch ?? 0,
      partitionEpoch: p.leaderEpoch ?? 0,
      replicas: [...p.replicas],
      isr: [...(p.isr ?? (p.leader === -1 ? [] : p.replicas))],
    }));
    const view: TopicView = { name: t.name, topicId: t.topicId, partitions };
    topics.set(t.name, view);
    topicsById.set(t.topicId, view);
  }
  return {
    revision: spec.revision,
    clusterId: spec.clusterId ?? FAKE_CLUSTER_ID,
    controllerId: spec.controllerId ?? -1,
    controllerEpoch: spec.controllerId === undefined || spec.controllerId === -1 ? 0 : 1,
    brokers,
    topics,
    topicsById,
    topicConfigs: new Map(Object.entries(spec.topicConfigs ?? {})),
    brokerConfigs: new Map(Object.entries(spec.brokerConfigs ?? {}).map(([id, c]) => [Number(id), c])),
    brokerDefaultConfigs: spec.brokerDefaultConfigs ?? {},
  };
}

export type ControllerCall =
  | { readonly method: 'createTopic'; readonly req: CreateTopicRequest }
  | { readonly method: 'createPartitions'; readonly req: CreatePartitionsRequest }
  | { readonly method: 'deleteTopic'; readonly name: string }
  | { readonly method: 'alterConfigs'; readonly req: AlterConfigsRequest }
  | { readonly method: 'controlledShutdown'; readonly brokerId: number }
  | { readonly method: 'alterPartition'; readonly req: AlterPartitionRequest }
  | { readonly method: 'electLeaders'; readonly req: ElectLeadersRequest }
  | { readonly method: 'reassignPartitions'; readonly req: ReassignPartitionsRequest }
  | { readonly method: 'listReassignments'; readonly req: ListReassignmentsRequest };

/** Records every call; answers `reply(call)` (default: ok). */
export class RecordingControllerClient implements ControllerClient {
  readonly calls: ControllerCall[] = [];
  reply: (call: ControllerCall) => ControllerReply | Promise<ControllerReply> = () => ({ ok: true });

  #record(call: ControllerCall): Promise<ControllerReply> {
    if (this.calls.length >= CALLS_MAX) return Promise.reject(new RangeError(`more than ${CALLS_MAX} controller calls recorded`));
    this.calls.push(call);
    return Promise.resolve(this.reply(call));
  }

  createTopic(req: CreateTopicRequest): Promise<ControllerReply> {
    return this.#record({ method: 'createTopic', req });
  }
  createPartitions(req: CreatePartitionsRequest): Promise<ControllerReply> {
    return this.#record({ method: 'createPartitions', req });
  }
  deleteTopic(name: string): Promise<ControllerReply> {
    return this.#record({ method: 'deleteTopic', name });
  }
  alterConfigs(req: AlterConfigsRequest): Promise<ControllerReply> {
    return this.#record({ method: 'alterConfigs', req });
  }
  controlledShutdown(brokerId: number): Promise<ControllerReply> {
    return this.#record({ method: 'controlledShutdown', brokerId });
  }
  alterPartition(req: AlterPartitionRequest): Promise<ControllerReply> {
    return this.#record({ method: 'alterPartition', req });
  }
  electLeaders(req: ElectLeadersRequest): Promise<ControllerReply> {
    return this.#record({ method: 'electLeaders', req });
  }
  reassignPartitions(req: ReassignPartitionsRequest): Promise<ControllerReply> {
    return this.#record({ method: 'reassignPartitions', req });
  }
  listReassignments(req: ListReassignmentsRequest): Promise<ControllerReply> {
    return this.#record({ method: 'listReassignments', req });
  }
}

export class FakeClusterLink implements ClusterLink {
  readonly nodeId: number;
  readonly controller = new RecordingControllerClient();
  #producerIds = 0;
  /** Producer ids 0, 1, 2, … (the real member reserves blocks in the store). */
  nextProducerId(): Promise<number> {
    return Promise.resolve(this.#producerIds++);
  }
  isController = false;
  #view: ClusterView;
  #leaseValid = true;
  readonly #viewListeners = new Set<(view: ClusterView) => void>();
  readonly #leaseListeners = new Set<(leaseValid: boolean) => void>();

  constructor(nodeId: number, view: ClusterView) {
    this.nodeId = nodeId;
    this.#view = view;
  }

  view(): ClusterView {
    return this.#view;
  }

  get leaseValid(): boolean {
    return this.#leaseValid;
  }

  onView(listener: (view: ClusterView) => void): () => void {
    return subscribe(this.#viewListeners, listener);
  }

  onLeaseChange(listener: (leaseValid: boolean) => void): () => void {
    return subscribe(this.#leaseListeners, listener);
  }

  waitForRevision(revision: number): Promise<boolean> {
    return Promise.resolve(this.#view.revision >= revision);
  }

  /** Makes `view` current and tells the listeners (synchronously). */
  publish(view: ClusterView): void {
    if (view.revision < this.#view.revision) throw new RangeError(`view revision ${view.revision} is older than ${this.#view.revision}`);
    this.#view = view;
    for (const l of [...this.#viewListeners]) l(view);
  }

  setLeaseValid(valid: boolean): void {
    if (valid === this.#leaseValid) return;
    this.#leaseValid = valid;
    for (const l of [...this.#leaseListeners]) l(valid);
  }

  get listenerCount(): number {
    return this.#viewListeners.size + this.#leaseListeners.size;
  }
}

function subscribe<T>(set: Set<T>, listener: T): () => void {
  if (set.size >= LISTENERS_MAX) throw new RangeError(`more than ${LISTENERS_MAX} listeners`);
  set.add(listener);
  return () => set.delete(listener);
}
