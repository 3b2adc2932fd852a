/**
 * Property test: a broker's image, kept by a watch, converges to the store's state.
 *
 * A follower loads the cluster prefix once (`range` + `ClusterImage.load`) and then only
 * applies watch batches, the way every broker keeps its view. The store is a
 * SimulatedMetadataStore whose watches drop at random (the follower resumes from its
 * image's revision + 1) and which is compacted at random points (a resumed watch then
 * fails `CompactedError`, and the follower re-reads the prefix). Random writes go in
 * between: registrations with and without leases, topic, partition and config records,
 * malformed values, deletes, delete-prefix transactions, lease expiry, and writes outside
 * the cluster's prefix (revisions without a batch).
 *
 * After every catch-up (until the image has seen a sentinel write made last), the
 * follower's image must equal a fresh load of the store: same controller key, brokers,
 * topics, partitions, configs and malformed-key count of what is present. Catching up
 * also checks that batches arrive in increasing revision order and that applying a
 * re-delivered batch changes nothing.
 *
 * Planted bug it catches: an image that ignores delete events of topic keys (found in 13
 * runs, counterexample: create topic, delete-prefix txn, catch up).
 *
 * Reproduce a failure: FC_SEED=<seed> npx vitest run src/controller/cluster-image.prop.test.ts
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { CompactedError, MetadataStoreError, type WatchBatch } from '../metadata/metadata-store.ts';
import { SimulatedMetadataStore } from '../metadata/simulated/index.ts';
import { ClusterImage } from './cluster-image.ts';
import { ClusterKeys } from './cluster-keys.ts';
import { encodeBrokerRegistration, encodeConfigRecord, encodeControllerRecord, encodePartitionRecord, encodeTopicRecord } from './cluster-records.ts';

const keys = new ClusterKeys('prop');
const topicIds = ['AAAAAAAAAAAAAAAAAAAAAQ', 'AAAAAAAAAAAAAAAAAAAAAg'];
const names = ['a', 'b'];

type Op =
  | { t: 'broker'; id: number; leased: boolean }
  | { t: 'controller'; id: number }
  | { t: 'topic'; name: string; idIndex: number; count: number }
  | { t: 'partition'; name: string; p: number; idIndex: number; leader: number; epoch: number }
  | { t: 'config'; name: string; value: string }
  | { t: 'brokerConfig'; id: number; value: string }
  | { t: 'malformed'; name: string }
  | { t: 'delete'; name: string }
  | { t: 'deleteTopic'; name: string }
  | { t: 'expire' }
  | { t: 'outside' }
  | { t: 'compact' }
  | { t: 'catchUp' };

const name = fc.constantFrom(...names);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('broker' as const), id: fc.integer({ min: 1, max: 3 }), leased: fc.boolean() }),
  fc.record({ t: fc.constant('controller' as const), id: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('topic' as const), name, idIndex: fc.integer({ min: 0, max: 1 }), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('partition' as const), name, p: fc.integer({ min: 0, max: 2 }), idIndex: fc.integer({ min: 0, max: 1 }), leader: fc.integer({ min: 1, max: 3 }), epoch: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ t: fc.constant('config' as const), name, value: fc.constantFrom('1', '2', '3') }),
  fc.record({ t: fc.constant('brokerConfig' as const), id: fc.integer({ min: 1, max: 3 }), value: fc.constantFrom('x', 'y') }),
  fc.record({ t: fc.constant('malformed' as const), name }),
  fc.record({ t: fc.constant('delete' as const), name }),
  fc.record({ t: fc.constant('deleteTopic' as const), name }),
  fc.constant({ t: 'expire' as const }),
  fc.constant({ t: 'outside' as const }),
  fc.constant({ t: 'compact' as const }),
  { arbitrary: fc.constant({ t: 'catchUp' as const }), weight: 2 },
);

/** The image as plain data, revision aside (a fresh load's revision may be later: writes outside the prefix). */
function shape(image: ClusterImage): unknown {
  const sorted = <K, V>(m: Map<K, V>) => [...m.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return {
    controller: image.controller && { key: image.controller.key, value: [...image.controller.value], createRevision: image.controller.createRevision, modRevision: image.controller.modRevision },
    brokers: sorted(image.brokers),
    topics: sorted(image.topics),
    partitions: sorted(image.partitions),
    topicConfigs: sorted(image.topicConfigs),
    brokerConfigs: sorted(image.brokerConfigs),
  };
}

class Follower {
  readonly image = new ClusterImage(keys);
  private iterator: AsyncIterator<WatchBatch> | null = null;
  private abort = new AbortController();
  reloads = 0;
  resumes = 0;

  private readonly store: SimulatedMetadataStore;

  constructor(store: SimulatedMetadataStore) {
    this.store = store;
  }

  async load(): Promise<void> {
    const range = await this.store.range(keys.root);
    this.image.load(range.kvs, range.revision);
    this.reloads += 1;
    this.restartWatch();
  }

  private restartWatch(): void {
    this.abort.abort();
    this.abort = new AbortController();
    this.iterator = this.store.watch(keys.root, this.image.revision + 1, this.abort.signal)[Symbol.asyncIterator]();
  }

  /** Applies batches until the image has seen `revision` (a write under the prefix). */
  async catchUp(revision: number): Promise<void> {
    for (let attempts = 0; this.image.revision < revision; attempts++) {
      if (attempts > 10_000) throw new Error('the follower does not converge');
      try {
        const next = await this.iterator!.next();
        if (next.done) throw new MetadataStoreError('unavailable', 'watch ended');
        const before = this.image.revision;
        expect(next.value.revision).toBeGreaterThan(before);
        expect(this.image.apply(next.value)).toBe(true);
        // A re-delivered batch changes nothing.
        const after = JSON.stringify(shape(this.image));
        expect(this.image.apply(next.value)).toBe(false);
        expect(JSON.stringify(shape(this.image))).toBe(after);
      } catch (error) {
        if (error instanceof CompactedError) await this.load();
        else if (error instanceof MetadataStoreError && error.code === 'unavailable') {
          this.resumes += 1;
          this.restartWatch();
        } else throw error;
      }
    }
  }

  close(): void {
    this.abort.abort();
  }
}

async function run(ops: readonly Op[], seed: number): Promise<{ reloads: number; resumes: number }> {
  const clock = new ManualClock();
  const store = new SimulatedMetadataStore({ clock, random: createRandom(seed), faults: { watchDropProbability: 0.2 } });
  let lease = await store.grantLease(10_000);
  const follower = new Follower(store);
  await follower.load();
  let sentinel = 0;
  const catchUp = async (): Promise<void> => {
    const revision = await store.put(`${keys.root}zz-sentinel`, new Uint8Array([sentinel++ & 0xff]));
    await follower.catchUp(revision);
    const fresh = new ClusterImage(keys);
    fresh.load(store.snapshot().kvs, store.revision);
    expect(shape(follower.image)).toEqual(shape(fresh));
    expect(follower.image.malformedKeys).toBeGreaterThanOrEqual(0);
  };
  try {
    for (const o of ops) {
      switch (o.t) {
        case 'broker':
          await store.put(keys.broker(o.id), encodeBrokerRegistration({ brokerId: o.id, host: 'h', port: 9000 + o.id, rack: null, incarnation: `i${sentinel}` }), o.leased ? { lease: lease.id } : undefined);
          break;
        case 'controller':
          await store.put(keys.controller, encodeControllerRecord({ brokerId: o.id, incarnation: `c${sentinel}` }), { lease: lease.id });
          break;
        case 'topic':
          await store.put(keys.topic(o.name), encodeTopicRecord({ name: o.name, topicId: topicIds[o.idIndex]!, partitionCount: o.count }));
          break;
        case 'partition':
          await store.put(keys.partition(o.name, o.p), encodePartitionRecord({ topicId: topicIds[o.idIndex]!, partition: o.p, replicas: [1, 2, 3], isr: [o.leader], leader: o.leader, leaderEpoch: o.epoch, partitionEpoch: o.epoch }));
          break;
        case 'config':
          await store.put(keys.topicConfig(o.name), encodeConfigRecord({ configs: { 'retention.ms': o.value } }));
          break;
        case 'brokerConfig':
          await store.put(keys.brokerConfig(o.id), encodeConfigRecord({ configs: { 'log.cleaner.threads': o.value } }));
          break;
        case 'malformed':
          await store.put(keys.topic(o.name), new TextEncoder().encode('{"v":1,"name":'));
          break;
        case 'delete':
          await store.delete(keys.topic(o.name));
          break;
        case 'deleteTopic':
          await store.txn({ compare: [], success: [{ type: 'delete', key: keys.topic(o.name) }, { type: 'delete-prefix', prefix: keys.topicPartitionsPrefix(o.name) }, { type: 'delete', key: keys.topicConfig(o.name) }] });
          break;
        case 'expire':
          store.expireLease(lease.id);
          lease = await store.grantLease(10_000);
          break;
        case 'outside':
          await store.put('/elsewhere/key', new Uint8Array([1]));
          break;
        case 'compact':
          store.compact(store.revision);
          break;
        case 'catchUp':
          await catchUp();
          break;
      }
    }
    await catchUp();
    return { reloads: follower.reloads, resumes: follower.resumes };
  } finally {
    follower.close();
    await store.close();
  }
}

describe('ClusterImage kept by a watch', () => {
  it('converges to a fresh load of the store despite watch drops and compaction', async () => {
    let reloads = 0;
    let resumes = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer(), async (ops, seed) => {
        const r = await run(ops, seed);
        reloads += r.reloads;
        resumes += r.resumes;
      }),
      { numRuns: 150 },
    );
    // The faults did happen: watches dropped and compaction forced re-reads.
    expect(resumes).toBeGreaterThan(0);
    expect(reloads).toBeGreaterThan(150);
  });
});
