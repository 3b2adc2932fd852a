/**
 * Replay: rebuilds the groups and offsets from `__consumer_offsets` records read back in
 * log order (every partition), before the coordinator serves requests.
 *
 * The last record of a key wins, as log compaction would keep it: an offset commit sets
 * the offset, a null value (tombstone) removes it; a GroupMetadata record replaces the
 * group (keeping its offsets), a tombstone removes it. Undecodable records and unknown key
 * versions (transaction markers, KIP-848 records) are counted as skipped, never thrown.
 *
 * Invariants: `load` only while loading; `loadCompleted` ends loading once, gives every
 * restored member a fresh session from that time, and arms the deadline cache and the
 * retention check. In cluster mode (not `ownsAllPartitions`) `load` takes records while
 * some partition is loading (partition-ownership.ts) and keeps only those of groups whose
 * partition is loading (others are counted as skipped: they are not this load's).
 * Single-threaded.
 */
import { decodeConsumerOffsetsRecord } from './consumer-offsets-records.ts';
import type { GroupMetadataValue, RawRecord } from './consumer-offsets-records.ts';
import type { CoordinatorState } from './coordinator-state.ts';
import { newGroup } from './group-metadata.ts';
import type { MemberMetadata } from './group-metadata.ts';
import { updateSubscribedTopics } from './rebalance.ts';

export interface LoadStats {
  records: number;
  /** Records whose key or value did not decode, or whose key version is unknown. */
  skipped: number;
}

/** Replays `__consumer_offsets` records in log order (any partitions). Only before loadCompleted. */
export function load(s: CoordinatorState, records: Iterable<RawRecord>): LoadStats {
  if (s.ownsAllPartitions ? !s.loading : !s.anyLoading()) throw new Error('GroupCoordinator.load while no partition is loading');
  const stats: LoadStats = { records: 0, skipped: 0 };
  for (const raw of records) {
    stats.records++;
    let rec;
    try {
      rec = decodeConsumerOffsetsRecord(raw.key, raw.value);
    } catch {
      stats.skipped++;
      continue;
    }
    if (rec.kind === 'unknown' || !loadingGroup(s, rec.kind === 'offset' ? rec.key.group : rec.group)) stats.skipped++;
    else if (rec.kind === 'offset') replayOffset(s, rec.key.group, rec.key.topic, rec.key.partition, rec.value);
    else replayGroup(s, rec.group, rec.value);
  }
  return stats;
}

/** Whether a replayed record of `groupId` belongs to a load in progress. */
function loadingGroup(s: CoordinatorState, groupId: string): boolean {
  return s.ownsAllPartitions || s.owned.get(s.partitionOf(groupId))?.loading === true;
}

/** Ends COORDINATOR_LOAD_IN_PROGRESS; members restored from the log get a fresh session from `nowMs`. */
export function loadCompleted(s: CoordinatorState, nowMs: number): void {
  if (!s.ownsAllPartitions) throw new Error('GroupCoordinator.loadCompleted on a coordinator that owns partitions one by one: use loadPartitionCompleted');
  s.nowMs = nowMs;
  s.loading = false;
  for (const g of s.groups.values()) for (const m of g.members.values()) m.heartbeatDeadlineMs = nowMs + m.sessionTimeoutMs;
  s.recomputeNextDeadline();
  s.nextRetentionCheckMs = nowMs + s.config.offsetsRetentionCheckIntervalMs;
}

function replayOffset(s: CoordinatorState, groupId: string, topic: string, partition: number, v: { offset: number; leaderEpoch: number; metadata: string; commitTimestampMs: number; expireTimestampMs: number } | null): void {
  let g = s.groups.get(groupId);
  if (v === null) {
    g?.offsets.get(topic)?.delete(partition);
    if (g?.offsets.get(topic)?.size === 0) g.offsets.delete(topic);
    return;
  }
  if (g === undefined) {
    g = newGroup(groupId, v.commitTimestampMs);
    s.groups.set(groupId, g);
  }
  s.setOffset(g, topic, partition, { ...v });
}

function replayGroup(s: CoordinatorState, groupId: string, v: GroupMetadataValue | null): void {
  if (v === null) {
    s.groups.delete(groupId);
    return;
  }
  const old = s.groups.get(groupId);
  const g = newGroup(groupId, v.currentStateTimestampMs);
  if (old !== undefined) g.offsets = old.offsets;
  g.protocolType = v.protocolType === '' ? null : v.protocolType;
  g.generation = v.generation;
  g.protocol = v.protocol;
  g.leaderId = v.leader;
  g.state = v.members.length === 0 ? 'Empty' : 'Stable';
  for (const pm of v.members) {
    const m: MemberMetadata = {
      memberId: pm.memberId,
      groupInstanceId: pm.groupInstanceId,
      clientId: pm.clientId,
      clientHost: pm.clientHost,
      rebalanceTimeoutMs: pm.rebalanceTimeoutMs,
      sessionTimeoutMs: pm.sessionTimeoutMs,
      protocolType: v.protocolType,
      protocols: [{ name: v.protocol ?? '', metadata: pm.subscription }],
      assignment: pm.assignment,
      joinRequestId: null,
      syncRequestId: null,
      heartbeatDeadlineMs: 0,
    };
    g.members.set(m.memberId, m);
    if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
  }
  if (g.leaderId !== null && !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
  updateSubscribedTopics(g);
  s.groups.set(groupId, g);
}
