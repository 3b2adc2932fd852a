// Random: the same seed gives the same sequence (simulations replay from it), different
// seeds differ, and every method stays in its documented range.
import { describe, expect, it } from 'vitest';
import { createRandom, randomSeed } from './random.ts';

describe('createRandom', () => {
  it('replays the same sequence from the same seed', () => {
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const a = createRandom(seed);
      const b = createRandom(seed);
      const take = (r: typeof a) => [r.nextUint32(), r.next(), r.int(-5, 5), Array.from(r.fill(new Uint8Array(8)))];
      expect(take(a)).toEqual(take(b));
      expect(a.seed).toBe(seed);
    }
  });

  it('gives different sequences for different seeds', () => {
    const a = createRandom(1);
    const b = createRandom(2);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    const sb = Array.from({ length: 8 }, () => b.nextUint32());
    expect(sa).not.toEqual(sb);
  });

  it('keeps every value in range and covers it', () => {
    const r = createRandom(7);
    const hits = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const f = r.next();
      expect(f >= 0 && f < 1).toBe(true);
      const u = r.nextUint32();
      expect(Number.isInteger(u) && u >= 0 && u < 2 ** 32).toBe(true);
      const n = r.int(3, 9);
      expect(n >= 3 && n < 9 && Number.isInteger(n)).toBe(true);
      hits.add(n);
    }
    expect([...hits].sort()).toEqual([3, 4, 5, 6, 7, 8]);
    expect(() => r.int(5, 5)).toThrow(RangeError);
  });

  it('randomSeed returns a 32-bit unsigned integer', () => {
    const s = randomSeed();
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
