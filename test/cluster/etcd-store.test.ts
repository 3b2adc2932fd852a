/**
 * EtcdMetadataStore against real etcd (Debian's etcd-server, started by the test itself on
 * free loopback ports with temp data dirs, stopped in afterAll/finally).
 *
 * Checks: CRUD and revisions; txn compare-and-set on mod/create revision, version, value and
 * lease, both branches; leases (grant, keepAlive, revoke deletes keys, a 1 s TTL expires and
 * takes its key); watches (revision order, resume without loss or duplicates after the
 * stream is cut and after etcd restarts, CompactedError after `etcdctl compact`); failover
 * (three members, the one in use killed; a member without quorum answers "no leader" at
 * once, so a write there is unavailable, not unknown-outcome); unknown-outcome for a write whose response never
 * comes (a local TCP server that accepts and never answers).
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../packages/runtime/src/clock.ts';
import { createRandom } from '../../packages/runtime/src/random.ts';
import { CompactedError, MetadataStoreError } from '../../packages/coordinator/src/metadata/metadata-store.ts';
import type { WatchBatch } from '../../packages/coordinator/src/metadata/metadata-store.ts';
import { EtcdMetadataStore } from '../../packages/coordinator/src/metadata/etcd/index.ts';
import type { EtcdMetadataStoreOptions, FetchFunction } from '../../packages/coordinator/src/metadata/etcd/index.ts';
import { etcdctl, startEtcd } from './etcd-process.ts';
import type { EtcdCluster } from './etcd-process.ts';

const SEED = 1313;
const WAIT_MS = 15_000;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function newStore(endpoints: readonly string[], extra: Partial<EtcdMetadataStoreOptions> = {}): EtcdMetadataStore {
  return new EtcdMetadataStore({ endpoints, clock: systemClock, random: createRandom(SEED), requestTimeoutMs: 5000, ...extra });
}

async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${timeoutMs} ms`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function pollUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${WAIT_MS} ms`);
}

/** Pulls batches until `count` events arrived (bounded by WAIT_MS per pull). */
async function takeEvents(iterator: AsyncIterator<WatchBatch>, count: number): Promise<WatchBatch[]> {
  const batches: WatchBatch[] = [];
  let events = 0;
  while (events < count) {
    const next = await withTimeout(iterator.next(), `watch after ${events} of ${count} events`);
    if (next.done) throw new Error(`watch ended after ${events} of ${count} events`);
    batches.push(next.value);
    events += next.value.events.length;
  }
  return batches;
}

/** A fetch whose watch streams the test can cut, as a broken connection would. */
function cuttableFetch(): { fetch: FetchFunction; cut: () => number } {
  const open: AbortController[] = [];
  return {
    fetch: (input, init) => {
      const controller = new AbortController();
      init.signal?.addEventListener('abort', () => controller.abort(), { once: true });
      if (input.endsWith('/v3/watch')) open.push(controller);
      return fetch(input, { ...init, signal: controller.signal });
    },
    cut: () => {
      const n = open.length;
      for (const c of open.splice(0)) c.abort();
      return n;
    },
  };
}

describe('EtcdMetadataStore on one etcd member', () => {
  let etcd: EtcdCluster;
  let store: EtcdMetadataStore;

  beforeAll(async () => {
    etcd = await startEtcd(1);
    store = newStore(etcd.endpoints);
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  it('puts, gets, ranges a prefix and deletes, with etcd revisions and versions', async () => {
    const r1 = await store.put('crud/a', enc('1'));
    const r2 = await store.put('crud/b', enc('2'));
    const r3 = await store.put('crud/a', enc('3'));
    await store.put('crud0', enc('outside the prefix'));
    expect([r2 - r1, r3 - r2]).toEqual([1, 1]);
    const a = await store.get('crud/a');
    expect(a).toMatchObject({ key: 'crud/a', createRevision: r1, modRevision: r3, version: 2, lease: null });
    expect(dec(a!.value)).toBe('3');
    expect(await store.get('crud/none')).toBeNull();
    const all = await store.range('crud/');
    expect(all.kvs.map((kv) => kv.key)).toEqual(['crud/a', 'crud/b']);
    expect(all.revision).toBeGreaterThanOrEqual(r3 + 1);
    expect(all.more).toBe(false);
    const limited = await store.range('crud/', { limit: 1 });
    expect(limited.kvs.map((kv) => kv.key)).toEqual(['crud/a']);
    expect(limited.more).toBe(true);
    expect(await store.delete('crud/a')).toBe(1);
    const afterDelete = (await store.range('crud/')).revision;
    expect(await store.delete('crud/a')).toBe(0);
    expect((await store.range('crud/')).revision).toBe(afterDelete); // deleting nothing writes nothing
    const r4 = await store.put('crud/a', enc(''));
    expect(await store.get('crud/a')).toMatchObject({ createRevision: r4, modRevision: r4, version: 1, value: new Uint8Array(0) });
    expect((await store.range('')).kvs.length).toBeGreaterThanOrEqual(3);
  });

  it('runs txn compare-and-set on mod and create revision, version, value and lease, both branches', async () => {
    const created = await store.put('txn/k', enc('v1'));
    const lease = await store.grantLease(30_000);
    const base = { success: [{ type: 'put', key: 'txn/ok', value: enc('yes') }, { type: 'get', key: 'txn/k' }], failure: [{ type: 'range', prefix: 'txn/' }] } as const;

    const ok = await store.txn({ compare: [{ key: 'txn/k', target: 'modRevision', op: 'equal', value: created }], ...base });
    expect(ok.succeeded).toBe(true);
    expect(ok.revision).toBe(created + 1);
    expect(ok.results[0]).toEqual({ type: 'put' });
    expect(ok.results[1]).toMatchObject({ type: 'get', kvs: [{ key: 'txn/k', modRevision: created }] });

    const stale = await store.txn({ compare: [{ key: 'txn/k', target: 'modRevision', op: 'equal', value: created - 1 }], ...base });
    expect(stale.succeeded).toBe(false);
    expect(stale.revision).toBe(ok.revision); // nothing written
    expect(stale.results[0]).toMatchObject({ type: 'range', kvs: [{ key: 'txn/k' }, { key: 'txn/ok' }] });

    // Create-if-absent: createRevision 0 means the key does not exist.
    const absent = { key: 'txn/new', target: 'createRevision', op: 'equal', value: 0 } as const;
    const first = await store.txn({ compare: [absent], success: [{ type: 'put', key: 'txn/new', value: enc('x'), lease: lease.id }] });
    const second = await store.txn({ compare: [absent], success: [{ type: 'put', key: 'txn/new', value: enc('y') }] });
    expect([first.succeeded, second.succeeded]).toEqual([true, false]);
    expect(second.results).toEqual([]);

    const cases = [
      { compare: { key: 'txn/k', target: 'version', op: 'equal', value: 1 }, holds: true },
      { compare: { key: 'txn/k', target: 'version', op: 'greater', value: 1 }, holds: false },
      { compare: { key: 'txn/k', target: 'createRevision', op: 'less', value: created + 1 }, holds: true },
      { compare: { key: 'txn/k', target: 'modRevision', op: 'not-equal', value: created }, holds: false },
      { compare: { key: 'txn/k', target: 'value', op: 'equal', value: enc('v1') }, holds: true },
      { compare: { key: 'txn/k', target: 'value', op: 'not-equal', value: enc('v1') }, holds: false },
      { compare: { key: 'txn/new', target: 'lease', op: 'equal', value: lease.id }, holds: true },
      { compare: { key: 'txn/k', target: 'lease', op: 'equal', value: null }, holds: true },
      { compare: { key: 'txn/new', target: 'lease', op: 'not-equal', value: lease.id }, holds: false },
      { compare: { key: 'txn/missing', target: 'version', op: 'equal', value: 0 }, holds: true },
      { compare: { key: 'txn/missing', target: 'lease', op: 'equal', value: null }, holds: true },
      { compare: { key: 'txn/missing', target: 'value', op: 'equal', value: enc('') }, holds: false },
      { compare: { key: 'txn/missing', target: 'value', op: 'not-equal', value: enc('x') }, holds: false },
    ] as const;
    for (const c of cases) {
      const result = await store.txn({ compare: [c.compare], success: [{ type: 'get', key: c.compare.key }], failure: [] });
      expect({ compare: c.compare, succeeded: result.succeeded }).toEqual({ compare: c.compare, succeeded: c.holds });
    }

    // Ops run in order: a read sees the branch's writes before it (etcd's rule and the interface's).
    const mixed = await store.txn({
      compare: [],
      success: [{ type: 'put', key: 'txn/k', value: enc('v2') }, { type: 'get', key: 'txn/k' }, { type: 'delete', key: 'txn/ok' }, { type: 'range', prefix: 'txn/' }],
    });
    expect(mixed.results.map((r) => r.type)).toEqual(['put', 'get', 'delete', 'range']);
    expect(mixed.results[1]).toMatchObject({ kvs: [{ key: 'txn/k', version: 2 }] });
    expect(dec((mixed.results[1] as { kvs: readonly { value: Uint8Array }[] }).kvs[0]!.value)).toBe('v2');
    expect(mixed.results[2]).toEqual({ type: 'delete', deleted: 1 });
    expect((mixed.results[3] as { kvs: readonly { key: string }[] }).kvs.map((kv) => kv.key)).toEqual(['txn/k', 'txn/new']);
    expect(dec((await store.get('txn/k'))!.value)).toBe('v2');

    const deleted = await store.txn({ compare: [], success: [{ type: 'delete-prefix', prefix: 'txn/' }] });
    expect(deleted.results).toEqual([{ type: 'delete', deleted: 2 }]);
    await store.revokeLease(lease.id);
  });

  it('grants, keeps alive and revokes leases; a revoke deletes the keys; a put on a gone lease is lease-not-found', async () => {
    const lease = await store.grantLease(20_000);
    expect(lease.id).toMatch(/^[0-9]+$/);
    expect(lease.ttlMs).toBe(20_000);
    await store.put('lease/a', enc('1'), { lease: lease.id });
    expect((await store.get('lease/a'))?.lease).toBe(lease.id);
    expect(await store.keepAlive(lease.id)).toBe(20_000);
    await store.revokeLease(lease.id);
    expect(await store.get('lease/a')).toBeNull();
    await store.revokeLease(lease.id); // already gone: not an error
    expect(await rejection(store.keepAlive(lease.id))).toMatchObject({ code: 'lease-not-found' });
    expect(await rejection(store.put('lease/b', enc('1'), { lease: lease.id }))).toMatchObject({ code: 'lease-not-found' });
    expect(await rejection(store.keepAlive('not a lease'))).toMatchObject({ code: 'invalid-argument' });
  });

  it('expires a 1 s lease and deletes its key', async () => {
    const lease = await store.grantLease(1000);
    expect(lease.ttlMs).toBeGreaterThanOrEqual(1000);
    await store.put('expiry/a', enc('1'), { lease: lease.id });
    await pollUntil('the leased key is deleted', async () => (await store.get('expiry/a')) === null);
    expect(await rejection(store.keepAlive(lease.id))).toMatchObject({ code: 'lease-not-found' });
  });

  it('watches a prefix: every change in revision order, grouped by revision, deletes included', async () => {
    const from = (await store.range('w1/')).revision + 1;
    const abort = new AbortController();
    const iterator = store.watch('w1/', from, abort.signal)[Symbol.asyncIterator]();
    try {
      await store.put('w1/a', enc('1'));
      await store.put('w1-outside', enc('x'));
      await store.txn({ compare: [], success: [{ type: 'put', key: 'w1/b', value: enc('2') }, { type: 'put', key: 'w1/c', value: enc('3') }] });
      await store.delete('w1/a');
      const batches = await takeEvents(iterator, 4);
      expect(batches.map((b) => b.revision)).toEqual([from, from + 2, from + 3]);
      expect(batches.map((b) => b.events.map((e) => `${e.type} ${e.kv.key}`))).toEqual([['put w1/a'], ['put w1/b', 'put w1/c'], ['delete w1/a']]);
      expect(batches[2]!.events[0]!.kv).toMatchObject({ modRevision: from + 3, value: new Uint8Array(0) });
    } finally {
      abort.abort();
    }
    expect(await withTimeout(iterator.next(), 'watch end after abort')).toEqual({ done: true, value: undefined });
  });

  it('resumes a cut watch stream from the next revision: nothing lost, nothing twice', async () => {
    const cuttable = cuttableFetch();
    const watcher = newStore(etcd.endpoints, { fetch: cuttable.fetch });
    const abort = new AbortController();
    try {
      const from = (await store.range('w2/')).revision + 1;
      const iterator = watcher.watch('w2/', from, abort.signal)[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i++) await store.put(`w2/${i}`, enc(String(i)));
      const before = await takeEvents(iterator, 3);
      expect(cuttable.cut()).toBe(1);
      for (let i = 3; i < 6; i++) await store.put(`w2/${i}`, enc(String(i))); // written while no stream is open
      const after = await takeEvents(iterator, 3);
      const revisions = [...before, ...after].map((b) => b.revision);
      expect(revisions).toEqual([0, 1, 2, 3, 4, 5].map((i) => from + i));
      expect([...before, ...after].map((b) => b.events[0]!.kv.key)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `w2/${i}`));
    } finally {
      abort.abort();
      await watcher.close();
    }
  });

  it('resumes a watch across an etcd restart (reconnecting while etcd is down)', async () => {
    const watcher = newStore(etcd.endpoints, { watchReconnectsMax: 40, requestTimeoutMs: 2000 });
    const abort = new AbortController();
    try {
      const from = (await store.range('w3/')).revision + 1;
      const iterator = watcher.watch('w3/', from, abort.signal)[Symbol.asyncIterator]();
      await store.put('w3/a', enc('1'));
      await store.put('w3/b', enc('2'));
      const before = await takeEvents(iterator, 2);
      const pending = iterator.next(); // reading the stream when etcd dies
      await etcd.members[0]!.restart();
      await store.put('w3/c', enc('3'));
      const third = await withTimeout(pending, 'the watch after the restart');
      await store.put('w3/d', enc('4'));
      const last = await takeEvents(iterator, 1);
      const all = [...before, third.value as WatchBatch, ...last];
      expect(all.map((b) => b.revision)).toEqual([from, from + 1, from + 2, from + 3]);
      expect(all.map((b) => b.events[0]!.kv.key)).toEqual(['w3/a', 'w3/b', 'w3/c', 'w3/d']);
    } finally {
      abort.abort();
      await watcher.close();
    }
  });

  it('fails a watch from a compacted revision with CompactedError', async () => {
    await store.put('w4/a', enc('1'));
    const revision = await store.put('w4/a', enc('2'));
    await etcdctl(etcd.endpoints[0]!, ['compact', String(revision)]);
    const abort = new AbortController();
    try {
      const iterator = store.watch('w4/', 1, abort.signal)[Symbol.asyncIterator]();
      const error = await rejection(withTimeout(iterator.next(), 'the compacted watch'));
      expect(error).toBeInstanceOf(CompactedError);
      expect((error as CompactedError).compactRevision).toBe(revision);
    } finally {
      abort.abort();
    }
    // The caller's recovery: range, then watch from its revision + 1.
    const read = await store.range('w4/');
    const abort2 = new AbortController();
    try {
      const iterator = store.watch('w4/', read.revision + 1, abort2.signal)[Symbol.asyncIterator]();
      const next = await store.put('w4/b', enc('3'));
      expect((await takeEvents(iterator, 1))[0]!.revision).toBe(next);
    } finally {
      abort2.abort();
    }
  });

  it('reports unknown-outcome for a write whose response never comes, and moves reads to the next endpoint', async () => {
    const sockets: Socket[] = [];
    const blackHole: Server = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const address = blackHole.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const silent = newStore([url, ...etcd.endpoints], { requestTimeoutMs: 500 });
    try {
      const error = await rejection(silent.put('silent/a', enc('1')));
      expect(error).toBeInstanceOf(MetadataStoreError);
      expect((error as MetadataStoreError).code).toBe('unknown-outcome');
      expect(sockets.length).toBeGreaterThanOrEqual(1);
      const onlySilent = newStore([url], { requestTimeoutMs: 500, attemptsMax: 2 });
      try {
        expect(await rejection(onlySilent.get('silent/a'))).toMatchObject({ code: 'unavailable' });
      } finally {
        await onlySilent.close();
      }
      // A read is retried on the next endpoint (the write above moved nothing).
      const start = Date.now();
      expect(await silent.get('silent/a')).toBeNull();
      expect(silent.currentEndpoint).toBe(etcd.endpoints[0]);
      expect(Date.now() - start).toBeLessThan(WAIT_MS);
      await silent.close();
      expect(await rejection(silent.get('silent/a'))).toMatchObject({ code: 'unavailable' });
    } finally {
      await silent.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });
});

describe('EtcdMetadataStore on a three-member cluster', () => {
  let etcd: EtcdCluster;

  beforeAll(async () => {
    etcd = await startEtcd(3);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('fails over to another member when the one in use is killed, for requests and a watch', async () => {
    // Put a follower first, so killing it leaves the leader (and quorum) in place.
    const leaderId = await leaderMemberId(etcd.endpoints[0]!);
    const ids = await Promise.all(etcd.endpoints.map(memberId));
    const followerIndex = ids.findIndex((id) => id !== leaderId);
    const order = [etcd.endpoints[followerIndex]!, ...etcd.endpoints.filter((_, i) => i !== followerIndex)];
    const store = newStore(order, { requestTimeoutMs: 3000 });
    const abort = new AbortController();
    try {
      const first = await store.put('fo/a', enc('1'));
      expect(store.currentEndpoint).toBe(order[0]);
      const iterator = store.watch('fo/', first + 1, abort.signal)[Symbol.asyncIterator]();
      const pending = iterator.next();
      await etcd.members[followerIndex]!.kill();
      const second = await store.put('fo/a', enc('2'));
      expect(second).toBe(first + 1);
      expect(store.currentEndpoint).not.toBe(order[0]);
      expect(dec((await store.get('fo/a'))!.value)).toBe('2');
      const batch = await withTimeout(pending, 'the watch after failover');
      expect(batch.value).toMatchObject({ revision: second, events: [{ type: 'put', kv: { key: 'fo/a', version: 2 } }] });
    } finally {
      abort.abort();
      await store.close();
    }
  });

  it('gets "no leader" at once from a member that lost quorum: unavailable, not unknown-outcome', async () => {
    const survivor = etcd.members.find((m) => m.running)!;
    for (const member of etcd.members) if (member !== survivor) await member.kill();
    await pollUntil('the survivor has no leader', async () => ['', '0'].includes((await status(survivor.clientUrl)).leader ?? ''));
    const store = newStore([survivor.clientUrl], { requestTimeoutMs: 5000, attemptsMax: 2 });
    try {
      const start = Date.now();
      expect(await rejection(store.put('fo/b', enc('1')))).toMatchObject({ code: 'unavailable', message: expect.stringContaining('no leader') });
      expect(await rejection(store.get('fo/b'))).toMatchObject({ code: 'unavailable' });
      expect(Date.now() - start).toBeLessThan(5000); // answered, not timed out
    } finally {
      await store.close();
    }
  });
});

async function status(endpoint: string): Promise<{ header?: { member_id?: string }; leader?: string }> {
  const response = await fetch(`${endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) });
  return (await response.json()) as { header?: { member_id?: string }; leader?: string };
}

async function memberId(endpoint: string): Promise<string> {
  return (await status(endpoint)).header?.member_id ?? '';
}

async function leaderMemberId(endpoint: string): Promise<string> {
  let leader = '';
  await pollUntil('the cluster has a leader', async () => {
    leader = (await status(endpoint)).leader ?? '';
    return leader !== '' && leader !== '0';
  });
  return leader;
}
