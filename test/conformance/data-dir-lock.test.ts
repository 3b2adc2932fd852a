/**
 * Two brokers on one data dir (issue 11, defects 1 and 2), as real processes: broker A
 * (Node; once Deno) runs on D with records in it; broker B started on D — Node or Deno, on another
 * port or on A's port — must exit 1 with a message naming D and A's pid, and must leave D
 * exactly as it was (every file's size, mtime and bytes), while A keeps serving. And a
 * broker whose port is taken fails before it opens a log: the dir of a stopped broker
 * keeps its clean-shutdown marker and checkpoints untouched (only `.lock` is written).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, DENO_BIN, DENO_MAIN, HOST, denoPermissions, expectOk, freePort, kcat, kcatReadAll, probeApiVersions, run, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess, RunResult } from './harness.ts';

/** path → size, mtime and a hash of the bytes, for every file under `dir`. */
function snapshot(dir: string, skip: (name: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, depth: number): void => {
    if (depth > 8) return;
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) {
        out.set(`${path}/`, `dir mtime=${st.mtimeMs}`);
        walk(path, depth + 1);
      } else if (!skip(name)) {
        out.set(path, `size=${st.size} mtime=${st.mtimeMs} sha=${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
      }
    }
  };
  walk(dir, 0);
  return out;
}

function startSecond(runtime: 'node' | 'deno', dataDir: string, port: number): Promise<RunResult> {
  const flags = ['--host', HOST, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
  return runtime === 'node'
    ? run(process.execPath, [CLI_PATH, 'broker', ...flags], { timeoutMs: 60_000 })
    : run(DENO_BIN, ['run', ...denoPermissions(dataDir), DENO_MAIN, ...flags], { timeoutMs: 120_000 });
}

async function produce(bootstrap: string, topic: string, from: number, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `v${from + i}`).join('\n') + '\n';
  expectOk(await kcat(['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-X', 'acks=all'], { input: lines }), 'kcat produce');
}

describe('two brokers on one data dir', () => {
  const dir = tempDir('dir-lock');
  const dataDir = join(dir.path, 'data');
  let a: BrokerProcess | undefined;
  let produced = 0;

  beforeAll(async () => {
    a = await startBroker({ dataDir, overrides: ['num.partitions=1'] });
    await produce(a.bootstrap, 'kept', 0, 200);
    produced = 200;
  });

  afterAll(async () => {
    await a?.stop();
    dir.remove();
  });

  for (const runtime of ['node', 'deno'] as const) {
    for (const portKind of ['another port', "A's port"] as const) {
      it(`a ${runtime} broker on A's dir (${portKind}) exits 1 naming the dir and A's pid, writes nothing, and A keeps serving`, async () => {
        const before = snapshot(dataDir);
        const port = portKind === "A's port" ? a!.port : await freePort();
        const b = await startSecond(runtime, dataDir, port);
        expect(b.timedOut).toBe(false);
        expect(b.code, b.stderr).toBe(1);
        expect(b.stderr).toContain(`data dir ${dataDir} is locked`);
        expect(b.stderr).toContain(`pid=${a!.pid}`);
        expect(snapshot(dataDir)).toEqual(before);
        expect(await probeApiVersions(a!.port)).toBe(true);
        await produce(a!.bootstrap, 'kept', produced, 50);
        produced += 50;
        const read = await kcatReadAll(a!.bootstrap, 'kept');
        expect(read.map((l) => l.value)).toEqual(Array.from({ length: produced }, (_, i) => `v${i}`));
      });
    }
  }
});

describe('a Deno broker holding the dir', () => {
  const dir = tempDir('dir-lock-deno');
  const dataDir = join(dir.path, 'data');
  let a: BrokerProcess | undefined;

  afterAll(async () => {
    await a?.stop();
    dir.remove();
  });

  it('a node broker on its dir exits 1 naming the dir and the Deno broker\'s pid, writes nothing', async () => {
    a = await startBroker({ dataDir, runtime: 'deno', overrides: ['num.partitions=1'] });
    await produce(a.bootstrap, 'kept', 0, 20);
    const before = snapshot(dataDir);
    const b = await startSecond('node', dataDir, await freePort());
    expect(b.code, b.stderr).toBe(1);
    expect(b.stderr).toContain(`data dir ${dataDir} is locked`);
    expect(b.stderr).toContain(`pid=${a.pid}`);
    expect(b.stderr).toContain('runtime=deno');
    expect(snapshot(dataDir)).toEqual(before);
    expect(await probeApiVersions(a.port)).toBe(true);
  });
});

describe('a broker whose port is taken', () => {
  const dir = tempDir('port-taken');
  const dataDir = join(dir.path, 'data');
  let holder: BrokerProcess | undefined;

  afterAll(async () => {
    await holder?.stop();
    dir.remove();
  });

  it('exits 1 with "already in use" before it opens a log: marker and checkpoints stay as they were', async () => {
    const first = await startBroker({ dataDir, overrides: ['num.partitions=2'] });
    await produce(first.bootstrap, 'idle', 0, 20);
    expect(await first.stop()).toBe(0);
    const otherDir = tempDir('port-holder');
    try {
      holder = await startBroker({ dataDir: join(otherDir.path, 'data') });
      const before = snapshot(dataDir, (name) => name === '.lock');
      expect(before.has(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
      for (const runtime of ['node', 'deno'] as const) {
        const b = await startSecond(runtime, dataDir, holder.port);
        expect(b.code, b.stderr).toBe(1);
        expect(b.stderr).toMatch(/already in use/);
        expect(snapshot(dataDir, (name) => name === '.lock')).toEqual(before);
      }
    } finally {
      await holder?.stop();
      holder = undefined;
      otherDir.remove();
    }
  });
});
