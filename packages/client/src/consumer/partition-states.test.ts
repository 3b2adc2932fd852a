// PartitionStates' two positions: the fetch position runs ahead of the delivered one
// (prefetch), delivery moves the position batch by batch, and every move that forgets the
// buffer (seek, rewind, reset, a validation) brings the fetch position back and makes
// fetches and buffered batches from before stale.
import { describe, expect, it } from 'vitest';
import { PartitionStates } from './partition-states.ts';

const tp = { topic: 't', partition: 0 };

function fetching(): { states: PartitionStates; s: ReturnType<PartitionStates['add']> } {
  const states = new PartitionStates();
  const s = states.add(tp, 'earliest');
  states.seek(s, 10, 2);
  return { states, s };
}

describe('PartitionStates positions', () => {
  it('fetches ahead: two answers buffered, delivered in order, the fetch position never goes back', () => {
    const { states, s } = fetching();
    expect([s.position, s.fetchPosition, s.fetchEpoch]).toEqual([10, 10, 2]);
    const seekEpoch = s.seekEpoch;
    expect(states.isCurrentFetch(s, seekEpoch, 10)).toBe(true);
    states.fetched(s, 15, 3, true);
    expect(states.fetchable(0)).toEqual([s]); // still fetchable with a batch buffered
    expect(states.isCurrentFetch(s, seekEpoch, 15)).toBe(true);
    states.fetched(s, 20, 3, true);
    expect([s.position, s.fetchPosition, s.bufferedBatches]).toEqual([10, 20, 2]);
    expect(states.isCurrent(s, seekEpoch, 10)).toBe(true);
    expect(states.isCurrent(s, seekEpoch, 15)).toBe(false); // not its turn yet
    states.advance(s, 15, 3, true);
    expect(states.isCurrent(s, seekEpoch, 15)).toBe(true);
    states.advance(s, 20, 3, true);
    expect([s.position, s.positionEpoch, s.fetchPosition, s.bufferedBatches]).toEqual([20, 3, 20, 0]);
    expect(() => states.fetched(s, 19, 3, true)).toThrow(/would go back/);
  });

  it('rewind and seek forget the buffer: the fetch position returns, older fetches and batches are stale', () => {
    const { states, s } = fetching();
    const before = s.seekEpoch;
    states.fetched(s, 15, 3, true);
    states.fetched(s, 20, 4, true);
    states.rewind(s);
    expect([s.position, s.fetchPosition, s.fetchEpoch, s.bufferedBatches]).toEqual([10, 10, 2, 0]);
    expect(states.isCurrentFetch(s, before, 20)).toBe(false);
    expect(states.isCurrent(s, before, 10)).toBe(false);
    expect(states.isCurrentFetch(s, s.seekEpoch, 10)).toBe(true);
    states.fetched(s, 15, 3, true);
    states.seek(s, 4);
    expect([s.position, s.fetchPosition, s.fetchEpoch, s.bufferedBatches]).toEqual([4, 4, -1, 0]);
  });

  it('a newer leader epoch sends the partition to validation of the delivered position, dropping what was fetched ahead', () => {
    const { states, s } = fetching();
    states.updateLeaderEpoch(s, 2);
    states.fetched(s, 15, 2, true);
    states.updateLeaderEpoch(s, 3);
    expect(s.phase).toBe('awaiting-validation');
    expect([s.position, s.positionEpoch, s.fetchPosition, s.bufferedBatches]).toEqual([10, 2, 10, 0]);
    expect(states.fetchable(0)).toEqual([]);
  });

  it('an answer with nothing to deliver and nothing buffered moves both positions', () => {
    const { states, s } = fetching();
    states.fetched(s, 12, 2, false);
    states.advance(s, 12, 2, false);
    expect([s.position, s.fetchPosition, s.bufferedBatches]).toEqual([12, 12, 0]);
  });
});
