/**
 * Properties of RPC frames:
 * - round trip: decode(encode(frame)) equals the frame for random bodies (JSON-like values,
 *   shared-structure records, binary), random attachments, with and without shared structures;
 * - streaming: any chunking of a stream of encoded frames through RpcFrameSplitter yields the
 *   same frames, in order; bufferedBytes stays within 4 + frameBytesMax;
 * - a frame larger than frameBytesMax is rejected with 'too-large' before it is buffered;
 * - random bytes and mutated frames into decodeRpcFrame and the splitter only raise DecodeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { RpcCodec, RpcFrameSplitter, concatChunks, type RpcFrame, type RpcFrameType } from './index.ts';
import { catchDecodeError, cutAt, sameBytes } from './rpc-test-helpers.ts';

const schemas = [{ version: 3, structures: [['term', 'leaderId', 'entries'], ['offset', 'epoch']] }];
const codecs = [new RpcCodec(), new RpcCodec({ schemas })];

/** JSON-like values without -0 (msgpack keeps it, toEqual would not care, but keep it simple). */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 5 }),
    fc.record({ term: fc.nat(), leaderId: fc.nat(), entries: fc.array(fc.record({ offset: fc.nat(), epoch: fc.nat() }), { maxLength: 4 }) }),
  ),
})).v;

const frameArb = fc.record({
  type: fc.constantFrom<RpcFrameType>(0, 1, 2),
  requestId: fc.integer({ min: 0, max: 0xffffffff }),
  schemaVersion: fc.constant(3),
  body: value,
  attachments: fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 4 }),
});

/** Compares with Uint8Array contents (Node returns Buffers for binary inside the body). */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

function expectSameFrame(got: RpcFrame, want: RpcFrame): void {
  expect(got.type).toBe(want.type);
  expect(got.requestId).toBe(want.requestId);
  expect(got.schemaVersion).toBe(want.schemaVersion);
  expect(normalise(got.body)).toEqual(normalise(want.body));
  expect(got.attachments.length).toBe(want.attachments.length);
  got.attachments.forEach((a, i) => expect(sameBytes(a, want.attachments[i]!)).toBe(true));
}

describe('RPC frame properties', () => {
  for (const [index, codec] of codecs.entries()) {
    const label = index === 0 ? 'no shared structures' : 'shared structures';
    it(`${label}: round trip`, () => {
      fc.assert(
        fc.property(frameArb, (frame) => {
          expectSameFrame(codec.decode(concatChunks(codec.encode(frame))), frame);
        }),
      );
    });

    it(`${label}: any chunking through the splitter yields the frames`, () => {
      fc.assert(
        fc.property(
          fc.array(frameArb, { minLength: 1, maxLength: 5 }).chain((frames) => {
            const stream = concatChunks(frames.flatMap((f) => codec.encode(f)));
            const cuts = fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 16 }).map((c) => c.sort((a, b) => a - b));
            return fc.tuple(fc.constant(frames), fc.constant(stream), cuts);
          }),
          ([frames, stream, cuts]) => {
            const frameBytesMax = 1 << 16;
            const splitter = new RpcFrameSplitter({ frameBytesMax, codec });
            const got: RpcFrame[] = [];
            for (const chunk of cutAt(stream, cuts)) {
              got.push(...splitter.push(chunk));
              expect(splitter.bufferedBytes).toBeLessThanOrEqual(frameBytesMax + 4);
            }
            expect(got.length).toBe(frames.length);
            got.forEach((f, i) => expectSameFrame(f, frames[i]!));
            expect(splitter.bufferedBytes).toBe(0);
          },
        ),
        { numRuns: 50 },
      );
    });
  }

  it('a frame over frameBytesMax is rejected before it is buffered', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const [head, ...rest] = codecs[1]!.encode(frame);
        const bytes = concatChunks([head!, ...rest]);
        const splitter = new RpcFrameSplitter({ frameBytesMax: bytes.length - 5, codec: codecs[1]! });
        const error = catchDecodeError(() => splitter.push(bytes.subarray(0, 4)));
        expect(error?.reason).toBe('too-large');
        expect(error?.api).toBe('RpcFrame');
        expect(splitter.bufferedBytes).toBe(0);
      }),
      { numRuns: 30 },
    );
  });

  it('random bytes and mutated frames only raise DecodeError', () => {
    const codec = codecs[1]!;
    fc.assert(
      fc.property(
        frameArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 300 }),
        (frame, edits, garbage) => {
          const [head, ...attachments] = codec.encode(frame);
          const bodyStart = 17 + 4 * attachments.length;
          const bytes = concatChunks([head!, ...attachments]).slice();
          const bodyMutated = bytes.slice();
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          // Lengths intact, body bytes garbled: the msgpackr decoder itself sees garbage.
          for (const [at, v] of edits) bodyMutated[bodyStart + (at % (head!.length - bodyStart))] = v;
          for (const input of [bytes, bodyMutated, garbage, concatChunks([bytes.subarray(0, 4), garbage])]) {
            for (const run of [() => codec.decode(input), () => new RpcFrameSplitter({ frameBytesMax: 1 << 14, codec }).push(input)]) {
              try {
                run();
              } catch (error) {
                if (!(error instanceof DecodeError)) throw error;
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
