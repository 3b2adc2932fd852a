/**
 * `npm run cluster` (scripts/cluster.mjs, built broker, `--no-build`, free ports): prints the
 * bootstrap list once the three brokers listen; Metadata from each lists all three; SIGINT
 * stops the brokers and then etcd, exits 0, leaves no process group and removes its dir.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, BoundedCapture, fetchMetadata, freePort, pollUntil, processGroupAlive, REPO_ROOT } from '@samsa/bench';

const SCRIPT = join(REPO_ROOT, 'scripts/cluster.mjs');
const READY_MS = 90_000;

describe('npm run cluster (three brokers and etcd)', () => {
  let child: ChildProcess | null = null;

  afterEach(() => {
    // The script runs its children in their own groups and stops them on SIGTERM; a test
    // that failed before SIGINT still ends it that way, then kills its own group.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      setTimeout(() => {
        try {
          process.kill(-child!.pid!, 'SIGKILL');
        } catch {
          // Gone.
        }
      }, 30_000).unref();
    }
    child = null;
  });

  it('prints the bootstrap list, serves the whole cluster from each broker, and stops everything on SIGINT with exit 0', async () => {
    assertBuilt();
    const ports = [await freePort(), await freePort(), await freePort()];
    const etcdPorts = [await freePort(), await freePort()];
    child = spawn(process.execPath, [SCRIPT, '--no-build', '--ports', ports.join(','), '--etcd-ports', etcdPorts.join(','), '--session-timeout-ms', '3000'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = new BoundedCapture();
    const err = new BoundedCapture();
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));

    // Fails at once if the script exits before it printed the line.
    const exitedEarly = exited.then((e) => {
      if (!out.text().includes('bootstrap: ')) throw new Error(`npm run cluster exited ${JSON.stringify(e)} before the bootstrap line:\n${err.text().slice(-4000)}`);
    });
    exitedEarly.catch(() => {}); // The race below reports it; after the race nothing may go unhandled.
    await Promise.race([pollUntil('the bootstrap line', READY_MS, () => out.text().includes('bootstrap: ')), exitedEarly]);
    const line = /bootstrap: (\S+)/.exec(out.text())![1]!;
    expect(line).toBe(ports.map((p) => `127.0.0.1:${p}`).join(','));
    const dataDir = /data in (\S+),/.exec(out.text())![1]!;
    expect(existsSync(dataDir)).toBe(true);

    for (const port of ports) {
      await pollUntil(`Metadata from ${port} lists three brokers`, 30_000, async () => (await fetchMetadata(port)).brokers.length === 3);
      expect((await fetchMetadata(port)).brokers.map((b) => b.port).sort()).toEqual([...ports].sort());
    }

    const pids = new Set<number>();
    for (const l of err.text().split('\n')) {
      const m = /"pid":(\d+)/.exec(l);
      if (m) pids.add(Number(m[1]));
    }
    child.kill('SIGINT');
    const exit = await exited;
    expect(exit, err.text().slice(-4000)).toEqual({ code: 0, signal: null });
    expect(err.text()).toContain('stopping the brokers, then etcd');
    for (const pid of pids) expect(processGroupAlive(pid), `process group ${pid}`).toBe(false);
    expect(processGroupAlive(child.pid!)).toBe(false);
    for (const port of [...ports, ...etcdPorts]) await expect(fetchMetadata(port, [], 1000)).rejects.toThrow();
    expect(existsSync(dataDir)).toBe(false);
  });
});
