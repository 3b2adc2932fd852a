/**
 * A partition's replicas moving to a new set (AlterPartitionReassignments, Kafka's KIP-455
 * as KRaft records it; re-written here). Pure functions of one PartitionRecord.
 *
 * - Start: `original` = replicas minus the ones being added. A target T gives
 *   adding = T − original, removing = original − T, and replicas = T followed by the removing
 *   ones (so the first target replica is the preferred leader). The ISR keeps only replicas
 *   of the new list and must keep one; new replicas never join the ISR here: the leader adds
 *   them through AlterPartition once they have caught up. A target equal to the original
 *   set (or a cancel) ends the reassignment, dropping the replicas being added.
 * - Completion (checked by the controller on every image): once every target replica is in
 *   the ISR, the removing replicas leave `replicas` and the ISR, the reassignment fields go,
 *   and leadership moves to the first live target in the ISR if the leader was removed.
 *
 * Invariants: the ISR never gains a member, stays non-empty and ⊆ replicas, the leader is in
 * it or -1, leaderEpoch + 1 on a leader change, partitionEpoch + 1 on any change.
 */
import { isReassigning, withoutReassignment, type PartitionRecord } from './cluster-records.ts';

export class ReassignmentError extends Error {
  override readonly name = 'ReassignmentError';
}

/** The replicas before the ongoing reassignment (if any) started. */
export function originalReplicas(r: PartitionRecord): number[] {
  const adding = r.addingReplicas ?? [];
  return r.replicas.filter((b) => !adding.includes(b));
}

/**
 * The record that starts (or replaces, or with `target` = the original replicas cancels)
 * a reassignment to `target`; null when nothing changes. Throws ReassignmentError when no
 * ISR member would stay a replica.
 */
export function startReassignment(r: PartitionRecord, target: readonly number[], removed: (brokerId: number) => boolean): PartitionRecord | null {
  const original = originalReplicas(r);
  const adding = target.filter((b) => !original.includes(b));
  const removing = original.filter((b) => !target.includes(b));
  const replicas = [...target, ...removing];
  const isr = r.isr.filter((b) => replicas.includes(b));
  if (isr.length === 0) throw new ReassignmentError(`no in-sync replica of [${r.isr.join(',')}] stays among [${replicas.join(',')}]`);
  const leaderStays = r.leader !== -1 && isr.includes(r.leader);
  const leader = leaderStays ? r.leader : (replicas.find((b) => isr.includes(b) && !removed(b)) ?? -1);
  const moving = adding.length + removing.length > 0 ? { addingReplicas: adding, removingReplicas: removing } : {};
  const next: PartitionRecord = { ...withoutReassignment(r), replicas, isr, leader, leaderEpoch: leader === r.leader ? r.leaderEpoch : r.leaderEpoch + 1, partitionEpoch: r.partitionEpoch + 1, ...moving };
  const same = sameList(next.replicas, r.replicas) && sameList(next.isr, r.isr) && next.leader === r.leader && sameList(next.addingReplicas ?? [], r.addingReplicas ?? []) && sameList(next.removingReplicas ?? [], r.removingReplicas ?? []);
  return same ? null : next;
}

/** The record once its reassignment completes; null while some target replica is not in the ISR (or none runs). */
export function completedReassignment(r: PartitionRecord, removed: (brokerId: number) => boolean): PartitionRecord | null {
  if (!isReassigning(r)) return null;
  const removing = r.removingReplicas ?? [];
  const target = r.replicas.filter((b) => !removing.includes(b));
  if (!target.every((b) => r.isr.includes(b))) return null;
  const isr = r.isr.filter((b) => !removing.includes(b));
  const leaderStays = r.leader !== -1 && isr.includes(r.leader) && !removed(r.leader);
  const leader = leaderStays ? r.leader : (target.find((b) => isr.includes(b) && !removed(b)) ?? -1);
  return { ...withoutReassignment(r), replicas: target, isr, leader, leaderEpoch: leader === r.leader ? r.leaderEpoch : r.leaderEpoch + 1, partitionEpoch: r.partitionEpoch + 1 };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
