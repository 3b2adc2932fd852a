/**
 * The Runtime contract: a runtime bundle is named, carries a file system, a transport and
 * a clock, and its Random replays exactly from its seed.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../packages/runtime/src/runtime.ts';

export function defineRuntimeContract(name: string, makeRuntime: (seed: number) => Runtime): void {
  describe(`Runtime contract: ${name}`, () => {
    it('is named and its Random replays from the seed', () => {
      const a = makeRuntime(1234);
      const b = makeRuntime(1234);
      const c = makeRuntime(4321);
      expect(a.name).toBe(name);
      expect(a.random.seed).toBe(1234);
      const draw = (r: Runtime) => Array.from({ length: 16 }, () => r.random.nextUint32());
      const da = draw(a);
      expect(draw(b)).toEqual(da);
      expect(draw(c)).not.toEqual(da);
      expect(typeof a.fs.open).toBe('function');
      expect(typeof a.transport.listen).toBe('function');
      expect(typeof a.clock.monotonicMs()).toBe('number');
    });
  });
}
