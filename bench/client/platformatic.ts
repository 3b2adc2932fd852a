/**
 * @platformatic/kafka for the client benches: a pure-JavaScript Kafka client that needs
 * Node ≥ 22, so it is installed from npm together with Node 22 (the `node@22` package)
 * into a directory outside the workspace — the same directory, versions and marker file as
 * test/conformance/platformatic-client.ts (issue 16), so a machine that ran the
 * conformance suite installs nothing here. The repo's own Node stays 20.
 *
 * `ensurePlatformatic()` returns the Node 22 binary and the package's entry file
 * (produce-load.ts / consume-load.ts import it by path, PLATFORMATIC_KAFKA_ENTRY), or the
 * reason it could not install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PLATFORMATIC_VERSION = '1.35.0';
export const NODE22_VERSION = '22.23.3';
const DIR = join(tmpdir(), `samsa-platformatic-${PLATFORMATIC_VERSION}-node-${NODE22_VERSION}`);
const MARKER = join(DIR, 'installed.json');

export interface Platformatic {
  readonly node: string;
  readonly entry: string;
}

export function ensurePlatformatic(): Platformatic | { readonly error: string } {
  const node = join(DIR, 'node_modules', 'node', 'bin', 'node');
  const entry = join(DIR, 'node_modules', '@platformatic', 'kafka', 'dist', 'index.js');
  const want = JSON.stringify({ platformatic: PLATFORMATIC_VERSION, node: NODE22_VERSION });
  if (existsSync(MARKER) && readFileSync(MARKER, 'utf8') === want && existsSync(node) && existsSync(entry)) return { node, entry };
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'package.json'), JSON.stringify({ name: 'samsa-platformatic-conformance', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', DIR, `node@${NODE22_VERSION}`, `@platformatic/kafka@${PLATFORMATIC_VERSION}`], { encoding: 'utf8', timeout: 300_000 });
  if (install.status !== 0 || !existsSync(node) || !existsSync(entry)) return { error: `npm install of node@${NODE22_VERSION} and @platformatic/kafka@${PLATFORMATIC_VERSION} failed: ${(install.stderr ?? '').slice(-500)}` };
  const version = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (!version.stdout.startsWith('v22.')) return { error: `node@22 from npm answers ${version.stdout} ${version.stderr}` };
  writeFileSync(MARKER, want);
  return { node, entry };
}
