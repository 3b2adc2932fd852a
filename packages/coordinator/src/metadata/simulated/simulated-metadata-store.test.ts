/**
 * The simulated store: the MetadataStore contract, then what only it has — its bounds,
 * the injected faults (each forced by a hook, and drawn from the seeded Random) and
 * determinism (one seed, one run).
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { metadataStoreContract, takeBatches } from '../testing/store-contract.ts';
import { SimulatedMetadataStore, type SimulatedMetadataStoreOptions } from './simulated-metadata-store.ts';
import type { WatchBatch } from '../metadata-store.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function make(options: Partial<SimulatedMetadataStoreOptions> = {}): { store: SimulatedMetadataStore; clock: ManualClock } {
  const clock = new ManualClock();
  return { clock, store: new SimulatedMetadataStore({ clock, random: createRandom(1), ...options }) };
}

metadataStoreContract({
  name: 'simulated',
  create: async () => {
    const { store, clock } = make();
    return {
      store,
      prefix: 'contract/',
      waitForExpiry: async (lease) => clock.advance(lease.ttlMs),
      compact: async (revision) => store.compact(revision),
      close: () => store.close(),
    };
  },
});

describe('SimulatedMetadataStore', () => {
  it('rounds lease TTLs up to whole seconds and expires them on the clock, not before', async () => {
    const { store, clock } = make();
    const lease = await store.grantLease(1_200);
    expect(lease.ttlMs).toBe(2_000);
    await store.put('k', bytes('v'), { lease: lease.id });
    clock.advance(1_999);
    expect(await store.get('k')).not.toBeNull();
    expect(await store.keepAlive(lease.id)).toBe(2_000); // renewed at 1999: due at 3999
    clock.advance(1_999);
    expect(await store.get('k')).not.toBeNull();
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
  });

  it('refuses a transaction that puts a key twice or puts a key it deletes, and changes nothing', async () => {
    const { store } = make();
    const r = await store.put('a', bytes('0'));
    await expect(store.txn({ compare: [], success: [{ type: 'put', key: 'b', value: bytes('1') }, { type: 'put', key: 'b', value: bytes('2') }] })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(store.txn({ compare: [], success: [{ type: 'put', key: 'a/x', value: bytes('1') }, { type: 'delete-prefix', prefix: 'a/' }] })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(store.txn({ compare: [], success: [{ type: 'put', key: 'c', value: bytes('1') }, { type: 'put', key: 'd', value: bytes('1'), lease: 'nope' }] })).rejects.toMatchObject({ code: 'lease-not-found' });
    expect(store.snapshot()).toMatchObject({ revision: r, kvs: [{ key: 'a' }] });
  });

  it('refuses a request larger than etcd accepts (ops, bytes), and changes nothing', async () => {
    const { store } = make();
    const puts = (n: number): { type: 'put'; key: string; value: Uint8Array }[] => Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value: bytes('v') }));
    expect((await store.txn({ compare: [], success: puts(128) })).revision).toBe(2);
    await expect(store.txn({ compare: [], success: puts(129) })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(store.put('big', new Uint8Array(1.5 * 1024 * 1024))).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(store.revision).toBe(2);
  });

  it('auto-compacts past historyRevisionsMax', async () => {
    const { store } = make({ historyRevisionsMax: 3 });
    for (let i = 0; i < 6; i++) await store.put('k', bytes(String(i)));
    expect(store.revision).toBe(7);
    expect(store.snapshot().compactRevision).toBe(5);
    await expect(takeBatches(store, '', 4, 1)).rejects.toMatchObject({ code: 'compacted', compactRevision: 5 });
    expect((await takeBatches(store, '', 5, 3)).map((b) => b.revision)).toEqual([5, 6, 7]);
  });

  it('fails a watch whose consumer falls more than watchBufferedBatchesMax batches behind', async () => {
    const { store } = make({ watchBufferedBatchesMax: 2 });
    const ac = new AbortController();
    const it = store.watch('', store.revision + 1, ac.signal)[Symbol.asyncIterator]();
    const first = it.next();
    for (let i = 0; i < 4; i++) await store.put('k', bytes(String(i)));
    expect(((await first).value as WatchBatch).revision).toBe(2);
    await expect(it.next()).rejects.toMatchObject({ code: 'unavailable' });
    ac.abort();
  });

  it('a watch nobody reads frees its slot when it overflows or its signal aborts', async () => {
    const { store } = make({ watchesMax: 1, watchBufferedBatchesMax: 1 });
    store.watch('', 2, new AbortController().signal); // never iterated
    await expect(takeBatches(store, '', 1, 1)).rejects.toMatchObject({ code: 'unavailable' }); // full
    await store.put('a', bytes('1'));
    await store.put('a', bytes('2')); // the unread watch overflows
    const ac = new AbortController();
    store.watch('', 2, ac.signal); // never iterated either
    ac.abort();
    expect((await takeBatches(store, '', 2, 2)).map((b) => b.revision)).toEqual([2, 3]);
  });

  it('a closed store refuses requests and ends its watches', async () => {
    const { store } = make();
    const watching = takeBatches(store, '', 1, 1);
    await store.close();
    await expect(watching).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.get('k')).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('SimulatedMetadataStore faults', () => {
  it('unknown outcome: the write is applied in full, or not at all, and the caller cannot tell', async () => {
    const { store } = make();
    const base = await store.put('a', bytes('0'));
    const txn = { compare: [], success: [{ type: 'put' as const, key: 'a', value: bytes('1') }, { type: 'put' as const, key: 'b', value: bytes('1') }] };
    store.faults.armUnknownOutcome(true);
    await expect(store.txn(txn)).rejects.toMatchObject({ name: 'MetadataStoreError', code: 'unknown-outcome' });
    expect(store.snapshot()).toMatchObject({ revision: base + 1, kvs: [{ key: 'a', version: 2 }, { key: 'b', version: 1 }] });
    store.faults.armUnknownOutcome(false);
    await expect(store.txn(txn)).rejects.toMatchObject({ code: 'unknown-outcome' });
    expect(store.snapshot()).toMatchObject({ revision: base + 1, kvs: [{ key: 'a', version: 2 }, { key: 'b', version: 1 }] });
  });

  it('unavailable: refused, nothing applied, the next request goes through', async () => {
    const { store } = make();
    store.faults.armUnavailable(2);
    await expect(store.put('a', bytes('x'))).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.get('a')).rejects.toMatchObject({ code: 'unavailable' });
    expect(store.revision).toBe(1);
    expect(await store.put('a', bytes('x'))).toBe(2);
  });

  it('early lease expiry: keepAlive finds the lease gone and its keys deleted in one revision', async () => {
    const { store } = make({ faults: { leaseEarlyExpiryProbability: 1 } });
    const lease = await store.grantLease(10_000);
    const r = await store.put('l/1', bytes('1'), { lease: lease.id });
    await store.put('l/2', bytes('2'), { lease: lease.id });
    await expect(store.keepAlive(lease.id)).rejects.toMatchObject({ code: 'lease-not-found' });
    expect(store.snapshot()).toMatchObject({ revision: r + 2, kvs: [], leases: [] });
    const lease2 = await store.grantLease(10_000);
    store.expireLease(lease2.id);
    expect(store.snapshot().leases).toEqual([]);
  });

  it('watch drop: the iterator fails unavailable after a batch; resuming from its revision + 1 loses nothing', async () => {
    const { store } = make();
    for (let i = 0; i < 3; i++) await store.put(`k${i}`, bytes(String(i)));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const b of store.watch('', 2, new AbortController().signal)) {
          seen.push(b.revision);
          store.dropWatches();
        }
      })(),
    ).rejects.toMatchObject({ code: 'unavailable' });
    expect(seen).toEqual([2]);
    seen.push(...(await takeBatches(store, '', 3, 2)).map((b) => b.revision));
    expect(seen).toEqual([2, 3, 4]);
  });

  it('slow responses: the answer waits on the clock; the effect is immediate', async () => {
    const { store, clock } = make();
    store.faults.setResponseDelayMs(500);
    let answered = false;
    const put = store.put('k', bytes('v')).then((r) => ((answered = true), r));
    expect(store.snapshot().kvs).toHaveLength(1);
    await clock.advanceAsync(499);
    expect(answered).toBe(false);
    await clock.advanceAsync(1);
    expect(await put).toBe(2);
  });

  it('random faults are deterministic for a seed and all happen', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const clock = new ManualClock();
      const store = new SimulatedMetadataStore({
        clock,
        random: createRandom(seed),
        faults: { unavailableProbability: 0.2, unknownOutcomeProbability: 0.3, leaseEarlyExpiryProbability: 0.2 },
      });
      const log: string[] = [];
      const lease = await store.grantLease(5_000).catch(() => null);
      for (let i = 0; i < 60; i++) {
        const r = await store.put(`k${i % 5}`, bytes(String(i))).then(String, (e: { code: string }) => e.code);
        const k = lease ? await store.keepAlive(lease.id).then(String, (e: { code: string }) => e.code) : '-';
        log.push(`${r}/${k}/${store.revision}`);
      }
      return log;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    const all = a.join(' ');
    for (const code of ['unavailable', 'unknown-outcome', 'lease-not-found']) expect(all).toContain(code);
    expect(await run(43)).not.toEqual(a);
  });
});
