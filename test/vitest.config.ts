// Cross-package tests (test/**): conformance with real Kafka clients, runtime contracts
// under Node, cluster and chaos suites. test/deno/** is run by `deno task test` instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  resolve: { conditions: ['source'] },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'deno/**'],
    setupFiles: ['./setup/fast-check-seed.ts'],
    passWithNoTests: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
