/**
 * One partition's next state when brokers leave (Kafka's KRaft PartitionChangeBuilder, the
 * parts this controller needs; re-written here). `removed(b)` is true for a broker whose
 * registration is gone (fenced) or that is in controlled shutdown.
 *
 * - ISR: removed brokers leave it, but it never becomes empty: when every member is removed
 *   the ISR keeps one (the leader if it was in it, else its first member), and the partition
 *   has no leader (-1, offline) until that broker is back. No unclean election.
 * - Leader: kept if it is still in the ISR and not removed; otherwise the first replica (in
 *   replica order, so the preferred leader first) that is in the new ISR and not removed;
 *   none → -1.
 * - Epochs: leaderEpoch + 1 when the leader changes, partitionEpoch + 1 on any change.
 *   Nothing to change → null.
 *
 * Invariants of the result: leader ∈ ISR or -1, ISR ⊆ replicas and non-empty, epochs grow.
 */
import type { PartitionRecord } from './cluster-records.ts';

export function nextPartitionState(r: PartitionRecord, removed: (brokerId: number) => boolean): PartitionRecord | null {
  const kept = r.isr.filter((b) => !removed(b));
  const isr = kept.length > 0 ? kept : [r.leader !== -1 && r.isr.includes(r.leader) ? r.leader : r.isr[0]!];
  const leaderStays = r.leader !== -1 && isr.includes(r.leader) && !removed(r.leader);
  const leader = leaderStays ? r.leader : (r.replicas.find((b) => isr.includes(b) && !removed(b)) ?? -1);
  const isrSame = isr.length === r.isr.length && isr.every((b, i) => b === r.isr[i]);
  if (isrSame && leader === r.leader) return null;
  return {
    ...r,
    isr,
    leader,
    leaderEpoch: leader === r.leader ? r.leaderEpoch : r.leaderEpoch + 1,
    partitionEpoch: r.partitionEpoch + 1,
  };
}
