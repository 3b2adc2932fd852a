import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { choosePartition, defaultPartitioner } from './partitioner.ts';
import type { Partitioner } from './partitioner.ts';
import { murmur2Partition } from './murmur2.ts';

const utf8 = new TextEncoder();

describe('defaultPartitioner', () => {
  it('lets an explicit partition win, places keys by murmur2 and sticks for keyless records', () => {
    const p = defaultPartitioner(createRandom(42));
    expect(p.partition({ topic: 't', key: utf8.encode('foobar'), partition: 3, numPartitions: 50 })).toBe(3);
    expect(p.partition({ topic: 't', key: utf8.encode('foobar'), numPartitions: 50 })).toBe(16);
    const first = p.partition({ topic: 't', key: null, numPartitions: 8 });
    for (let i = 0; i < 20; i++) expect(p.partition({ topic: 't', key: null, numPartitions: 8 })).toBe(first);
    p.onNewBatch?.('t', first, 8);
    const next = p.partition({ topic: 't', key: null, numPartitions: 8 });
    expect(next).not.toBe(first);
  });

  it('is reproducible from the seed', () => {
    const run = (seed: number): number[] => {
      const p = defaultPartitioner(createRandom(seed));
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        const q = p.partition({ topic: 't', key: null, numPartitions: 100 });
        out.push(q);
        p.onNewBatch?.('t', q, 100);
      }
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});

describe('choosePartition', () => {
  it('gives an explicit partition precedence over a custom partitioner', () => {
    const calls: string[] = [];
    const custom: Partitioner = {
      partition: (r) => {
        calls.push(r.topic);
        return r.numPartitions - 1;
      },
    };
    expect(choosePartition(custom, { topic: 't', key: null, partition: 0, numPartitions: 4 })).toBe(0);
    expect(calls).toEqual([]);
    expect(choosePartition(custom, { topic: 't', key: null, numPartitions: 4 })).toBe(3);
    expect(choosePartition(custom, { topic: 't', key: null, partition: null, numPartitions: 4 })).toBe(3);
    expect(calls).toEqual(['t', 't']);
  });

  it('uses murmur2 for keys through the default partitioner', () => {
    const key = utf8.encode('a-little-bit-long-string');
    expect(choosePartition(defaultPartitioner(createRandom(1)), { topic: 't', key, numPartitions: 7 })).toBe(murmur2Partition(key, 7));
  });
});
