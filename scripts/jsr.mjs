#!/usr/bin/env node
// JSR for the publishable packages (the ones with a jsr.json: runtime, codec, log, client).
//
//   node scripts/jsr.mjs sync      rewrite each jsr.json from its package.json (changesets
//                                  versions package.json only): the version, and the
//                                  `imports` map that turns the bare specifiers the sources
//                                  use into JSR and npm ones — `@samsa/<sibling>[/<sub>]` →
//                                  `jsr:@samsa/<sibling>@^<its version>[/<sub>]`, an npm
//                                  dependency → `npm:<name>@<range>`. `npm run
//                                  version-packages` runs it after `changeset version`.
//   node scripts/jsr.mjs check     exit 1 when a jsr.json is out of date (test/embed runs it)
//   node scripts/jsr.mjs publish [--packages runtime,codec,log] [deno publish flags…]
//                                  copy each package's src/, jsr.json and README.md into a
//                                  temporary Deno workspace and run `deno publish` there
//                                  (`--dry-run` to check): the jsr:@samsa/* imports between
//                                  them resolve to each other and Deno publishes them in
//                                  dependency order. Never run `deno publish` inside this
//                                  repo: Deno 2.9 finds pnpm-workspace.yaml and writes a
//                                  "workspaces" field into the root package.json, and the
//                                  root deno.json (the dev import map) is not a publish config.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const [command = '', ...rest] = process.argv.slice(2);
if (!['sync', 'check', 'publish'].includes(command)) {
  console.error('usage: node scripts/jsr.mjs sync | check | publish [--packages a,b] [deno publish flags]');
  process.exit(2);
}
const check = command !== 'sync';
// Loaded with createRequire at run time (never imported), so nothing to map for JSR.
const RUNTIME_REQUIRED = new Set(['fs-native-extensions', '@node-rs/crc32']);
// Dependencies imported through a subpath rather than their main entry.
const SUBPATH_IMPORTS = { snappyjs: ['snappy_compressor.js'] };

const readJson = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));
const packages = readdirSync(new URL('packages/', root)).filter((d) => existsSync(new URL(`packages/${d}/jsr.json`, root)));
const manifests = new Map(packages.map((d) => [readJson(`packages/${d}/package.json`).name, `packages/${d}`]));

let stale = 0;
for (const dir of packages) {
  const pkg = readJson(`packages/${dir}/package.json`);
  const jsr = readJson(`packages/${dir}/jsr.json`);
  const imports = {};
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    if (manifests.has(dep)) {
      const sibling = readJson(`${manifests.get(dep)}/package.json`);
      for (const sub of Object.keys(sibling.exports)) imports[dep + sub.slice(1)] = `jsr:${dep}@^${sibling.version}${sub.slice(1)}`;
    } else if (dep.startsWith('@samsa/')) {
      throw new Error(`${pkg.name} depends on ${dep}, which has no jsr.json: it cannot be published to JSR`);
    } else if (!RUNTIME_REQUIRED.has(dep)) {
      const subs = SUBPATH_IMPORTS[dep];
      if (subs) for (const sub of subs) imports[`${dep}/${sub}`] = `npm:${dep}@${range}/${sub}`;
      else imports[dep] = `npm:${dep}@${range}`;
    }
  }
  const next = { ...jsr, name: pkg.name, version: pkg.version, license: pkg.license };
  if (Object.keys(imports).length > 0) next.imports = Object.fromEntries(Object.entries(imports).sort(([a], [b]) => a.localeCompare(b)));
  else delete next.imports;
  const before = JSON.stringify(jsr, null, 2) + '\n';
  const after = JSON.stringify(next, null, 2) + '\n';
  if (before === after) continue;
  stale += 1;
  if (check) console.error(`packages/${dir}/jsr.json is out of date with package.json (run node scripts/jsr.mjs sync)`);
  else {
    writeFileSync(new URL(`packages/${dir}/jsr.json`, root), after);
    console.log(`packages/${dir}/jsr.json: ${pkg.name}@${pkg.version}`);
  }
}
if (check && stale > 0) process.exit(1);

if (command === 'publish') {
  let selected = packages;
  const flags = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--packages') selected = rest[++i].split(',');
    else flags.push(rest[i]);
  }
  const repo = fileURLToPath(root);
  const denoBin = existsSync(join(repo, 'node_modules/deno/deno')) ? join(repo, 'node_modules/deno/deno') : 'deno';
  const stage = mkdtempSync(join(tmpdir(), 'samsa-jsr-'));
  try {
    for (const dir of selected) {
      if (!packages.includes(dir)) throw new Error(`packages/${dir} has no jsr.json`);
      for (const entry of ['src', 'jsr.json', 'README.md']) cpSync(join(repo, 'packages', dir, entry), join(stage, dir, entry), { recursive: true });
    }
    writeFileSync(join(stage, 'deno.json'), JSON.stringify({ workspace: selected.map((d) => `./${d}`) }, null, 2) + '\n');
    // Deno trusts only its bundled Mozilla roots by default; a machine behind a TLS proxy
    // has that proxy's CA in the OS store (which npm and Node are pointed at), so trust both.
    const env = { ...process.env, DENO_TLS_CA_STORE: process.env.DENO_TLS_CA_STORE ?? 'mozilla,system' };
    const result = spawnSync(denoBin, ['publish', ...flags], { cwd: stage, stdio: 'inherit', timeout: 300_000, env });
    process.exitCode = result.status ?? 1;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
