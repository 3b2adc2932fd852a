// One seed reproduces a run (issue 12): every id the broker makes — the cluster id, topic
// ids, consumer-group member ids and the suffix of a deleted partition's directory — comes
// from the runtime's Random. Two brokers on the same seed make the same ids; another seed
// makes others. (A direct crypto call anywhere on these paths breaks the first assertion.)
import { memoryRuntime } from '@samsa/runtime/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { GroupTestClient } from './groups/group-test-client.ts';
import type { Versions } from './groups/group-test-client.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

const NEWEST: Versions = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };

interface Ids {
  readonly clusterId: string;
  readonly topicIds: readonly string[];
  readonly memberId: string;
  readonly deletedDirs: readonly string[];
}

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

async function runIds(seed: number): Promise<Ids> {
  await tb?.stop();
  tb = await startTestBroker({ seed, overrides: ['offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0'] });
  const { registry } = tb.broker;
  for (const name of ['a', 'b']) expect((await registry.createTopic(name, 1, {})).errorCode).toBe(0);
  const topicIds = ['a', 'b'].map((name) => registry.topic(name)!.record.topicId);
  const member = new GroupTestClient(await tb.connect('seeded'), tb.clock, 'g', NEWEST);
  expect((await member.join(['a'])).errorCode).toBe(0);
  expect((await registry.deleteTopic('b')).errorCode).toBe(0);
  const deletedDirs = (await tb.fs.readDir('/data')).filter((name) => name.endsWith('-delete'));
  return { clusterId: registry.clusterId, topicIds, memberId: member.memberId, deletedDirs };
}

describe('one seed reproduces the ids of a run', () => {
  it('the same seed gives the same cluster id, topic ids, member id and deleted-dir name; another seed differs', async () => {
    const first = await runIds(42);
    const again = await runIds(42);
    const other = await runIds(7);

    // Formats stay Kafka's: 22-char url-safe base64 cluster id, UUID topic ids,
    // `<clientId>-<uuid>` member ids, `<topic>-<partition>.<32 hex>-delete` dirs.
    expect(first.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const id of first.topicIds) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.memberId).toMatch(/^seeded-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.deletedDirs).toHaveLength(1);
    expect(first.deletedDirs[0]).toMatch(/^b-0\.[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}-delete$/);

    expect(again).toEqual(first);
    expect(other.clusterId).not.toBe(first.clusterId);
    expect(other.topicIds).not.toEqual(first.topicIds);
    expect(other.memberId).not.toBe(first.memberId);
    expect(other.deletedDirs).not.toEqual(first.deletedDirs);
  });

  it('two brokers opened on memoryRuntime({ seed: 42 }) make the same cluster id and topic ids', async () => {
    const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data'] });
    const open = async (seed: number) => {
      const runtime = memoryRuntime({ seed });
      const broker = await Broker.open({ config, fs: runtime.fs, clock: runtime.clock, random: runtime.random });
      try {
        expect((await broker.registry.createTopic('events', 1, {})).errorCode).toBe(0);
        return [broker.registry.clusterId, broker.registry.topic('events')!.record.topicId];
      } finally {
        await broker.shutdown();
      }
    };
    const first = await open(42);
    expect(await open(42)).toEqual(first);
    expect(await open(43)).not.toEqual(first);
  });
});
