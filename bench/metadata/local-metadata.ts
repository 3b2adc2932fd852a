/**
 * The single broker's metadata store on a real disk (Node, fsync on), with 1,000 topics ×
 * 10 partitions in it: what a CreateTopics and a producer-id block save cost, how long the
 * store takes to open, and how large its files are.
 *
 * - `broker MetadataStore`: @samsa/broker's store (the path CreateTopics takes: a save of
 *   the state with one more topic; a producer-id block: a save with a new block end), on
 *   the local metadata store with its defaults (journal, format 2).
 * - `LocalMetadataStore, journal`: the same writes as the broker lays them out (a
 *   transaction of the 10 partition keys, then one of the topic key; one put of the
 *   producer-ids key) straight on the store, with its defaults.
 * - `LocalMetadataStore, snapshot per write`: the same with `journalBytesMin` and
 *   `journalSnapshotRatio` 0, so every disk write rewrites the whole snapshot (temp file,
 *   fsync, rename, directory fsync): what format 1 did for every write. The baseline.
 * - `range`: one topic's partition keys through `range(prefix)` (a binary search in the
 *   sorted keys), vs filtering and sorting every key per call as the store did before.
 * - `floor`: appending the change's bytes to a file and fsyncing it (what no store can beat).
 *
 * Open time is the median of three opens after a warm-up one (each reads the snapshot,
 * replays the journal and syncs the files); the seeded store is the same for both
 * LocalMetadataStore lines, so their open times differ only by noise. The disk is shared:
 * compare figures of one run, not across runs.
 *
 * Run: npm run bench -- local-metadata   (LOCAL_METADATA_TOPICS to change the 1,000)
 */
import { mkdtemp, rm, cp, stat, open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMetadataStore } from '@samsa/coordinator';
import type { TxnOp } from '@samsa/coordinator';
import { MetadataStore } from '@samsa/broker';
import { nodeRuntime } from '@samsa/runtime/node';

const TOPICS = Number(process.env['LOCAL_METADATA_TOPICS'] ?? 1000);
const PARTITIONS = 10;
const SAMPLES = 40;
const root = '/samsa/bench-cluster/';
const runtime = nodeRuntime({ seed: 1 });
const enc = new TextEncoder();

function topicOps(name: string, i: number): { partitions: TxnOp[]; topic: TxnOp } {
  const topicId = `AAAAAAAAAAAAAAAA${String(i).padStart(6, '0')}`;
  const partitions = Array.from({ length: PARTITIONS }, (_, p): TxnOp => ({
    type: 'put',
    key: `${root}partitions/${name}/${String(p).padStart(10, '0')}`,
    value: enc.encode(JSON.stringify({ v: 1, topicId, partition: p, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 })),
  }));
  return { partitions, topic: { type: 'put', key: `${root}topics/${name}`, value: enc.encode(JSON.stringify({ v: 1, name, topicId, partitionCount: PARTITIONS })) } };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await op(i);
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.size ?? 0;
}

function line(name: string, r: { create: { p50: number; p99: number }; pid: { p50: number; p99: number }; openMs: number; snapshotBytes: number; journalBytes: number }): void {
  const f = (x: number): string => x.toFixed(2).padStart(7);
  console.log(
    `${name.padEnd(40)} CreateTopics p50 ${f(r.create.p50)} ms p99 ${f(r.create.p99)} ms | producer-id save p50 ${f(r.pid.p50)} ms p99 ${f(r.pid.p99)} ms | open ${f(r.openMs)} ms | snapshot ${(r.snapshotBytes / 1e6).toFixed(2)} MB, journal ${(r.journalBytes / 1e3).toFixed(1)} kB`,
  );
}

/** One topic's partitions (10 keys of ~11,000) through the store's range, vs the per-call filter + sort of every key the store did before. */
async function rangeFigures(store: LocalMetadataStore): Promise<void> {
  const prefix = `${root}partitions/topic-${Math.floor(TOPICS / 2)}/`;
  const all = (await store.range('')).kvs.map((kv) => kv.key);
  const ROUNDS = 200;
  const subject = await timed(ROUNDS, () => store.range(prefix));
  const baseline = await timed(ROUNDS, async () => all.filter((k) => k.startsWith(prefix)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  console.log(`${'range of one topic\'s partitions'.padEnd(40)} p50 ${subject.p50.toFixed(3)} ms   vs filter + sort of all ${all.length} keys p50 ${baseline.p50.toFixed(3)} ms`);
}

const work = await mkdtemp(join(tmpdir(), 'samsa-bench-metadata-'));
try {
  // The populated store, written once (in transactions of 100 keys) and copied for each run.
  const seeded = join(work, 'seeded');
  {
    const store = await LocalMetadataStore.open({ fs: runtime.fs, dir: seeded, clock: runtime.clock, random: runtime.random });
    let batch: TxnOp[] = [];
    for (let i = 0; i < TOPICS; i++) {
      const { partitions, topic } = topicOps(`topic-${i}`, i);
      batch.push(...partitions, topic);
      if (batch.length >= 100) {
        await store.txn({ compare: [], success: batch });
        batch = [];
      }
    }
    if (batch.length > 0) await store.txn({ compare: [], success: batch });
    await store.close();
  }

  for (const [name, options] of [
    ['LocalMetadataStore, journal', {}],
    ['LocalMetadataStore, snapshot per write', { journalBytesMin: 0, journalSnapshotRatio: 0 }],
  ] as const) {
    const dir = join(work, name.replace(/\W+/g, '-'));
    await cp(seeded, dir, { recursive: true });
    const openStore = (): Promise<LocalMetadataStore> => LocalMetadataStore.open({ fs: runtime.fs, dir, clock: runtime.clock, random: runtime.random, ...options });
    await (await openStore()).close(); // warm-up (JIT), not counted
    const opens = await timed(3, async () => (await openStore()).close());
    const openMs = opens.p50;
    const store = await openStore();
    const create = await timed(SAMPLES, async (i) => {
      const { partitions, topic } = topicOps(`new-${i}`, TOPICS + i);
      await store.txn({ compare: [], success: partitions });
      await store.txn({ compare: [], success: [topic] });
    });
    const pid = await timed(SAMPLES, (i) => store.put(`${root}producer-ids`, enc.encode(JSON.stringify({ v: 1, blockEnd: (i + 1) * 1000 }))));
    if (name === 'LocalMetadataStore, journal') await rangeFigures(store);
    await store.close();
    line(name, { create, pid, openMs, snapshotBytes: await sizeOf(join(dir, 'samsa-metadata.kv')), journalBytes: await sizeOf(join(dir, 'samsa-metadata.kv.log')) });
  }

  {
    // The broker's own store: a new data dir whose first state holds the topics, then saves.
    const dir = join(work, 'broker');
    const topics = Array.from({ length: TOPICS }, (_, i) => ({ name: `topic-${i}`, topicId: `AAAAAAAAAAAAAAAA${String(i).padStart(6, '0')}`, partitions: PARTITIONS, configs: {} }));
    const options = { fs: runtime.fs, dir, clock: runtime.clock, random: runtime.random, nodeId: 1, newClusterId: () => 'bench-cluster', whenMissing: async () => ({ topics, producerIdBlockEnd: 0 }) };
    await (await MetadataStore.open(options)).close();
    const openMs = (await timed(3, async () => (await MetadataStore.open(options)).close())).p50;
    const store = await MetadataStore.open(options);
    const create = await timed(SAMPLES, (i) =>
      store.save({ ...store.state, topics: [...store.state.topics, { name: `new-${i}`, topicId: `BBBBBBBBBBBBBBBB${String(i).padStart(6, '0')}`, partitions: PARTITIONS, configs: {} }] }),
    );
    const pid = await timed(SAMPLES, () => store.save({ ...store.state, producerIdBlockEnd: store.state.producerIdBlockEnd + 1000 }));
    await store.close();
    line('broker MetadataStore (journal)', { create, pid, openMs, snapshotBytes: await sizeOf(join(dir, 'samsa-metadata.kv')), journalBytes: await sizeOf(join(dir, 'samsa-metadata.kv.log')) });
  }

  {
    // The floor: the change's bytes appended to a file and fsynced.
    const change = enc.encode('x'.repeat(11 * 180));
    const file = await openFile(join(work, 'floor'), 'a');
    const append = await timed(SAMPLES, async () => {
      await file.write(change);
      await file.datasync();
    });
    await file.close();
    console.log(`${'floor: append + fdatasync of ~2 kB'.padEnd(40)} p50 ${append.p50.toFixed(2)} ms p99 ${append.p99.toFixed(2)} ms`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
