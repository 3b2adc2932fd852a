/**
 * PartitionState: one partition's leadership record as the cluster view holds it (the
 * controller's partition record without the topic id): replicas, ISR, leader, leader epoch
 * and partition epoch.
 *
 * Invariants (the controller's, asserted by `assertPartitionState`): replicas are distinct
 * broker ids, the ISR is a non-empty subset of them, the leader is in the ISR (or -1: no
 * leader), both epochs are non-negative integers. The ISR in force is always the one of
 * the latest state a replica has seen; an ISR a leader proposed is not in force until a
 * state carrying it (with a higher partition epoch) arrives.
 */

export interface PartitionState {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export class InvalidPartitionStateError extends Error {
  override readonly name = 'InvalidPartitionStateError';
  readonly code = 'invalid-partition-state';
}

/** Throws InvalidPartitionStateError when `state` breaks an invariant above. */
export function assertPartitionState(state: PartitionState): void {
  const fail = (why: string): never => {
    throw new InvalidPartitionStateError(`invalid partition state (${why}): ${JSON.stringify(state)}`);
  };
  if (!Number.isSafeInteger(state.leaderEpoch) || state.leaderEpoch < 0) fail('leader epoch');
  if (!Number.isSafeInteger(state.partitionEpoch) || state.partitionEpoch < 0) fail('partition epoch');
  if (new Set(state.replicas).size !== state.replicas.length) fail('repeated replica');
  if (state.isr.length === 0) fail('empty ISR');
  if (new Set(state.isr).size !== state.isr.length) fail('repeated ISR member');
  for (const id of state.isr) if (!state.replicas.includes(id)) fail(`ISR member ${id} is not a replica`);
  if (state.leader !== -1 && !state.isr.includes(state.leader)) fail('leader outside the ISR');
}
