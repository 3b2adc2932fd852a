/**
 * Small group scenarios the coordinator's unit tests share (src/group/*.test.ts): one
 * member joined and synced, an assignment, a group's state. Built on the Harness.
 */
import { ErrorCode as E } from '@samsa/codec';
import { expect } from 'vitest';
import { encodeMemberAssignment } from '../src/index.ts';
import type { Harness } from './group-harness.ts';

/** The group id the unit tests use unless they need several groups. */
export const G = 'g';

/** One dynamic member joins (v3-style, no MEMBER_ID_REQUIRED) and syncs; returns its id and generation. */
export function stableSingle(h: Harness, groupId = G): { memberId: string; generation: number } {
  const j = h.response(h.join(groupId), 'JoinGroup')!;
  expect(j.errorCode).toBe(E.NONE);
  const s = h.response(h.sync(groupId, j.memberId, j.generationId, [{ memberId: j.memberId, assignment: assignmentOf('t', [0]) }]), 'SyncGroup')!;
  expect(s.errorCode).toBe(E.NONE);
  return { memberId: j.memberId, generation: j.generationId };
}

export function assignmentOf(topic: string, partitions: number[]): Uint8Array {
  return encodeMemberAssignment({ assignedPartitions: [{ topic, partitions }], userData: null });
}

export function stateOf(h: Harness, groupId = G): string | undefined {
  return h.c.describeState().find((g) => g.groupId === groupId)?.state;
}
