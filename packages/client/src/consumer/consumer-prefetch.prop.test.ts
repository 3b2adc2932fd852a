// The consumer's prefetch against a model. The fetcher reads partitions ahead of what the
// application took (several buffered batches per partition, small fetch sizes so there
// are many), while random steps produce, take, seek, pause and resume. The model is one
// number per partition: the next offset the application must see. An idle step lets the
// fetcher run ahead between steps. Properties:
// - every batch a partition delivers starts exactly at the model's next offset and its
//   offsets are consecutive (nothing skipped, nothing twice, even across seeks and pauses
//   that drop prefetched batches);
// - position() always equals the model;
// - nothing is delivered for a paused partition;
// - once the steps end and everything is resumed, every produced record after the last
//   seek arrives.
// Against the in-process test broker (memory runtime, ManualClock); bounded runs.
import { createRandom } from '@samsa/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { drive, macrotask } from '../../test/support/drive.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { Producer } from '../producer/producer.ts';
import { stringSerde } from '../serde/serializers.ts';
import { Consumer } from './consumer.ts';

const PARTITIONS = 2;
const TOPIC = 't';

type Step =
  | { readonly kind: 'produce'; readonly partition: number; readonly count: number }
  | { readonly kind: 'take' }
  | { readonly kind: 'idle'; readonly ticks: number }
  | { readonly kind: 'seek'; readonly partition: number; readonly fraction: number }
  | { readonly kind: 'pause'; readonly partition: number }
  | { readonly kind: 'resume'; readonly partition: number };

const partitionArb = fc.integer({ min: 0, max: PARTITIONS - 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('produce' as const), partition: partitionArb, count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 5, arbitrary: fc.constant<Step>({ kind: 'take' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('idle' as const), ticks: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('seek' as const), partition: partitionArb, fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), partition: partitionArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), partition: partitionArb }) },
);

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

describe('Consumer prefetch', () => {
  it('delivers each partition in order from the model position, through seeks and pauses that drop prefetched batches', async () => {
    tb = await startTestBroker({ overrides: [`num.partitions=${PARTITIONS}`] });
    const broker = tb;
    const producer = new Producer({ transport: broker.transport, clock: broker.clock, random: createRandom(1), bootstrap: [`127.0.0.1:${broker.port}`], lingerMs: 0 });
    let run = 0;
    let bufferedBytesMaxSeen = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
          // A fresh topic per run: the model starts from empty partitions.
          const topic = `${TOPIC}${run++}`;
          const produced = new Array<number>(PARTITIONS).fill(0);
          const next = new Array<number>(PARTITIONS).fill(0);
          const paused = new Set<number>();
          // Tiny fetch sizes: one or two producer batches per answer, many buffered entries per partition.
          const consumer = new Consumer({
            transport: broker.transport, clock: broker.clock, bootstrap: [`127.0.0.1:${broker.port}`],
            fetchMaxWaitMs: 20, maxPartitionFetchBytes: 150, bufferedBytesMax: 1200,
          });
          // One batch per record: an answer of ≤ 150 bytes per partition holds one or two of them.
          const produce = async (partition: number, count: number): Promise<void> => {
            for (let i = 0; i < count; i++) {
              const value = stringSerde.serialize(`${partition}-${produced[partition]!}`);
              await drive(broker.clock, producer.send({ topic, messages: [{ value, partition }] }));
              produced[partition]!++;
            }
          };
          const take = async (): Promise<void> => {
            const batch = await drive(broker.clock, consumer.next(), { stepsMax: 2000 });
            const p = batch.partition;
            expect(paused.has(p)).toBe(false);
            const offsets = batch.records.map((r) => Number(r.offset));
            expect(offsets).toEqual(offsets.map((_, i) => next[p]! + i));
            for (const r of batch.records) expect(stringSerde.deserialize(r.value!)).toBe(`${p}-${r.offset}`);
            next[p] = offsets.at(-1)! + 1;
            expect(batch.nextOffset).toBe(BigInt(next[p]!));
          };
          const available = (): boolean => [...Array(PARTITIONS).keys()].some((p) => !paused.has(p) && next[p]! < produced[p]!);
          const checkPositions = (): void => {
            for (let p = 0; p < PARTITIONS; p++) expect(consumer.position({ topic, partition: p })).toBe(BigInt(next[p]!));
          };
          try {
            // The topic exists before the consumer's first metadata round.
            await produce(0, 1);
            consumer.assign([...Array(PARTITIONS).keys()].map((partition) => ({ topic, partition, offset: 0n })));
            // Prefetch first: with four batches per partition and nothing taken, the fetcher
            // buffers more than one answer per partition (≤ 150 bytes each) holds; a consumer
            // that fetched a partition only after its last batch was taken never would.
            for (let p = 0; p < PARTITIONS; p++) await produce(p, 4);
            for (let tick = 0; tick < 500 && consumer.bufferedBytes <= PARTITIONS * 150; tick++) {
              await macrotask();
              broker.clock.advance(5);
            }
            bufferedBytesMaxSeen = Math.max(bufferedBytesMaxSeen, consumer.bufferedBytes);
            for (const step of steps) {
              switch (step.kind) {
                case 'produce':
                  await produce(step.partition, step.count);
                  break;
                case 'take':
                  if (available()) await take();
                  break;
                case 'idle':
                  // The fetcher runs ahead meanwhile: answers land in the buffer, untaken.
                  for (let i = 0; i < step.ticks; i++) {
                    await macrotask();
                    broker.clock.advance(5);
                  }
                  bufferedBytesMaxSeen = Math.max(bufferedBytesMaxSeen, consumer.bufferedBytes);
                  break;
                case 'seek': {
                  const offset = Math.floor(step.fraction * produced[step.partition]!);
                  consumer.seek({ topic, partition: step.partition, offset: BigInt(offset) });
                  next[step.partition] = offset;
                  break;
                }
                case 'pause':
                  consumer.pause([{ topic, partition: step.partition }]);
                  paused.add(step.partition);
                  break;
                case 'resume':
                  consumer.resume([{ topic, partition: step.partition }]);
                  paused.delete(step.partition);
                  break;
              }
              checkPositions();
            }
            consumer.resume([...paused].map((partition) => ({ topic, partition })));
            paused.clear();
            for (let i = 0; i < 200 && available(); i++) await take();
            expect(next).toEqual(produced);
            checkPositions();
          } finally {
            await drive(broker.clock, consumer.close());
          }
        }),
        { numRuns: 25 },
      );
      // The runs did exercise prefetch: some partition had several answers waiting.
      expect(bufferedBytesMaxSeen).toBeGreaterThan(PARTITIONS * 150);
    } finally {
      await drive(broker.clock, producer.close());
    }
  }, 240_000);
});
