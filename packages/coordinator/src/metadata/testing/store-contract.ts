/**
 * The MetadataStore contract: one vitest suite every implementation must pass (the
 * simulated store, the local store, and the etcd store against a real etcd 3.4).
 *
 * It only checks behaviour etcd 3.4 itself has, and nothing about absolute revisions: a
 * fresh etcd starts at 1, a shared one anywhere. Each test works under the fixture's own
 * `prefix` and assumes nobody else writes to the store while it runs (revisions are
 * compared with `+ 1`). Only the lease-expiry test depends on a TTL passing; it asks the
 * fixture to `waitForExpiry` (the simulated store moves its clock, a real etcd waits real
 * seconds), so keep that one test short and the rest independent of time.
 *
 * Usage, in a `*.test.ts`:
 *   metadataStoreContract({ name: 'simulated', create: async () => ({ store, prefix, waitForExpiry, compact, close }) });
 */

import { describe, expect, it } from 'vitest';
import { CompactedError } from '../metadata-store.ts';
import type { Compare, Lease, MetadataStore, WatchBatch } from '../metadata-store.ts';

export interface StoreContractFixture {
  readonly store: MetadataStore;
  /** Every key a test writes starts with it (one key, just outside it, is written too); ends with "/". A fresh one per fixture isolates tests on a shared store. */
  readonly prefix: string;
  /** Resolves once `lease` has expired and the store has deleted its keys. */
  waitForExpiry(lease: Lease): Promise<void>;
  /** Compacts the store's history below `revision` (etcd: POST /v3/kv/compaction). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export interface StoreContractOptions {
  readonly name: string;
  create(): Promise<StoreContractFixture>;
  /** Per-test timeout; a real etcd's lease expiry needs several seconds. Default 30_000. */
  readonly timeoutMs?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => dec.decode(b);

/** The first `count` batches of a watch, then the watch is cancelled. */
export async function takeBatches(store: MetadataStore, prefix: string, fromRevision: number, count: number): Promise<WatchBatch[]> {
  const ac = new AbortController();
  const out: WatchBatch[] = [];
  try {
    for await (const batch of store.watch(prefix, fromRevision, ac.signal)) {
      out.push(batch);
      if (out.length >= count) break;
    }
  } finally {
    ac.abort();
  }
  return out;
}

/** A batch as plain data: [type, key, value] per event. */
const shape = (b: WatchBatch): { revision: number; events: [string, string, string][] } => ({
  revision: b.revision,
  events: b.events.map((e) => [e.type, e.kv.key, text(e.kv.value)]),
});

export function metadataStoreContract(options: StoreContractOptions): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const test = (name: string, body: (f: StoreContractFixture) => Promise<void>): void => {
    it(
      name,
      async () => {
        const fixture = await options.create();
        try {
          await body(fixture);
        } finally {
          await fixture.close();
        }
      },
      timeoutMs,
    );
  };

  describe(`MetadataStore contract: ${options.name}`, () => {
    test('put and get: one revision per put, create/mod revision and version', async ({ store, prefix }) => {
      const k = `${prefix}a`;
      const r1 = await store.put(k, bytes('one'));
      expect(await store.get(k)).toMatchObject({ key: k, createRevision: r1, modRevision: r1, version: 1, lease: null });
      expect(text((await store.get(k))!.value)).toBe('one');
      const r2 = await store.put(k, bytes('two'));
      expect(r2).toBe(r1 + 1);
      expect(await store.get(k)).toMatchObject({ createRevision: r1, modRevision: r2, version: 2 });
      expect((await store.range(prefix)).revision).toBe(r2);
      expect(await store.get(`${prefix}missing`)).toBeNull();
    });

    test('delete: one revision when a key goes, none when it was missing; a re-created key starts over', async ({ store, prefix }) => {
      const k = `${prefix}a`;
      const r1 = await store.put(k, bytes('v'));
      expect(await store.delete(`${prefix}missing`)).toBe(0);
      expect((await store.range(prefix)).revision).toBe(r1);
      expect(await store.delete(k)).toBe(1);
      expect((await store.range(prefix)).revision).toBe(r1 + 1);
      expect(await store.get(k)).toBeNull();
      const r3 = await store.put(k, bytes('again'));
      expect(r3).toBe(r1 + 2);
      expect(await store.get(k)).toMatchObject({ createRevision: r3, modRevision: r3, version: 1 });
    });

    test('range: keys under the prefix only, ascending, limit and more', async ({ store, prefix }) => {
      for (const k of ['c', 'a', 'b/2', 'b/1']) await store.put(`${prefix}${k}`, bytes(k));
      await store.put(`${prefix.slice(0, -1)}~outside`, bytes('x'));
      const all = await store.range(prefix);
      expect(all.kvs.map((kv) => kv.key)).toEqual(['a', 'b/1', 'b/2', 'c'].map((k) => `${prefix}${k}`));
      expect(all.more).toBe(false);
      const sub = await store.range(`${prefix}b/`);
      expect(sub.kvs.map((kv) => text(kv.value))).toEqual(['b/1', 'b/2']);
      const limited = await store.range(prefix, { limit: 3 });
      expect(limited.kvs.map((kv) => kv.key)).toEqual(['a', 'b/1', 'b/2'].map((k) => `${prefix}${k}`));
      expect(limited.more).toBe(true);
      expect(limited.revision).toBe(all.revision);
    });

    test('txn: every compare target and op picks the success or the failure branch', async ({ store, prefix }) => {
      const k = `${prefix}k`;
      const missing = `${prefix}missing`;
      await store.put(k, bytes('v1'));
      const lease = await store.grantLease(60_000);
      await store.put(k, bytes('v2'), { lease: lease.id });
      const kv = (await store.get(k))!;
      const c = kv.createRevision;
      const m = kv.modRevision;
      const cases: [Compare, boolean][] = [];
      for (const [target, actual] of [['createRevision', c], ['modRevision', m], ['version', 2]] as const) {
        cases.push(
          [{ key: k, target, op: 'equal', value: actual }, true],
          [{ key: k, target, op: 'equal', value: actual + 1 }, false],
          [{ key: k, target, op: 'not-equal', value: actual + 1 }, true],
          [{ key: k, target, op: 'not-equal', value: actual }, false],
          [{ key: k, target, op: 'less', value: actual + 1 }, true],
          [{ key: k, target, op: 'less', value: actual }, false],
          [{ key: k, target, op: 'greater', value: actual - 1 }, true],
          [{ key: k, target, op: 'greater', value: actual }, false],
          [{ key: missing, target, op: 'equal', value: 0 }, true],
          [{ key: missing, target, op: 'greater', value: 0 }, false],
        );
      }
      cases.push(
        [{ key: k, target: 'value', op: 'equal', value: bytes('v2') }, true],
        [{ key: k, target: 'value', op: 'equal', value: bytes('v1') }, false],
        [{ key: k, target: 'value', op: 'not-equal', value: bytes('v1') }, true],
        [{ key: k, target: 'value', op: 'not-equal', value: bytes('v2') }, false],
        [{ key: missing, target: 'value', op: 'equal', value: bytes('') }, false],
        [{ key: missing, target: 'value', op: 'not-equal', value: bytes('x') }, false], // etcd: a value compare on a missing key fails
        [{ key: k, target: 'lease', op: 'equal', value: lease.id }, true],
        [{ key: k, target: 'lease', op: 'not-equal', value: lease.id }, false],
        [{ key: k, target: 'lease', op: 'equal', value: null }, false],
        [{ key: missing, target: 'lease', op: 'equal', value: null }, true],
      );
      for (const [compare, expected] of cases) {
        const before = (await store.range(prefix)).revision;
        const result = await store.txn({
          compare: [compare],
          success: [{ type: 'put', key: `${prefix}branch`, value: bytes('success') }, { type: 'get', key: k }],
          failure: [{ type: 'get', key: `${prefix}branch` }],
        });
        const where = JSON.stringify({ ...compare, value: compare.value instanceof Uint8Array ? text(compare.value) : compare.value });
        expect({ where, succeeded: result.succeeded }).toEqual({ where, succeeded: expected });
        expect(result.revision).toBe(expected ? before + 1 : before);
        expect(result.results[0]!.type).toBe(expected ? 'put' : 'get');
        if (expected) {
          const got = result.results[1]!;
          expect(got.type === 'get' && got.kvs.map((x) => x.modRevision)).toEqual([m]);
        }
        await store.delete(`${prefix}branch`);
      }
      // Several compares: all must hold.
      const both = await store.txn({
        compare: [
          { key: k, target: 'version', op: 'equal', value: 2 },
          { key: k, target: 'modRevision', op: 'equal', value: m + 1 },
        ],
        success: [{ type: 'put', key: `${prefix}never`, value: bytes('x') }],
      });
      expect(both.succeeded).toBe(false);
      expect(both.results).toEqual([]);
      expect(await store.get(`${prefix}never`)).toBeNull();
      await store.revokeLease(lease.id);
    });

    test('txn: writes commit at one revision, reads see the state and the branch\'s earlier writes', async ({ store, prefix }) => {
      const a = `${prefix}a`;
      const b = `${prefix}b`;
      const r0 = await store.put(a, bytes('old'));
      const result = await store.txn({
        compare: [{ key: a, target: 'modRevision', op: 'equal', value: r0 }],
        success: [
          { type: 'get', key: a },
          { type: 'put', key: a, value: bytes('new') },
          { type: 'put', key: b, value: bytes('b') },
          { type: 'range', prefix },
        ],
      });
      expect(result.succeeded).toBe(true);
      expect(result.revision).toBe(r0 + 1);
      const [getA, putA, putB, all] = result.results;
      expect(getA!.type === 'get' && getA!.kvs.map((kv) => text(kv.value))).toEqual(['old']);
      expect([putA!.type, putB!.type]).toEqual(['put', 'put']);
      expect(all!.type === 'range' && all!.kvs.map((kv) => [kv.key, text(kv.value), kv.modRevision])).toEqual([
        [a, 'new', r0 + 1],
        [b, 'b', r0 + 1],
      ]);
      expect(await store.get(a)).toMatchObject({ modRevision: r0 + 1, version: 2 });
      expect(await store.get(b)).toMatchObject({ createRevision: r0 + 1, modRevision: r0 + 1, version: 1 });
      const batches = await takeBatches(store, prefix, r0 + 1, 1);
      expect(batches.map(shape)).toEqual([{ revision: r0 + 1, events: [['put', a, 'new'], ['put', b, 'b']] }]);
    });

    test('txn: delete and delete-prefix, counts, one revision', async ({ store, prefix }) => {
      for (const k of ['d/1', 'd/2', 'd/3', 'keep']) await store.put(`${prefix}${k}`, bytes(k));
      const before = (await store.range(prefix)).revision;
      const result = await store.txn({
        compare: [],
        success: [
          { type: 'delete-prefix', prefix: `${prefix}d/` },
          { type: 'delete', key: `${prefix}missing` },
        ],
      });
      expect(result.results).toEqual([{ type: 'delete', deleted: 3 }, { type: 'delete', deleted: 0 }]);
      expect(result.revision).toBe(before + 1);
      expect((await store.range(prefix)).kvs.map((kv) => kv.key)).toEqual([`${prefix}keep`]);
      const [batch] = await takeBatches(store, prefix, before + 1, 1);
      expect(shape(batch!)).toEqual({ revision: before + 1, events: ['1', '2', '3'].map((n) => ['delete', `${prefix}d/${n}`, '']) });
      expect(batch!.events.every((e) => e.kv.modRevision === before + 1)).toBe(true);
    });

    test('leases: attach, keepAlive, revoke deletes the keys in one revision', async ({ store, prefix }) => {
      const lease = await store.grantLease(5_000);
      expect(lease.ttlMs).toBeGreaterThanOrEqual(5_000);
      await store.put(`${prefix}l/1`, bytes('1'), { lease: lease.id });
      const r = await store.put(`${prefix}l/2`, bytes('2'), { lease: lease.id });
      await store.put(`${prefix}plain`, bytes('p'));
      expect(await store.get(`${prefix}l/1`)).toMatchObject({ lease: lease.id });
      expect(await store.keepAlive(lease.id)).toBeGreaterThan(0);
      await store.revokeLease(lease.id);
      expect((await store.range(prefix)).kvs.map((kv) => kv.key)).toEqual([`${prefix}plain`]);
      const [batch] = await takeBatches(store, `${prefix}l/`, r + 1, 1);
      expect(shape(batch!)).toEqual({ revision: r + 2, events: [['delete', `${prefix}l/1`, ''], ['delete', `${prefix}l/2`, '']] });
      await store.revokeLease(lease.id); // already gone: not an error
      await expect(store.keepAlive(lease.id)).rejects.toMatchObject({ name: 'MetadataStoreError', code: 'lease-not-found' });
      await expect(store.put(`${prefix}late`, bytes('x'), { lease: lease.id })).rejects.toMatchObject({ code: 'lease-not-found' });
      expect(await store.get(`${prefix}late`)).toBeNull();
    });

    test('leases: expiry deletes the keys in one revision; the lease is gone', async ({ store, prefix, waitForExpiry }) => {
      const lease = await store.grantLease(1_000);
      const r1 = await store.put(`${prefix}e/1`, bytes('1'), { lease: lease.id });
      await store.put(`${prefix}e/2`, bytes('2'), { lease: lease.id });
      await waitForExpiry(lease);
      expect((await store.range(`${prefix}e/`)).kvs).toEqual([]);
      const batches = await takeBatches(store, `${prefix}e/`, r1, 3);
      expect(batches.map(shape)).toEqual([
        { revision: r1, events: [['put', `${prefix}e/1`, '1']] },
        { revision: r1 + 1, events: [['put', `${prefix}e/2`, '2']] },
        { revision: r1 + 2, events: [['delete', `${prefix}e/1`, ''], ['delete', `${prefix}e/2`, '']] },
      ]);
      await expect(store.keepAlive(lease.id)).rejects.toMatchObject({ code: 'lease-not-found' });
    });

    test('watch: every change under the prefix, in order, grouped by revision, from a past revision too', async ({ store, prefix }) => {
      const w = `${prefix}w/`;
      const from = (await store.range(prefix)).revision + 1;
      const live = takeBatches(store, w, from, 4);
      const r1 = await store.put(`${w}a`, bytes('1'));
      await store.put(`${prefix}other`, bytes('not watched'));
      const t = await store.txn({ compare: [], success: [{ type: 'put', key: `${w}b`, value: bytes('2') }, { type: 'put', key: `${w}c`, value: bytes('3') }] });
      const r3 = await store.put(`${w}a`, bytes('4'));
      const r4 = await store.delete(`${w}b`).then(async () => (await store.range(prefix)).revision);
      const expected = [
        { revision: r1, events: [['put', `${w}a`, '1']] },
        { revision: t.revision, events: [['put', `${w}b`, '2'], ['put', `${w}c`, '3']] },
        { revision: r3, events: [['put', `${w}a`, '4']] },
        { revision: r4, events: [['delete', `${w}b`, '']] },
      ];
      expect((await live).map(shape)).toEqual(expected);
      // Resume after the second batch: the rest, nothing twice.
      expect((await takeBatches(store, w, t.revision + 1, 2)).map(shape)).toEqual(expected.slice(2));
      const [, , put, del] = await live;
      expect(put!.events[0]!.kv).toMatchObject({ createRevision: r1, modRevision: r3, version: 2 });
      expect(del!.events[0]!.kv).toMatchObject({ modRevision: r4 });
    });

    test('watch: aborting the signal ends the iterator', async ({ store, prefix }) => {
      const ac = new AbortController();
      const from = (await store.range(prefix)).revision + 1;
      const seen: number[] = [];
      const done = (async () => {
        for await (const b of store.watch(prefix, from, ac.signal)) {
          seen.push(b.revision);
          ac.abort();
        }
      })();
      const r = await store.put(`${prefix}x`, bytes('x'));
      await done;
      expect(seen).toEqual([r]);
    });

    test('watch: from a compacted revision fails with CompactedError; from the compaction point it works', async ({ store, prefix, compact }) => {
      const r1 = await store.put(`${prefix}c`, bytes('1'));
      const r2 = await store.put(`${prefix}c`, bytes('2'));
      const r3 = await store.put(`${prefix}c`, bytes('3'));
      await compact(r2);
      const error = await takeBatches(store, prefix, r1, 1).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CompactedError);
      expect((error as CompactedError).compactRevision).toBe(r2);
      expect((await takeBatches(store, prefix, r2, 2)).map(shape)).toEqual([
        { revision: r2, events: [['put', `${prefix}c`, '2']] },
        { revision: r3, events: [['put', `${prefix}c`, '3']] },
      ]);
    });
  });
}
