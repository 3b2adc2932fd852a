/**
 * MetadataStore on the local metadata store (samsa-metadata.kv), on the memory file system:
 * - migration from a samsa-metadata.json written by the code before it (the fixture):
 *   same state, the JSON kept byte for byte as samsa-metadata.json.migrated, the kv file
 *   laid out as metadata-kv-layout.ts documents; a reopen reads the kv alone;
 * - a crash at every file-system operation of a migration (and of a first write that needs
 *   several transactions), with and without torn unsynced writes: the next open has exactly
 *   the old file's state, and the JSON is never lost (as .json or .json.migrated);
 * - a crash at every operation of a save that needs several transactions: the state before
 *   or after it, and partition keys consistent with it after the reopen;
 * - a corrupt kv is refused naming the file, never replaced, the JSON beside it untouched;
 * - a failed save (full disk) reverts and the next one works; one that may have reached the
 *   file (failure after its rename) is not reverted;
 * - node.id changes carry the dynamic broker configs over and rewrite the partition records.
 */
import {
  ClusterKeys,
  decodeConfigRecord,
  decodePartitionRecord,
  decodeTopicRecord,
  LocalMetadataCorruptError,
  LocalMetadataStore,
} from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import type { FaultOp } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { LEGACY_METADATA_JSON } from '../testing/metadata-json-fixture.ts';
import { parseMetadataJson } from './metadata-json.ts';
import { LOCAL_META_KEY, producerIdsKey } from './metadata-kv-layout.ts';
import { MetadataStore } from './metadata-store.ts';
import type { InitialMetadata, MetadataState, TopicRecord } from './metadata-store.ts';

const DIR = '/data';
const JSON_PATH = `${DIR}/samsa-metadata.json`;
const KV_PATH = `${DIR}/samsa-metadata.kv`;
const FIXTURE_STATE = parseMetadataJson(JSON_PATH, LEGACY_METADATA_JSON);
const OPS: readonly FaultOp[] = ['read', 'append', 'write', 'sync', 'truncate', 'size', 'close', 'open', 'mkdirp', 'readDir', 'rename', 'remove', 'stat', 'syncDir', 'readFile'];
const OPS_MAX = 400;

const clock = new ManualClock();

function open(fs: MemoryFileSystem, extra: { nodeId?: number; whenMissing?: () => Promise<InitialMetadata | undefined> } = {}): Promise<MetadataStore> {
  return MetadataStore.open({ fs, dir: DIR, clock, random: createRandom(5), nodeId: extra.nodeId ?? 1, newClusterId: () => 'fresh-cluster', ...(extra.whenMissing ? { whenMissing: extra.whenMissing } : {}) });
}

function opsDone(fs: MemoryFileSystem): number {
  return OPS.reduce((n, op) => n + fs.opCount(op), 0);
}

/** The state with topics sorted by name (the kv store lists them so). */
function sorted(state: MetadataState): MetadataState {
  return { ...state, topics: [...state.topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

async function writeDurably(fs: MemoryFileSystem, path: string, text: string): Promise<void> {
  const handle = await fs.open(path, 'read-write', { truncate: true });
  await handle.write(new TextEncoder().encode(text), 0);
  await handle.sync();
  await handle.close();
  await fs.syncDir(DIR);
}

async function withJson(text = LEGACY_METADATA_JSON): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem({ clock });
  await fs.mkdirp(DIR);
  await fs.syncDir('/');
  await writeDurably(fs, JSON_PATH, text);
  return fs;
}

async function textOf(fs: MemoryFileSystem, path: string): Promise<string | null> {
  return (await fs.stat(path)) === null ? null : new TextDecoder().decode(await fs.readFile(path));
}

/** The store's keys and values, read with the local store itself (the MetadataStore closed). */
async function kvEntries(fs: MemoryFileSystem): Promise<Map<string, Uint8Array>> {
  const kv = await LocalMetadataStore.open({ fs, dir: DIR, clock, random: createRandom(1) });
  try {
    return new Map((await kv.range('')).kvs.map((x) => [x.key, x.value]));
  } finally {
    await kv.close();
  }
}

/** Every topic has its partition keys (right id, this node), and no partition key lacks its topic. */
function expectPartitionKeysMatch(entries: ReadonlyMap<string, Uint8Array>, state: MetadataState, nodeId: number, where: string): void {
  const keys = new ClusterKeys(state.clusterId);
  const want = new Map<string, string>();
  for (const t of state.topics) for (let p = 0; p < t.partitions; p++) want.set(keys.partition(t.name, p), t.topicId);
  const have = [...entries.keys()].filter((k) => k.startsWith(keys.partitionsPrefix));
  expect({ where, keys: have.sort() }).toEqual({ where, keys: [...want.keys()].sort() });
  for (const k of have) {
    const r = decodePartitionRecord(entries.get(k)!);
    expect({ where, k, topicId: r.topicId, replicas: r.replicas, isr: r.isr, leader: r.leader }).toEqual({ where, k, topicId: want.get(k), replicas: [nodeId], isr: [nodeId], leader: nodeId });
  }
}

function manyTopics(count: number, partitions: number): TopicRecord[] {
  return Array.from({ length: count }, (_, i): TopicRecord => ({
    name: `t${String(i).padStart(3, '0')}`,
    topicId: `topicid${String(i).padStart(15, '0')}`,
    partitions,
    configs: i % 2 === 0 ? { 'retention.ms': String(1000 + i) } : ({} as Record<string, string>),
  }));
}

describe('MetadataStore: migration from samsa-metadata.json', () => {
  it('takes the state of a JSON written by the earlier code, keeps the JSON as .migrated, and lays the kv out as documented', async () => {
    const fs = await withJson();
    const store = await open(fs);
    expect(store.migratedFrom).toBe(JSON_PATH);
    expect(sorted(store.state)).toEqual(sorted(FIXTURE_STATE));
    await store.close();
    expect(await fs.stat(JSON_PATH)).toBeNull();
    expect(await textOf(fs, `${JSON_PATH}.migrated`)).toBe(LEGACY_METADATA_JSON);

    const entries = await kvEntries(fs);
    const keys = new ClusterKeys('JcNQmTS6ctUO-qWGbY0EyQ');
    const text = (key: string): unknown => JSON.parse(new TextDecoder().decode(entries.get(key)!));
    expect(text(LOCAL_META_KEY)).toEqual({ v: 1, clusterId: 'JcNQmTS6ctUO-qWGbY0EyQ' });
    expect(text(producerIdsKey(keys))).toEqual({ v: 1, blockEnd: 1000 });
    expect(decodeTopicRecord(entries.get(keys.topic('orders'))!)).toEqual({ name: 'orders', topicId: 'b8js_5S72A1jjeJL8JpSeg', partitionCount: 3 });
    expect(decodeConfigRecord(entries.get(keys.topicConfig('orders'))!).configs).toEqual({ 'retention.ms': '86400000', 'cleanup.policy': 'delete' });
    expect(entries.has(keys.topicConfig('plain_topic'))).toBe(false);
    expect(decodeConfigRecord(entries.get(keys.brokerConfig(1))!).configs).toEqual({ 'log.retention.ms': '604800000', 'message.max.bytes': '2000000' });
    expect(decodePartitionRecord(entries.get(keys.partition('plain_topic', 3))!)).toEqual({
      topicId: '5PHPDn8mlEuGOLMgzS0i-A',
      partition: 3,
      replicas: [1],
      isr: [1],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
    expectPartitionKeysMatch(entries, FIXTURE_STATE, 1, 'migrated');
    // Exactly these keys: meta, producer ids, 4 topics, 3 topic configs, 1 broker config, 12 partitions.
    expect(entries.size).toBe(1 + 1 + 4 + 3 + 1 + 12);
    expect([...entries.keys()].filter((k) => k !== LOCAL_META_KEY).every((k) => k.startsWith(keys.root))).toBe(true);
  });

  it('a reopen reads the kv alone (the JSON gone), with the same state; saves go on from there', async () => {
    const fs = await withJson();
    await (await open(fs)).close();
    const again = await open(fs, { whenMissing: () => Promise.reject(new Error('not missing')) });
    expect(again.migratedFrom).toBeNull();
    expect(sorted(again.state)).toEqual(sorted(FIXTURE_STATE));
    await again.save({ ...again.state, producerIdBlockEnd: 2000 });
    await again.close();
    const third = await open(fs);
    expect(third.state.producerIdBlockEnd).toBe(2000);
    await third.close();
    expect(await textOf(fs, `${JSON_PATH}.migrated`)).toBe(LEGACY_METADATA_JSON);
  });

  it('a complete kv beside the JSON (a migration stopped before the rename) wins, and the JSON is renamed then', async () => {
    const fs = await withJson();
    await (await open(fs)).close();
    await fs.rename(`${JSON_PATH}.migrated`, JSON_PATH);
    const store = await open(fs);
    expect(sorted(store.state)).toEqual(sorted(FIXTURE_STATE));
    await store.close();
    expect(await fs.stat(JSON_PATH)).toBeNull();
    expect(await textOf(fs, `${JSON_PATH}.migrated`)).toBe(LEGACY_METADATA_JSON);
  });

  it('never overwrites an earlier .migrated file', async () => {
    const fs = await withJson();
    await writeDurably(fs, `${JSON_PATH}.migrated`, 'an older one');
    await (await open(fs)).close();
    expect(await textOf(fs, `${JSON_PATH}.migrated`)).toBe('an older one');
    expect(await textOf(fs, `${JSON_PATH}.migrated.1`)).toBe(LEGACY_METADATA_JSON);
  });

  it('a corrupt JSON is refused naming it, and nothing is written', async () => {
    const fs = await withJson(LEGACY_METADATA_JSON.replace('"partitions": 3', '"partitions": 0'));
    const error = await open(fs).catch((e: unknown) => e);
    expect((error as Error).name).toBe('MetadataCorruptError');
    expect((error as Error).message).toContain(`${JSON_PATH} has a malformed topic entry`);
    expect(await fs.stat(KV_PATH)).toBeNull();
    expect(await fs.stat(JSON_PATH)).not.toBeNull();
  });
});

describe('MetadataStore: a crash at every step', () => {
  /**
   * Runs `step` on a copy of `base` whose n-th file-system operation fails (the process
   * stops there), crashes a copy of that disk (with and without torn unsynced writes) and
   * hands it to `check`; n = 1, 2, … until the step runs without reaching the fault.
   */
  async function atEveryOperation(base: MemoryFileSystem, step: (fs: MemoryFileSystem) => Promise<unknown>, check: (crashed: MemoryFileSystem, where: string) => Promise<void>): Promise<number> {
    for (let nth = 1; nth <= OPS_MAX; nth++) {
      const disk = base.clone();
      const before = opsDone(disk);
      disk.failOn({ op: 'any', nth, code: 'io' });
      await step(disk).catch(() => undefined);
      const reached = opsDone(disk) - before >= nth;
      disk.clearFaults();
      for (const tear of [undefined, { seed: nth }]) {
        const crashed = disk.clone();
        crashed.crash(tear === undefined ? {} : { tear });
        await check(crashed, `crash at operation ${nth}${tear ? ' (torn)' : ''}`);
      }
      if (!reached) return nth;
    }
    throw new Error(`the step still reached operation ${OPS_MAX}`);
  }

  it('during a migration: the next open has the JSON state, and the JSON is still there (.json or .json.migrated)', async () => {
    const base = await withJson();
    const steps = await atEveryOperation(
      base,
      async (fs) => (await open(fs)).close(),
      async (crashed, where) => {
        const store = await open(crashed, { whenMissing: () => Promise.reject(new Error(`${where}: the metadata looked missing`)) });
        expect({ where, state: sorted(store.state) }).toEqual({ where, state: sorted(FIXTURE_STATE) });
        await store.close();
        expect({ where, json: await textOf(crashed, JSON_PATH), migrated: await textOf(crashed, `${JSON_PATH}.migrated`) }).toEqual({ where, json: null, migrated: LEGACY_METADATA_JSON });
        expectPartitionKeysMatch(await kvEntries(crashed), FIXTURE_STATE, 1, where);
      },
    );
    expect(steps).toBeGreaterThan(10);
  });

  it('during a first write of several transactions (a rebuilt state): the next open has all of it or starts it again', async () => {
    const fs = new MemoryFileSystem({ clock });
    const topics = manyTopics(40, 8); // 40 topic keys, 20 config keys, 320 partition keys: 4 transactions and the meta key
    const rebuilt: InitialMetadata = { topics, producerIdBlockEnd: 77_000 };
    const want: MetadataState = { clusterId: 'fresh-cluster', producerIdBlockEnd: 77_000, topics, dynamicBrokerConfigs: {} };
    let calls = 0;
    await atEveryOperation(
      fs,
      async (disk) => (await open(disk, { whenMissing: async () => rebuilt })).close(),
      async (crashed, where) => {
        calls = 0;
        const store = await open(crashed, {
          whenMissing: async () => {
            calls++;
            return rebuilt;
          },
        });
        expect({ where, state: sorted(store.state) }).toEqual({ where, state: sorted(want) });
        await store.close();
        expectPartitionKeysMatch(await kvEntries(crashed), want, 1, where);
      },
    );
    expect(calls).toBe(0); // the last crash point is after the whole write: it is not started again
  });

  it('during a save of several transactions (a topic of 300 partitions, then its deletion): before or after, partition keys put right', async () => {
    const fs = await withJson();
    await (await open(fs)).close();
    const big: TopicRecord = { name: 'big', topicId: 'bigbigbigbigbigbigbigA', partitions: 300, configs: { 'retention.ms': '5000' } };
    const withBig: MetadataState = { ...FIXTURE_STATE, topics: [...FIXTURE_STATE.topics, big] };
    const checkOneOf = (states: readonly MetadataState[]) => async (crashed: MemoryFileSystem, where: string) => {
      // As the controller writes: a topic key always finds its partition keys, even before the reopen puts them right.
      const raw = await kvEntries(crashed);
      const keys = new ClusterKeys(FIXTURE_STATE.clusterId);
      for (const [key, value] of raw) {
        if (!key.startsWith(keys.topicsPrefix)) continue;
        const t = decodeTopicRecord(value);
        const missing = Array.from({ length: t.partitionCount }, (_, p) => keys.partition(t.name, p)).filter((k) => !raw.has(k));
        expect({ where, topic: t.name, missing }).toEqual({ where, topic: t.name, missing: [] });
      }
      const store = await open(crashed);
      const got = sorted(store.state);
      expect({ where, oneOf: states.some((s) => JSON.stringify(sorted(s)) === JSON.stringify(got)) }).toEqual({ where, oneOf: true });
      await store.close();
      expectPartitionKeysMatch(await kvEntries(crashed), got, 1, where);
    };
    await atEveryOperation(
      fs,
      async (disk) => {
        const store = await open(disk);
        try {
          await store.save({ ...store.state, topics: [...store.state.topics, big] });
        } finally {
          await store.close();
        }
      },
      checkOneOf([FIXTURE_STATE, withBig]),
    );
    const store = await open(fs);
    await store.save({ ...store.state, topics: [...store.state.topics, big] });
    await store.close();
    await atEveryOperation(
      fs,
      async (disk) => {
        const s = await open(disk);
        try {
          await s.save({ ...s.state, topics: s.state.topics.filter((t) => t.name !== 'big') });
        } finally {
          await s.close();
        }
      },
      checkOneOf([FIXTURE_STATE, withBig]),
    );
  });
});

describe('MetadataStore: refusals and failures', () => {
  it('a corrupt kv stops the open naming the file; neither it nor the JSON beside it is touched', async () => {
    const fs = await withJson();
    await writeDurably(fs, KV_PATH, 'samsa-metadata-store 1 00000000 5\n{"re');
    const error = await open(fs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalMetadataCorruptError);
    expect((error as Error).message).toContain(KV_PATH);
    expect(await textOf(fs, KV_PATH)).toBe('samsa-metadata-store 1 00000000 5\n{"re');
    expect(await textOf(fs, JSON_PATH)).toBe(LEGACY_METADATA_JSON);
  });

  it('a kv key outside the layout stops the open naming the file and the key', async () => {
    const fs = await withJson();
    await (await open(fs)).close();
    const kv = await LocalMetadataStore.open({ fs, dir: DIR, clock, random: createRandom(1) });
    await kv.put('/samsa/JcNQmTS6ctUO-qWGbY0EyQ/surprise', new Uint8Array([1]));
    await kv.close();
    const error = await open(fs).catch((e: unknown) => e);
    expect((error as Error).name).toBe('MetadataCorruptError');
    expect((error as Error).message).toContain(`${KV_PATH}: key /samsa/JcNQmTS6ctUO-qWGbY0EyQ/surprise: not a key of this layout`);
  });

  it('a save that fails before the file changed (full disk) reverts; the next save works and is what a reopen sees', async () => {
    const fs = await withJson();
    const store = await open(fs);
    fs.failOn({ op: 'write', nth: 1, code: 'no-space' });
    const failed = await store.saveOrRevert({ ...store.state, producerIdBlockEnd: 5000 }).catch((e: unknown) => e);
    expect((failed as { cause?: { code?: string } }).cause?.code).toBe('no-space');
    expect(store.state.producerIdBlockEnd).toBe(1000);
    await store.saveOrRevert({ ...store.state, producerIdBlockEnd: 6000 });
    await store.close();
    const again = await open(fs);
    expect(again.state.producerIdBlockEnd).toBe(6000);
    await again.close();
  });

  it('a save whose write failed after its rename is not reverted (it may be in the file); a reopen has it', async () => {
    const fs = await withJson();
    const store = await open(fs);
    // The journal's fsync fails and so does cutting the entry back off: it may be in the file.
    fs.failOn({ op: 'sync', nth: 1, code: 'io' });
    fs.failOn({ op: 'truncate', nth: 1, code: 'io' });
    const failed = await store.saveOrRevert({ ...store.state, producerIdBlockEnd: 5000 }).catch((e: unknown) => e);
    expect((failed as { code?: string }).code).toBe('unknown-outcome');
    expect(store.state.producerIdBlockEnd).toBe(5000);
    await store.close();
    const again = await open(fs);
    expect(again.state.producerIdBlockEnd).toBe(5000);
    await again.close();
  });

  it('close lets the saves already asked for finish; a save after it is refused', async () => {
    const fs = await withJson();
    const store = await open(fs);
    const queued = [store.save({ ...store.state, producerIdBlockEnd: 3000 }), store.save({ ...store.state, producerIdBlockEnd: 4000 })];
    await store.close();
    await Promise.all(queued);
    expect(await store.save({ ...store.state, producerIdBlockEnd: 9000 }).catch((e: unknown) => (e as { code?: string }).code)).toBe('unavailable');
    const again = await open(fs);
    expect(again.state.producerIdBlockEnd).toBe(4000);
    await again.close();
  });

  it('a changed node.id keeps the dynamic broker configs and rewrites the partition records for it', async () => {
    const fs = await withJson();
    await (await open(fs, { nodeId: 1 })).close();
    const moved = await open(fs, { nodeId: 7 });
    expect(moved.state.dynamicBrokerConfigs).toEqual(FIXTURE_STATE.dynamicBrokerConfigs);
    await moved.close();
    const entries = await kvEntries(fs);
    const keys = new ClusterKeys(FIXTURE_STATE.clusterId);
    expect(entries.has(keys.brokerConfig(1))).toBe(false);
    expect(decodeConfigRecord(entries.get(keys.brokerConfig(7))!).configs).toEqual(FIXTURE_STATE.dynamicBrokerConfigs);
    expectPartitionKeysMatch(entries, FIXTURE_STATE, 7, 'node.id 7');
  });
});
