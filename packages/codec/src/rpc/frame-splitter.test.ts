/**
 * FrameSplitter examples: every split point of a small stream, zero-copy views, the size
 * check before buffering, negative lengths, and the poisoned state after an error.
 */
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from './frame-splitter.ts';
import { catchDecodeError, concatBytes, cutAt, lengthPrefixed, sameBytes } from './rpc-test-helpers.ts';

const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([9]), new Uint8Array(300).fill(7)];
const stream = concatBytes(payloads.map(lengthPrefixed));

describe('FrameSplitter', () => {
  it('returns the same payloads for every single split point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const splitter = new FrameSplitter({ frameBytesMax: 1000 });
      const got = cutAt(stream, [cut]).flatMap((chunk) => splitter.push(chunk));
      expect(got.length).toBe(payloads.length);
      got.forEach((p, i) => expect(sameBytes(p, payloads[i]!)).toBe(true));
      expect(splitter.bufferedBytes).toBe(0);
    }
  });

  it('returns payloads wholly inside a chunk as views of it', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 1000 });
    const got = splitter.push(stream);
    expect(got.every((p) => p.buffer === stream.buffer)).toBe(true);
  });

  it('rejects a declared length over frameBytesMax as soon as the prefix is complete', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 100 });
    expect(splitter.push(new Uint8Array([0, 0, 0]))).toEqual([]);
    expect(splitter.bufferedBytes).toBe(3);
    const error = catchDecodeError(() => splitter.push(new Uint8Array([101, 1, 2])));
    expect(error?.reason).toBe('too-large');
    expect(error?.message).toContain('101');
    // Poisoned: the stream is out of sync.
    expect(catchDecodeError(() => splitter.push(new Uint8Array([0])))?.reason).toBe('too-large');
  });

  it('holds memory in proportion to what arrived, not to the announced size', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 100 * 1024 * 1024 });
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, 100 * 1024 * 1024);
    expect(splitter.push(concatBytes([prefix, new Uint8Array(10)]))).toEqual([]);
    expect(splitter.bufferedBytes).toBe(14);
    expect(splitter.retainedBytes).toBeLessThanOrEqual(4 + 16 * 1024);
    for (let i = 0; i < 10; i++) splitter.push(new Uint8Array(100_000));
    expect(splitter.bufferedBytes).toBe(14 + 1_000_000);
    expect(splitter.retainedBytes).toBeLessThanOrEqual(4 + 2 * 1_000_010);
  });

  it('copies a spanning frame once, into a buffer of exactly its size', () => {
    const payload = Uint8Array.from({ length: 50_000 }, (_, i) => i & 0xff);
    // Small and large pieces mixed: 1, 2, 697, 1300 bytes, then 8 KiB and 40 KiB pieces.
    const chunks = cutAt(lengthPrefixed(payload), [1, 3, 700, 2000, 10_192, 50_004]).map((c) => c.slice());
    const splitter = new FrameSplitter({ frameBytesMax: 100_000 });
    const frames = chunks.flatMap((c) => splitter.push(c));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.buffer.byteLength).toBe(50_000);
    expect(sameBytes(frames[0]!, payload)).toBe(true);
  });

  it('holds about one byte per byte of a frame trickled one byte per chunk', () => {
    const payload = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7) & 0xff);
    const bytes = lengthPrefixed(payload);
    const splitter = new FrameSplitter({ frameBytesMax: 100_000 });
    const frames: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) {
      frames.push(...splitter.push(bytes.slice(i, i + 1)));
      if (i < bytes.length - 1) {
        expect(splitter.retainedBytes).toBeLessThanOrEqual(4 + splitter.bufferedBytes + 16 * 1024);
        expect(splitter.partsHeld).toBeLessThanOrEqual(1 + Math.ceil(i / (16 * 1024)));
      }
    }
    expect(frames).toHaveLength(1);
    expect(sameBytes(frames[0]!, payload)).toBe(true);
  });

  it('rejects 2 GiB - 1 without allocating it', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
    expect(catchDecodeError(() => splitter.push(new Uint8Array([0x7f, 0xff, 0xff, 0xff])))?.reason).toBe('too-large');
  });

  it('rejects negative lengths', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 100 });
    expect(catchDecodeError(() => splitter.push(new Uint8Array([0xff, 0xff, 0xff, 0xfe])))?.reason).toBe('bad-length');
  });

  it('accepts a frame of exactly frameBytesMax and counts buffered bytes', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 300 });
    const bytes = lengthPrefixed(new Uint8Array(300).fill(1));
    expect(splitter.push(bytes.subarray(0, 10))).toEqual([]);
    expect(splitter.bufferedBytes).toBe(10);
    const [frame] = splitter.push(bytes.subarray(10));
    expect(frame?.length).toBe(300);
    expect(splitter.bufferedBytes).toBe(0);
  });
});

describe('FrameSplitter with assembleInto', () => {
  // Pieces of 4 KiB and more are kept as views until the frame is complete (socket reads), so
  // the join is one copy: into the lent buffer instead of a fresh one.
  it('joins a spanning frame into the lent buffer, never a frame inside one chunk, and ignores one too small', () => {
    const lent = new Uint8Array(30_000);
    const asked: number[] = [];
    const splitter = new FrameSplitter({ frameBytesMax: 30_000, assembleInto: (bytes) => (asked.push(bytes), lent) });
    const big = new Uint8Array(20_000).map((_, i) => i % 251);
    const framed = lengthPrefixed(big);
    const [first] = cutAt(framed, [5000, 12_000]).flatMap((chunk) => splitter.push(chunk));
    expect(sameBytes(first!, big)).toBe(true);
    expect(first!.buffer).toBe(lent.buffer); // a view of the lent buffer's start
    expect(first!.byteOffset).toBe(0);
    expect(asked).toEqual([20_000]);
    // Wholly inside one chunk: a view of the chunk, the buffer not asked for.
    const whole = lengthPrefixed(new Uint8Array([4, 5]));
    expect(splitter.push(whole)[0]!.buffer).toBe(whole.buffer);
    expect(asked).toEqual([20_000]);
    // A buffer smaller than the frame (or null) means a fresh one.
    const small = new FrameSplitter({ frameBytesMax: 30_000, assembleInto: () => new Uint8Array(10) });
    const got = cutAt(framed, [8000]).flatMap((chunk) => small.push(chunk));
    expect(sameBytes(got[0]!, big)).toBe(true);
    expect(got[0]!.byteLength).toBe(20_000);
    const none = new FrameSplitter({ frameBytesMax: 30_000, assembleInto: () => null });
    expect(sameBytes(cutAt(framed, [8000]).flatMap((chunk) => none.push(chunk))[0]!, big)).toBe(true);
  });
});

describe('FrameSplitter with reservations', () => {
  it('asks for each frame at its prefix, holds the rest until granted, then goes on', () => {
    const asked: number[] = [];
    // Refuse the second frame: the first is returned, the rest is held, not parsed.
    let calls = 0;
    const refuseSecond = new FrameSplitter({ frameBytesMax: 1000, reserve: (n) => (asked.push(n), calls++ !== 1) });
    const first = refuseSecond.push(stream);
    expect(first.map((p) => p.byteLength)).toEqual([3]);
    expect(refuseSecond.awaitingGrant).toBe(true);
    expect(refuseSecond.bufferedBytes).toBe(stream.length - 7);
    // Chunks pushed while awaiting are held too, nothing comes out.
    expect(refuseSecond.push(lengthPrefixed(new Uint8Array([5])))).toEqual([]);
    const rest = refuseSecond.granted();
    expect(rest.map((p) => [...p.subarray(0, 1)])).toEqual([[], [9], [7], [5]]);
    expect(refuseSecond.awaitingGrant).toBe(false);
    expect(refuseSecond.bufferedBytes).toBe(0);
    // The granted frame is not asked for again.
    expect(asked).toEqual([3, 0, 1, 300, 1]);
  });

  it('returns an empty frame as soon as it is granted, with nothing more pushed', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 10, reserve: () => false });
    expect(splitter.push(lengthPrefixed(new Uint8Array(0)))).toEqual([]);
    expect(splitter.granted().map((f) => f.byteLength)).toEqual([0]);
    expect(splitter.bufferedBytes).toBe(0);
  });

  it('stops before buffering any payload byte of a frame it could not reserve', () => {
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20, reserve: () => false });
    const prefix = lengthPrefixed(new Uint8Array(100_000)).subarray(0, 4);
    expect(splitter.push(prefix)).toEqual([]);
    expect(splitter.awaitingGrant).toBe(true);
    expect(splitter.bufferedBytes).toBe(4); // the prefix only
    expect(splitter.retainedBytes).toBe(4);
    expect(() => new FrameSplitter({ frameBytesMax: 10 }).granted()).toThrow(/granted/);
  });

  it('copies a reserved frame that spans chunks into one buffer of its declared size', () => {
    const payload = new Uint8Array(100_000).map((_, i) => i % 251);
    const bytes = lengthPrefixed(payload);
    for (const step of [1_000, 5_000, 64 * 1024]) {
      const splitter = new FrameSplitter({ frameBytesMax: 1 << 20, reserve: () => true });
      const chunks = cutAt(bytes, Array.from({ length: Math.floor(bytes.length / step) }, (_, i) => (i + 1) * step));
      for (const c of chunks.slice(0, -1)) expect(splitter.push(c)).toEqual([]);
      // No pieces or chunk views pile up beside the frame's own buffer (then copied again).
      expect(splitter.partsHeld).toBe(0);
      expect(splitter.retainedBytes).toBe(4 + payload.byteLength);
      const got = splitter.push(chunks[chunks.length - 1]!);
      expect(got).toHaveLength(1);
      expect(sameBytes(got[0]!, payload)).toBe(true);
      expect(got[0]!.buffer.byteLength).toBe(payload.byteLength);
      expect(splitter.retainedBytes).toBe(4);
    }
  });
});
