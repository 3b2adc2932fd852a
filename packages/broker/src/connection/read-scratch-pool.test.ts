// ReadScratchPool (read-scratch-pool.ts): buffers are lent exclusively, reused once given
// back, never larger than the cap, and at most keepMax are kept.
import { describe, expect, it } from 'vitest';
import { ReadScratchPool, ScratchCursor, ScratchLoan } from './read-scratch-pool.ts';

describe('ReadScratchPool', () => {
  it('reuses a given-back buffer large enough, and lends distinct buffers to concurrent takers', () => {
    const pool = new ReadScratchPool({ keepMax: 2, bufferBytesMax: 1000 });
    const a = pool.take(100);
    const b = pool.take(100);
    expect(a).not.toBe(b);
    expect(a.byteLength).toBe(100);
    pool.give(a);
    expect(pool.take(50)).toBe(a); // large enough: reused
    pool.give(b);
    const c = pool.take(200); // b is too small: a fresh one
    expect(c).not.toBe(b);
    expect(c.byteLength).toBe(200);
    expect(pool.allocated).toBe(3);
  });

  it('caps a buffer at bufferBytesMax and does not keep larger ones', () => {
    const pool = new ReadScratchPool({ keepMax: 4, bufferBytesMax: 1000 });
    const big = pool.take(5000);
    expect(big.byteLength).toBe(1000);
    pool.give(new Uint8Array(2000)); // not one of ours at that size: dropped
    expect(pool.freeCount).toBe(0);
    pool.give(big);
    expect(pool.freeCount).toBe(1);
  });

  it('keeps at most keepMax free buffers, dropping the smallest', () => {
    const pool = new ReadScratchPool({ keepMax: 2, bufferBytesMax: 1000 });
    const [x, y, z] = [pool.take(10), pool.take(300), pool.take(200)];
    pool.give(x);
    pool.give(y);
    pool.give(z);
    expect(pool.freeCount).toBe(2);
    expect(pool.take(250)).toBe(y);
    expect(pool.take(150)).toBe(z);
    expect(pool.take(5)).not.toBe(x); // x (the smallest) was dropped
  });
});

describe('ScratchLoan and ScratchCursor', () => {
  it('a loan gives back what it took, once; a cursor hands out the space after each read and rewinds', () => {
    const pool = new ReadScratchPool({ keepMax: 2, bufferBytesMax: 64 });
    const loan = new ScratchLoan(pool);
    expect(loan.empty).toBe(true);
    const cursor = new ScratchCursor(() => loan.take(64));
    const first = cursor.space()!;
    expect(first.byteLength).toBe(64);
    cursor.used(first.subarray(4, 20)); // a read whose records start 4 bytes in
    expect(cursor.space()!.byteLength).toBe(44);
    cursor.used(new Uint8Array(8)); // a read that got its own buffer takes nothing
    expect(cursor.space()!.byteLength).toBe(44);
    cursor.rewind();
    expect(cursor.space()!.byteLength).toBe(64);
    expect(loan.empty).toBe(false);
    loan.release();
    loan.release();
    expect(pool.freeCount).toBe(1);
    expect(new ScratchCursor(undefined).space()).toBeUndefined();
  });
});
