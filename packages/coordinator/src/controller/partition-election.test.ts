// KRaft-style partition state changes when brokers are fenced or shut down: the new leader
// comes from the ISR in replica order, never from outside it (unless unclean election is on);
// the ISR never empties. Preferred/unclean elections and reassignments (issue 14).
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { newTopicId, type PartitionRecord } from './cluster-records.ts';
import { nextPartitionState, preferredElection, uncleanElection } from './partition-election.ts';
import { completedReassignment, ReassignmentError, startReassignment } from './partition-reassignment.ts';

const topicId = newTopicId(createRandom(1));
const rec = (o: Partial<PartitionRecord>): PartitionRecord => ({ topicId, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 5, partitionEpoch: 9, ...o });
const gone = (...ids: number[]) => (b: number) => ids.includes(b);

describe('nextPartitionState', () => {
  it('changes nothing while every ISR member is live', () => {
    expect(nextPartitionState(rec({}), gone())).toBeNull();
    expect(nextPartitionState(rec({}), gone(4))).toBeNull();
  });

  it('elects the first ISR member in replica order when the leader is fenced', () => {
    expect(nextPartitionState(rec({ isr: [3, 2, 1] }), gone(1))).toEqual(rec({ isr: [3, 2], leader: 2, leaderEpoch: 6, partitionEpoch: 10 }));
  });

  it('never elects a live replica outside the ISR', () => {
    // Broker 2 is back but was dropped from the ISR: it may not lead.
    expect(nextPartitionState(rec({ isr: [1, 3] }), gone(1))).toEqual(rec({ isr: [3], leader: 3, leaderEpoch: 6, partitionEpoch: 10 }));
    expect(nextPartitionState(rec({ isr: [1] }), gone(1))).toEqual(rec({ isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 10 }));
  });

  it('shrinks the ISR of a follower without a new leader epoch', () => {
    expect(nextPartitionState(rec({}), gone(3))).toEqual(rec({ isr: [1, 2], partitionEpoch: 10 }));
  });

  it('keeps one ISR member when all are gone, offline, and elects it when it returns', () => {
    const offline = nextPartitionState(rec({ isr: [2, 1] }), gone(1, 2, 3))!;
    expect(offline).toEqual(rec({ isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 10 }));
    expect(nextPartitionState(offline, gone(1, 2, 3))).toBeNull();
    expect(nextPartitionState(offline, gone(2, 3))).toEqual(rec({ isr: [1], leader: 1, leaderEpoch: 7, partitionEpoch: 11 }));
  });
});

describe('unclean and requested elections', () => {
  it('elects the first live replica outside the ISR only when unclean election is on', () => {
    expect(nextPartitionState(rec({ isr: [1] }), gone(1), false)).toEqual(rec({ isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 10 }));
    expect(nextPartitionState(rec({ isr: [1] }), gone(1), true)).toEqual(rec({ isr: [2], leader: 2, leaderEpoch: 6, partitionEpoch: 10 }));
    // A live ISR member always wins over an unclean choice.
    expect(nextPartitionState(rec({ isr: [1, 3] }), gone(1), true)).toEqual(rec({ isr: [3], leader: 3, leaderEpoch: 6, partitionEpoch: 10 }));
    expect(nextPartitionState(rec({ isr: [1] }), gone(1, 2, 3), true)).toEqual(rec({ isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 10 }));
  });

  it('answers preferred and unclean elections as Kafka does', () => {
    expect(preferredElection(rec({}), gone())).toBe('ELECTION_NOT_NEEDED');
    expect(preferredElection(rec({ leader: 2 }), gone())).toEqual(rec({ leader: 1, leaderEpoch: 6, partitionEpoch: 10 }));
    expect(preferredElection(rec({ leader: 2, isr: [2, 3] }), gone())).toBe('PREFERRED_LEADER_NOT_AVAILABLE');
    expect(preferredElection(rec({ leader: 2 }), gone(1))).toBe('PREFERRED_LEADER_NOT_AVAILABLE');
    expect(uncleanElection(rec({}), gone())).toBe('ELECTION_NOT_NEEDED');
    expect(uncleanElection(rec({ leader: -1, isr: [1] }), gone(1))).toEqual(rec({ leader: 2, isr: [2], leaderEpoch: 6, partitionEpoch: 10 }));
    expect(uncleanElection(rec({ leader: -1, isr: [1] }), gone(1, 2, 3))).toBe('ELIGIBLE_LEADERS_NOT_AVAILABLE');
  });
});

describe('reassignments', () => {
  it('starts with the targets first and the removed replicas last, the ISR unchanged, and completes once the targets are in sync', () => {
    const started = startReassignment(rec({}), [2, 4], gone())!;
    expect(started).toEqual({ ...rec({}), replicas: [2, 4, 1, 3], partitionEpoch: 10, addingReplicas: [4], removingReplicas: [1, 3] });
    expect(completedReassignment(started, gone())).toBeNull();
    const caughtUp = { ...started, isr: [1, 2, 3, 4], partitionEpoch: 11 };
    expect(completedReassignment(caughtUp, gone())).toEqual(rec({ replicas: [2, 4], isr: [2, 4], leader: 2, leaderEpoch: 6, partitionEpoch: 12 }));
    // Cancel: back to the original replicas; the added one leaves the ISR too.
    expect(startReassignment(caughtUp, [1, 2, 3], gone())).toEqual(rec({ isr: [1, 2, 3], partitionEpoch: 12 }));
    expect(startReassignment(rec({}), [1, 2, 3], gone())).toBeNull();
  });

  it('refuses a change that would leave no in-sync replica', () => {
    const started = { ...startReassignment(rec({ isr: [1] }), [4], gone())!, isr: [4, 1], leader: 4, leaderEpoch: 6 };
    // Replacing the target drops 4 (never an original replica) and 1: nothing in sync would stay.
    expect(() => startReassignment({ ...started, isr: [4] }, [2, 3], gone())).toThrow(ReassignmentError);
  });
});
