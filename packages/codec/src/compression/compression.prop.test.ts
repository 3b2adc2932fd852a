/**
 * Properties of the compression codecs:
 * - round trip: decompress(t, compress(t, x), x.length) equals x for every codec and random
 *   x up to 256 KiB (random bytes and compressible runs);
 * - the bound is tight: with maxBytes = x.length - 1 the same input throws 'too-large';
 * - garbage: random bytes, and valid frames with random bytes overwritten or cut, into
 *   decompress either decode (within maxBytes) or throw a DecodeError, never anything else.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { compress, decompress, initCompression, type CompressionType } from './index.ts';

const CODECS: CompressionType[] = [0, 1, 2, 3, 4];
const KiB = 1024;

/** Random bytes mixed with runs and repeats, so every codec finds matches. */
const payload = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 2 * KiB }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 64 * KiB })).map(([b, n]) => new Uint8Array(n).fill(b)),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 1000 })).map(([unit, n]) => repeat(unit, n)),
    ),
    { maxLength: 8 },
  )
  .map((parts) => concatAll(parts).subarray(0, 256 * KiB));

function repeat(unit: Uint8Array, times: number): Uint8Array {
  const out = new Uint8Array(unit.length * times);
  for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
  return out;
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function onlyDecodeErrors(type: CompressionType, bytes: Uint8Array, maxBytes: number): void {
  try {
    const out = decompress(type, bytes, maxBytes);
    expect(out.length).toBeLessThanOrEqual(maxBytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

describe('compression properties', () => {
  beforeAll(async () => {
    await initCompression();
  });
  for (const type of CODECS) {
    it(`codec ${type}: round trip, and the bound is tight`, () => {
      fc.assert(
        fc.property(payload, (data) => {
          const encoded = compress(type, data);
          expect(sameBytes(decompress(type, encoded, data.length), data)).toBe(true);
          if (data.length > 0) {
            let reason = 'none';
            try {
              decompress(type, encoded, data.length - 1);
            } catch (error) {
              reason = error instanceof DecodeError ? error.reason : String(error);
            }
            expect(reason).toBe('too-large');
          }
        }),
        { numRuns: 40 },
      );
    });

    it(`codec ${type}: random bytes only ever throw DecodeError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 4 * KiB }), fc.integer({ min: 0, max: 1 << 20 }), (bytes, maxBytes) => {
          onlyDecodeErrors(type, bytes, maxBytes);
        }),
        { numRuns: 200 },
      );
    });

    it(`codec ${type}: mutated and truncated frames only ever throw DecodeError`, () => {
      fc.assert(
        fc.property(
          payload,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          (data, edits, cut) => {
            const encoded = compress(type, data).slice();
            for (const [at, value] of edits) if (encoded.length > 0) encoded[at % encoded.length] = value;
            onlyDecodeErrors(type, encoded, 1 << 20);
            onlyDecodeErrors(type, encoded.subarray(0, encoded.length === 0 ? 0 : cut % encoded.length), 1 << 20);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
