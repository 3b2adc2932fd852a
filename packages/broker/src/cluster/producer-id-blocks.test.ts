/**
 * Producer id blocks: brokers reserving blocks at once on one store never get overlapping
 * ids, also when transactions time out (applied or not) and requests are refused; a block
 * is never handed out below what the key says is used; a key it cannot read is an error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClusterKeys, MetadataStoreError, SimulatedMetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { allocateProducerIdBlock, decodeProducerIds, encodeProducerIds, ProducerIdBlockError } from './producer-id-blocks.ts';

const keys = new ClusterKeys('pid');

describe('producer id blocks', () => {
  it('brokers reserving at once, with timeouts and refusals, never get overlapping blocks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 40 }), async (seed, asks) => {
        const store = new SimulatedMetadataStore({ clock: new ManualClock(), random: createRandom(seed), faults: { unknownOutcomeProbability: 0.3, unavailableProbability: 0.1 } });
        const blocks: [number, number][] = [];
        await Promise.all(
          asks.map(async ([, count]) => {
            try {
              const start = await allocateProducerIdBlock(store, keys, count);
              blocks.push([start, start + count]);
            } catch (e) {
              if (!(e instanceof MetadataStoreError) || e.code !== 'unavailable') throw e;
            }
          }),
        );
        blocks.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < blocks.length; i++) expect(blocks[i]![0]).toBeGreaterThanOrEqual(blocks[i - 1]![1]);
        // The key covers every block handed out.
        store.configureFaults({});
        const kv = await store.get(keys.producerIds);
        if (blocks.length > 0) expect(decodeProducerIds(kv!.value)).toBeGreaterThanOrEqual(blocks.at(-1)![1]);
        await store.close();
      }),
      { numRuns: 100 },
    );
  });

  it('starts at the key’s blockEnd, refuses a key it cannot read and silly counts', async () => {
    const store = new SimulatedMetadataStore({ clock: new ManualClock(), random: createRandom(1) });
    expect(await allocateProducerIdBlock(store, keys, 10)).toBe(0);
    expect(await allocateProducerIdBlock(store, keys, 5)).toBe(10);
    await store.put(keys.producerIds, encodeProducerIds(5000));
    expect(await allocateProducerIdBlock(store, keys, 1)).toBe(5000);
    await store.put(keys.producerIds, new TextEncoder().encode('{"v":1,"blockEnd":-3}'));
    await expect(allocateProducerIdBlock(store, keys, 1)).rejects.toBeInstanceOf(ProducerIdBlockError);
    await expect(allocateProducerIdBlock(store, keys, 0)).rejects.toBeInstanceOf(RangeError);
    await store.close();
  });
});
