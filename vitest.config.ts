// Shared vitest config: every package runs `vitest run --config ../../vitest.config.ts`.
// The `source` export condition makes workspace imports resolve to TypeScript sources,
// so tests never run against a stale `dist/`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace imports resolve to TypeScript sources (the `source` export condition), so
  // tests never run against a stale dist/. vitest 3 runs tests in its SSR environment,
  // which takes its conditions from `ssr.resolve`, not `resolve`.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/deno/**'],
    setupFiles: [new URL('./test/setup/fast-check-seed.ts', import.meta.url).pathname],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
