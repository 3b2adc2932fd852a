import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import type { Random } from '@samsa/runtime';
import { StickyPartitioner } from './sticky-partitioner.ts';
import { murmur2Partition } from './murmur2.ts';

/** A Random whose draws come from a script: int(min, max) returns min + the next value. */
function scripted(values: number[]): Random {
  const base = createRandom(1);
  return {
    ...base,
    int(min, maxExclusive) {
      const v = values.shift();
      if (v === undefined) throw new Error('script exhausted');
      if (min + v >= maxExclusive) throw new Error(`scripted ${v} outside [${min}, ${maxExclusive})`);
      return min + v;
    },
  };
}

describe('StickyPartitioner', () => {
  it('sticks to one partition until a batch closes for it', () => {
    const p = new StickyPartitioner(scripted([2, 0]));
    expect(p.partition('t', null, 4)).toBe(2);
    expect(p.partition('t', null, 4)).toBe(2);
    expect(p.onNewBatch('t', 2, 4)).toBe(0); // draw 0 among [0, 1, 3]
    expect(p.partition('t', null, 4)).toBe(0);
  });

  it('ignores a batch closing for a partition that is no longer sticky', () => {
    const p = new StickyPartitioner(scripted([1]));
    expect(p.partition('t', null, 3)).toBe(1);
    expect(p.onNewBatch('t', 0, 3)).toBe(1);
    expect(p.partition('t', null, 3)).toBe(1);
  });

  it('chooses only among available partitions, excluding the previous one', () => {
    const p = new StickyPartitioner(scripted([0, 0, 1]));
    expect(p.partition('t', null, 6, [4, 5])).toBe(4);
    expect(p.onNewBatch('t', 4, 6, [4, 5])).toBe(5);
    expect(p.onNewBatch('t', 5, 6, [1, 5, 3])).toBe(3); // pool [1, 3], draw 1
  });

  it('falls back to every partition when none is available', () => {
    const p = new StickyPartitioner(scripted([3]));
    expect(p.partition('t', null, 5, [])).toBe(3);
  });

  it('stays on the only candidate', () => {
    const p = new StickyPartitioner(scripted([0, 0]));
    expect(p.partition('t', null, 1)).toBe(0);
    expect(p.onNewBatch('t', 0, 1)).toBe(0);
  });

  it('keeps topics apart', () => {
    const p = new StickyPartitioner(scripted([1, 2]));
    expect(p.partition('a', null, 3)).toBe(1);
    expect(p.partition('b', null, 3)).toBe(2);
    expect(p.stickyPartitionOf('a')).toBe(1);
    p.forgetTopic('a');
    expect(p.stickyPartitionOf('a')).toBeUndefined();
  });

  it('re-chooses when the partition count no longer covers the sticky partition', () => {
    const p = new StickyPartitioner(scripted([7, 1]));
    expect(p.partition('t', null, 8)).toBe(7);
    expect(p.partition('t', null, 4)).toBe(1);
  });

  it('places keyed records by murmur2 without touching the sticky partition', () => {
    const p = new StickyPartitioner(scripted([0]));
    const key = new TextEncoder().encode('foobar');
    expect(p.partition('t', key, 50)).toBe(murmur2Partition(key, 50));
    expect(p.stickyPartitionOf('t')).toBeUndefined();
  });

  it('rejects a partition count below 1', () => {
    const p = new StickyPartitioner(createRandom(1));
    expect(() => p.partition('t', null, 0)).toThrow(RangeError);
    expect(() => p.onNewBatch('t', 0, 0)).toThrow(RangeError);
  });
});
