/**
 * `samsa broker` (Node and Deno, as real processes with their real file systems and locks)
 * on the data dir of an earlier version: only a `samsa-metadata.json` (the fixture made by
 * that version's code). The broker starts, kcat lists every topic of the file with its
 * partitions, a record produced is read back, and after a clean stop the JSON is kept byte
 * for byte as `samsa-metadata.json.migrated` beside `samsa-metadata.kv`; a second start reads
 * the kv store alone and still has the topics and the record.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEGACY_METADATA_JSON } from '../../packages/broker/src/testing/metadata-json-fixture.ts';
import { expectOk, kcat, kcatReadAll, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const FIXTURE_TOPICS = [
  ['__consumer_offsets', 3],
  ['compacted.users', 2],
  ['orders', 3],
  ['plain_topic', 4],
];

async function topicsOf(broker: BrokerProcess): Promise<(string | number)[][]> {
  const result = expectOk(await kcat(['-L', '-J', '-b', broker.bootstrap], { timeoutMs: 20_000 }), 'kcat -L');
  const metadata = JSON.parse(result.stdout.toString('utf8')) as { topics: Array<{ topic: string; partitions: unknown[] }> };
  return metadata.topics.map((t) => [t.topic, t.partitions.length]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

for (const runtime of RUNTIMES) {
  describe(`samsa broker (${runtime}) on an earlier version's data dir`, () => {
    const dir = tempDir(`metadata-migration-${runtime}`);
    const dataDir = join(dir.path, 'data');
    let broker: BrokerProcess | undefined;

    afterEach(async () => {
      await broker?.stop();
      broker = undefined;
      dir.remove();
    });

    it('migrates samsa-metadata.json into samsa-metadata.kv and keeps the JSON as .migrated', async () => {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'samsa-metadata.json'), LEGACY_METADATA_JSON);
      broker = await startBroker({ dataDir, runtime, extraArgs: ['--node-id', '1', '--log-level', 'info'] });
      expect(broker.output()).toContain('migrated samsa-metadata.json into samsa-metadata.kv');
      expect(await topicsOf(broker)).toEqual(FIXTURE_TOPICS);
      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', 'orders', '-p', '2', '-X', 'acks=all'], { input: 'kept\n' }), 'kcat produce');
      expect(await broker.stop()).toBe(0);
      broker = undefined;
      expect(existsSync(join(dataDir, 'samsa-metadata.json'))).toBe(false);
      expect(existsSync(join(dataDir, 'samsa-metadata.kv'))).toBe(true);
      expect(readFileSync(join(dataDir, 'samsa-metadata.json.migrated'), 'utf8')).toBe(LEGACY_METADATA_JSON);

      broker = await startBroker({ dataDir, runtime, extraArgs: ['--node-id', '1', '--log-level', 'info'] });
      expect(broker.output()).not.toContain('migrated');
      expect(await topicsOf(broker)).toEqual(FIXTURE_TOPICS);
      expect((await kcatReadAll(broker.bootstrap, 'orders')).map((l) => [l.partition, l.value])).toEqual([[2, 'kept']]);
    });
  });
}
