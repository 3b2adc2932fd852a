/**
 * SIGKILL of the Deno launcher (apps/broker-deno/bin/start.mjs; issue 11, defect 7): the
 * launcher runs the Deno broker in its own session, so before the fix a SIGKILL (which it
 * cannot forward) left the broker running on its port and dir, and a supervisor's restart
 * failed with "port in use". Now the broker's stdin is the launcher's lifeline: checks that
 * the deno process is gone within a bounded time after the kill, that its port is free,
 * and that a new launcher on the same port and dir starts and stops cleanly (exit 0).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HOST, REPO_ROOT, connect, freePort, probeApiVersions, sleep, tempDir } from './harness.ts';

const LAUNCHER = join(REPO_ROOT, 'apps/broker-deno/bin/start.mjs');
const GONE_WITHIN_MS = 30_000;

/** True while `pid` runs (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const text = readFileSync(stat, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The pids of `pid`'s children (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Launched {
  readonly launcher: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

async function launch(port: number, dataDir: string): Promise<Launched> {
  const launcher = spawn(process.execPath, [LAUNCHER, '--host', HOST, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
  launcher.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-100_000)));
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!(out.includes('listening on') && (await probeApiVersions(port).catch(() => false)))) {
    if (launcher.exitCode !== null || Date.now() > deadline) throw new Error(`the launcher did not start the broker:\n${out}`);
    await sleep(50);
  }
  return { launcher, output: () => out, exited };
}

async function portRefuses(port: number): Promise<boolean> {
  try {
    (await connect(port, 1_000)).destroy();
    return false;
  } catch {
    return true;
  }
}

describe('the Deno launcher (bin/start.mjs)', () => {
  const started: number[] = [];
  const dir = tempDir('deno-launcher');

  afterEach(() => {
    for (const pid of started) {
      try {
        process.kill(-pid, 'SIGKILL'); // the broker's own process group (detached)
      } catch {
        // already gone
      }
    }
    started.length = 0;
  });
  afterAll(() => dir.remove());

  it('SIGKILL of the launcher stops the broker: process gone, port free, a restart on the same port and dir works', async () => {
    const port = await freePort();
    const dataDir = join(dir.path, 'data');
    const first = await launch(port, dataDir);
    const brokers = childrenOf(first.launcher.pid!);
    expect(brokers.length).toBe(1);
    const brokerPid = brokers[0]!;
    started.push(brokerPid);
    expect(alive(brokerPid)).toBe(true);

    first.launcher.kill('SIGKILL');
    await first.exited;
    const deadline = Date.now() + GONE_WITHIN_MS;
    while (alive(brokerPid) && Date.now() < deadline) await sleep(50);
    expect(alive(brokerPid)).toBe(false);
    expect(await portRefuses(port)).toBe(true);

    const second = await launch(port, dataDir);
    started.push(...childrenOf(second.launcher.pid!));
    second.launcher.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('samsa broker stopped cleanly');
  });
});
