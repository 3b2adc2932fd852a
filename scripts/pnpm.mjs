#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's `packageManager`, fetched through npm,
// so a fresh machine needs nothing beyond Node >= 20 and npm.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { packageManager } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const args = process.argv.slice(2);
const result = spawnSync('npx', ['--yes', packageManager, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, npm_config_update_notifier: 'false' },
});
if (result.error) {
  console.error(`could not run ${packageManager}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
