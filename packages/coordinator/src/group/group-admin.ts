/**
 * Group administration and introspection: ListGroups, DescribeGroups, DeleteGroups, and
 * the canonical views the facade exposes for tests, metrics and the CLI, as functions over
 * CoordinatorState.
 *
 * DeleteGroups removes an Empty group from memory at once and answers after its
 * tombstones (every offset, then the group) are appended. Unknown groups are described as
 * state "Dead" with NONE (v0–v5; the broker maps v6+). Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import { encodeGroupMetadataRecord, encodeOffsetCommitRecord } from './consumer-offsets-records.ts';
import type { RawRecord } from './consumer-offsets-records.ts';
import { consumerGroupState } from './consumer-group.ts';
import { commitAppendError } from './coordinator-state.ts';
import type { Completion, CoordinatorState } from './coordinator-state.ts';
import { EMPTY_BYTES, metadataFor } from './group-metadata.ts';
import type { GroupMetadata } from './group-metadata.ts';
import type { DeleteGroupsInput, DescribeGroupsInput, GroupView, ListGroupsInput } from './types.ts';

export function listGroups(s: CoordinatorState, requestId: number, req: ListGroupsInput): void {
  const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(req.typesFilter.map((s) => s.toLowerCase()));
  // As Kafka: the groups of the loaded partitions, with COORDINATOR_LOAD_IN_PROGRESS while any partition is loading.
  const groups = [...s.groups.values()]
    .filter((g) => s.served(g))
    .map((g) => {
      const cg = s.consumerGroups.get(g.groupId);
      if (cg !== undefined) return { groupId: g.groupId, protocolType: 'consumer', groupState: consumerGroupState(cg) as string, groupType: 'consumer' };
      return { groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state as string, groupType: 'classic' };
    })
    .filter((g) => (states.size === 0 || states.has(g.groupState.toLowerCase())) && (types.size === 0 || types.has(g.groupType)));
  s.respond(requestId, { api: 'ListGroups', body: { throttleTimeMs: 0, errorCode: s.anyLoading() ? E.COORDINATOR_LOAD_IN_PROGRESS : E.NONE, groups } });
}

/** Unknown groups are reported as state "Dead" with NONE (v0–v5); the broker maps v6+ to GROUP_ID_NOT_FOUND. */
export function describeGroups(s: CoordinatorState, requestId: number, req: DescribeGroupsInput): void {
  const groups = req.groups.map((groupId) => {
    const base = { errorCode: E.NONE as number, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] as never[], authorizedOperations: -2147483648 };
    const unavailable = s.unavailable(groupId);
    if (unavailable !== null) return { ...base, errorCode: unavailable, groupState: '' };
    const g = s.groups.get(groupId);
    // A KIP-848 consumer group is not a classic group: Dead, as Kafka's describeGroups answers when its classic lookup fails.
    if (g === undefined || s.consumerGroups.has(groupId)) return base;
    const stable = g.state === 'Stable';
    return {
      ...base,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? (g.protocol ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? metadataFor(m, g.protocol) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  });
  s.respond(requestId, { api: 'DescribeGroups', body: { throttleTimeMs: 0, groups } });
}

export function deleteGroups(s: CoordinatorState, requestId: number, req: DeleteGroupsInput): void {
  const results = req.groupsNames.map((groupId) => ({ groupId, errorCode: E.NONE as number }));
  let waiting = 1;
  const done = (): void => {
    if (--waiting === 0) s.respond(requestId, { api: 'DeleteGroups', body: { throttleTimeMs: 0, results } });
  };
  for (const r of results) {
    const g = s.groups.get(r.groupId);
    const unavailable = s.unavailable(r.groupId);
    if (unavailable !== null) r.errorCode = unavailable;
    else if (g === undefined || g.state === 'Dead') r.errorCode = E.GROUP_ID_NOT_FOUND;
    else if (g.state !== 'Empty' || (s.consumerGroups.get(r.groupId)?.members.size ?? 0) > 0) r.errorCode = E.NON_EMPTY_GROUP;
    else if (s.appendsFull()) r.errorCode = E.COORDINATOR_NOT_AVAILABLE;
    else {
      waiting++;
      deleteGroup(s, g, (code) => {
        if (code !== 0) r.errorCode = commitAppendError(code);
        done();
      });
    }
  }
  done();
}

/** Empty → Dead: tombstones for every offset and the group, and the group leaves memory now. */
function deleteGroup(s: CoordinatorState, g: GroupMetadata, then: Completion): void {
  const records: RawRecord[] = [];
  for (const [topic, parts] of g.offsets) for (const partition of parts.keys()) records.push(encodeOffsetCommitRecord({ group: g.groupId, topic, partition }, null));
  records.push(encodeGroupMetadataRecord(g.groupId, null));
  g.state = 'Dead';
  s.groups.delete(g.groupId);
  s.consumerGroups.delete(g.groupId);
  s.append(g.groupId, records, then);
}

/** A canonical view of every group (members in join order, offsets sorted), for tests, metrics and describe. */
export function describeState(s: CoordinatorState): GroupView[] {
  return [...s.groups.values()]
    .map((g) => ({
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      protocol: g.protocol,
      generation: g.generation,
      leader: g.leaderId,
      members: [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, assignment: m.assignment })),
      offsets: [...g.offsets]
        .flatMap(([topic, parts]) => [...parts].map(([partition, e]) => ({ topic, partition, offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata })))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
    }))
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/** Counts of groups by state, for metrics. */
export function groupCountsByState(s: CoordinatorState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of s.groups.values()) {
    const cg = s.consumerGroups.get(g.groupId);
    const state = cg === undefined ? g.state : consumerGroupState(cg);
    out[state] = (out[state] ?? 0) + 1;
  }
  return out;
}
