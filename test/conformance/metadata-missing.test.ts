/**
 * `samsa broker` on a data dir whose metadata (samsa-metadata.kv) was deleted (issue 11, defect 6),
 * as a real process: it exits 1 with a message naming the dir, the missing file and the
 * flag, and renames nothing (no `-stray` dirs); with --recover-metadata-from-logs it starts,
 * the topics are back, and kcat reads every record produced before.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, HOST, expectOk, freePort, kcat, kcatReadAll, run, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

describe('samsa broker without samsa-metadata.kv', () => {
  const dir = tempDir('metadata-missing');
  const dataDir = join(dir.path, 'data');
  let broker: BrokerProcess | undefined;

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('refuses to start unless --recover-metadata-from-logs, which brings the topics back', async () => {
    broker = await startBroker({ dataDir, overrides: ['num.partitions=2'] });
    const lines = Array.from({ length: 30 }, (_, i) => `m${i}`).join('\n') + '\n';
    expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', 'precious', '-p', '1', '-X', 'acks=all'], { input: lines }), 'kcat produce');
    expect(await broker.stop()).toBe(0);
    broker = undefined;
    rmSync(join(dataDir, 'samsa-metadata.kv'));
    const listing = readdirSync(dataDir).sort();

    const port = await freePort();
    const flags = ['broker', '--host', HOST, '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];
    const refused = await run(process.execPath, [CLI_PATH, ...flags], { timeoutMs: 60_000 });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`${dataDir}/samsa-metadata.kv is missing`);
    expect(refused.stderr).toContain('--recover-metadata-from-logs');
    expect(readdirSync(dataDir).sort()).toEqual(listing);
    expect(listing.filter((n) => n.endsWith('-stray'))).toEqual([]);

    broker = await startBroker({ dataDir, port, extraArgs: ['--recover-metadata-from-logs', '--log-level', 'warn'] });
    expect(broker.output()).toContain('rebuilt 1 topics from the partition directories');
    const read = await kcatReadAll(broker.bootstrap, 'precious');
    expect(read.map((l) => l.value)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect(read.every((l) => l.partition === 1)).toBe(true);
  });
});
