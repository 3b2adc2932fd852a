/**
 * Issue 19, deliverable 3: the log engine embedded from the outside, the way another
 * project gets it — no workspace links, no `source` condition, no TypeScript sources.
 *
 * 1. builds (turbo, a cache hit after `npm test`'s build) and `pnpm pack`s @samsa/runtime,
 *    @samsa/codec, @samsa/log and @samsa/client into a temporary directory, and checks the
 *    tarballs hold dist JS and .d.ts but no test files, and that `workspace:` ranges became
 *    versions;
 * 2. creates a project under os.tmpdir() (outside the workspace: a `"type": "module"`
 *    package.json) and installs the tarballs with plain `npm install` (timed);
 * 3. runs packages/log/README.md's Node example there with `node`, type-checks it with
 *    tsc (NodeNext resolution, no skipLibCheck) against the installed .d.ts, and runs its Deno variant with `deno run` and
 *    minimal permissions (read/write of the data dir only, plus the one environment
 *    variable msgpackr reads), against the same node_modules;
 * 4. checks each jsr.json is in step with its package.json (`scripts/jsr.mjs check`) and
 *    runs `deno publish --dry-run` over runtime, codec and log staged as a Deno workspace
 *    (`scripts/jsr.mjs publish`: type check, slow types, the jsr:/npm: imports, no tests);
 * 5. kill mid-append: a Node child appends records with `durability: 'fsync'`, 16 appends
 *    always in flight, printing every acknowledged offset; it is SIGKILLed after 500 acks;
 *    a new process reopens the log and every acknowledged offset must be there with its
 *    value, and the log must be dense (offsets 0..end-1, each record as appended).
 *
 * Everything is bounded (each child has a timeout and is SIGKILLed past it; output is
 * capped) and the temporary directories and children go in afterAll, also on failure.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedCapture, DENO_BIN, REPO_ROOT } from '@samsa/bench';

const PACKAGES = ['runtime', 'codec', 'log', 'client'] as const;
const JSR_STRICT = ['runtime', 'codec', 'log'] as const;
const KILL_AFTER_ACKS = 500;
const IN_FLIGHT = 16;

interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

const children = new Set<ChildProcess>();

/** The environment without what `npm run`/pnpm put in it (npm_config_* would steer the inner npm). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  env.npm_config_update_notifier = 'false';
  env.NO_COLOR = '1';
  return env;
}

interface SpawnOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Called with each stdout chunk; may kill the child. */
  readonly onStdout?: (chunk: string, child: ChildProcess) => void;
}

function exec(command: string, args: readonly string[], options: SpawnOptions): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const stdout = new BoundedCapture();
    const stderr = new BoundedCapture();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      stdout.push(c);
      options.onStdout?.(c.toString('utf8'), child);
    });
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text(), timedOut, ms: performance.now() - started });
    });
  });
}

function ok(result: Result, what: string): Result {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`${what} failed (code ${result.code}, signal ${result.signal}, timedOut ${result.timedOut}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

// packages/log/README.md's Node example as written (jsonSerde without its type argument:
// this is a .mjs file), plus a line that shows what offsetForTime returned.
const NODE_EXAMPLE = `import { openRecordLog, stringSerde, jsonSerde } from '@samsa/log';
import { nodeRuntime } from '@samsa/runtime/node';

const log = await openRecordLog('./data/orders', { runtime: nodeRuntime(), keySerde: stringSerde, valueSerde: jsonSerde() });
const { offset } = await log.append({ key: 'order-1', value: { total: 42 } }, { durability: 'fsync' });
for (const r of await log.read({ from: 0, maxRecords: 100 })) console.log(r.offset, r.key, r.value);
const hourAgo = await log.offsetForTime(Date.now() - 3_600_000); // first offset at or after, or null
await log.close();
console.log('appended', offset, 'hourAgo', hourAgo);
`;

// The same as TypeScript, type-checked with tsc against the installed declarations.
const NODE_EXAMPLE_TS = NODE_EXAMPLE.replace('jsonSerde()', 'jsonSerde<{ total: number }>()');

// The Deno variant: "the same lines with denoRuntime".
const DENO_EXAMPLE = NODE_EXAMPLE_TS.replace("import { nodeRuntime } from '@samsa/runtime/node';", "import { denoRuntime } from '@samsa/runtime/deno';")
  .replace('nodeRuntime()', 'denoRuntime()')
  .replace('./data/orders', './data/deno-orders');

// Appends `value-<i>` under key `k<i % 7>` for i = 0, 1, …, IN_FLIGHT appends always
// outstanding (group commit gathers them), each with durability 'fsync'; prints
// `issued <i>` before each append and `<offset> <i>` for each acknowledgement (stdout is a pipe: synchronous on Linux, so a
// printed line was acknowledged). Runs until it is killed.
const APPENDER = `import { openRecordLog, stringSerde } from '@samsa/log';
import { nodeRuntime } from '@samsa/runtime/node';

const log = await openRecordLog(process.argv[2], { runtime: nodeRuntime(), keySerde: stringSerde, valueSerde: stringSerde, durability: 'fsync' });
let next = 0;
async function worker() {
  for (;;) {
    const i = next++;
    process.stdout.write('issued ' + i + '\\n');
    const { offset } = await log.append({ key: 'k' + (i % 7), value: 'value-' + i }, { durability: 'fsync' });
    process.stdout.write(offset + ' ' + i + '\\n');
  }
}
console.error('open');
await Promise.all(Array.from({ length: ${IN_FLIGHT} }, worker));
`;

// Reopens the log (recovery after the kill) and prints every record as a JSON line, then `end <endOffset>`.
const VERIFIER = `import { openRecordLog, stringSerde } from '@samsa/log';
import { nodeRuntime } from '@samsa/runtime/node';

const log = await openRecordLog(process.argv[2], { runtime: nodeRuntime(), keySerde: stringSerde, valueSerde: stringSerde });
const out = [];
for (let from = log.startOffset; from < log.endOffset; ) {
  const records = await log.read({ from, maxRecords: 1000 });
  if (records.length === 0) break;
  for (const r of records) out.push(JSON.stringify({ offset: r.offset, key: r.key, value: r.value }));
  from = records[records.length - 1].offset + 1;
}
out.push('end ' + log.endOffset);
await log.close();
process.stdout.write(out.join('\\n') + '\\n');
`;

describe('@samsa/log embedded from packed tarballs, outside the workspace', () => {
  let root = '';
  let packs = '';
  let project = '';
  let tarballs: string[] = [];
  let installMs = 0;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'samsa-embed-'));
    packs = join(root, 'packs');
    project = join(root, 'app');
    mkdirSync(packs);
    mkdirSync(join(project, 'data'), { recursive: true });

    const filters = PACKAGES.flatMap((p) => ['--filter', `@samsa/${p}...`]);
    ok(await exec(process.execPath, [join(REPO_ROOT, 'node_modules/turbo/bin/turbo'), 'run', 'build', ...filters, '--output-logs=errors-only'], { cwd: REPO_ROOT, timeoutMs: 180_000 }), 'turbo run build');
    const pnpm = join(REPO_ROOT, 'node_modules/.bin/pnpm');
    const packFilters = PACKAGES.flatMap((p) => ['--filter', `@samsa/${p}`]);
    ok(await exec(pnpm, [...packFilters, '-r', 'pack', '--pack-destination', packs], { cwd: REPO_ROOT, timeoutMs: 60_000 }), 'pnpm pack');
    tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz')).map((f) => join(packs, f));

    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'samsa-embed-check', private: true, type: 'module' }, null, 2));
    const install = ok(await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], { cwd: project, timeoutMs: 120_000 }), 'npm install');
    installMs = install.ms;
    console.log(`embed: npm install of ${tarballs.length} tarballs took ${(installMs / 1000).toFixed(1)} s`);
  });

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('packs the four packages: dist JS and .d.ts, no tests, no workspace: ranges, no broker', async () => {
    const names = tarballs.map((t) => t.slice(packs.length + 1).replace(/-\d+\.\d+\.\d+\.tgz$/, '')).sort();
    expect(names).toEqual(PACKAGES.map((p) => `samsa-${p}`).sort());
    for (const tarball of tarballs) {
      const files = ok(await exec('tar', ['tzf', tarball], { cwd: root, timeoutMs: 30_000 }), 'tar tzf').stdout.split('\n').filter((l) => l !== '');
      expect(files, tarball).toContain('package/dist/index.js');
      expect(files, tarball).toContain('package/dist/index.d.ts');
      expect(files.filter((f) => /\.test\.|test-helpers|\.tsbuildinfo/.test(f)), tarball).toEqual([]);
      const manifest = JSON.parse(ok(await exec('tar', ['xzf', tarball, '-O', 'package/package.json'], { cwd: root, timeoutMs: 30_000 }), 'tar xzf').stdout) as Record<string, unknown>;
      expect(manifest.private, tarball).toBeUndefined();
      const deps = { ...(manifest.dependencies as object), ...(manifest.peerDependencies as object), ...(manifest.optionalDependencies as object) } as Record<string, string>;
      expect(Object.values(deps).filter((v) => v.startsWith('workspace:')), tarball).toEqual([]);
      expect(Object.keys(deps).filter((d) => /broker|host|coordinator|replication/.test(d)), tarball).toEqual([]);
      // Published exports point at dist only (the workspace's `source` condition stays home).
      expect(JSON.stringify(manifest.exports), tarball).not.toContain('./src/');
    }
    // Only what is needed: no broker, no native CRC (an optional peer of @samsa/runtime).
    const installed = readdirSync(join(project, 'node_modules/@samsa')).sort();
    expect(installed).toEqual(['client', 'codec', 'log', 'runtime']);
    expect(readdirSync(join(project, 'node_modules'))).not.toContain('@node-rs');
  });

  it("runs the log README's Node example with node, and its types check with tsc", async () => {
    writeFileSync(join(project, 'example.mjs'), NODE_EXAMPLE);
    const first = ok(await exec(process.execPath, ['example.mjs'], { cwd: project, timeoutMs: 30_000 }), 'node example.mjs');
    expect(first.stdout).toBe('0 order-1 { total: 42 }\nappended 0 hourAgo 0\n');
    // A second run reopens the same log: the first record is still there, the new one follows.
    const second = ok(await exec(process.execPath, ['example.mjs'], { cwd: project, timeoutMs: 30_000 }), 'node example.mjs (again)');
    expect(second.stdout).toBe('0 order-1 { total: 42 }\n1 order-1 { total: 42 }\nappended 1 hourAgo 0\n');

    writeFileSync(join(project, 'example.ts'), NODE_EXAMPLE_TS);
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2023,dom', '--types', 'node', '--typeRoots', join(REPO_ROOT, 'node_modules/@types'), 'example.ts'];
    ok(await exec(process.execPath, [tsc, '--module', 'nodenext', '--moduleResolution', 'nodenext', ...common], { cwd: project, timeoutMs: 60_000 }), 'tsc (nodenext)');
  });

  it('runs the Deno variant under deno run with minimal permissions, against the same node_modules', async () => {
    writeFileSync(join(project, 'example.deno.ts'), DENO_EXAMPLE);
    const data = join(project, 'data');
    const permissions = [`--allow-read=${data}`, `--allow-write=${data}`, '--no-prompt'];
    const result = ok(await exec(DENO_BIN, ['run', ...permissions, 'example.deno.ts'], { cwd: project, timeoutMs: 60_000 }), 'deno run example.deno.ts');
    expect(result.stdout).toBe('0 order-1 { total: 42 }\nappended 0 hourAgo 0\n');
    // And without write permission on the data dir it is refused (the permissions are real).
    const denied = await exec(DENO_BIN, ['run', `--allow-read=${data}`, '--no-prompt', 'example.deno.ts'], { cwd: project, timeoutMs: 60_000 });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/NotCapable|PermissionDenied|Requires write access/);
    ok(await exec(DENO_BIN, ['check', 'example.deno.ts'], { cwd: project, timeoutMs: 60_000 }), 'deno check example.deno.ts');
  });

  it('jsr.json: in step with package.json, and `deno publish --dry-run` passes for runtime, codec and log', async () => {
    const jsr = join(REPO_ROOT, 'scripts/jsr.mjs');
    ok(await exec(process.execPath, [jsr, 'check'], { cwd: REPO_ROOT, timeoutMs: 30_000 }), 'node scripts/jsr.mjs check');
    // scripts/jsr.mjs publish stages src/, jsr.json and README.md as a Deno workspace in a
    // temporary dir (so the jsr:@samsa/* imports resolve to each other, not to jsr.io).
    // @samsa/client is left out: it needs --allow-slow-types until one class field has an
    // explicit type (src/cluster/cluster.ts, `metadata`).
    const dry = ok(await exec(process.execPath, [jsr, 'publish', '--packages', JSR_STRICT.join(','), '--dry-run'], { cwd: REPO_ROOT, timeoutMs: 120_000 }), 'node scripts/jsr.mjs publish --dry-run');
    const output = dry.stdout + dry.stderr;
    expect(output).toMatch(/Dry run complete/);
    for (const p of JSR_STRICT) expect(output).toContain(`Simulating publish of @samsa/${p}@`);
    expect(output).not.toMatch(/\.test\.ts|test-helpers/);
  });

  it("keeps every 'fsync'-acknowledged append across a SIGKILL mid-append, dense and as appended", async () => {
    const dir = join(project, 'data', 'killed');
    writeFileSync(join(project, 'appender.mjs'), APPENDER);
    writeFileSync(join(project, 'verifier.mjs'), VERIFIER);

    const acks = new Map<number, number>(); // offset → append index
    let pending = '';
    let killed = false;
    let issued = 0;
    let inFlightAtKill = 0;
    const appender = await exec(process.execPath, ['appender.mjs', dir], {
      cwd: project,
      timeoutMs: 30_000,
      onStdout: (chunk, child) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('issued ')) {
            issued = Math.max(issued, Number(line.slice(7)) + 1);
            continue;
          }
          const [offset, index] = line.split(' ').map(Number);
          acks.set(offset!, index!);
        }
        if (!killed && acks.size >= KILL_AFTER_ACKS) {
          killed = true;
          inFlightAtKill = issued - acks.size;
          child.kill('SIGKILL');
        }
      },
    });
    expect(appender.timedOut, appender.stderr).toBe(false);
    expect(appender.signal, appender.stderr).toBe('SIGKILL');
    expect(acks.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(inFlightAtKill, 'appends issued but not yet acknowledged when the kill was sent').toBeGreaterThan(0);
    // Offsets follow call order: the i-th append got offset i.
    for (const [offset, index] of acks) expect(offset).toBe(index);

    const verify = ok(await exec(process.execPath, ['verifier.mjs', dir], { cwd: project, timeoutMs: 30_000 }), 'node verifier.mjs');
    const lines = verify.stdout.trim().split('\n');
    const end = Number(/^end (\d+)$/.exec(lines.pop()!)![1]);
    const records = lines.map((l) => JSON.parse(l) as { offset: number; key: string; value: string });
    const maxAcked = Math.max(...acks.keys());
    expect(end).toBeGreaterThan(maxAcked);
    // Dense from 0, each record as appended.
    expect(records.length).toBe(end);
    records.forEach((r, i) => expect(r).toEqual({ offset: i, key: `k${i % 7}`, value: `value-${i}` }));
    console.log(`embed: SIGKILL after ${acks.size} acks with ${inFlightAtKill} appends in flight (highest acked offset ${maxAcked}); reopened with ${end} records (${end - 1 - maxAcked} of them never acknowledged)`);
  });
});
