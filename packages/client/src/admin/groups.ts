/**
 * Group administration: listGroups, describeGroups (classic groups, with each member's
 * subscription and assignment decoded from the consumer protocol), describeConsumerGroups
 * (KIP-848 groups, ConsumerGroupDescribe) and deleteGroups.
 *
 * Routing: listGroups asks every broker (each knows only the groups it coordinates) and
 * merges; the others go to each group's coordinator (coordinators.ts), one request per
 * coordinator, each group settled and retried on its own.
 * A classic group that does not exist is described as state "Dead" with no members (what
 * Kafka answers before DescribeGroups v6); a KIP-848 group, too, is "Dead" to
 * DescribeGroups, and describeConsumerGroups answers GROUP_ID_NOT_FOUND for a classic one.
 */
import {
  ConsumerGroupDescribeRequestCodec,
  ConsumerGroupDescribeResponseCodec,
  DeleteGroupsRequestCodec,
  DeleteGroupsResponseCodec,
  DescribeGroupsRequestCodec,
  DescribeGroupsResponseCodec,
  ErrorCode,
  ListGroupsRequestCodec,
  ListGroupsResponseCodec,
} from '@samsa/codec/wire';
import type { ConsumerGroupDescribeResponseAssignment, DescribeGroupsResponseDescribedGroup } from '@samsa/codec/wire';
import { decodeAssignment, decodeSubscription } from '../assignors/consumer-protocol.ts';
import type { MemberAssignment } from '../assignors/consumer-protocol.ts';
import type { MemberSubscription } from '../assignors/assignor.ts';
import { UnsupportedVersionError } from '../errors.ts';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { outcomeOf, throwIfError } from './admin-context.ts';
import { perCoordinator } from './coordinators.ts';
import type { ItemOutcome } from './retry.ts';

const listGroupsApi = { request: ListGroupsRequestCodec, response: ListGroupsResponseCodec };
const describeGroupsApi = { request: DescribeGroupsRequestCodec, response: DescribeGroupsResponseCodec };
const consumerGroupDescribeApi = { request: ConsumerGroupDescribeRequestCodec, response: ConsumerGroupDescribeResponseCodec };
const deleteGroupsApi = { request: DeleteGroupsRequestCodec, response: DeleteGroupsResponseCodec };

/** ListGroups v4 filters by state, v5 by type. */
const STATES_FILTER_VERSION_MIN = 4;
const TYPES_FILTER_VERSION_MIN = 5;
/** The classic protocol type whose payloads the consumer protocol describes. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface ListGroupsOptions extends AdminCallOptions {
  /** Only groups in these states ("Stable", "Empty" …; case-insensitive; ListGroups v4+). */
  readonly states?: readonly string[];
  /** Only groups of these types ("classic", "consumer"; ListGroups v5+). */
  readonly types?: readonly string[];
}

export interface ListedGroup {
  readonly groupId: string;
  /** "consumer" for consumer groups, "" for KIP-848 groups and groups without members yet. */
  readonly protocolType: string;
  /** null before ListGroups v4. */
  readonly state: string | null;
  /** null before ListGroups v5. */
  readonly type: string | null;
  /** The broker that coordinates the group. */
  readonly coordinatorId: number;
}

export interface ClassicGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The JoinGroup metadata, decoded when the group speaks the consumer protocol (else null). */
  readonly subscription: (MemberSubscription & { readonly version: number }) | null;
  /** The SyncGroup assignment, decoded likewise (empty while the group is not Stable). */
  readonly assignment: MemberAssignment | null;
  readonly metadataBytes: Uint8Array;
  readonly assignmentBytes: Uint8Array;
}

export interface ClassicGroupDescription {
  readonly groupId: string;
  /** "Empty", "PreparingRebalance", "CompletingRebalance", "Stable" or "Dead" (unknown group). */
  readonly state: string;
  readonly protocolType: string;
  /** The chosen assignor ("range" …) while Stable, else "". */
  readonly protocol: string;
  readonly members: readonly ClassicGroupMember[];
  readonly coordinatorId: number;
}

export interface AssignedTopicPartitions {
  readonly topicId: string;
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface ConsumerGroupMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly assignment: readonly AssignedTopicPartitions[];
  readonly targetAssignment: readonly AssignedTopicPartitions[];
}

export interface ConsumerGroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: readonly ConsumerGroupMember[];
  readonly coordinatorId: number;
}

/** Every group of every broker, sorted by id. */
export async function listGroups(ctx: AdminContext, options: ListGroupsOptions = {}): Promise<ListedGroup[]> {
  const states = options.states ?? [];
  const types = options.types ?? [];
  await ctx.routing.anyBroker(options.signal);
  const brokers = ctx.routing.cluster.metadata.brokers().map((b) => b.nodeId);
  const answers = await Promise.all(
    brokers.map((nodeId) =>
      ctx.retrier.retrying(
        async () => {
          const connection = await ctx.routing.connection(nodeId);
          const version = connection.versionOf(ListGroupsRequestCodec.meta.apiKey) ?? 0;
          if (states.length > 0 && version < STATES_FILTER_VERSION_MIN) throw new UnsupportedVersionError(`listGroups by state needs ListGroups v${STATES_FILTER_VERSION_MIN}, broker ${nodeId} speaks v${version}`);
          if (types.length > 0 && version < TYPES_FILTER_VERSION_MIN) throw new UnsupportedVersionError(`listGroups by type needs ListGroups v${TYPES_FILTER_VERSION_MIN}, broker ${nodeId} speaks v${version}`);
          const response = await ctx.routing.send(nodeId, listGroupsApi, { statesFilter: [...states], typesFilter: [...types] }, options);
          throwIfError(response.errorCode, null, `ListGroups at broker ${nodeId}`);
          return response.groups.map((g): ListedGroup => ({
            groupId: g.groupId,
            protocolType: g.protocolType,
            state: version >= STATES_FILTER_VERSION_MIN ? g.groupState : null,
            type: version >= TYPES_FILTER_VERSION_MIN ? g.groupType : null,
            coordinatorId: nodeId,
          }));
        },
        options.signal,
        { onRetriable: () => ctx.routing.requestRefresh() },
      ),
    ),
  );
  const byId = new Map<string, ListedGroup>();
  for (const g of answers.flat()) byId.set(g.groupId, g);
  return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/** Classic groups at their coordinators, in the order asked. */
export async function describeGroups(ctx: AdminContext, groupIds: readonly string[], options: AdminCallOptions = {}): Promise<ClassicGroupDescription[]> {
  const done = await ctx.retrier.settleEach(
    groupIds,
    (pending) =>
      perCoordinator(ctx, pending, options.signal, async (nodeId, ids) => {
        const response = await ctx.routing.send(nodeId, describeGroupsApi, { groups: [...ids], includeAuthorizedOperations: false }, options);
        const out = new Map<string, ItemOutcome<ClassicGroupDescription>>();
        for (const g of response.groups) {
          // v6+ brokers answer an unknown group GROUP_ID_NOT_FOUND; describe it as older versions do.
          const errorCode = g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.NONE : g.errorCode;
          out.set(g.groupId, outcomeOf(errorCode, null, `group ${g.groupId}`, () => describedClassic(g, nodeId)));
        }
        return out;
      }),
    options.signal,
  );
  return groupIds.map((id) => done.get(id)!);
}

function describedClassic(g: DescribeGroupsResponseDescribedGroup, coordinatorId: number): ClassicGroupDescription {
  const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
  const state = g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? 'Dead' : g.groupState;
  return {
    groupId: g.groupId,
    state,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    coordinatorId,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscription: consumer && m.memberMetadata.length > 0 ? decodedOrNull(() => decodeSubscription(m.memberMetadata)) : null,
      assignment: consumer ? decodedOrNull(() => decodeAssignment(m.memberAssignment)) : null,
      metadataBytes: m.memberMetadata,
      assignmentBytes: m.memberAssignment,
    })),
  };
}

/** A payload another client wrote in a shape we cannot read is reported as bytes only. */
function decodedOrNull<T>(decode: () => T): T | null {
  try {
    return decode();
  } catch {
    return null;
  }
}

/** KIP-848 consumer groups (ConsumerGroupDescribe) at their coordinators, in the order asked. */
export async function describeConsumerGroups(ctx: AdminContext, groupIds: readonly string[], options: AdminCallOptions = {}): Promise<ConsumerGroupDescription[]> {
  const done = await ctx.retrier.settleEach(
    groupIds,
    (pending) =>
      perCoordinator(ctx, pending, options.signal, async (nodeId, ids) => {
        const response = await ctx.routing.send(nodeId, consumerGroupDescribeApi, { groupIds: [...ids], includeAuthorizedOperations: false }, options);
        const out = new Map<string, ItemOutcome<ConsumerGroupDescription>>();
        for (const g of response.groups) {
          out.set(g.groupId, outcomeOf(g.errorCode, g.errorMessage, `group ${g.groupId}`, () => ({
            groupId: g.groupId,
            state: g.groupState,
            groupEpoch: g.groupEpoch,
            assignmentEpoch: g.assignmentEpoch,
            assignorName: g.assignorName,
            coordinatorId: nodeId,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              instanceId: m.instanceId,
              rackId: m.rackId,
              memberEpoch: m.memberEpoch,
              clientId: m.clientId,
              clientHost: m.clientHost,
              subscribedTopicNames: m.subscribedTopicNames,
              subscribedTopicRegex: m.subscribedTopicRegex,
              assignment: assigned(m.assignment),
              targetAssignment: assigned(m.targetAssignment),
            })),
          })));
        }
        return out;
      }),
    options.signal,
  );
  return groupIds.map((id) => done.get(id)!);
}

function assigned(a: ConsumerGroupDescribeResponseAssignment): AssignedTopicPartitions[] {
  return a.topicPartitions.map((tp) => ({ topicId: tp.topicId, topic: tp.topicName, partitions: tp.partitions }));
}

/** Deletes empty groups (their committed offsets with them). NON_EMPTY_GROUP while members remain. */
export async function deleteGroups(ctx: AdminContext, groupIds: readonly string[], options: AdminCallOptions = {}): Promise<void> {
  await ctx.retrier.settleEach(
    groupIds,
    (pending) =>
      perCoordinator(ctx, pending, options.signal, async (nodeId, ids) => {
        const response = await ctx.routing.send(nodeId, deleteGroupsApi, { groupsNames: [...ids] }, options);
        return new Map(response.results.map((r) => [r.groupId, outcomeOf(r.errorCode, null, `group ${r.groupId}`, () => true as const)]));
      }),
    options.signal,
  );
}

/** True when the broker that coordinates groups speaks ConsumerGroupDescribe (KIP-848). */
export async function servesConsumerGroupDescribe(ctx: AdminContext, groupId: string, signal: AbortSignal | undefined): Promise<boolean> {
  const nodeId = await ctx.routing.coordinator(groupId, signal);
  const connection = await ctx.routing.connection(nodeId);
  return connection.versionOf(ConsumerGroupDescribeRequestCodec.meta.apiKey) !== undefined;
}

