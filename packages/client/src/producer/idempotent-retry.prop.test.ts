/**
 * The idempotent producer against the test broker with Produce answers lost after the
 * append (the connection dies before the answer arrives), in random rounds.
 * Invariants checked:
 * - every send resolves (no record is lost while deliveryTimeoutMs has not passed);
 * - the partition's log holds each value exactly once, in send order (no duplicate from a
 *   retry: the broker deduplicates by producer id and sequence);
 * - the offsets the producer reports are the offsets the log has for those values.
 */
import { createRandom } from '@samsa/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { FaultyTransport } from '../../test/support/faulty-transport.ts';
import { readBack } from '../../test/support/read-back.ts';
import { startTestBroker } from '../../test/support/test-broker.ts';
import { stringSerde } from '../serde/serializers.ts';
import { Producer } from './producer.ts';

const round = fc.record({ records: fc.integer({ min: 1, max: 6 }), lost: fc.integer({ min: 0, max: 2 }), concurrent: fc.boolean() });

describe('idempotent producer under lost answers', () => {
  it('delivers every record exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(round, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 5 }), async (rounds, inFlight) => {
        const tb = await startTestBroker();
        const transport = new FaultyTransport(tb.transport);
        const producer = new Producer({
          transport,
          clock: tb.clock,
          random: createRandom(3),
          bootstrap: [`127.0.0.1:${tb.port}`],
          lingerMs: 0,
          batchSizeBytes: 64,
          maxInFlightPerPartition: inFlight,
        });
        try {
          const expected: string[] = [];
          const offsets = new Map<string, number>();
          for (const [r, spec] of rounds.entries()) {
            transport.loseNextProduceResponses(spec.lost);
            const sends = Array.from({ length: spec.records }, (_, i) => {
              const value = `r${r}-${i}`;
              expected.push(value);
              return producer.send({ topic: 'p', messages: [{ value: stringSerde.serialize(value), partition: 0 }] }).then((m) => offsets.set(value, m[0]!.offset));
            });
            if (spec.concurrent) await drive(tb.clock, Promise.all(sends), { stepMs: 5 });
            else for (const send of sends) await drive(tb.clock, send, { stepMs: 5 });
          }
          const log = await readBack(tb, 'p', 0);
          expect(log.map((x) => x.value)).toEqual(expected);
          for (const x of log) expect(offsets.get(x.value)).toBe(x.offset);
        } finally {
          await drive(tb.clock, producer.close()).catch(() => {});
          await tb.stop();
        }
      }),
      { numRuns: 25 },
    );
  });
});
