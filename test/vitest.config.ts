// Cross-package tests (test/**): conformance with real Kafka clients, runtime contracts
// under Node, cluster and chaos suites. test/deno/** is run by `deno task test` instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  // Workspace imports resolve to TypeScript sources (the `source` export condition), so
  // tests never run against a stale dist/. vitest 3 runs tests in its SSR environment,
  // which takes its conditions from `ssr.resolve`, not `resolve`.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
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
