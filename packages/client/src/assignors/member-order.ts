/**
 * The order Java's assignors sort members in (`AbstractPartitionAssignor.MemberInfo`):
 * static members (with a group.instance.id, KIP-345) first, by instance id, then dynamic
 * members by member id. Static members keep their place across restarts, so range and
 * round-robin give a restarted static member the same partitions again.
 *
 * Strings compare by UTF-16 code units, like Java's `String.compareTo` (not localeCompare).
 */
import type { GroupMember } from './assignor.ts';

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareMembers(a: GroupMember, b: GroupMember): number {
  const ia = a.groupInstanceId ?? null;
  const ib = b.groupInstanceId ?? null;
  if (ia !== null && ib !== null) return compareStrings(ia, ib) || compareStrings(a.memberId, b.memberId);
  if (ia !== null) return -1;
  if (ib !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

/** A sorted copy of `members`; throws on a duplicate member id (a caller bug). */
export function sortedMembers(members: readonly GroupMember[]): GroupMember[] {
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.memberId)) throw new Error(`assignor: member ${m.memberId} appears twice`);
    seen.add(m.memberId);
  }
  return [...members].sort(compareMembers);
}

/** An empty assignment with an entry for every member. */
export function emptyAssignment(members: readonly GroupMember[]): Map<string, Map<string, number[]>> {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

/** Appends `partition` of `topic` to `memberAssignment`. */
export function addPartition(memberAssignment: Map<string, number[]>, topic: string, partition: number): void {
  const list = memberAssignment.get(topic);
  if (list === undefined) memberAssignment.set(topic, [partition]);
  else list.push(partition);
}

/** Sorts every partition list of `assignment` ascending (in place) and returns it. */
export function sortAssignment(assignment: Map<string, Map<string, number[]>>): Map<string, Map<string, number[]>> {
  for (const topics of assignment.values()) for (const list of topics.values()) list.sort((x, y) => x - y);
  return assignment;
}
