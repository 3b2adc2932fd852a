// Broker.open's start sequence on the memory file system (issue 11, defects 1 and 6):
// - the data-dir lock: a second broker on the same dirs fails with DataDirLockedError
//   naming the dir and the holder, and writes nothing; after the first shuts down (or
//   "dies": crash() drops every lock) the dir can be opened again;
// - missing metadata (samsa-metadata.kv, and no samsa-metadata.json to migrate) with
//   partition dirs left: refused with a message naming the dir, the file and the flag,
//   nothing renamed or written; with
//   recoverMetadataFromLogs the topics come back from the dir names with their data;
// - a data dir of an earlier version (samsa-metadata.json, the fixture made by that code):
//   the broker starts on it with every topic, config override, dynamic broker config and
//   the producer-id block, says it migrated, and keeps the JSON as .migrated.
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import type { FaultOp } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { DataDirLockedError } from './data-dir-lock.ts';
import type { Logger } from './observability/logger.ts';
import { batchOf } from './testing/requests.ts';
import { LEGACY_METADATA_JSON } from './testing/metadata-json-fixture.ts';
import { MetadataMissingError, RECOVER_METADATA_FLAG } from './topics/metadata-from-logs.ts';

const config = parseServerConfig({ overrides: ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', 'offsets.topic.num.partitions=1'] });
const MUTATING: readonly FaultOp[] = ['append', 'write', 'truncate', 'rename', 'remove', 'syncDir', 'sync'];

function env() {
  const clock = new ManualClock();
  return { clock, fs: new MemoryFileSystem({ clock }) };
}

function mutations(fs: MemoryFileSystem): number {
  return MUTATING.reduce((n, op) => n + fs.opCount(op), 0);
}

function recordingLogger(): Logger & { warnings: { obj: object; msg: string }[] } {
  const warnings: { obj: object; msg: string }[] = [];
  const noop = () => {};
  const logger: Logger & { warnings: { obj: object; msg: string }[] } = {
    warnings,
    debug: noop,
    info: noop,
    error: noop,
    warn: (obj: object, msg?: string) => void warnings.push({ obj, msg: msg ?? '' }),
    child: () => logger,
  };
  return logger;
}

describe('Broker.open: data-dir lock', () => {
  it('a second broker on the same dir fails naming the dir and the holder, and writes nothing', async () => {
    const { fs, clock } = env();
    const first = await Broker.open({ config, fs, clock, random: createRandom(1), lockHolder: 'pid=4242 host=here' });
    await first.registry.createTopic('t', 1, {});
    const before = mutations(fs);
    const error = await Broker.open({ config, fs, clock, random: createRandom(1), lockHolder: 'pid=7 host=there' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as DataDirLockedError).dir).toBe('/data');
    expect((error as Error).message).toContain('data dir /data is locked');
    expect((error as Error).message).toContain('pid=4242 host=here');
    expect(mutations(fs)).toBe(before);
    expect(new TextDecoder().decode(await fs.readFile('/data/.lock'))).toBe('pid=4242 host=here\n');

    await first.shutdown();
    const second = await Broker.open({ config, fs, clock, random: createRandom(1), lockHolder: 'pid=7 host=there' });
    expect(second.registry.topic('t')?.partitions.length).toBe(1);
    await second.shutdown();
  });

  it('a process that died holds no lock: after a crash the dir opens again', async () => {
    const { fs, clock } = env();
    await Broker.open({ config, fs, clock, random: createRandom(1) });
    fs.crash();
    const again = await Broker.open({ config, fs, clock, random: createRandom(1) });
    await again.shutdown();
  });
});

describe('Broker.open: samsa-metadata.kv missing', () => {
  async function dirWithTopics(fs: MemoryFileSystem, clock: ManualClock): Promise<void> {
    const broker = await Broker.open({ config, fs, clock, random: createRandom(1) });
    await broker.registry.createTopic('orders', 3, { 'retention.ms': '1000000' });
    await broker.registry.createTopic('audit-log', 1, {});
    for (let i = 0; i < 5; i++) await broker.registry.partition('orders', 2)!.produce(batchOf([`o${i}`]));
    await broker.registry.partition('audit-log', 0)!.produce(batchOf(['a0', 'a1']));
    await broker.shutdown();
    await fs.remove('/data/samsa-metadata.kv');
    await fs.syncDir('/data');
  }

  it('refuses to start, naming the dir, the file and the flag; renames and writes nothing', async () => {
    const { fs, clock } = env();
    await dirWithTopics(fs, clock);
    const listing = await fs.readDir('/data');
    const before = mutations(fs);
    const error = await Broker.open({ config, fs, clock, random: createRandom(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetadataMissingError);
    const message = (error as Error).message;
    expect(message).toContain('/data/samsa-metadata.kv is missing (and there is no samsa-metadata.json to migrate)');
    expect(message).toContain('4 partition directories');
    expect(message).toContain(RECOVER_METADATA_FLAG);
    expect(await fs.readDir('/data')).toEqual(listing);
    expect(listing.some((n) => n.endsWith('-stray'))).toBe(false);
    // Only the lock file was written (its holder line), nothing else.
    expect(mutations(fs) - before).toBeLessThanOrEqual(3);
    expect(await fs.stat('/data/samsa-metadata.kv')).toBeNull();
  });

  it('with recoverMetadataFromLogs rebuilds the topics from the dirs, keeps their data, and says so', async () => {
    const { fs, clock } = env();
    await dirWithTopics(fs, clock);
    const logger = recordingLogger();
    const broker = await Broker.open({ config, fs, clock, random: createRandom(1), logger, recoverMetadataFromLogs: true });
    expect([...broker.registry.topics()].map((t) => [t.record.name, t.partitions.length]).sort()).toEqual([
      ['audit-log', 1],
      ['orders', 3],
    ]);
    expect(broker.registry.partition('orders', 2)!.log.logEndOffset).toBe(5);
    expect(broker.registry.partition('audit-log', 0)!.log.logEndOffset).toBe(2);
    expect(broker.registry.topic('orders')!.record.configs).toEqual({});
    expect(logger.warnings.some((w) => w.msg.includes('rebuilt 2 topics from the partition directories'))).toBe(true);
    expect((await fs.readDir('/data')).some((n) => n.endsWith('-stray'))).toBe(false);
    // Producer ids restart above anything handed out before.
    expect(await broker.registry.nextProducerId()).toBeGreaterThanOrEqual(clock.wallMs() * 1000);
    await broker.shutdown();
    // The rebuilt file is there now: a plain start works.
    const plain = await Broker.open({ config, fs, clock, random: createRandom(1) });
    expect(plain.registry.topicCount).toBe(2);
    await plain.shutdown();
  });

  it('an empty (or new) data dir still starts without the flag', async () => {
    const { fs, clock } = env();
    const broker = await Broker.open({ config, fs, clock, random: createRandom(1) });
    expect(broker.registry.topicCount).toBe(0);
    await broker.shutdown();
  });
});

describe('Broker.open: a data dir of an earlier version (samsa-metadata.json)', () => {
  it('migrates it: every topic, override, dynamic broker config and the producer-id block; the JSON kept as .migrated', async () => {
    const { fs, clock } = env();
    await fs.mkdirp('/data');
    const file = await fs.open('/data/samsa-metadata.json', 'read-write', { truncate: true });
    await file.write(new TextEncoder().encode(LEGACY_METADATA_JSON), 0);
    await file.close();
    const logger = recordingLogger();
    const infos: string[] = [];
    logger.info = (_obj: object, msg?: string) => void infos.push(msg ?? '');
    const broker = await Broker.open({ config, fs, clock, random: createRandom(1), logger });
    expect(broker.registry.clusterId).toBe('JcNQmTS6ctUO-qWGbY0EyQ');
    expect([...broker.registry.topics()].map((t) => [t.record.name, t.record.topicId, t.partitions.length]).sort()).toEqual([
      ['__consumer_offsets', '8kjFuN0Na6izuqvQrqScYQ', 3],
      ['compacted.users', 'WzUPXR5zBPXkFxGp18oZpg', 2],
      ['orders', 'b8js_5S72A1jjeJL8JpSeg', 3],
      ['plain_topic', '5PHPDn8mlEuGOLMgzS0i-A', 4],
    ]);
    expect(broker.registry.topic('orders')!.record.configs).toEqual({ 'retention.ms': '86400000', 'cleanup.policy': 'delete' });
    expect(broker.registry.topic('orders')!.partitions[0]!.config.retentionMs).toBe(86_400_000);
    expect(broker.registry.dynamicBrokerConfigs).toEqual({ 'log.retention.ms': '604800000', 'message.max.bytes': '2000000' });
    expect(await broker.registry.nextProducerId()).toBeGreaterThanOrEqual(1000);
    expect(infos.some((m) => m.includes('migrated samsa-metadata.json into samsa-metadata.kv'))).toBe(true);
    await broker.shutdown();
    expect(await fs.stat('/data/samsa-metadata.json')).toBeNull();
    expect(new TextDecoder().decode(await fs.readFile('/data/samsa-metadata.json.migrated'))).toBe(LEGACY_METADATA_JSON);
    // The next start reads samsa-metadata.kv alone.
    const again = await Broker.open({ config, fs, clock, random: createRandom(1) });
    expect(again.registry.topicCount).toBe(4);
    expect(await again.registry.nextProducerId()).toBeGreaterThanOrEqual(1000);
    await again.shutdown();
  });
});
