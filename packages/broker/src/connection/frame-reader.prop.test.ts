/**
 * FrameReader against @samsa/codec's FrameSplitter as the oracle.
 * Invariants:
 *   - any stream of valid frames, cut into arbitrary chunks, yields exactly the frames'
 *     payloads in order, the same as FrameSplitter yields, push by push;
 *   - bufferedBytes after each push equals FrameSplitter's;
 *   - a declared length over frameBytesMax (or negative) throws the same DecodeError
 *     reason, and every later push throws again.
 */
import fc from 'fast-check';
import { DecodeError, FrameSplitter } from '@samsa/codec';
import { describe, expect, it } from 'vitest';
import { FrameReader } from './frame-reader.ts';

function framed(payloads: readonly Uint8Array[]): Uint8Array {
  const total = payloads.reduce((s, p) => s + 4 + p.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of payloads) {
    view.setInt32(at, p.byteLength);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  return out;
}

function cut(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.byteLength]) {
    chunks.push(bytes.slice(prev, p));
    prev = p;
  }
  return chunks;
}

describe('FrameReader', () => {
  it('splits like FrameSplitter for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const reader = new FrameReader({ frameBytesMax: 1000 });
          const oracle = new FrameSplitter({ frameBytesMax: 1000 });
          const got: Uint8Array[] = [];
          for (const chunk of cut(framed(payloads), cuts)) {
            const mine = reader.push(chunk);
            const theirs = oracle.push(chunk);
            expect(mine.map((f) => [...f])).toEqual(theirs.map((f) => [...f]));
            expect(reader.bufferedBytes).toBe(oracle.bufferedBytes);
            got.push(...mine);
          }
          expect(got.map((f) => [...f])).toEqual(payloads.map((p) => [...p]));
          expect(reader.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('rejects a declared length over the limit from the prefix alone, and stays failed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 11, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), (length, split) => {
        const reader = new FrameReader({ frameBytesMax: 10 });
        const prefix = new Uint8Array(4);
        new DataView(prefix.buffer).setInt32(0, length);
        let error: unknown = null;
        try {
          reader.push(prefix.subarray(0, split));
          reader.push(prefix.subarray(split));
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(DecodeError);
        expect((error as DecodeError).reason).toBe('too-large');
        expect(() => reader.push(new Uint8Array(1))).toThrow(DecodeError);
      }),
    );
  });

  it('rejects a negative declared length', () => {
    const reader = new FrameReader({ frameBytesMax: 10 });
    let error: unknown = null;
    try {
      reader.push(new Uint8Array([0xff, 0xff, 0xff, 0xfe]));
    } catch (e) {
      error = e;
    }
    expect((error as DecodeError).reason).toBe('bad-length');
  });

  it('copies a spanning frame once, into a buffer of exactly its size', () => {
    const payload = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const chunks = cut(framed([payload]), [1, 3, 700, 2000, 4999]);
    const reader = new FrameReader({ frameBytesMax: 10_000 });
    const frames = chunks.flatMap((c) => reader.push(c));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.byteLength).toBe(5000);
    expect(frames[0]!.buffer.byteLength).toBe(5000);
    expect([...frames[0]!]).toEqual([...payload]);
  });
});
