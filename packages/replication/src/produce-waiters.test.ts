import { describe, expect, it } from 'vitest';
import { ProduceWaiters } from './produce-waiters.ts';

describe('ProduceWaiters', () => {
  it('releases waiters in required-offset order (ties in arrival order), only those reached', () => {
    const w = new ProduceWaiters(10);
    for (const [requestId, requiredOffset] of [[1, 30], [2, 10], [3, 20], [4, 10]] as const) w.add({ requestId, requiredOffset, minIsr: 1 });
    expect(w.takeReached(9)).toEqual([]);
    expect(w.takeReached(20).map((x) => x.requestId)).toEqual([2, 4, 3]);
    expect(w.size).toBe(1);
    expect(w.has(1)).toBe(true);
    expect(w.has(2)).toBe(false);
  });

  it('is bounded, refuses a repeated id, removes by id and empties', () => {
    const w = new ProduceWaiters(2);
    expect(w.add({ requestId: 1, requiredOffset: 5, minIsr: 1 })).toBe(true);
    expect(() => w.add({ requestId: 1, requiredOffset: 6, minIsr: 1 })).toThrow(/already waits/);
    expect(w.add({ requestId: 2, requiredOffset: 6, minIsr: 1 })).toBe(true);
    expect(w.add({ requestId: 3, requiredOffset: 7, minIsr: 1 })).toBe(false);
    expect(w.remove(1)).toBe(true);
    expect(w.remove(1)).toBe(false);
    expect(w.add({ requestId: 3, requiredOffset: 7, minIsr: 1 })).toBe(true);
    expect(w.takeAll().map((x) => x.requestId)).toEqual([2, 3]);
    expect(w.size).toBe(0);
  });
});
