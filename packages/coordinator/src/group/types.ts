/**
 * The group coordinator's inputs and outputs (plain data; no I/O).
 *
 * Requests are shaped like Kafka's generated request types (version-independent: the
 * broker handler fills defaults for old versions, e.g. JoinGroup v0's rebalanceTimeoutMs =
 * sessionTimeoutMs). Responses reuse @samsa/codec's generated response types, with
 * `throttleTimeMs: 0`; the broker encodes them at the request's version.
 *
 * Every request carries a caller-chosen `requestId`; its response comes back as exactly one
 * `respond` action, maybe in the same batch, maybe later (JoinGroup waits for the rebalance,
 * SyncGroup followers for the leader's assignment, commits for their append).
 */
import type {
  ConsumerGroupDescribeResponse,
  ConsumerGroupHeartbeatResponse,
  DeleteGroupsResponse,
  DescribeGroupsResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  ListGroupsResponse,
  OffsetCommitRequestOffsetCommitRequestTopic,
  OffsetCommitResponse,
  OffsetDeleteRequestOffsetDeleteRequestTopic,
  OffsetDeleteResponse,
  OffsetFetchResponseOffsetFetchResponseGroup,
  SyncGroupResponse,
} from '@samsa/codec';
import type { RawRecord } from './consumer-offsets-records.ts';

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

/** The states of a KIP-848 consumer group (Kafka's ConsumerGroupState names). */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** group.consumer.migration.policy (Kafka's ConsumerGroupMigrationPolicy): which online conversions between classic and consumer groups run. */
export type ConsumerGroupMigrationPolicy = 'bidirectional' | 'upgrade' | 'downgrade' | 'disabled';

/** Kafka broker settings the coordinator obeys (names are Kafka's, in camelCase + unit). */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  offsetsTopicNumPartitions: number;
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** offsets.retention.minutes × 60000 */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes (UTF-8 bytes of a commit's metadata string) */
  offsetMetadataMaxBytes: number;
  /** Bound on appends awaiting `appendCompleted`; beyond it requests get COORDINATOR_NOT_AVAILABLE. */
  pendingAppendsMax: number;
  /** Bound on groups; a new group beyond it gets COORDINATOR_NOT_AVAILABLE. */
  groupsMax: number;
  /** group.consumer.session.timeout.ms (KIP-848 consumer groups) */
  consumerGroupSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  consumerGroupHeartbeatIntervalMs: number;
  /** group.consumer.max.size */
  consumerGroupMaxSize: number;
  /** The first of group.consumer.assignors: the server assignor when no member names one. */
  consumerGroupDefaultAssignor: string;
  /** group.consumer.migration.policy: upgrade of a classic group with members on a ConsumerGroupHeartbeat, downgrade when the last consumer-protocol member leaves. */
  consumerGroupMigrationPolicy: ConsumerGroupMigrationPolicy;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  pendingAppendsMax: 100_000,
  groupsMax: 1_000_000,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerGroupDefaultAssignor: 'uniform',
  consumerGroupMigrationPolicy: 'bidirectional',
};

/** Structurally the `nextUint32` of @samsa/runtime's Random; seeds member ids. */
export interface CoordinatorRandom {
  nextUint32(): number;
}

export interface JoinGroupInput {
  groupId: string;
  sessionTimeoutMs: number;
  /** v0: the broker passes sessionTimeoutMs. */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
  reason: string | null;
  /** From the request header. */
  clientId: string;
  /** The peer's address as Kafka prints it, e.g. "/127.0.0.1". */
  clientHost: string;
  /** JoinGroup v4+ (KIP-394): a new dynamic member first gets MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+ (KIP-814): the member understands skipAssignment (a static leader replaced in Stable keeps the assignment). */
  skipAssignmentSupported: boolean;
}

export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+, else null (not checked). */
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** v0–v2 carry one memberId: the broker passes `members: [{ memberId, groupInstanceId: null, reason: null }]`. */
export interface LeaveGroupInput {
  groupId: string;
  members: { memberId: string; groupInstanceId: string | null; reason: string | null }[];
}

export interface OffsetCommitInput {
  groupId: string;
  /** -1 for a "simple" (non-group-managed) commit. */
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v2–v4; -1 = broker default retention. */
  retentionTimeMs: number;
  /** `commitTimestamp` is only meaningful in v1 (-1 = now). */
  topics: OffsetCommitRequestOffsetCommitRequestTopic[];
  /** The request's version (a consumer-protocol member must commit with v9+); absent = the newest. */
  apiVersion?: number;
}

/** One group of an OffsetFetch (v0–v7 have exactly one; v8 may have several). */
export interface OffsetFetchInput {
  groupId: string;
  /** null = every partition with a committed offset. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
  requireStable: boolean;
  /** v9+ (KIP-848): checked against a consumer-protocol group's members; absent/null with epoch < 0 = not checked. */
  memberId?: string | null;
  memberEpoch?: number;
}

export interface ListGroupsInput {
  /** v4+: group states to include (case-insensitive); empty = all. */
  statesFilter: string[];
  /** v5+: group types ("classic"/"consumer"); empty = all. */
  typesFilter: string[];
}

export interface DescribeGroupsInput {
  groups: string[];
}

/** ConsumerGroupHeartbeat (KIP-848), version-independent; the broker maps v0/v1. */
export interface ConsumerGroupHeartbeatInput {
  groupId: string;
  /** v0: "" at epoch 0 = the coordinator generates one; v1: always the client's. */
  memberId: string;
  /** 0 = join, -1 = leave, -2 = a static member leaves temporarily, else the member's epoch. */
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  /** -1 = unchanged. */
  rebalanceTimeoutMs: number;
  /** null = unchanged. */
  subscribedTopicNames: string[] | null;
  /** v1+; not supported (INVALID_REQUEST when set). */
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** null = unchanged (not sent); else what the member owns now. */
  topicPartitions: { topicId: string; partitions: number[] }[] | null;
  /** v1+ (KIP-1082): the client generates its member id, which must never be empty. */
  memberIdRequired: boolean;
  clientId: string;
  clientHost: string;
}

export interface ConsumerGroupDescribeInput {
  groupIds: string[];
}

export interface DeleteGroupsInput {
  groupsNames: string[];
}

export interface OffsetDeleteInput {
  groupId: string;
  topics: OffsetDeleteRequestOffsetDeleteRequestTopic[];
}

export type CoordinatorResponse =
  | { api: 'JoinGroup'; body: JoinGroupResponse }
  | { api: 'SyncGroup'; body: SyncGroupResponse }
  | { api: 'Heartbeat'; body: HeartbeatResponse }
  | { api: 'LeaveGroup'; body: LeaveGroupResponse }
  | { api: 'OffsetCommit'; body: OffsetCommitResponse }
  | { api: 'OffsetFetch'; body: OffsetFetchResponseOffsetFetchResponseGroup }
  | { api: 'ListGroups'; body: ListGroupsResponse }
  | { api: 'DescribeGroups'; body: DescribeGroupsResponse }
  | { api: 'DeleteGroups'; body: DeleteGroupsResponse }
  | { api: 'OffsetDelete'; body: OffsetDeleteResponse }
  | { api: 'ConsumerGroupHeartbeat'; body: ConsumerGroupHeartbeatResponse }
  | { api: 'ConsumerGroupDescribe'; body: ConsumerGroupDescribeResponse };

export type CoordinatorAction =
  /** Send `response` for the request the broker tagged `requestId`. */
  | { type: 'respond'; requestId: number; response: CoordinatorResponse }
  /**
   * Append `records` (one batch, in order) to `__consumer_offsets` partition `partition`,
   * then call `appendCompleted(completionId, errorCode)` once they are durable under the
   * partition's flush policy (errorCode 0) or failed (a Kafka error code).
   */
  | { type: 'append'; completionId: number; partition: number; records: RawRecord[] };

/** What `describeState()` exposes for tests, metrics and the CLI. */
export interface GroupView {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
  protocol: string | null;
  generation: number;
  leader: string | null;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; assignment: Uint8Array }[];
  offsets: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string }[];
}
