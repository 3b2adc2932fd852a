/**
 * KIP-848 reconciliation of one member towards its target (Kafka's CurrentAssignmentBuilder):
 * given the member's state, the target epoch and assignment, which partitions are owned by
 * other members, and what the member says it owns (null when its heartbeat did not say),
 * the member's next state. Pure: returns a new state, changes nothing.
 *
 *   Stable at an older epoch, or UnreleasedPartitions → computeNext(memberEpoch)
 *   UnrevokedPartitions → stays until the heartbeat no longer lists a partition pending
 *                         revocation, then computeNext(memberEpoch + 1)
 *   computeNext: kept = assigned ∩ target; revoke = assigned − target;
 *                to add = target − kept − partitions other members still own.
 *     something to revoke (and the member still owns it) → UnrevokedPartitions, epoch unchanged
 *     otherwise → the target epoch, assigned = kept + to add, Stable or, when some target
 *                 partition is still owned elsewhere, UnreleasedPartitions
 *
 * So a partition moves only after its previous owner stopped listing it: it is never
 * owned by two members at once.
 */
import { MemberState } from './consumer-group.ts';
import type { ConsumerGroupMember, TopicAssignment } from './consumer-group.ts';

export interface NextMemberState {
  state: MemberState;
  memberEpoch: number;
  assigned: TopicAssignment;
  pendingRevocation: TopicAssignment;
}

/** `owned` is the heartbeat's TopicPartitions (null: not sent); `ownedByOther(topicId, p)` whether another member holds it. */
export function nextMemberState(
  m: ConsumerGroupMember,
  targetEpoch: number,
  target: TopicAssignment,
  ownedByOther: (topicId: string, partition: number) => boolean,
  owned: readonly { topicId: string; partitions: readonly number[] }[] | null,
): NextMemberState {
  const unchanged = { state: m.state, memberEpoch: m.memberEpoch, assigned: m.assigned, pendingRevocation: m.pendingRevocation };
  switch (m.state) {
    case MemberState.Stable:
      return m.memberEpoch !== targetEpoch ? computeNext(m.memberEpoch, m.assigned, targetEpoch, target, ownedByOther, owned) : unchanged;
    case MemberState.UnrevokedPartitions:
      if (ownsAny(owned, m.pendingRevocation)) return unchanged;
      return computeNext(m.memberEpoch + 1, m.assigned, targetEpoch, target, ownedByOther, owned);
    case MemberState.UnreleasedPartitions:
      return computeNext(m.memberEpoch, m.assigned, targetEpoch, target, ownedByOther, owned);
  }
}

/** Whether the heartbeat's owned partitions include any of `a` (null — not sent — counts as yes). */
function ownsAny(owned: readonly { topicId: string; partitions: readonly number[] }[] | null, a: TopicAssignment): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const parts = a.get(t.topicId);
    if (parts === undefined) continue;
    for (const p of t.partitions) if (parts.has(p)) return true;
  }
  return false;
}

function computeNext(
  memberEpoch: number,
  current: TopicAssignment,
  targetEpoch: number,
  target: TopicAssignment,
  ownedByOther: (topicId: string, partition: number) => boolean,
  owned: readonly { topicId: string; partitions: readonly number[] }[] | null,
): NextMemberState {
  let unreleased = false;
  const assigned: TopicAssignment = new Map();
  const revoke: TopicAssignment = new Map();
  const toAdd: TopicAssignment = new Map();
  for (const topicId of new Set([...target.keys(), ...current.keys()])) {
    const want = target.get(topicId) ?? new Set<number>();
    const have = current.get(topicId) ?? new Set<number>();
    const kept = new Set([...have].filter((p) => want.has(p)));
    const gone = new Set([...have].filter((p) => !want.has(p)));
    const add = new Set<number>();
    for (const p of want) {
      if (kept.has(p)) continue;
      if (ownedByOther(topicId, p)) unreleased = true;
      else add.add(p);
    }
    if (kept.size > 0) assigned.set(topicId, kept);
    if (gone.size > 0) revoke.set(topicId, gone);
    if (add.size > 0) toAdd.set(topicId, add);
  }
  if (revoke.size > 0 && ownsAny(owned, revoke)) {
    return { state: MemberState.UnrevokedPartitions, memberEpoch, assigned, pendingRevocation: revoke };
  }
  for (const [topicId, parts] of toAdd) {
    const into = assigned.get(topicId) ?? new Set<number>();
    for (const p of parts) into.add(p);
    assigned.set(topicId, into);
  }
  return { state: unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable, memberEpoch: targetEpoch, assigned, pendingRevocation: new Map() };
}
