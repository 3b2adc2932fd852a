/**
 * ClusterLink: what a broker in a cluster (`metadata.store=etcd`) has that a single broker
 * does not. The broker and its handlers reach the cluster only through this interface;
 * `BrokerContext.cluster` is null on a single broker (local metadata store), and every
 * code path that asks `ctx.cluster` keeps its single-node behaviour when it is null.
 *
 * Who implements what:
 * - `ClusterMember` (cluster-member.ts): registration with a lease and its keepalive, the
 *   controller campaign (the @samsa/coordinator `Controller` driver runs in every broker),
 *   the watch that builds each new `ClusterView`, and lease-loss fencing (`leaseValid`).
 * - `ControllerClient` (controller-client.ts): admin requests run on this broker's own
 *   controller when it is the active one, else are forwarded to the controller broker.
 *
 * Invariants:
 * - `view()` only moves forward (revision never decreases); listeners see every view
 *   once, in order, synchronously after it is published.
 * - `leaseValid` is false from the moment another broker may have been elected in this
 *   broker's place (its lease may have expired: no keepalive answered within the lease
 *   TTL); while false the broker acts as leader of nothing (writes get
 *   NOT_LEADER_OR_FOLLOWER). It turns true again only after re-registering.
 */
import type { AlterConfigsRequest, AlterPartitionRequest, ControllerReply, CreatePartitionsRequest, CreateTopicRequest, ElectLeadersRequest, ListReassignmentsRequest, ReassignPartitionsRequest } from '@samsa/coordinator';
import type { ClusterView } from './cluster-view.ts';

export interface ControllerClient {
  createTopic(req: CreateTopicRequest): Promise<ControllerReply>;
  createPartitions(req: CreatePartitionsRequest): Promise<ControllerReply>;
  deleteTopic(name: string): Promise<ControllerReply>;
  alterConfigs(req: AlterConfigsRequest): Promise<ControllerReply>;
  /** Moves this broker's leaderships away; resolves once it leads nothing (or with an error). */
  controlledShutdown(brokerId: number): Promise<ControllerReply>;
  /** A partition leader's ISR proposal (issue 14): ok carries the new state in `partition`. */
  alterPartition(req: AlterPartitionRequest): Promise<ControllerReply>;
  /** ElectLeaders: ok carries one result per partition in `partitions`. */
  electLeaders(req: ElectLeadersRequest): Promise<ControllerReply>;
  /** AlterPartitionReassignments: ok carries one result per partition in `partitions`. */
  reassignPartitions(req: ReassignPartitionsRequest): Promise<ControllerReply>;
  /** ListPartitionReassignments: ok carries `reassignments`. */
  listReassignments(req: ListReassignmentsRequest): Promise<ControllerReply>;
}

export interface ClusterLink {
  readonly nodeId: number;
  /** The current view (see cluster-view.ts). */
  view(): ClusterView;
  /** Calls `listener` with every later view; returns the unsubscribe function. */
  onView(listener: (view: ClusterView) => void): () => void;
  /** Resolves true once the view's revision is ≥ `revision`, false after `timeoutMs`. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean>;
  /** False while this broker's lease may have expired (see the file comment). */
  readonly leaseValid: boolean;
  /** True while this broker is the active controller. */
  readonly isController: boolean;
  readonly controller: ControllerClient;
  /**
   * Optional (ClusterMember has it): calls `listener` synchronously each time the member
   * notices `leaseValid` change: false when the lease window lapsed or the store said the
   * lease is gone (and when the member stops), true once it has re-registered. `leaseValid`
   * itself is exact at every read; this is for work that must follow the change without a
   * request (become-follower on lease loss, become-leader after renewal). Returns the
   * unsubscribe function.
   */
  onLeaseChange?(listener: (leaseValid: boolean) => void): () => void;
  /**
   * A producer id no other broker of the cluster hands out (blocks reserved by
   * compare-and-set on the cluster's `producer-ids` key: producer-id-blocks.ts). Rejects
   * when the store cannot be reached: InitProducerId then answers COORDINATOR_NOT_AVAILABLE.
   */
  nextProducerId(): Promise<number>;
}
