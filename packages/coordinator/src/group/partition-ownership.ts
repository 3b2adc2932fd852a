/**
 * Partition ownership (cluster mode): a broker coordinates the groups of the
 * `__consumer_offsets` partitions it leads. When it becomes leader of partition p, the
 * broker calls `loadPartition(p)`, replays p's records through `load` (replay.ts), then
 * `loadPartitionCompleted(p)`; when it stops leading p, `unloadPartition(p)`.
 *
 *   not owned ──loadPartition──▶ loading ──loadPartitionCompleted──▶ loaded
 *   loading/loaded ──unloadPartition──▶ not owned
 *   loading/loaded ──loadPartition──▶ loading (a fresh load: the partition is unloaded first)
 *
 * Requests for a group of a partition that is not owned get NOT_COORDINATOR, of a loading
 * one COORDINATOR_LOAD_IN_PROGRESS (CoordinatorState.unavailable). Unloading drops the
 * partition's groups from memory: their parked JoinGroup and SyncGroup requests are
 * answered NOT_COORDINATOR (the client finds the new coordinator and rejoins there), their
 * timers stop with them, and their appends still in flight complete as NOT_COORDINATOR
 * (each append carries the incarnation it was issued under, see coordinator-state.ts).
 *
 * Only for a coordinator created with `ownsAllPartitions: false`. Single-threaded.
 */
import { ErrorCode as E } from '@samsa/codec';
import type { CoordinatorState } from './coordinator-state.ts';
import { EMPTY_BYTES } from './group-metadata.ts';

function checkPartition(s: CoordinatorState, partition: number, what: string): void {
  if (s.ownsAllPartitions) throw new Error(`GroupCoordinator.${what}: this coordinator owns every partition (ownsAllPartitions)`);
  if (!Number.isInteger(partition) || partition < 0 || partition >= s.config.offsetsTopicNumPartitions) {
    throw new RangeError(`GroupCoordinator.${what}: partition ${partition} is not in [0, ${s.config.offsetsTopicNumPartitions})`);
  }
}

/** `partition` is loading: its groups answer COORDINATOR_LOAD_IN_PROGRESS until loadPartitionCompleted. */
export function loadPartition(s: CoordinatorState, partition: number): void {
  checkPartition(s, partition, 'loadPartition');
  unloadPartition(s, partition);
  s.owned.set(partition, { loading: true, incarnation: s.nextIncarnation++ });
}

/** Ends the load of `partition`: its restored members get a fresh session from `nowMs`. */
export function loadPartitionCompleted(s: CoordinatorState, partition: number, nowMs: number): void {
  checkPartition(s, partition, 'loadPartitionCompleted');
  const o = s.owned.get(partition);
  if (o === undefined || !o.loading) throw new Error(`GroupCoordinator.loadPartitionCompleted: partition ${partition} is not loading`);
  if (nowMs > s.nowMs) s.nowMs = nowMs;
  o.loading = false;
  for (const g of s.groups.values()) {
    if (s.partitionOf(g.groupId) !== partition) continue;
    for (const m of g.members.values()) m.heartbeatDeadlineMs = s.nowMs + m.sessionTimeoutMs;
  }
  s.recomputeNextDeadline();
  s.nextRetentionCheckMs ??= s.nowMs + s.config.offsetsRetentionCheckIntervalMs;
}

/** Drops `partition`'s groups (answering their parked requests NOT_COORDINATOR); a no-op when it is not owned. */
export function unloadPartition(s: CoordinatorState, partition: number): void {
  checkPartition(s, partition, 'unloadPartition');
  if (!s.owned.delete(partition)) return;
  for (const g of [...s.groups.values()]) {
    if (s.partitionOf(g.groupId) !== partition) continue;
    for (const m of g.members.values()) {
      if (m.joinRequestId !== null) s.respondJoinError(m.joinRequestId, m.memberId, E.NOT_COORDINATOR);
      if (m.syncRequestId !== null) s.respondSync(m.syncRequestId, g, E.NOT_COORDINATOR, EMPTY_BYTES);
      m.joinRequestId = null;
      m.syncRequestId = null;
    }
    g.state = 'Dead';
    s.groups.delete(g.groupId);
  }
  s.recomputeNextDeadline();
}

/** The owned partitions, ascending, with whether each is still loading. */
export function ownedPartitions(s: CoordinatorState): { partition: number; loading: boolean }[] {
  return [...s.owned].map(([partition, o]) => ({ partition, loading: o.loading })).sort((a, b) => a.partition - b.partition);
}
