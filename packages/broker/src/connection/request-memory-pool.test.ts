/**
 * RequestMemoryPool: grants within capacity, FIFO waiters, the single oversized frame when
 * the pool is empty, cancellation.
 */
import { describe, expect, it } from 'vitest';
import { RequestMemoryPool } from './request-memory-pool.ts';

describe('RequestMemoryPool', () => {
  it('grants within capacity and makes later reservations wait until bytes are released', () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryReserve(60)).toBe(true);
    expect(pool.tryReserve(40)).toBe(true);
    expect(pool.tryReserve(1)).toBe(false);
    const granted: string[] = [];
    pool.wait(30, () => granted.push('a'));
    pool.wait(10, () => granted.push('b'));
    // A newcomer does not overtake the waiters even if it would fit.
    pool.release(40);
    expect(granted).toEqual(['a', 'b']);
    expect(pool.reservedBytes).toBe(100);
    expect(pool.tryReserve(1)).toBe(false);
    expect(pool.peakReservedBytes).toBe(100);
  });

  it('keeps FIFO order: a large waiter is not starved by small ones behind it', () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryReserve(50)).toBe(true);
    const granted: string[] = [];
    pool.wait(80, () => granted.push('large'));
    pool.wait(10, () => granted.push('small'));
    expect(granted).toEqual([]);
    pool.release(50);
    expect(granted).toEqual(['large', 'small']);
    expect(pool.reservedBytes).toBe(90);
  });

  it('grants a frame larger than the whole pool only when nothing else is reserved', () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryReserve(10)).toBe(true);
    expect(pool.tryReserve(500)).toBe(false);
    let granted = false;
    pool.wait(500, () => (granted = true));
    pool.release(10);
    expect(granted).toBe(true);
    expect(pool.reservedBytes).toBe(500);
    expect(pool.tryReserve(1)).toBe(false);
    pool.release(500);
    expect(pool.tryReserve(500)).toBe(true);
  });

  it('forgets a cancelled waiter and lets the next one through', () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryReserve(100)).toBe(true);
    const granted: string[] = [];
    const first = pool.wait(100, () => granted.push('first'));
    pool.wait(5, () => granted.push('second'));
    pool.release(50);
    expect(granted).toEqual([]);
    first.cancel();
    expect(granted).toEqual(['second']);
    expect(pool.waiterCount).toBe(0);
    expect(() => pool.release(1000)).toThrow(/release/);
  });

  it('is unbounded with an infinite capacity', () => {
    const pool = new RequestMemoryPool(Infinity);
    for (let i = 0; i < 10; i++) expect(pool.tryReserve(1 << 30)).toBe(true);
    expect(() => new RequestMemoryPool(0)).toThrow(RangeError);
  });
});
