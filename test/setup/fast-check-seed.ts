// Replays a property-test failure: `FC_SEED=<seed> npm test` (fast-check prints the seed and
// path of every counterexample). FC_NUM_RUNS raises or lowers the run count everywhere.
import fc from 'fast-check';
import { afterEach } from 'vitest';

const seed = process.env.FC_SEED;
const numRuns = process.env.FC_NUM_RUNS;
fc.configureGlobal({
  ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
  ...(numRuns !== undefined && numRuns !== '' ? { numRuns: Number(numRuns) } : {}),
  verbose: 1,
});

// Yield to the event loop between tests. vitest's worker reports progress over an RPC whose
// replies are only read in the poll phase; a file of back-to-back synchronous property tests
// never reaches it, and after 60 s the RPC times out and fails a green run. setImmediate
// runs after the poll phase, so every test boundary lets those replies in.
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
