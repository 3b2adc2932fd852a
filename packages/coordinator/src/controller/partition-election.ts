/**
 * One partition's next state, decided by the controller (Kafka's KRaft PartitionChangeBuilder,
 * the parts this controller needs; re-written here). `removed(b)` is true for a broker whose
 * registration is gone (fenced) or that is in controlled shutdown.
 *
 * `nextPartitionState` — brokers left:
 * - ISR: removed brokers leave it, but it never becomes empty: when every member is removed
 *   the ISR keeps one (the leader if it was in it, else its first member), and the partition
 *   has no leader (-1, offline) until that broker is back. A broker never re-enters the ISR
 *   here: only the leader's AlterPartition (controller-state.ts) adds members.
 * - Leader: kept if it is still in the ISR and not removed; otherwise the first replica (in
 *   replica order, so the preferred leader first) that is in the new ISR and not removed;
 *   none → unclean election when `unclean` (the first live replica leads, ISR = [it]: it may
 *   lack acknowledged records), else -1 (offline).
 * - Epochs: leaderEpoch + 1 when the leader changes, partitionEpoch + 1 on any change.
 *   Nothing to change → null.
 *
 * `preferredElection` / `uncleanElection` — the two ElectLeaders kinds, as Kafka answers
 * them (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE).
 *
 * Invariants of every result: leader ∈ ISR or -1, ISR ⊆ replicas and non-empty, epochs grow,
 * and the ISR gains a member only by an unclean election (ISR = [new leader]).
 */
import type { PartitionRecord } from './cluster-records.ts';

export type ElectionError = 'ELECTION_NOT_NEEDED' | 'PREFERRED_LEADER_NOT_AVAILABLE' | 'ELIGIBLE_LEADERS_NOT_AVAILABLE';

export function nextPartitionState(r: PartitionRecord, removed: (brokerId: number) => boolean, unclean = false): PartitionRecord | null {
  const kept = r.isr.filter((b) => !removed(b));
  let isr = kept.length > 0 ? kept : [r.leader !== -1 && r.isr.includes(r.leader) ? r.leader : r.isr[0]!];
  const leaderStays = r.leader !== -1 && isr.includes(r.leader) && !removed(r.leader);
  let leader = leaderStays ? r.leader : (r.replicas.find((b) => isr.includes(b) && !removed(b)) ?? -1);
  if (leader === -1 && unclean) {
    const candidate = r.replicas.find((b) => !removed(b));
    if (candidate !== undefined) {
      leader = candidate;
      isr = [candidate];
    }
  }
  return changed(r, isr, leader);
}

/** Leadership back to the preferred replica (the first), if it is live and in the ISR. */
export function preferredElection(r: PartitionRecord, removed: (brokerId: number) => boolean): PartitionRecord | ElectionError {
  const preferred = r.replicas[0]!;
  if (r.leader === preferred) return 'ELECTION_NOT_NEEDED';
  if (removed(preferred) || !r.isr.includes(preferred)) return 'PREFERRED_LEADER_NOT_AVAILABLE';
  return changed(r, r.isr, preferred)!;
}

/** A leader for an offline partition: from the ISR if a member is live, else the first live replica. */
export function uncleanElection(r: PartitionRecord, removed: (brokerId: number) => boolean): PartitionRecord | ElectionError {
  if (r.leader !== -1 && !removed(r.leader)) return 'ELECTION_NOT_NEEDED';
  const next = nextPartitionState(r, removed, true);
  if (!next || next.leader === -1) return 'ELIGIBLE_LEADERS_NOT_AVAILABLE';
  return next;
}

function changed(r: PartitionRecord, isr: readonly number[], leader: number): PartitionRecord | null {
  const isrSame = isr.length === r.isr.length && isr.every((b, i) => b === r.isr[i]);
  if (isrSame && leader === r.leader) return null;
  return {
    ...r,
    isr: [...isr],
    leader,
    leaderEpoch: leader === r.leader ? r.leaderEpoch : r.leaderEpoch + 1,
    partitionEpoch: r.partitionEpoch + 1,
  };
}
