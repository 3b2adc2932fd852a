// KRaft-style partition state changes when brokers are fenced or shut down: the new leader
// comes from the ISR in replica order, never from outside it; the ISR never empties.
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { newTopicId, type PartitionRecord } from './cluster-records.ts';
import { nextPartitionState } from './partition-election.ts';

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
