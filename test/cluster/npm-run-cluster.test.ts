/**
 * `npm run cluster` (scripts/cluster.mjs) without etcd on PATH: it exits 2 at once, says how
 * to install etcd, and starts nothing (no build, no broker). The full run (three brokers and
 * etcd, bootstrap line, Ctrl-C, exit 0, nothing left) needs the cluster flags and is in
 * pending/npm-run-cluster-run.test.ts until they are merged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '@samsa/bench';

const SCRIPT = join(REPO_ROOT, 'scripts/cluster.mjs');

describe('npm run cluster', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('exits 2 with the apt-get install hint when etcd is not on PATH, before building anything', async () => {
    const emptyPath = mkdtempSync(join(tmpdir(), 'samsa-no-etcd-'));
    dirs.push(emptyPath);
    const result = await run(process.execPath, [SCRIPT], { env: { PATH: emptyPath }, timeoutMs: 20_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('`etcd` is not on PATH');
    expect(result.stderr).toContain('apt-get install etcd-server');
    expect(result.stdout.toString('utf8')).not.toContain('bootstrap');
  });

  it('exits 2 naming a bad flag', async () => {
    const result = await run(process.execPath, [SCRIPT, '--ports', '9092,9093'], { timeoutMs: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ports expects 3 ports');
  });
});
