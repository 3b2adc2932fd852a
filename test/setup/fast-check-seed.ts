// Replays a property-test failure: `FC_SEED=<seed> npm test` (fast-check prints the seed and
// path of every counterexample). FC_NUM_RUNS raises or lowers the run count everywhere.
import fc from 'fast-check';

const seed = process.env.FC_SEED;
const numRuns = process.env.FC_NUM_RUNS;
fc.configureGlobal({
  ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
  ...(numRuns !== undefined && numRuns !== '' ? { numRuns: Number(numRuns) } : {}),
  verbose: 1,
});
