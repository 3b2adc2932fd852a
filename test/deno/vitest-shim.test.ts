/** The Deno shim's `expect` takes vitest's optional message and shows it when a matcher fails. */
import { describe, expect, it } from 'vitest';

describe('vitest shim expect', () => {
  it('prefixes a failed matcher with the message', () => {
    let caught: unknown;
    try {
      expect(1, 'partition 3 owned twice').toBe(2);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message.startsWith('partition 3 owned twice\n')).toBe(true);
  });

  it('prefixes negated and async matchers too', async () => {
    expect(() => expect(undefined, 'neg').not.toBeUndefined()).toThrow(/^neg\n/);
    await expect(expect(Promise.resolve(1), 'async').resolves.toBe(2)).rejects.toThrow(/^async\n/);
  });

  it('passes a matching value through', () => {
    expect(2, 'unused').toBe(2);
    expect(expect.any(Number)).toBeDefined();
  });
});

describe('vitest shim each', () => {
  const seen: unknown[] = [];
  it.each([
    ['a', 1],
    ['b', 2],
  ])('spreads array case %s (%d)', (name, n) => {
    seen.push([name, n]);
  });
  it.each([{ name: 'x', n: 3 }])('passes object case $name whole', (c) => {
    seen.push(c);
  });
  it('ran each case with its arguments, in order', () => {
    expect(seen).toEqual([['a', 1], ['b', 2], { name: 'x', n: 3 }]);
  });
});
