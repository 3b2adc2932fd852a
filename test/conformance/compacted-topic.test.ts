/**
 * Issue 11, defect A with a real client: kcat (librdkafka 2.0.x) producing a record
 * without a key to a compacted topic. Kafka refuses it with INVALID_RECORD, which
 * librdkafka reports as a delivery failure ("Broker failed to validate record"); nothing
 * may be readable at offset 0 (before the fix the record was acknowledged there and lost
 * at the next cleaner pass). A keyed record then goes in at offset 0.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, expectOk, kcat, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

for (const runtime of RUNTIMES) {
  describe(`compacted topics with kcat on ${runtime}`, () => {
    const dir = tempDir(`compacted-${runtime}`);
    let broker: BrokerProcess;

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
    });

    afterAll(async () => {
      await broker?.stop();
      dir.remove();
    });

    /** Every record of partition 0 as `offset key value` lines (kcat -C -e). */
    const consume = async (topic: string): Promise<string[]> => {
      const result = expectOk(await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\\n'], { timeoutMs: 30_000 }), 'kcat -C');
      return result.stdout.toString('utf8').split('\n').filter((l) => l.length > 0);
    };

    it('`echo v | kcat -P -t T -p 0` on a compacted topic is a delivery failure and leaves nothing at offset 0; a keyed record goes in', async () => {
      const topic = 'compacted-keyless';
      await createTopic(broker.bootstrap, topic, 1, [{ name: 'cleanup.policy', value: 'compact' }]);
      const keyless = await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], { input: 'v\n', timeoutMs: 30_000 });
      expect(keyless.timedOut).toBe(false);
      expect(keyless.code).not.toBe(0);
      expect(keyless.stderr).toContain('Delivery failed');
      expect(keyless.stderr).toContain('Broker failed to validate record'); // librdkafka's text for INVALID_RECORD (87)
      expect(await consume(topic)).toEqual([]);

      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':'], { input: 'k:v\n', timeoutMs: 30_000 }), 'kcat -P keyed');
      expect(await consume(topic)).toEqual(['0 k v']);
    });

    it('keyless records still go into a topic with cleanup.policy=delete', async () => {
      const topic = 'delete-keyless';
      await createTopic(broker.bootstrap, topic, 1);
      expectOk(await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], { input: 'v\n', timeoutMs: 30_000 }), 'kcat -P keyless');
      expect(await consume(topic)).toEqual(['0  v']);
    });
  });
}
