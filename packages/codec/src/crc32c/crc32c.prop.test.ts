/**
 * Properties of CRC-32C:
 * - slicing-by-16 (word and byte paths, any alignment) equals a bit-at-a-time reference for random inputs and random ranges;
 * - incremental: crc(a ++ b) === crc(b, initial = crc(a)) for every split point;
 * - any single-bit flip changes the CRC (CRC detects all 1-bit errors).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.ts';

function referenceCrc32c(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

// Views at byteOffset 0-3 so the aligned word loop meets every alignment.
const bytesAndRange = fc
  .tuple(fc.uint8Array({ maxLength: 1000 }), fc.nat(3))
  .map(([raw, shift]) => {
    const backing = new Uint8Array(raw.length + shift);
    backing.set(raw, shift);
    return backing.subarray(shift);
  })
  .chain((b) => fc.tuple(fc.constant(b), fc.nat(b.length), fc.nat(b.length)))
  .map(([b, x, y]) => ({ b, start: Math.min(x, y), end: Math.max(x, y) }));

describe('crc32c properties', () => {
  it('equals the bitwise reference on random ranges', () => {
    fc.assert(
      fc.property(bytesAndRange, ({ b, start, end }) => {
        expect(crc32c(b, start, end)).toBe(referenceCrc32c(b, start, end));
      }),
    );
  });

  it('composes incrementally at any split point', () => {
    fc.assert(
      fc.property(bytesAndRange, ({ b, start: cut }) => {
        expect(crc32c(b, cut, b.length, crc32c(b, 0, cut))).toBe(crc32c(b));
      }),
    );
  });

  it('detects every single-bit flip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(7), (b, at, bit) => {
        const i = at % b.length;
        const before = crc32c(b);
        const flipped = b.slice();
        flipped[i] = flipped[i]! ^ (1 << bit);
        expect(crc32c(flipped)).not.toBe(before);
      }),
    );
  });
});
