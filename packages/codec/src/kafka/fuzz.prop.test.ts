/**
 * Garbage into every decoder.
 *
 * Invariants:
 * - random bytes into any generated decoder (every message, every version), into the
 *   request/response header decoders, into decodeRequestFrame and into decodeRequest (with
 *   the codec of the api key the frame names, as the broker picks it) either decode or throw
 *   a DecodeError, never anything else, and never hang;
 * - the same holds for valid encodings that were truncated or had bytes overwritten;
 * - a tiny input declaring a huge array count or bytes length fails with 'bad-length'
 *   before anything is allocated.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../decode-error.ts';
import { arbitraries } from '../../test/generated/arbitraries.ts';
import * as generated from './generated/index.ts';
import { decodeMessage, encodeMessage } from './encode-decode.ts';
import { decodeRequest, decodeRequestFrame, encodeRequestFrame, peekRequestHeader } from './frames.ts';
import { apiByKey } from './generated/registry.ts';
import type { MessageCodec } from './message-codec.ts';

/** Scales the per-decoder run counts when FC_NUM_RUNS set a global count. */
const scale = (fc.readConfigureGlobal().numRuns ?? 100) / 100;
const runs = (n: number): number => Math.max(1, Math.round(n * scale));

const codecs = [...arbitraries.keys()].map((name) => (generated as Record<string, unknown>)[`${name}Codec`] as MessageCodec<unknown>);

function onlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
}

describe('decoders on garbage', () => {
  // One test per message: a single test looping over every decoder runs for tens of
  // seconds without yielding, and vitest's worker RPC times out after 60 s on a loaded CI box.
  for (const codec of codecs) {
    const [lo, hi] = codec.meta.validVersions;
    it(`random bytes into ${codec.name} v${lo}-${hi}`, () => {
      fc.assert(
        fc.property(fc.integer({ min: lo, max: hi }), fc.uint8Array({ maxLength: 48 }), (v, bytes) => {
          onlyDecodeErrors(() => decodeMessage(codec, bytes, v));
        }),
        { numRuns: runs(25) },
      );
    });
  }

  for (const [name, arb] of arbitraries) {
    const codec = (generated as Record<string, unknown>)[`${name}Codec`] as MessageCodec<unknown>;
    const [lo, hi] = codec.meta.validVersions;
    it(`truncated and corrupted ${name} encodings`, () => {
      const input = fc.integer({ min: lo, max: hi }).chain((v) => fc.tuple(fc.constant(v), arb(v)));
      fc.assert(
        fc.property(input, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), ([v, msg], cut, flips) => {
          const bytes = encodeMessage(codec, msg, v).slice();
          for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
          onlyDecodeErrors(() => decodeMessage(codec, bytes, v));
          onlyDecodeErrors(() => decodeMessage(codec, bytes.subarray(0, cut % (bytes.length + 1)), v));
        }),
        { numRuns: runs(10) },
      );
    });
  }

  it('random bytes and corrupted frames into decodeRequestFrame and decodeRequest', () => {
    const api = apiByKey.get(0)!; // Produce
    const good = encodeRequestFrame({ requestApiKey: 0, requestApiVersion: 9, correlationId: 7, clientId: 'c' }, api.request, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 100,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: new Uint8Array(3) }] }],
    }).subarray(4);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (random, flips) => {
        onlyDecodeErrors(() => decodeRequestFrame(random));
        const bytes = good.slice();
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        onlyDecodeErrors(() => {
          const frame = decodeRequestFrame(bytes);
          const entry = apiByKey.get(frame.header.requestApiKey)!;
          decodeMessage(entry.request, frame.body, frame.header.requestApiVersion);
        });
        for (const input of [random, bytes]) {
          const entry = apiByKey.get(peekRequestHeader(input)?.apiKey ?? -1);
          if (entry !== undefined) onlyDecodeErrors(() => decodeRequest(input, entry.request));
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('huge declared sizes fail fast', () => {
  const produce = apiByKey.get(0)!.request;
  it('int32 array count 2^31-1 in a few bytes', () => {
    // ProduceRequest v2: acks int16, timeoutMs int32, topicData count int32
    const bytes = Uint8Array.from([0, 1, 0, 0, 0, 100, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => decodeMessage(produce, bytes, 2)).toThrow(DecodeError);
    try {
      decodeMessage(produce, bytes, 2);
    } catch (e) {
      expect((e as DecodeError).reason).toBe('bad-length');
      expect((e as DecodeError).path).toBe('topicData');
    }
  });
  it('compact array count near 2^32 and a huge records length', () => {
    // v9 (flexible): transactionalId null (0), acks, timeoutMs, topicData count uvarint 2^32-1
    const hugeCount = Uint8Array.from([0, 0, 1, 0, 0, 0, 100, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeMessage(produce, hugeCount, 9)).toThrow(/bad-length/);
    // v3: one topic "t", one partition, records length 2^31-1
    const hugeRecords = Uint8Array.from([0xff, 0xff, 0, 1, 0, 0, 0, 100, 0, 0, 0, 1, 0, 1, 116, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
    let err: unknown;
    try {
      decodeMessage(produce, hugeRecords, 3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe('bad-length');
    expect((err as DecodeError).path).toBe('topicData[0].partitionData[0].records');
  });
});
