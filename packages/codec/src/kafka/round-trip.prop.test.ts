/**
 * Round trip of every generated codec (every request, response, header and data message)
 * at every valid version, with arbitraries generated from the same specs.
 *
 * Invariants:
 * - size(msg, v) equals the number of bytes write() produces (Writer.finish asserts it);
 * - decode(encode(msg, v), v) deep-equals msg (fields absent in v hold their defaults,
 *   unknown tagged fields survive);
 * - encode(decode(bytes)) reproduces the same bytes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbitraries } from '../../test/generated/arbitraries.ts';
import * as generated from './generated/index.ts';
import { decodeMessage, encodeMessage } from './encode-decode.ts';
import type { MessageCodec } from './message-codec.ts';

/** 20 runs per message-version unless FC_NUM_RUNS set a global count (test/setup/fast-check-seed.ts). */
const numRuns = fc.readConfigureGlobal().numRuns ?? 20;

function codecOf(name: string): MessageCodec<unknown> {
  const codec = (generated as Record<string, unknown>)[`${name}Codec`] as MessageCodec<unknown> | undefined;
  if (codec === undefined) throw new Error(`no codec for ${name}`);
  return codec;
}

describe('generated codecs round-trip', () => {
  it('covers every spec message', () => {
    expect(arbitraries.size).toBeGreaterThanOrEqual(186);
  });
  for (const [name, arb] of arbitraries) {
    const codec = codecOf(name);
    const [lo, hi] = codec.meta.validVersions;
    it(`${name} v${lo}-${hi}`, () => {
      for (let v = lo; v <= hi; v++) {
        fc.assert(
          fc.property(arb(v), (msg) => {
            const bytes = encodeMessage(codec, msg, v);
            const back = decodeMessage(codec, bytes, v);
            expect(back).toEqual(msg);
            expect(encodeMessage(codec, back, v)).toEqual(bytes);
          }),
          { numRuns },
        );
      }
    });
  }
});
