/**
 * Properties of FrameSplitter:
 * - any chunking of a stream of length-prefixed frames (partial prefixes, partial payloads,
 *   coalesced frames, empty chunks) yields exactly the payloads, in order;
 * - bufferedBytes never exceeds 4 + frameBytesMax, and is 0 at frame boundaries; the memory
 *   held (retainedBytes) stays within bufferedBytes + 16 KiB (+ 4 while a prefix is partial);
 * - a declared length over frameBytesMax throws 'too-large' on the push that completes the
 *   prefix, having buffered no more than the 4 prefix bytes;
 * - random bytes only ever raise DecodeError ('too-large' or 'bad-length');
 * - with `fillInPlace`, reading as a transport that honours `readBuffer()` does (random read
 *   sizes): the payloads come out in order, and a frame whose bytes were offered for
 *   reading is returned as that very buffer (filled in place, not copied out);
 * - with a `reserve` hook that refuses at random (granted later): the payloads still come
 *   out in order, each frame is asked for exactly once, in order, before any of its
 *   payload bytes is kept, and frames come out only for lengths that were granted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from './frame-splitter.ts';
import { catchDecodeError, concatBytes, cutAt, lengthPrefixed, sameBytes } from './rpc-test-helpers.ts';

const payloadsArb = fc.array(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ minLength: 4096, maxLength: 40_000 })), { maxLength: 12 });

function cutsArb(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: length }), { maxLength: 20 }).map((cuts) => cuts.sort((a, b) => a - b));
}

describe('FrameSplitter properties', () => {
  it('with reservations refused at random, yields the payloads in order, each asked for once before it is kept', () => {
    fc.assert(
      fc.property(
        payloadsArb.chain((payloads) => {
          const stream = concatBytes(payloads.map(lengthPrefixed));
          return fc.tuple(fc.constant(payloads), fc.constant(stream), cutsArb(stream.length), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }));
        }),
        ([payloads, stream, cuts, refusals]) => {
          const asked: number[] = [];
          let granted = 0;
          const splitter = new FrameSplitter({
            frameBytesMax: 40_000,
            reserve: (n) => {
              asked.push(n);
              if (refusals[asked.length - 1]) return false;
              granted++;
              return true;
            },
          });
          const got: Uint8Array[] = [];
          const drain = (): void => {
            // The caller obtains the bytes later: grant until nothing waits.
            while (splitter.awaitingGrant) {
              granted++;
              got.push(...splitter.granted());
            }
          };
          for (const chunk of cutAt(stream, cuts)) {
            got.push(...splitter.push(chunk));
            if (splitter.awaitingGrant) {
              // Nothing of the waiting frame is kept beyond its prefix and the raw held bytes.
              expect(splitter.retainedBytes).toBe(splitter.bufferedBytes);
              expect(got.length).toBeLessThan(asked.length);
            }
            expect(got.length).toBeLessThanOrEqual(granted);
            if (cuts.length % 2 === 0) drain();
          }
          drain();
          expect(asked).toEqual(payloads.map((p) => p.byteLength));
          expect(got.length).toBe(payloads.length);
          got.forEach((p, i) => expect(sameBytes(p, payloads[i]!)).toBe(true));
          expect(splitter.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('any chunking yields the payloads in order', () => {
    fc.assert(
      fc.property(
        payloadsArb.chain((payloads) => {
          const stream = concatBytes(payloads.map(lengthPrefixed));
          return fc.tuple(fc.constant(payloads), fc.constant(stream), cutsArb(stream.length));
        }),
        ([payloads, stream, cuts]) => {
          const splitter = new FrameSplitter({ frameBytesMax: 40_000 });
          const got: Uint8Array[] = [];
          for (const chunk of cutAt(stream, cuts)) {
            got.push(...splitter.push(chunk));
            expect(splitter.bufferedBytes).toBeLessThanOrEqual(40_004);
            expect(splitter.retainedBytes).toBeLessThanOrEqual(4 + splitter.bufferedBytes + 16 * 1024);
          }
          expect(got.length).toBe(payloads.length);
          got.forEach((p, i) => expect(sameBytes(p, payloads[i]!)).toBe(true));
          expect(splitter.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('fillInPlace: reads land in the offered frame buffer, and the payloads come out in order', () => {
    fc.assert(
      fc.property(
        // Small payloads and reads (a failure shrinks in seconds, not hours), still spanning many reads.
        fc.tuple(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 30 })),
        ([payloads, readSizes]) => {
          const stream = concatBytes(payloads.map(lengthPrefixed));
          const splitter = new FrameSplitter({ frameBytesMax: 40_000, fillInPlace: true });
          const got: Uint8Array[] = [];
          let offeredBuffer: ArrayBufferLike | null = null;
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const offered = splitter.readBuffer();
            if (offered !== null) {
              expect(offered.byteLength).toBeGreaterThan(0);
              offeredBuffer = offered.buffer;
            }
            const into = offered ?? new Uint8Array(64 * 1024);
            const n = Math.min(into.byteLength, readSizes[i % readSizes.length]!, stream.length - at);
            into.set(stream.subarray(at, at + n));
            at += n;
            const copiedBefore = splitter.copiedBytes;
            const frames = splitter.push(into.subarray(0, n));
            // Bytes read into the offered buffer are already where they belong: no copy.
            if (offered !== null) expect(splitter.copiedBytes - copiedBefore).toBe(0);
            for (const frame of frames) {
              if (offeredBuffer !== null) expect(frame.buffer === offeredBuffer).toBe(true); // (booleans: a failing diff of 40 KB buffers is slow)
              offeredBuffer = null;
              got.push(frame);
            }
          }
          expect(got.length).toBe(payloads.length);
          got.forEach((p, i) => expect(sameBytes(p, payloads[i]!)).toBe(true));
          expect(splitter.readBuffer()).toBeNull();
        },
      ),
    );
  });

  it('an oversized declared length is rejected before buffering past the prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 0, max: 3 }), (frameBytes, cut) => {
        const frameBytesMax = Math.max(0, frameBytes - 1);
        const splitter = new FrameSplitter({ frameBytesMax });
        const prefix = new Uint8Array(4);
        new DataView(prefix.buffer).setInt32(0, frameBytes);
        const tail = new Uint8Array(64);
        let error = catchDecodeError(() => splitter.push(prefix.subarray(0, cut)));
        expect(error).toBe(null);
        expect(splitter.bufferedBytes).toBe(cut);
        error = catchDecodeError(() => splitter.push(concatBytes([prefix.subarray(cut), tail])));
        expect(error?.reason).toBe('too-large');
        expect(error?.message).toContain(String(frameBytes));
        expect(splitter.bufferedBytes).toBe(0);
      }),
    );
  });

  it('random bytes only raise DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 1 << 16 }), (bytes, frameBytesMax) => {
        const splitter = new FrameSplitter({ frameBytesMax });
        const error = catchDecodeError(() => {
          for (let i = 0; i < bytes.length; i += 97) splitter.push(bytes.subarray(i, i + 97));
        });
        if (error !== null) expect(['too-large', 'bad-length']).toContain(error.reason);
        expect(splitter.bufferedBytes).toBeLessThanOrEqual(frameBytesMax + 4);
      }),
    );
  });
});
