// Data directories are interchangeable between the Node and the Deno broker: the Node
// broker writes (kcat -P), the Deno broker opens the same directory and serves exactly
// those records (kcat -C) and appends more, then the Node broker opens it again and serves
// all of them, offsets continuing. A kcat consumer group (-G) commits on one broker and
// resumes from those offsets on the other (__consumer_offsets crosses over too). Each broker is a child process stopped with SIGTERM (a
// clean shutdown: exit 0, the clean-shutdown marker written). Needs
// apps/broker-node/dist (turbo builds it before the tests) and /usr/bin/kcat.
import { afterAll, describe, expect, it } from 'vitest';
import { kcat, kcatReadAll, startBrokerChild } from './broker-process.ts';
import type { BrokerRuntime, Consumed } from './broker-process.ts';

const TOPIC = 'swap';
const PARTITIONS = 3;
const PER_ROUND = 300;
const GROUP = 'swap-group';

function linesFor(round: string): string {
  let text = '';
  for (let i = 0; i < PER_ROUND; i++) text += `k${i % 17}:${round}-${i}\n`;
  return text;
}

/** Consumes with kcat's balanced consumer in group GROUP to the end; offsets are committed on exit. */
async function groupRead(bootstrap: string): Promise<string[]> {
  const r = await kcat(['-b', bootstrap, '-G', GROUP, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\\n', TOPIC]);
  if (r.code !== 0) throw new Error(`kcat -G failed (${r.code}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).sort();
}

function valuesOf(round: string): string[] {
  return linesFor(round).trim().split('\n').map((l) => l.slice(l.indexOf(':') + 1)).sort();
}

async function produce(bootstrap: string, round: string): Promise<void> {
  const r = await kcat(['-P', '-b', bootstrap, '-t', TOPIC, '-K', ':', '-X', 'linger.ms=5'], linesFor(round));
  if (r.code !== 0) throw new Error(`kcat -P failed (${r.code}): ${r.stderr}`);
}

/** Per partition, offsets 0..n-1 with no gap, and the values of one key in produce order. */
function checkContiguous(records: readonly Consumed[]): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
    expect(offsets).toEqual(offsets.map((_, i) => i));
  }
}

/** `reopened`: the logs exist and were closed cleanly, so opening them must not rescan. */
async function withBroker<T>(runtime: BrokerRuntime, dataDir: string, reopened: boolean, body: (bootstrap: string) => Promise<T>): Promise<T> {
  const broker = await startBrokerChild(runtime, dataDir, ['--override', `num.partitions=${PARTITIONS}`, '--log-level', 'info']);
  try {
    return await body(broker.bootstrap);
  } finally {
    const code = await broker.stop();
    if (code !== 0) throw new Error(`${runtime} broker exited ${code}:\n${broker.output()}`);
    if (reopened) expect(broker.output()).not.toContain('unclean shutdown');
  }
}

describe('data directory interchange: Node ⇄ Deno', () => {
  let dataDir = '';
  afterAll(async () => {
    if (dataDir !== '') await Deno.remove(dataDir, { recursive: true });
  });

  it('Node writes, Deno reads and writes, Node reads everything', async () => {
    dataDir = await Deno.makeTempDir({ prefix: 'samsa-swap-' });
    await withBroker('node', dataDir, false, async (bootstrap) => {
      const created = await kcat(['-L', '-b', bootstrap, '-t', TOPIC]); // auto-creates with num.partitions
      expect(created.code).toBe(0);
      await produce(bootstrap, 'node');
      expect((await kcatReadAll(bootstrap, TOPIC)).length).toBe(PER_ROUND);
      expect(await groupRead(bootstrap)).toEqual(valuesOf('node'));
    });
    // Clean shutdown: the LogManager's per-log-dir marker (Kafka's name).
    expect((await Deno.stat(`${dataDir}/.kafka_cleanshutdown`)).isFile).toBe(true);

    const written = await withBroker('deno', dataDir, true, async (bootstrap) => {
      const before = await kcatReadAll(bootstrap, TOPIC);
      expect(before.map((r) => r.value).sort()).toEqual(valuesOf('node'));
      checkContiguous(before);
      expect(await groupRead(bootstrap)).toEqual([]); // the group's offsets, committed on Node, are there
      await produce(bootstrap, 'deno');
      const after = await kcatReadAll(bootstrap, TOPIC);
      expect(after.length).toBe(2 * PER_ROUND);
      checkContiguous(after);
      return after;
    });

    await withBroker('node', dataDir, true, async (bootstrap) => {
      const all = await kcatReadAll(bootstrap, TOPIC);
      expect(all).toEqual(written);
      expect(all.filter((r) => r.value.startsWith('deno-')).length).toBe(PER_ROUND);
      expect(await groupRead(bootstrap)).toEqual(valuesOf('deno')); // resumes where Deno's broker left the group
      // Same key, same partition, across both brokers (the partitioner is the client's).
      const partitionOfKey = new Map<string, number>();
      for (const r of all) {
        expect(partitionOfKey.get(r.key) ?? r.partition).toBe(r.partition);
        partitionOfKey.set(r.key, r.partition);
      }
    });
  });
});
