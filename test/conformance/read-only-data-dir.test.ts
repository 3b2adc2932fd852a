/**
 * A broker whose data dir is on a read-only file system: a real read-only mount (a 1 MiB
 * tmpfs mounted ro; the tests run as root here and in CI), a real broker process (Node
 * and Deno). It must exit 1 with a message that says the data dir is on a read-only file
 * system — not "not-found … ENOENT mkdir", which is what Node's recursive mkdir reports
 * for EROFS.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, DENO_BIN, DENO_MAIN, assertBuilt, denoPermissions, freePort, run, tempDir } from './harness.ts';

describe('data dir on a read-only file system', () => {
  const dir = tempDir('read-only');
  const mountPoint = join(dir.path, 'ro');

  beforeAll(() => {
    execFileSync('mkdir', ['-p', mountPoint]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint]);
  });

  afterAll(() => {
    try {
      execFileSync('umount', [mountPoint]);
    } finally {
      dir.remove();
    }
  });

  for (const runtime of ['node', 'deno'] as const) {
    it(`${runtime}: exits 1 saying the data dir is on a read-only file system`, async () => {
      const dataDir = join(mountPoint, 'data');
      const args = ['--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', dataDir];
      if (runtime === 'node') assertBuilt();
      const result =
        runtime === 'node'
          ? await run(process.execPath, [CLI_PATH, 'broker', ...args], { timeoutMs: 60_000 })
          : await run(DENO_BIN, ['run', ...denoPermissions(dataDir), DENO_MAIN, ...args], { timeoutMs: 120_000 });
      expect(result.timedOut).toBe(false);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`the data dir ${dataDir} is on a read-only file system`);
      expect(result.stderr).not.toMatch(/ENOENT|not-found/);
    });
  }
});
