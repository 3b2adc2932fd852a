/**
 * The real-process cluster harness itself (cluster-process.ts), in its `local` mode: etcd
 * and three broker processes (two Node, one Deno) with their own node ids, ports and data
 * dirs, each without `--metadata` (alone on its local store). Checks that every process
 * starts and answers, that SIGKILL, SIGTERM and restart act on the right broker, and that
 * `stop()` leaves no process group and no temp dir behind; and that a start that fails
 * leaves nothing running either.
 *
 * The suites that need the cluster pieces (registration, controller, leadership) are in
 * test/cluster/pending/ until those pieces are merged.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchMetadata, processGroupAlive, startCluster } from './cluster-process.ts';
import type { Cluster } from './cluster-process.ts';

/** Pids of live processes whose command line contains `needle`. */
function pidsWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe('cluster harness (local mode: no --metadata yet)', () => {
  let cluster: Cluster | null = null;

  afterEach(async () => {
    await cluster?.stop();
    cluster = null;
  });

  it('starts etcd and a Node, Node, Deno trio with their node ids, kills, stops and restarts each, and leaves nothing behind', async () => {
    cluster = await startCluster({ brokers: ['node', 'node', 'deno'], metadata: 'local' });
    const c = cluster;
    expect(c.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    expect(new Set(c.brokers.map((b) => b.port)).size).toBe(3);
    expect(new Set(c.brokers.map((b) => b.dataDir)).size).toBe(3);
    expect(c.etcd.members[0]!.running).toBe(true);
    for (const b of c.brokers) {
      const metadata = await fetchMetadata(b.port);
      expect(metadata.brokers.map((x) => x.nodeId)).toEqual([b.nodeId]);
    }
    expect(c.bootstrap().split(',')).toHaveLength(3);

    const killed = c.broker(2);
    const killedPid = killed.pid!;
    await killed.kill();
    expect((await killed.exited()).signal).toBe('SIGKILL');
    expect(killed.running).toBe(false);
    expect(processGroupAlive(killedPid)).toBe(false);
    expect(c.bootstrap().split(',')).toHaveLength(2);
    // Waiting for a dead broker's registration ends at once, with its output.
    const waitStart = performance.now();
    await expect(c.waitForRegistrations([2], 30_000)).rejects.toThrow(/broker 2 exited before it registered/);
    expect(performance.now() - waitStart).toBeLessThan(5000);
    await killed.restart();
    expect((await fetchMetadata(killed.port)).brokers.map((x) => x.nodeId)).toEqual([2]);

    const stopped = c.broker(3);
    expect(await stopped.stop()).toEqual({ code: 0, signal: null });
    await stopped.restart();
    expect((await fetchMetadata(stopped.port)).brokers.map((x) => x.nodeId)).toEqual([3]);

    const groups = [...c.brokers.map((b) => b.pid!), c.etcd.members[0]!.pid!];
    const tempRoot = dirname(c.brokers[0]!.dataDir);
    await c.stop();
    cluster = null;
    for (const pid of groups) expect(processGroupAlive(pid), `process group ${pid}`).toBe(false);
    expect(existsSync(tempRoot)).toBe(false);
  });

  it('a broker that cannot start fails the start, naming it, and nothing is left running', async () => {
    const marker = `no.such.key.${process.pid}.${Date.now()}`;
    await expect(startCluster({ brokers: ['node', 'node'], metadata: 'local', overrides: [`${marker}=1`] })).rejects.toThrow(/broker \d exited before it was ready/);
    expect(pidsWith(marker)).toEqual([]);
  });
});
