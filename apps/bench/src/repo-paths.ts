/**
 * Where the benches find the repository and the programs they start.
 *
 * This file sits two folders below the repository root both as source
 * (apps/bench/src/repo-paths.ts) and built (apps/bench/dist/repo-paths.js), so one relative
 * URL finds the root either way. The benches start the built Node broker (CLI_PATH) and the
 * Deno broker from its sources (DENO_MAIN), as the conformance suites do.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The Node broker's CLI, built by `turbo run build --filter=@samsa/broker-node...`. */
export const CLI_PATH = join(REPO_ROOT, 'apps/broker-node/dist/cli.js');
/** The Deno broker's entry point: Deno runs the workspace TypeScript sources, no build. */
export const DENO_MAIN = join(REPO_ROOT, 'apps/broker-deno/src/main.ts');
/** The real deno binary (node_modules/.bin/deno is a Node wrapper that does not pass SIGTERM on). */
export const DENO_BIN = existsSync(join(REPO_ROOT, 'node_modules/deno/deno')) ? join(REPO_ROOT, 'node_modules/deno/deno') : 'deno';
export const KCAT = '/usr/bin/kcat';
/** Every broker a bench starts binds this address only. */
export const HOST = '127.0.0.1';

/** Throws with the build command when the Node broker has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build first with \`npx turbo run build --filter=@samsa/broker-node...\` (npm run bench -- <name> does)`);
  }
}
