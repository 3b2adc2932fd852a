// Checks the Deno harness itself: the vitest shim and the runtime package load under Deno.
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';

describe('deno harness', () => {
  it('runs vitest-style tests and loads workspace sources', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    expect([a.nextUint32(), a.nextUint32()]).toEqual([b.nextUint32(), b.nextUint32()]);
    expect(a.seed).toBe(42);
  });
});
