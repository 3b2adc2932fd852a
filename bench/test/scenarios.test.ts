// The bench registry (bench/scenarios.ts) against the files on disk, and the runner
// (bench/run.ts) as `npm run bench` runs it. Checked:
// - every .ts/.mjs file under bench/ is a registered scenario or a listed support file, so
//   a new bench cannot be forgotten; every registered file exists;
// - names are unique and kebab-case; each support file is used by another bench file;
// - the runner lists every scenario with its description, runs one by name with its
//   args, and fails (exit 2, the list on stderr) on an unknown name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, SUPPORT_FILES } from '../scenarios.ts';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = join(BENCH_DIR, '..');
/** Folders under bench/ that hold no bench files. */
const SKIPPED_DIRS = new Set(['node_modules', 'test', 'results']);
const RUN_TIMEOUT_MS = 60_000;

function benchFiles(dir = BENCH_DIR): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...benchFiles(join(dir, entry.name)));
    } else if (/\.(ts|mjs)$/.test(entry.name)) {
      files.push(relative(BENCH_DIR, join(dir, entry.name)));
    }
  }
  return files.sort();
}

function runBench(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'run.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bench registry', () => {
  it('lists every bench file as a scenario or a support file', () => {
    const registered = new Set([...SCENARIOS.map((s) => s.file), ...Object.keys(SUPPORT_FILES)]);
    const unregistered = benchFiles().filter((f) => !registered.has(f));
    expect(unregistered, 'add these to bench/scenarios.ts (SCENARIOS, or SUPPORT_FILES with what uses them)').toEqual([]);
  });

  it('registers only files that exist, each once', () => {
    const files = [...SCENARIOS.map((s) => s.file), ...Object.keys(SUPPORT_FILES)];
    expect(files.filter((f) => !existsSync(join(BENCH_DIR, f)))).toEqual([]);
    expect(new Set(files).size).toBe(files.length);
  });

  it('gives each scenario a unique kebab-case name and a one-line description', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const s of SCENARIOS) {
      expect(s.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(s.description.length, s.name).toBeGreaterThan(0);
      expect(s.description, s.name).not.toContain('\n');
    }
  });

  it('keeps the restart bench under the name restart', () => {
    expect(SCENARIOS.find((s) => s.name === 'restart')?.file).toBe('log/restart.ts');
  });

  it('lists only support files another bench file uses', () => {
    const texts = benchFiles().map((f) => ({ file: f, text: readFileSync(join(BENCH_DIR, f), 'utf8') }));
    texts.push({ file: '../package.json', text: readFileSync(join(REPO_ROOT, 'package.json'), 'utf8') });
    const unused = Object.keys(SUPPORT_FILES).filter((support) => !texts.some(({ file, text }) => file !== support && text.includes(basename(support))));
    expect(unused).toEqual([]);
  });
});

describe('npm run bench', () => {
  it('lists every scenario with its description and exits 0', () => {
    const { status, stdout } = runBench([]);
    expect(status).toBe(0);
    for (const s of SCENARIOS) expect(stdout).toMatch(new RegExp(`^ +${s.name} +${s.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('fails on an unknown name, printing the list', () => {
    const { status, stdout, stderr } = runBench(['no-such-bench']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown bench "no-such-bench"');
    for (const s of SCENARIOS) expect(stderr).toContain(s.name);
  });

  it('runs a scenario by name with its args and passes its exit code on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-run-'));
    try {
      // profile-summary builds nothing, so this checks the dispatch alone, quickly.
      const profile = { nodes: [{ id: 1, callFrame: { functionName: 'hot', url: '', lineNumber: 0 }, hitCount: 1 }], samples: [1, 1], timeDeltas: [500, 1500] };
      const file = join(dir, 'p.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      const ok = runBench(['profile-summary', file, '5']);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('100.0 %');
      expect(ok.stdout).toContain('hot');
      const failed = runBench(['profile-summary']);
      expect(failed.status).not.toBe(0);
      expect(failed.stderr).toContain('usage: profile-summary.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
