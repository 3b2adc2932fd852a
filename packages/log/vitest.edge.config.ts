// The edge-runtime lane: @samsa/log's unit and property tests (on the memory file system) run
// inside Vercel's edge runtime VM (@edge-runtime/vm), a third runtime beside the two servers.
// `npm test` runs it after the Node lane (package.json "test").
//
// - environment 'edge-runtime' with pool 'vmForks': each test file runs in a V8 context made
//   by EdgeVM, with the edge runtime's globals and intrinsics. (With vitest's default pool the
//   environment only copies the VM's extra globals onto Node's global, so the tests would
//   still run in Node's realm: test/edge/edge-runtime-probe.edge-test.ts fails then.)
// - test/edge/edge-setup.ts replaces the shared fast-check-seed setup and removes the Node
//   globals vitest adds to the VM for itself (process, Buffer, global, setImmediate,
//   clearImmediate).
// - packages resolve as an edge bundler resolves them (edge-light, worker, browser), not
//   with `node`: msgpackr (via @samsa/codec) has a server-only entry that reads environment
//   variables.
// - *.node.test.ts files use the Node file system and stay in the Node lane.
import { defineConfig } from 'vitest/config';

const conditions = ['source', 'edge-light', 'worker', 'browser', 'module'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    environment: 'edge-runtime',
    pool: 'vmForks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/edge/*.edge-test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.node.test.ts'],
    setupFiles: ['test/edge/edge-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
