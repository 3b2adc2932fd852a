/**
 * The client-side ("classic" protocol) partition assignor contract, as in Java's
 * `ConsumerPartitionAssignor`: the group leader decodes every member's subscription, calls
 * `assign` once, and sends each member its part in SyncGroup.
 *
 * Contract every assignor here keeps:
 *  - the result has an entry for every member (possibly an empty map);
 *  - a member only gets partitions of topics it subscribed to and that `partitionsPerTopic`
 *    knows (a topic without metadata is skipped, as Java does);
 *  - partition lists are sorted ascending, without duplicates, each in [0, count);
 *  - EAGER assignors give every subscribed partition exactly one owner;
 *  - COOPERATIVE assignors (KIP-429) never give a partition to a member while another
 *    member still owns it (per the subscriptions' owned partitions); such a partition is
 *    left out until its owner has revoked it and a follow-up rebalance places it.
 *
 * Assignors are pure: same input, same output; no clock, no randomness.
 */

/** The rebalance protocol an assignor supports (Java's `RebalanceProtocol`). */
export type RebalanceProtocol = 'EAGER' | 'COOPERATIVE';

/** Partitions of one topic, as the consumer protocol carries them. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** One member's ConsumerProtocolSubscription, decoded. */
export interface MemberSubscription {
  readonly topics: readonly string[];
  readonly userData?: Uint8Array | null;
  /** What the member owns now (v1+); empty for an eager member or a new one. */
  readonly ownedPartitions: readonly TopicPartitions[];
  /** The generation `ownedPartitions` belong to (v2+); -1 or absent when unknown. */
  readonly generationId?: number;
  readonly rackId?: string | null;
}

export interface GroupMember {
  readonly memberId: string;
  /** Static membership (KIP-345): orders members before dynamic ones, as Java does. */
  readonly groupInstanceId?: string | null;
  readonly subscription: MemberSubscription;
}

/** memberId → topic → sorted partitions. */
export type GroupAssignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  /** The protocol name sent in JoinGroup ("range", "roundrobin", "cooperative-sticky"). */
  readonly name: string;
  readonly protocol: RebalanceProtocol;
  assign(members: readonly GroupMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment;
}
