// Setup for the edge-runtime lane (vitest.edge.config.ts only). It does what the shared
// test/setup/fast-check-seed.ts does, then takes away the Node globals that vitest's VM pool
// puts into the edge VM context for its own use (`process`, `Buffer`, `global`,
// `setImmediate`, `clearImmediate`), so code under test that reaches for one fails here as it
// would in an edge function.
import fc from 'fast-check';
import { afterEach } from 'vitest';

const g = globalThis as Record<string, unknown>;
const env = (g['process'] as { env: Record<string, string | undefined> }).env;
const setImmediateOfHost = g['setImmediate'] as (callback: () => void) => unknown;

/** A plain object made in Node's realm (`process.versions`), for the lane's probe test. */
export const hostRealmObject = (g['process'] as { versions: object }).versions;

// FC_SEED / FC_NUM_RUNS replay or resize property tests, as in the Node lane.
const seed = env['FC_SEED'];
const numRuns = env['FC_NUM_RUNS'];
fc.configureGlobal({
  ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
  ...(numRuns !== undefined && numRuns !== '' ? { numRuns: Number(numRuns) } : {}),
  verbose: 1,
});

// Yield to the host's event loop between tests so vitest's worker RPC replies get read (see
// test/setup/fast-check-seed.ts). This is the harness's hook, not something the code under
// test can see.
afterEach(() => new Promise<void>((resolve) => setImmediateOfHost(resolve)));

/** The Node globals hidden from the tests of this lane. */
export const hiddenNodeGlobals = ['process', 'Buffer', 'global', 'setImmediate', 'clearImmediate'] as const;
// Only inside a VM context of its own: on Node's own global (a lane misconfigured to run in the
// main realm) vitest itself needs them, and the probe test fails the lane instead.
if (Object.getPrototypeOf(hostRealmObject) !== Object.prototype) {
  for (const name of hiddenNodeGlobals) delete g[name];
}
