/**
 * Property test of SimulatedMetadataStore against a reference model (a few maps, written
 * apart from the store): random puts, deletes, transactions with compares (some refused
 * as malformed), reads, leases (grant, keepAlive, revoke), clock advances, compactions,
 * watch consumers that resume after drops, and faults — drawn from the store's seeded
 * Random (unavailable, unknown outcome, early lease expiry, watch drop, slow answers) and
 * forced through the hooks.
 *
 * Invariants, checked after every step:
 *  1. the store's keys (value, create/mod revision, version, lease), leases (TTL,
 *     deadline, keys), revision and compaction point equal the model's;
 *  2. the revision grows by exactly one per write that changed a key (the model's rule),
 *     and every answer (revision, deleted count, txn branch and results, reads) is the
 *     model's;
 *  3. an `unknown-outcome` write is either fully applied or not at all (the store equals
 *     one of the two model candidates right after the call); an `unavailable` one is not
 *     applied; a successful one is;
 *  4. every watch consumer has seen exactly the model's batches under its prefix from
 *     where it started, in revision order, each once, grouped by revision — across
 *     injected drops (it resumes from its last revision + 1); after a CompactedError it
 *     starts a new segment from the current revision + 1.
 *
 * Reproduce a failure: FC_SEED=<seed printed by fast-check> npx vitest run <this file>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { CompactedError, MetadataStoreError } from '../metadata-store.ts';
import type { Compare, KeyValue, TxnOp, TxnOpResult, WatchBatch } from '../metadata-store.ts';
import { SimulatedMetadataStore } from './simulated-metadata-store.ts';

// ---- the model ------------------------------------------------------------------------

interface MKey {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: string | null;
}
interface MLease {
  ttlMs: number;
  deadlineMs: number;
  seq: number;
}
/** [type, key, value, create, mod, version, lease] */
type MEvent = [string, string, string, number, number, number, string | null];
type Outcome = { ok: true; value: unknown } | { ok: false; code: string };

class Model {
  rev = 1;
  compactRev = 0;
  seq = 0;
  keys = new Map<string, MKey>();
  leases = new Map<string, MLease>();
  history = new Map<number, MEvent[]>();

  clone(): Model {
    const m = new Model();
    m.rev = this.rev;
    m.compactRev = this.compactRev;
    m.seq = this.seq;
    m.keys = new Map([...this.keys].map(([k, v]) => [k, { ...v }]));
    m.leases = new Map([...this.leases].map(([k, v]) => [k, { ...v }]));
    m.history = this.history; // append-only; a rejected candidate's extra entry is at a revision that will be rewritten
    return m;
  }

  private commit(events: MEvent[]): void {
    if (events.length === 0) return;
    this.rev += 1;
    this.history.set(this.rev, events);
  }

  private put(key: string, value: string, lease: string | null, events: MEvent[]): void {
    const rev = this.rev + 1;
    const old = this.keys.get(key);
    const kv: MKey = { value, create: old ? old.create : rev, mod: rev, version: old ? old.version + 1 : 1, lease };
    this.keys.set(key, kv);
    events.push(['put', key, value, kv.create, rev, kv.version, lease]);
  }

  private del(key: string, events: MEvent[]): number {
    if (!this.keys.delete(key)) return 0;
    events.push(['delete', key, '', 0, this.rev + 1, 0, null]);
    return 1;
  }

  private range(prefix: string): string[] {
    return [...this.keys.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  private holds(c: Compare): boolean {
    const kv = this.keys.get(c.key);
    if (c.target === 'value') return kv !== undefined && (c.op === 'equal') === (kv.value === text(c.value));
    if (c.target === 'lease') return (c.op === 'equal') === ((kv?.lease ?? null) === c.value);
    const a = kv ? { createRevision: kv.create, modRevision: kv.mod, version: kv.version }[c.target] : 0;
    return c.op === 'equal' ? a === c.value : c.op === 'not-equal' ? a !== c.value : c.op === 'less' ? a < c.value : a > c.value;
  }

  /** Returns the answer etcd would give. Throws `code` strings for rejected requests. */
  txn(compare: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[]): { succeeded: boolean; revision: number; results: unknown[] } {
    for (const branch of [success, failure]) {
      const putKeys = branch.flatMap((o) => (o.type === 'put' ? [o.key] : []));
      if (new Set(putKeys).size !== putKeys.length) throw new Error('invalid-argument');
      for (const o of branch) {
        if (o.type === 'delete' && putKeys.includes(o.key)) throw new Error('invalid-argument');
        if (o.type === 'delete-prefix' && putKeys.some((k) => k.startsWith(o.prefix))) throw new Error('invalid-argument');
      }
    }
    const succeeded = compare.every((c) => this.holds(c));
    const ops = succeeded ? success : failure;
    for (const o of ops) if (o.type === 'put' && o.lease !== undefined && !this.leases.has(o.lease)) throw new Error('lease-not-found');
    const events: MEvent[] = [];
    const results = ops.map((o) => {
      switch (o.type) {
        case 'put':
          this.put(o.key, text(o.value), o.lease ?? null, events);
          return { type: 'put' };
        case 'delete':
          return { type: 'delete', deleted: this.del(o.key, events) };
        case 'delete-prefix':
          return { type: 'delete', deleted: this.range(o.prefix).reduce((n, k) => n + this.del(k, events), 0) };
        case 'get':
          return { type: 'get', kvs: this.keys.has(o.key) ? [this.row(o.key)] : [] };
        case 'range':
          return { type: 'range', kvs: this.range(o.prefix).map((k) => this.row(k)) };
      }
    });
    this.commit(events);
    return { succeeded, revision: this.rev, results };
  }

  row(key: string): unknown[] {
    const kv = this.keys.get(key)!;
    return [key, kv.value, kv.create, kv.mod, kv.version, kv.lease];
  }

  grant(id: string, ttlMs: number, nowMs: number): void {
    this.leases.set(id, { ttlMs, deadlineMs: nowMs + ttlMs, seq: this.seq++ });
  }

  dropLease(id: string): void {
    if (!this.leases.delete(id)) return;
    const events: MEvent[] = [];
    for (const k of [...this.keys.keys()].sort()) if (this.keys.get(k)!.lease === id) this.del(k, events);
    this.commit(events);
  }

  advanceTo(nowMs: number): void {
    const due = [...this.leases].filter(([, l]) => l.deadlineMs <= nowMs).sort(([, a], [, b]) => a.deadlineMs - b.deadlineMs || a.seq - b.seq);
    for (const [id] of due) this.dropLease(id);
  }

  view(): unknown {
    return {
      revision: this.rev,
      compactRevision: this.compactRev,
      kvs: [...this.keys.keys()].sort().map((k) => this.row(k)),
      leases: [...this.leases.keys()].sort().map((id) => {
        const l = this.leases.get(id)!;
        const keys = [...this.keys.keys()].filter((k) => this.keys.get(k)!.lease === id).sort();
        return [id, l.ttlMs, l.deadlineMs, keys];
      }),
    };
  }
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const rowOf = (kv: KeyValue): unknown[] => [kv.key, text(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease];
const eventOf = (e: WatchBatch['events'][number]): MEvent => [e.type, e.kv.key, text(e.kv.value), e.kv.createRevision, e.kv.modRevision, e.kv.version, e.kv.lease];

function storeView(store: SimulatedMetadataStore): unknown {
  const s = store.snapshot();
  return {
    revision: s.revision,
    compactRevision: s.compactRevision,
    kvs: s.kvs.map(rowOf),
    leases: s.leases.map((l) => [l.id, l.ttlMs, l.deadlineMs, l.keys]),
  };
}

function resultOf(r: TxnOpResult): unknown {
  return r.type === 'get' || r.type === 'range' ? { type: r.type, kvs: r.kvs.map(rowOf) } : r;
}

// ---- watch consumers ------------------------------------------------------------------

interface Segment {
  from: number;
  /** The revision the segment ended at (a compaction reset), or null while current. */
  end: number | null;
  batches: { revision: number; events: MEvent[] }[];
}

class Consumer {
  readonly segments: Segment[];
  private next: number;
  private readonly ac = new AbortController();
  failure: unknown = null;
  drops = 0;

  private readonly store: SimulatedMetadataStore;
  readonly prefix: string;

  constructor(store: SimulatedMetadataStore, prefix: string, from: number) {
    this.store = store;
    this.prefix = prefix;
    this.next = from;
    this.segments = [{ from, end: null, batches: [] }];
    void this.run();
  }

  private async run(): Promise<void> {
    for (let attempt = 0; attempt < 10_000 && !this.ac.signal.aborted; attempt++) {
      try {
        for await (const b of this.store.watch(this.prefix, this.next, this.ac.signal)) {
          this.segments.at(-1)!.batches.push({ revision: b.revision, events: b.events.map(eventOf) });
          this.next = b.revision + 1;
        }
        return;
      } catch (e) {
        if (e instanceof CompactedError) {
          this.segments.at(-1)!.end = this.store.revision;
          this.next = this.store.revision + 1;
          this.segments.push({ from: this.next, end: null, batches: [] });
        } else if (e instanceof MetadataStoreError && e.code === 'unavailable') {
          this.drops += 1; // resume from the last revision + 1
        } else {
          this.failure = e;
          return;
        }
      }
    }
    this.failure ??= new Error('watch consumer gave up after 10000 attempts');
  }

  stop(): void {
    this.ac.abort();
  }

  check(model: Model): void {
    expect(this.failure).toBeNull();
    for (const s of this.segments) {
      const end = s.end ?? model.rev;
      const expected: { revision: number; events: MEvent[] }[] = [];
      for (let r = s.from; r <= end; r++) {
        const events = (model.history.get(r) ?? []).filter((e) => e[1].startsWith(this.prefix));
        if (events.length > 0) expected.push({ revision: r, events });
      }
      // A compacted segment may stop short of its end: it must then be a prefix.
      const got = s.batches;
      expect({ prefix: this.prefix, from: s.from, batches: got }).toEqual({ prefix: this.prefix, from: s.from, batches: s.end === null ? expected : expected.slice(0, got.length) });
    }
  }
}

// ---- operations -----------------------------------------------------------------------

const KEYS = ['a', 'b', 'd/1', 'd/2', 'd/3'];
const PREFIXES = ['', 'd/', 'a', 'x'];
const keyArb = fc.constantFrom(...KEYS);
const valueArb = fc.constantFrom('0', '1', '2');
const leaseIxArb = fc.option(fc.nat(7), { nil: null });

type Rel = 'actual' | 'above' | 'below' | 'zero';
type CompareSpec =
  | { key: string; target: 'createRevision' | 'modRevision' | 'version'; op: Compare['op']; rel: Rel }
  | { key: string; target: 'value'; op: 'equal' | 'not-equal'; value: string }
  | { key: string; target: 'lease'; op: 'equal' | 'not-equal'; leaseIx: number | null };
type OpSpec =
  | { type: 'put'; key: string; value: string; leaseIx: number | null }
  | { type: 'delete'; key: string }
  | { type: 'delete-prefix'; prefix: string }
  | { type: 'get'; key: string }
  | { type: 'range'; prefix: string };
type Step =
  | { t: 'put'; key: string; value: string; leaseIx: number | null }
  | { t: 'delete'; key: string }
  | { t: 'txn'; compare: CompareSpec[]; success: OpSpec[]; failure: OpSpec[] }
  | { t: 'read'; prefix: string; limit: number }
  | { t: 'grant'; ttlMs: number }
  | { t: 'keepAlive'; leaseIx: number }
  | { t: 'revoke'; leaseIx: number }
  | { t: 'advance'; ms: number }
  | { t: 'watch'; prefix: string; back: number }
  | { t: 'compact'; back: number }
  | { t: 'armUnknown'; applied: boolean }
  | { t: 'armUnavailable' }
  | { t: 'dropWatches' }
  | { t: 'expireLease'; leaseIx: number };

const opSpecArb: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb, leaseIx: leaseIxArb }),
  fc.record({ type: fc.constant('delete' as const), key: keyArb }),
  fc.record({ type: fc.constant('delete-prefix' as const), prefix: fc.constantFrom(...PREFIXES) }),
  fc.record({ type: fc.constant('get' as const), key: keyArb }),
  fc.record({ type: fc.constant('range' as const), prefix: fc.constantFrom(...PREFIXES) }),
);
const compareArb: fc.Arbitrary<CompareSpec> = fc.oneof(
  fc.record({
    key: keyArb,
    target: fc.constantFrom('createRevision' as const, 'modRevision' as const, 'version' as const),
    op: fc.constantFrom('equal' as const, 'not-equal' as const, 'less' as const, 'greater' as const),
    rel: fc.constantFrom('actual' as const, 'above' as const, 'below' as const, 'zero' as const),
  }),
  fc.record({ key: keyArb, target: fc.constant('value' as const), op: fc.constantFrom('equal' as const, 'not-equal' as const), value: valueArb }),
  fc.record({ key: keyArb, target: fc.constant('lease' as const), op: fc.constantFrom('equal' as const, 'not-equal' as const), leaseIx: leaseIxArb }),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('put' as const), key: keyArb, value: valueArb, leaseIx: leaseIxArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('txn' as const),
      compare: fc.array(compareArb, { maxLength: 3 }),
      success: fc.array(opSpecArb, { maxLength: 4 }),
      failure: fc.array(opSpecArb, { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('read' as const), prefix: fc.constantFrom(...PREFIXES), limit: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('grant' as const), ttlMs: fc.integer({ min: 1, max: 5_000 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('keepAlive' as const), leaseIx: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('revoke' as const), leaseIx: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4_000 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('watch' as const), prefix: fc.constantFrom(...PREFIXES), back: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), back: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('armUnknown' as const), applied: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'armUnavailable' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'dropWatches' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('expireLease' as const), leaseIx: fc.nat(7) }) },
);

const coverage = { unknownApplied: 0, unknownNotApplied: 0, unavailable: 0, earlyExpiries: 0, drops: 0, compactedResets: 0, txnFailureBranch: 0, expiries: 0, delayed: 0 };

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

class Sim {
  readonly clock = new ManualClock();
  readonly store: SimulatedMetadataStore;
  model = new Model();
  readonly leaseIds: string[] = [];
  readonly consumers: Consumer[] = [];

  constructor(seed: number, faulty: boolean) {
    this.store = new SimulatedMetadataStore({
      clock: this.clock,
      random: createRandom(seed),
      historyRevisionsMax: 1_000,
      faults: faulty
        ? { unavailableProbability: 0.05, unknownOutcomeProbability: 0.08, leaseEarlyExpiryProbability: 0.25, watchDropProbability: 0.1, slowResponseProbability: 0.15, slowResponseMsMax: 3_000 }
        : {},
    });
  }

  leaseId(ix: number | null): string | undefined {
    if (ix === null) return undefined;
    return this.leaseIds.length === 0 ? 'f00d' : this.leaseIds[ix % this.leaseIds.length];
  }

  /**
   * Calls `call` (the store applies it synchronously), decides which model candidate the
   * store now equals, then waits for the answer (moving the clock while it is late, the
   * model following each move) and checks it against that candidate's.
   */
  async request(call: () => Promise<unknown>, apply: (m: Model) => unknown, write: boolean): Promise<Outcome> {
    const applied = this.model.clone();
    let expected: Outcome;
    try {
      expected = { ok: true, value: apply(applied) };
    } catch (e) {
      expected = { ok: false, code: (e as Error).message };
    }
    const promise = call();
    const after = storeView(this.store);
    const changed = applied.rev > this.model.rev || applied.leases.size !== this.model.leases.size;
    const tookEffect = expected.ok && JSON.stringify(after) === JSON.stringify(applied.view());
    if (tookEffect) this.model = applied;
    else expect(after).toEqual(this.model.view()); // invariant 3: all or nothing
    const outcome = await this.drive(promise);
    if (!outcome.ok && outcome.code === 'unknown-outcome' && write) {
      if (tookEffect && changed) coverage.unknownApplied += 1;
      else if (changed) coverage.unknownNotApplied += 1;
      return outcome;
    }
    if (!outcome.ok && outcome.code === 'unavailable') {
      coverage.unavailable += 1;
      expect(tookEffect && changed).toBe(false);
      return outcome;
    }
    expect(outcome).toEqual(expected);
    return outcome;
  }

  private async drive(promise: Promise<unknown>): Promise<Outcome> {
    let settled: Outcome | null = null;
    promise.then(
      (value) => (settled = { ok: true, value }),
      (e: unknown) => (settled = { ok: false, code: (e as { code?: string }).code ?? String(e) }),
    );
    for (let i = 0; i < 10; i++) await Promise.resolve(); // an answer on time settles within a few microtasks
    for (let i = 0; i < 1_000; i++) {
      if (settled) return settled;
      await flush();
      if (settled) return settled;
      if (i === 0) coverage.delayed += 1;
      if (!this.clock.advanceToNext()) break;
      this.model.advanceTo(this.clock.monotonicMs());
    }
    throw new Error('a request was never answered');
  }

  resolveCompare(c: CompareSpec): Compare {
    if (c.target === 'value') return { key: c.key, target: 'value', op: c.op, value: bytes(c.value) };
    if (c.target === 'lease') return { key: c.key, target: 'lease', op: c.op, value: this.leaseId(c.leaseIx) ?? null };
    const kv = this.model.keys.get(c.key);
    const actual = kv ? { createRevision: kv.create, modRevision: kv.mod, version: kv.version }[c.target] : 0;
    const value = c.rel === 'actual' ? actual : c.rel === 'above' ? actual + 1 : c.rel === 'below' ? actual - 1 : 0;
    return { key: c.key, target: c.target, op: c.op, value };
  }

  resolveOp(o: OpSpec): TxnOp {
    if (o.type !== 'put') return o;
    const lease = this.leaseId(o.leaseIx);
    return lease === undefined ? { type: 'put', key: o.key, value: bytes(o.value) } : { type: 'put', key: o.key, value: bytes(o.value), lease };
  }

  async step(s: Step): Promise<void> {
    const store = this.store;
    switch (s.t) {
      case 'put': {
        const lease = this.leaseId(s.leaseIx);
        const op = this.resolveOp({ type: 'put', key: s.key, value: s.value, leaseIx: s.leaseIx });
        await this.request(
          () => store.put(s.key, bytes(s.value), lease === undefined ? undefined : { lease }),
          (m) => m.txn([], [op], []).revision,
          true,
        );
        break;
      }
      case 'delete':
        await this.request(() => store.delete(s.key), (m) => (m.txn([], [{ type: 'delete', key: s.key }], []).results[0] as { deleted: number }).deleted, true);
        break;
      case 'txn': {
        const txn = { compare: s.compare.map((c) => this.resolveCompare(c)), success: s.success.map((o) => this.resolveOp(o)), failure: s.failure.map((o) => this.resolveOp(o)) };
        const out = await this.request(
          () => store.txn(txn).then((r) => ({ succeeded: r.succeeded, revision: r.revision, results: r.results.map(resultOf) })),
          (m) => m.txn(txn.compare, txn.success, txn.failure),
          true,
        );
        if (out.ok && !(out.value as { succeeded: boolean }).succeeded) coverage.txnFailureBranch += 1;
        break;
      }
      case 'read':
        await this.request(
          () => store.range(s.prefix, { limit: s.limit }).then((r) => ({ kvs: r.kvs.map(rowOf), revision: r.revision, more: r.more })),
          (m) => {
            const all = (m.txn([], [{ type: 'range', prefix: s.prefix }], []).results[0] as { kvs: unknown[] }).kvs;
            return { kvs: s.limit > 0 ? all.slice(0, s.limit) : all, revision: m.rev, more: s.limit > 0 && all.length > s.limit };
          },
          false,
        );
        break;
      case 'grant': {
        // The id is the store's: take it from the snapshot right after the call.
        const before = new Set(store.snapshot().leases.map((l) => l.id));
        const promise = store.grantLease(s.ttlMs);
        const fresh = store.snapshot().leases.find((l) => !before.has(l.id));
        if (fresh) {
          this.model.grant(fresh.id, Math.ceil(s.ttlMs / 1000) * 1000, this.clock.monotonicMs());
          this.leaseIds.push(fresh.id);
        }
        expect(storeView(store)).toEqual(this.model.view());
        const out = await this.drive(promise);
        expect(out).toEqual(fresh ? { ok: true, value: { id: fresh.id, ttlMs: Math.ceil(s.ttlMs / 1000) * 1000 } } : { ok: false, code: 'unavailable' });
        break;
      }
      case 'keepAlive': {
        // Mostly a live lease (a holder keeps its own lease alive), sometimes a gone one.
        const liveIds = [...this.model.leases.keys()];
        const id = liveIds.length > 0 && s.leaseIx < 6 ? liveIds[s.leaseIx % liveIds.length]! : (this.leaseId(s.leaseIx) ?? 'f00d');
        const live = this.model.leases.has(id);
        const promise = store.keepAlive(id);
        const stillLive = store.snapshot().leases.some((l) => l.id === id);
        let renewed = false;
        if (live && !stillLive) {
          coverage.earlyExpiries += 1;
          this.model.dropLease(id);
        } else if (live) {
          const l = this.model.leases.get(id)!;
          const renewedMs = this.clock.monotonicMs() + l.ttlMs;
          renewed = store.snapshot().leases.find((x) => x.id === id)!.deadlineMs === renewedMs;
          if (renewed) l.deadlineMs = renewedMs; // else refused: unchanged
        }
        expect(storeView(store)).toEqual(this.model.view());
        const ttlMs = this.model.leases.get(id)?.ttlMs;
        const out = await this.drive(promise);
        if (out.ok) expect({ renewed, ttl: out.value }).toEqual({ renewed: true, ttl: ttlMs });
        else if (out.code === 'lease-not-found') expect(live && stillLive).toBe(false);
        else expect(out.code).toBe('unavailable');
        break;
      }
      case 'revoke': {
        const id = this.leaseId(s.leaseIx) ?? 'f00d';
        await this.request(() => store.revokeLease(id), (m) => m.dropLease(id), true);
        break;
      }
      case 'advance':
        this.clock.advance(s.ms);
        this.model.advanceTo(this.clock.monotonicMs());
        break;
      case 'watch':
        if (this.consumers.length < 6) this.consumers.push(new Consumer(store, s.prefix, Math.max(1, this.model.rev + 1 - s.back)));
        break;
      case 'compact': {
        const rev = Math.max(1, this.model.rev - s.back);
        store.compact(rev);
        if (rev > this.model.compactRev) this.model.compactRev = rev;
        break;
      }
      case 'armUnknown':
        store.faults.armUnknownOutcome(s.applied);
        break;
      case 'armUnavailable':
        store.faults.armUnavailable();
        break;
      case 'dropWatches':
        store.dropWatches();
        break;
      case 'expireLease': {
        const id = this.leaseId(s.leaseIx) ?? 'f00d';
        store.expireLease(id);
        this.model.dropLease(id);
        break;
      }
    }
    await flush();
    this.check();
  }

  check(): void {
    expect(storeView(this.store)).toEqual(this.model.view());
    for (const c of this.consumers) c.check(this.model);
  }

  finish(): void {
    for (const c of this.consumers) {
      coverage.drops += c.drops;
      coverage.compactedResets += c.segments.length - 1;
      c.stop();
    }
  }
}

async function runSteps(seed: number, faulty: boolean, steps: Step[]): Promise<void> {
  const sim = new Sim(seed, faulty);
  try {
    for (const s of steps) {
      const before = sim.model.rev;
      await sim.step(s);
      if (s.t === 'advance' && sim.model.rev > before) coverage.expiries += 1;
    }
  } finally {
    sim.finish();
  }
}

describe('SimulatedMetadataStore against a model', () => {
  it('keeps the model\'s state and answers, applies unknown outcomes in full or not at all, and watches see every change once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), fc.array(stepArb, { maxLength: 80, size: 'max' }), async (seed, faulty, steps) => {
        await runSteps(seed, faulty, steps);
      }),
      { numRuns: 100 },
    );
    console.log('coverage', JSON.stringify(coverage));
    for (const [name, n] of Object.entries(coverage)) expect({ name, seen: n > 0 }).toEqual({ name, seen: true });
  }, 120_000);
});
