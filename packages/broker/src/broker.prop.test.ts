// Property: random interleavings of Produce and Fetch (and ListOffsets) across partitions,
// sent one at a time or all pipelined on one connection, agree with a model that keeps a
// list of record values per partition.
//
// Invariants checked after every response:
//   1. a produce answers NONE with baseOffset = the model's length before the append;
//   2. a fetch from offset o ≤ length returns exactly the model's records from o on (a
//      prefix of them when max_bytes cuts, never empty when o < length), with
//      high watermark = last stable offset = length;
//   3. a fetch from o > length answers OFFSET_OUT_OF_RANGE;
//   4. ListOffsets latest = length, earliest = 0;
//   5. responses come back in request order (the client checks correlation ids).
// The broker runs on its one storage path, @samsa/log over the memory file system
// (startTestBroker), so the model checks the real log's offsets, reads and ListOffsets.
import {
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  FetchRequestCodec,
  FetchResponseCodec,
  ListOffsetsRequestCodec,
  ListOffsetsResponseCodec,
  ProduceRequestCodec,
  ProduceResponseCodec,
} from '@samsa/codec';
import type { FetchResponse, ListOffsetsResponse, ProduceResponse } from '@samsa/codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SentRequest } from './testing/kafka-test-client.ts';
import { batchOf, createTopicsBody, fetchBody, produceBody, valuesOf } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';

const PARTITIONS = 3;

type Op =
  | { kind: 'produce'; partition: number; values: string[] }
  | { kind: 'fetch'; partition: number; offsetDelta: number; maxBytes: number }
  | { kind: 'list'; partition: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('produce' as const),
    partition: fc.nat(PARTITIONS - 1),
    values: fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 5 }),
  }),
  fc.record({
    kind: fc.constant('fetch' as const),
    partition: fc.nat(PARTITIONS - 1),
    // Offset relative to the model length: negative reads history, positive is out of range.
    offsetDelta: fc.integer({ min: -12, max: 2 }),
    maxBytes: fc.oneof(fc.constant(1 << 20), fc.integer({ min: 1, max: 300 })),
  }),
  fc.record({ kind: fc.constant('list' as const), partition: fc.nat(PARTITIONS - 1) }),
);

describe('produce/fetch against a per-partition model', () => {
  it('holds for random interleavings, sequential and pipelined', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ops, pipelined) => {
        const tb = await startTestBroker();
        try {
          const client = await tb.connect();
          const created = await client.request(19, 7, CreateTopicsRequestCodec, createTopicsBody('prop', PARTITIONS), CreateTopicsResponseCodec);
          expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
          const model: string[][] = Array.from({ length: PARTITIONS }, () => []);
          type Check = (res: unknown) => void;
          const pending: Array<{ sent: SentRequest; codec: typeof ProduceResponseCodec | typeof FetchResponseCodec | typeof ListOffsetsResponseCodec; check: Check }> = [];
          for (const op of ops) {
            const list = model[op.partition]!;
            let entry: (typeof pending)[number];
            if (op.kind === 'produce') {
              const expectedBase = list.length;
              list.push(...op.values);
              entry = {
                sent: client.send(0, 9, ProduceRequestCodec, produceBody('prop', op.partition, batchOf(op.values))),
                codec: ProduceResponseCodec,
                check: (res) => {
                  const p = (res as ProduceResponse).responses[0]!.partitionResponses[0]!;
                  expect(p.errorCode).toBe(ErrorCode.NONE);
                  expect(p.baseOffset).toBe(expectedBase);
                },
              };
            } else if (op.kind === 'fetch') {
              const length = list.length;
              const offset = Math.max(0, length + op.offsetDelta);
              const expected = list.slice(offset);
              entry = {
                sent: client.send(1, 12, FetchRequestCodec, fetchBody('prop', op.partition, offset, { maxBytes: op.maxBytes })),
                codec: FetchResponseCodec,
                check: (res) => {
                  const p = (res as FetchResponse).responses[0]!.partitions[0]!;
                  if (offset > length) {
                    expect(p.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
                    return;
                  }
                  expect(p.errorCode).toBe(ErrorCode.NONE);
                  expect(p.highWatermark).toBe(length);
                  expect(p.lastStableOffset).toBe(length);
                  // Batches may start before `offset`; consumers skip those records.
                  const got = valuesOf(p.records).filter((r) => r.offset >= offset);
                  expect(got.map((r) => r.value)).toEqual(expected.slice(0, got.length));
                  expect(got.map((r) => r.offset)).toEqual(got.map((_, i) => offset + i));
                  if (offset < length) expect(got.length).toBeGreaterThan(0);
                  if (op.maxBytes >= 1 << 20) expect(got.length).toBe(expected.length);
                },
              };
            } else {
              const length = list.length;
              entry = {
                sent: client.send(2, 7, ListOffsetsRequestCodec, {
                  replicaId: -1,
                  isolationLevel: 0,
                  topics: [{ name: 'prop', partitions: [-2, -1].map((timestamp) => ({ partitionIndex: op.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
                  timeoutMs: 0,
                }),
                codec: ListOffsetsResponseCodec,
                check: (res) => {
                  const [earliest, latest] = (res as ListOffsetsResponse).topics[0]!.partitions;
                  expect(earliest!.offset).toBe(0);
                  expect(latest!.offset).toBe(length);
                },
              };
            }
            if (pipelined) pending.push(entry);
            else entry.check(await client.receive(entry.sent, entry.codec as typeof ProduceResponseCodec));
          }
          for (const p of pending) p.check(await client.receive(p.sent, p.codec as typeof ProduceResponseCodec));
        } finally {
          await tb.stop();
        }
      }),
      { numRuns: 40 },
    );
  });
});
