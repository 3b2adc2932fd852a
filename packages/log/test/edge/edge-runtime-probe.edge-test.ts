// Included only by vitest.edge.config.ts: proves that lane really runs inside the edge
// runtime's VM context (@edge-runtime/vm, vitest's vmForks pool) and not in Node's, so a
// misconfigured lane fails instead of silently re-running the Node suite.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hiddenNodeGlobals, hostRealmObject } from './edge-setup.ts';

const g = globalThis as Record<string, unknown>;

describe('edge-runtime lane', () => {
  it('has the EdgeRuntime global', () => {
    expect(typeof g['EdgeRuntime']).toBe('string');
  });

  it('runs in a V8 context of its own, not in Node main realm', () => {
    // Under vitest's plain forks pool, environment 'edge-runtime' only copies the VM's extra
    // globals onto Node's global: the tests would share Node's intrinsics, and this fails.
    // (Prototypes, not instanceof: the edge VM makes instanceof answer across realms.)
    expect(Object.getPrototypeOf(hostRealmObject)).not.toBe(Object.prototype);
  });

  it('has none of the Node globals the setup hid', () => {
    for (const name of hiddenNodeGlobals) expect(typeof g[name], name).toBe('undefined');
  });

  it('has the Web APIs the edge runtime provides', () => {
    for (const name of ['setTimeout', 'queueMicrotask', 'TextEncoder', 'crypto', 'structuredClone']) {
      expect(typeof g[name], name).not.toBe('undefined');
    }
  });

  it('loads fast-check inside the VM (its arrays are this realm\'s)', () => {
    const [sample] = fc.sample(fc.array(fc.nat()), 1);
    expect(Object.getPrototypeOf(sample)).toBe(Array.prototype);
  });
});
