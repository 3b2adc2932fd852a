/**
 * FakeGroupLink: a ClusterLink for the consumer-group tests of cluster mode
 * (groups-cluster.e2e.test.ts). The test sets each view by hand (`publish`), and the
 * controller only records CreateTopic requests, answering each when the test says so
 * (`answerCreates`) so "one creation in flight" is observable. Views are built with
 * `groupsView`: brokers, plain topics and `__consumer_offsets` leaders, all with one
 * replica per partition (its leader).
 *
 * Not a general cluster fake: the other controller calls reject.
 */
import type { ControllerReply, CreateTopicRequest } from '@samsa/coordinator';
import type { ClusterLink, ControllerClient } from '../cluster/cluster-link.ts';
import type { BrokerView, ClusterView, PartitionView, TopicView } from '../cluster/cluster-view.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../groups/consumer-offsets-log.ts';

/** Listeners a test may register (the GroupService and the handlers never need more). */
const LISTENERS_MAX = 16;

export class FakeGroupLink implements ClusterLink {
  readonly nodeId: number;
  leaseValid = true;
  isController = false;
  /** Every CreateTopic request the controller got, in order. */
  readonly creates: CreateTopicRequest[] = [];
  readonly controller: ControllerClient;
  #producerIds = 0;
  /** Producer ids 0, 1, 2, … (the real member reserves blocks in the store). */
  nextProducerId(): Promise<number> {
    return Promise.resolve(this.#producerIds++);
  }
  #view: ClusterView;
  readonly #listeners = new Set<(view: ClusterView) => void>();
  #pendingCreates: ((reply: ControllerReply) => void)[] = [];

  constructor(nodeId: number, view: ClusterView) {
    this.nodeId = nodeId;
    this.#view = view;
    const refuse = (): Promise<ControllerReply> => Promise.reject(new Error('FakeGroupLink: only createTopic is faked'));
    this.controller = {
      createTopic: (req) => {
        this.creates.push(req);
        return new Promise((resolve) => this.#pendingCreates.push(resolve));
      },
      createPartitions: refuse,
      deleteTopic: refuse,
      alterConfigs: refuse,
      controlledShutdown: refuse,
      alterPartition: refuse,
      electLeaders: refuse,
      reassignPartitions: refuse,
      listReassignments: refuse,
    };
  }

  view(): ClusterView {
    return this.#view;
  }

  onView(listener: (view: ClusterView) => void): () => void {
    if (this.#listeners.size >= LISTENERS_MAX) throw new RangeError('too many view listeners');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async waitForRevision(revision: number): Promise<boolean> {
    return this.#view.revision >= revision;
  }

  /** Publishes `view` (its revision must not go back). */
  publish(view: ClusterView): void {
    if (view.revision < this.#view.revision) throw new Error('FakeGroupLink: a view revision went back');
    this.#view = view;
    for (const l of this.#listeners) l(view);
  }

  /** Answers every CreateTopic request waiting so far with `reply`. */
  answerCreates(reply: ControllerReply): void {
    for (const resolve of this.#pendingCreates.splice(0)) resolve(reply);
  }
}

export interface GroupsViewSpec {
  readonly revision: number;
  readonly brokers: readonly { nodeId: number; host: string; port: number }[];
  /** Plain topics: name → the leader of each partition. */
  readonly topics?: Readonly<Record<string, readonly number[]>>;
  /** The leader of each `__consumer_offsets` partition (-1: offline); absent: no such topic yet. */
  readonly offsetsLeaders?: readonly number[];
}

function topicView(name: string, leaders: readonly number[], topicId: string): TopicView {
  const partitions: PartitionView[] = leaders.map((leader, partition) => ({ topic: name, partition, leader, leaderEpoch: 1, partitionEpoch: 1, replicas: leader < 0 ? [] : [leader], isr: leader < 0 ? [] : [leader] }));
  return { name, topicId, partitions };
}

/** A view with the given brokers and topics (topic ids are made up from the names). */
export function groupsView(spec: GroupsViewSpec): ClusterView {
  const brokers = new Map<number, BrokerView>(spec.brokers.map((b) => [b.nodeId, { ...b, rack: null, epoch: 1 }]));
  const topics = new Map<string, TopicView>();
  const all: [string, readonly number[]][] = Object.entries(spec.topics ?? {});
  if (spec.offsetsLeaders !== undefined) all.push([CONSUMER_OFFSETS_TOPIC, spec.offsetsLeaders]);
  for (const [name, leaders] of all) topics.set(name, topicView(name, leaders, `id-${name}`.padEnd(22, '0').slice(0, 22)));
  const topicsById = new Map([...topics.values()].map((t) => [t.topicId, t]));
  return { revision: spec.revision, clusterId: 'fake-cluster', controllerId: -1, controllerEpoch: 0, brokers, topics, topicsById, topicConfigs: new Map(), brokerConfigs: new Map() };
}
