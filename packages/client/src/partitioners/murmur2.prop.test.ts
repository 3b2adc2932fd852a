/**
 * Property test of murmur2 placement against KafkaJS 2.2.4's DefaultPartitioner (its
 * Java-compatible partitioner since 2.0, src/producer/partitioners/default), an
 * independent port that computes with 64-bit Longs instead of Math.imul.
 *
 * Invariants:
 *  1. for any key (a string, UTF-8 encoded on our side, as KafkaJS encodes it) and any
 *     partition count, murmur2Partition(key, n) equals KafkaJS's choice for a keyed
 *     message over n partitions (all with a leader, or none: a keyed record ignores
 *     availability in both);
 *  2. the placement is in [0, n);
 *  3. the raw signed hash equals KafkaJS's murmur2 module's for any key (so the
 *     placement agrees for every partition count, not only the ones sampled).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import { murmur2, murmur2Partition } from './murmur2.ts';

const utf8 = new TextEncoder();

function metadata(numPartitions: number, leaderless: boolean): PartitionMetadata[] {
  return Array.from({ length: numPartitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
}

describe('murmur2Partition against KafkaJS DefaultPartitioner', () => {
  it('places every string key where KafkaJS does', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.boolean(),
        (key, numPartitions, leaderless) => {
          const theirs = kafkajs({ topic: 't', partitionMetadata: metadata(numPartitions, leaderless), message: { key, value: null } });
          const ours = murmur2Partition(utf8.encode(key), numPartitions);
          expect(ours).toBe(theirs);
          expect(ours).toBeGreaterThanOrEqual(0);
          expect(ours).toBeLessThan(numPartitions);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('computes the same 32-bit hash as KafkaJS murmur2 for every key', async () => {
    // KafkaJS's module is CommonJS without types; a computed specifier keeps tsc out of it.
    const specifier: string = 'kafkajs/src/producer/partitioners/default/murmur2.js';
    const kafkajsMurmur2 = ((await import(specifier)) as { default: (key: string) => number }).default;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (key) => {
        expect(murmur2(utf8.encode(key))).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 2000 },
    );
  });
});
