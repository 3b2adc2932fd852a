/*
 * encodeResponseFrameChunks, for random FetchResponse / ProduceRequest messages at every
 * valid version and random splice thresholds:
 *  - the concatenated chunks equal encodeResponseFrame's output byte for byte;
 *  - every bytes/records field of >= spliceBytesMin appears as a chunk that IS the
 *    caller's own Uint8Array (===), not a copy; no other chunk is a caller's array.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbitraries } from '../../test/generated/arbitraries.ts';
import { encodeResponseFrame, encodeResponseFrameChunks } from './frames.ts';
import { FetchResponseCodec } from './generated/fetch-response.ts';
import type { FetchResponse } from './generated/fetch-response.ts';
import { ProduceRequestCodec } from './generated/produce-request.ts';
import type { MessageCodec } from './message-codec.ts';

const numRuns = fc.readConfigureGlobal().numRuns ?? 20;

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Every Uint8Array in a message outside unknown tagged fields (those are bytes/records fields), bounded depth. */
function bytesFields(v: unknown, out: Uint8Array[], depth = 0): Uint8Array[] {
  if (depth > 32) throw new Error('message too deep');
  if (v instanceof Uint8Array) out.push(v);
  else if (Array.isArray(v)) for (const x of v) bytesFields(x, out, depth + 1);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (k !== 'unknownTaggedFields') bytesFields(x, out, depth + 1);
  }
  return out;
}

const cases: readonly [string, number, MessageCodec<unknown>][] = [
  ['FetchResponse', 1, FetchResponseCodec as MessageCodec<unknown>],
  ['ProduceRequest', 0, ProduceRequestCodec as MessageCodec<unknown>],
];

describe('encodeResponseFrameChunks', () => {
  for (const [name, apiKey, codec] of cases) {
    const arb = arbitraries.get(name);
    if (arb === undefined) throw new Error(`no arbitrary for ${name}`);
    const [lo, hi] = codec.meta.validVersions;
    it(`${name} v${lo}-${hi}: chunks concatenate to the frame; large fields are passed through`, () => {
      for (let v = lo; v <= hi; v++) {
        fc.assert(
          fc.property(arb(v), fc.integer({ min: 1, max: 64 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (msg, spliceBytesMin, correlationId) => {
            const whole = encodeResponseFrame(apiKey, v, correlationId, codec, msg);
            const chunks = encodeResponseFrameChunks(apiKey, v, correlationId, codec, msg, { spliceBytesMin });
            expect(concat(chunks)).toEqual(whole);
            const fields = bytesFields(msg, []);
            const large = fields.filter((f) => f.length >= spliceBytesMin);
            for (const f of large) expect(chunks.some((c) => c === f)).toBe(true);
            const passed = chunks.filter((c) => fields.includes(c));
            expect(passed.length).toBe(large.length);
            for (const c of chunks) expect(c.length).toBeGreaterThan(0);
          }),
          { numRuns },
        );
      }
    });
  }

  it('a FetchResponse with 64 KiB of records: the records chunk is the caller array, the rest is small', () => {
    const records = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    const body: FetchResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      nodeEndpoints: [],
      responses: [
        {
          topic: 't',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 10,
              lastStableOffset: 10,
              logStartOffset: 0,
              divergingEpoch: { epoch: -1, endOffset: -1 },
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
              snapshotId: { endOffset: -1, epoch: -1 },
              abortedTransactions: null,
              preferredReadReplica: -1,
              records,
            },
          ],
        },
      ],
    };
    const codec = FetchResponseCodec as MessageCodec<unknown>;
    const chunks = encodeResponseFrameChunks(1, 12, 7, codec, body);
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toBe(records);
    expect(chunks[0]!.length + chunks[2]!.length).toBeLessThan(200);
    expect(concat(chunks)).toEqual(encodeResponseFrame(1, 12, 7, codec, body));
    const small = encodeResponseFrameChunks(1, 12, 7, codec, body, { spliceBytesMin: records.length + 1 });
    expect(small.length).toBe(1);
    expect(small[0]).toEqual(concat(chunks));
  });
});
