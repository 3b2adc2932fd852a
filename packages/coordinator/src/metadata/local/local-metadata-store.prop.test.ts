/**
 * Property test of LocalMetadataStore's durability against a model of its writes (a map
 * of keys written apart from the store): batches of concurrent puts, deletes and
 * transactions, leases (grant, revoke, expiry on the clock), clean reopens, injected file
 * system faults, and power losses at any file operation (the memory file system's crash,
 * with torn unsynced writes: a prefix of them, the last one cut, or the last one kept at
 * full length with a byte changed, as a disk that grew the file but lost a sector), each
 * followed by a reopen in a new "process". Each run picks the journal's bound (every disk
 * write a snapshot, a snapshot every few entries, or the default), so journal appends,
 * snapshots and the crashes between a snapshot's rename and its new journal all occur.
 *
 * Invariants:
 *  1. the store applies each call at once, in call order: its revision is the model's
 *     after every call, and after a step without faults its keys (value, create/mod
 *     revision, version, lease) are the model's and every write was acknowledged;
 *  2. after a crash or a failed file write, the reopened store holds exactly one state the
 *     model went through (never a mix of two), no older than the last acknowledged write,
 *     with the keys of leases removed in one more revision (when it had any);
 *  3. a failed file write rejects the writes waiting for it, and the store refuses
 *     everything until it is reopened.
 *
 * Planted bugs it catches (each tried by hand): acknowledging a journal entry before its
 * fsync, or before its write; replaying a torn last entry (no CRC check); renaming a
 * snapshot over the old one before its fsync; writing the snapshot in place.
 *
 * Reproduce a failure: FC_SEED=<seed printed by fast-check> npx vitest run <this file>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom, FileSystemError } from '@samsa/runtime';
import type { FileHandle, FileLock, FileSystem } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import type { KeyValue } from '../metadata-store.ts';
import { LocalMetadataStore } from './local-metadata-store.ts';

// ---- the model ------------------------------------------------------------------------

interface MKey {
  readonly value: string;
  readonly create: number;
  readonly mod: number;
  readonly version: number;
  readonly lease: string | null;
}

interface MState {
  readonly revision: number;
  readonly keys: ReadonlyMap<string, MKey>;
}

interface MLease {
  readonly id: string;
  readonly ttlMs: number;
  deadlineMs: number;
  readonly seq: number;
}

class Model {
  revision = 1;
  keys = new Map<string, MKey>();
  leases = new Map<string, MLease>();
  leaseSeq = 0;
  /** Every state since the last reopen; `acked` indexes the newest one an acknowledged write produced. */
  states: MState[] = [];
  acked = 0;

  constructor() {
    this.record();
  }

  record(): number {
    this.states.push({ revision: this.revision, keys: new Map(this.keys) });
    return this.states.length - 1;
  }

  put(key: string, value: string, lease: string | null): void {
    const old = this.keys.get(key);
    this.revision += 1;
    this.keys.set(key, { value, create: old ? old.create : this.revision, mod: this.revision, version: old ? old.version + 1 : 1, lease });
  }

  delete(keys: readonly string[]): void {
    const present = keys.filter((k) => this.keys.has(k));
    if (present.length === 0) return;
    this.revision += 1;
    for (const k of present) this.keys.delete(k);
  }

  dropLease(id: string): void {
    this.leases.delete(id);
    this.delete([...this.keys].filter(([, v]) => v.lease === id).map(([k]) => k));
  }

  /** The state a reopen makes of `state`: no leases, their keys gone in one revision. */
  static reopened(state: MState): MState {
    const keys = new Map([...state.keys].filter(([, v]) => v.lease === null));
    return { revision: keys.size === state.keys.size ? state.revision : state.revision + 1, keys };
  }

  resetTo(state: MState): void {
    this.revision = state.revision;
    this.keys = new Map(state.keys);
    this.leases.clear();
    this.states = [];
    this.acked = this.record();
  }
}

function view(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => JSON.stringify([kv.key, new TextDecoder().decode(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease]));
}

function modelView(state: MState): string[] {
  return [...state.keys]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => JSON.stringify([k, v.value, v.create, v.mod, v.version, v.lease]));
}

// ---- a process: its view of the shared disk, which a crash cuts off ------------------------

/**
 * The file system as one process sees it. `crashBeforeOp(n)` makes its n-th operation from
 * now a power loss instead: the disk crashes (with `tear`) and this process, and its store,
 * never touch it again (every later call rejects), as a dead process cannot.
 */
class Process {
  readonly fs: FileSystem;
  dead = false;
  private opsLeft: number | null = null;
  private tear: { seed: number; mode: TearMode } | null = null;
  /** The last write made through this process and not synced since (for the 'scramble' crash). */
  private lastUnsynced: { path: string; position: number; bytes: Uint8Array } | null = null;

  private readonly disk: MemoryFileSystem;

  constructor(disk: MemoryFileSystem) {
    this.disk = disk;
    const gate = (what: string): void => this.gate(what);
    const wrapHandle = (h: FileHandle): FileHandle => ({
      path: h.path,
      read: async (b, p) => (gate(h.path), h.read(b, p)),
      append: async (b) => (gate(h.path), h.append(b)),
      write: async (b, p) => {
        gate(h.path);
        const n = await h.write(b, p);
        this.lastUnsynced = { path: h.path, position: p, bytes: concat(b) };
        return n;
      },
      sync: async () => {
        gate(h.path);
        await h.sync();
        if (this.lastUnsynced?.path === h.path) this.lastUnsynced = null;
      },
      truncate: async (n) => (gate(h.path), h.truncate(n)),
      size: async () => (gate(h.path), h.size()),
      close: async () => (gate(h.path), h.close()),
    });
    const wrapLock = (l: FileLock): FileLock => ({
      path: l.path,
      writeHolder: async (b) => (gate(l.path), l.writeHolder(b)),
      release: async () => (gate(l.path), l.release()),
    });
    this.fs = {
      open: async (p, m, o) => (gate(p), wrapHandle(await disk.open(p, m, o))),
      mkdirp: async (p) => (gate(p), disk.mkdirp(p)),
      readDir: async (p) => (gate(p), disk.readDir(p)),
      rename: async (a, b) => (gate(a), disk.rename(a, b)),
      remove: async (p, o) => (gate(p), disk.remove(p, o)),
      stat: async (p) => (gate(p), disk.stat(p)),
      syncDir: async (p) => (gate(p), disk.syncDir(p)),
      readFile: async (p) => (gate(p), disk.readFile(p)),
      freeSpace: async (p) => (gate(p), disk.freeSpace(p)),
      tryLock: async (p) => {
        gate(p);
        const l = await disk.tryLock(p);
        return l && wrapLock(l);
      },
    };
  }

  crashBeforeOp(n: number, tear: { seed: number; mode: TearMode }): void {
    this.opsLeft = n;
    this.tear = tear;
  }

  disarm(): void {
    this.opsLeft = null;
  }

  /** The write a 'scramble' crash keeps at full length with one byte changed; applied by `afterCrash`. */
  private scrambled: { path: string; position: number; bytes: Uint8Array; flipAt: number } | null = null;

  /** After a 'scramble' crash: the disk ends up holding the last unsynced write whole but for one changed byte. */
  async afterCrash(): Promise<void> {
    const s = this.scrambled;
    this.scrambled = null;
    if (!s || (await this.disk.stat(s.path)) === null) return;
    const bytes = s.bytes.slice();
    bytes[s.flipAt] = bytes[s.flipAt]! ^ 0x20;
    const h = await this.disk.open(s.path, 'read-write');
    await h.write(bytes, s.position);
    await h.sync();
    await h.close();
  }

  private gate(path: string): void {
    if (!this.dead && this.opsLeft !== null && --this.opsLeft === 0) {
      this.dead = true;
      const tear = this.tear!;
      if (tear.mode !== 'scramble') this.disk.crash({ tear: { seed: tear.seed, mode: tear.mode } });
      else {
        this.disk.crash();
        this.scrambled = this.lastUnsynced && { ...this.lastUnsynced, flipAt: tear.seed % this.lastUnsynced.bytes.length };
      }
    }
    if (this.dead) throw new FileSystemError('closed', path, 'the process is dead (simulated power loss)');
  }
}

type TearMode = 'prefix' | 'last' | 'scramble';

function concat(b: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const parts = b instanceof Uint8Array ? [b] : b;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- steps ----------------------------------------------------------------------------

const keyArb = fc.constantFrom('a', 'b', 'c/1', 'c/2', 'd');
type WriteOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: string; readonly leased: number | null }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'txn'; readonly key: string; readonly match: boolean; readonly other: string; readonly value: string }
  | { readonly kind: 'revoke'; readonly lease: number };

const writeArb: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.string({ maxLength: 6 }), leased: fc.option(fc.nat(3), { freq: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('txn' as const), key: keyArb, match: fc.boolean(), other: keyArb, value: fc.string({ maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), lease: fc.nat(3) }) },
);

type Step =
  | { readonly kind: 'batch'; readonly ops: readonly WriteOp[]; readonly crash: { readonly atOp: number; readonly seed: number; readonly mode: TearMode } | null }
  | { readonly kind: 'fault'; readonly ops: readonly WriteOp[]; readonly op: 'open' | 'write' | 'sync' | 'close' | 'rename' | 'syncDir'; readonly nth: number }
  | { readonly kind: 'grant'; readonly ttlS: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'reopen' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('batch' as const), ops: fc.array(writeArb, { minLength: 1, maxLength: 6 }), crash: fc.option(fc.record({ atOp: fc.integer({ min: 1, max: 14 }), seed: fc.nat(), mode: fc.constantFrom('prefix' as const, 'last' as const, 'scramble' as const) }), { freq: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), ops: fc.array(writeArb, { minLength: 1, maxLength: 4 }), op: fc.constantFrom('open' as const, 'write' as const, 'sync' as const, 'close' as const, 'rename' as const, 'syncDir' as const), nth: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('grant' as const), ttlS: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

const coverage = { acknowledged: 0, crashes: 0, crashesWithPending: 0, recoveredUnacked: 0, faultsFired: 0, leaseSweeps: 0, expiries: 0, snapshotsAfterCreate: 0, tornTailsCut: 0 };

/** The journal bounds a run uses: every disk write a snapshot, a snapshot every few entries, the default. */
const journalBoundsArb = fc.constantFrom({ journalBytesMin: 0, journalSnapshotRatio: 0 }, { journalBytesMin: 400, journalSnapshotRatio: 1 }, {});

class Run {
  readonly disk = new MemoryFileSystem();
  readonly bounds: { readonly journalBytesMin?: number; readonly journalSnapshotRatio?: number };
  readonly model = new Model();
  proc!: Process;
  clock!: ManualClock;
  store!: LocalMetadataStore;
  leaseIds: string[] = [];
  private renamesAtOpen = 0;
  private opened = false;

  constructor(bounds: { readonly journalBytesMin?: number; readonly journalSnapshotRatio?: number }) {
    this.bounds = bounds;
  }

  async open(): Promise<void> {
    if (this.opened) {
      if (this.disk.opCount('rename') > this.renamesAtOpen) coverage.snapshotsAfterCreate += 1;
      await this.proc.afterCrash();
    }
    this.opened = true;
    const journalBytes = (await this.disk.stat('/data/samsa-metadata.kv.log'))?.sizeBytes ?? 0;
    const renamesBefore = this.disk.opCount('rename');
    this.proc = new Process(this.disk);
    this.clock = new ManualClock();
    this.store = await LocalMetadataStore.open({ fs: this.proc.fs, dir: '/data', clock: this.clock, random: createRandom(this.leaseIds.length + 1), ...this.bounds });
    // Shorter without a new journal: open cut a torn tail off.
    if (this.disk.opCount('rename') === renamesBefore && ((await this.disk.stat('/data/samsa-metadata.kv.log'))?.sizeBytes ?? 0) < journalBytes) coverage.tornTailsCut += 1;
    this.renamesAtOpen = this.disk.opCount('rename');
    this.leaseIds = [];
  }

  /** Issues a write now and models it; returns its promise. */
  issue(op: WriteOp): Promise<unknown> {
    const m = this.model;
    let p: Promise<unknown>;
    if (op.kind === 'put') {
      const lease = op.leased === null ? undefined : this.leaseIds[op.leased % Math.max(1, this.leaseIds.length)];
      const live = lease !== undefined && m.leases.has(lease);
      p = this.store.put(op.key, new TextEncoder().encode(op.value), live ? { lease } : undefined);
      m.put(op.key, op.value, live ? lease : null);
    } else if (op.kind === 'delete') {
      p = this.store.delete(op.key);
      m.delete([op.key]);
    } else if (op.kind === 'txn') {
      const mod = m.keys.get(op.key)?.mod ?? 0;
      p = this.store.txn({
        compare: [{ key: op.key, target: 'modRevision', op: 'equal', value: op.match ? mod : mod + 7 }],
        success: [{ type: 'put', key: op.key, value: new TextEncoder().encode(op.value) }],
        failure: [{ type: 'delete', key: op.other }],
      });
      if (op.match) m.put(op.key, op.value, null);
      else m.delete([op.other]);
    } else {
      const id = this.leaseIds[op.lease % Math.max(1, this.leaseIds.length)];
      if (id === undefined) return Promise.resolve(); // no lease granted in this process: no request
      p = this.store.revokeLease(id);
      if (m.leases.has(id)) m.dropLease(id);
    }
    expect(this.store.revision).toBe(m.revision);
    const index = m.record();
    return p.then((v) => {
      m.acked = Math.max(m.acked, index);
      coverage.acknowledged += 1;
      return v;
    });
  }

  async checkEqualsModel(): Promise<void> {
    expect(view((await this.store.range('')).kvs)).toEqual(modelView(this.model));
  }

  /** After a crash or a failure: reopen, and the state must be one the model went through, not older than the acknowledged one. */
  async recover(): Promise<void> {
    await this.store.close();
    await this.open();
    const got = view((await this.store.range('')).kvs);
    const m = this.model;
    const candidates = m.states.map((s, i) => ({ i, s: Model.reopened(s) })).filter(({ i, s }) => i >= m.acked && s.revision === this.store.revision && JSON.stringify(modelView(s)) === JSON.stringify(got));
    expect({ revision: this.store.revision, got, acked: m.acked, matches: candidates.length > 0 }).toMatchObject({ matches: true });
    const { i, s } = candidates[candidates.length - 1]!;
    if (i > m.acked) coverage.recoveredUnacked += 1;
    if (s.revision !== m.states[i]!.revision) coverage.leaseSweeps += 1;
    m.resetTo(s);
  }
}

async function runSteps(bounds: { readonly journalBytesMin?: number; readonly journalSnapshotRatio?: number }, steps: readonly Step[]): Promise<void> {
  const run = new Run(bounds);
  await run.open();
  try {
    for (const step of steps) await runStep(run, step);
    await run.checkEqualsModel();
  } finally {
    await run.store.close();
  }
}

async function runStep(run: Run, step: Step): Promise<void> {
  const m = run.model;
  switch (step.kind) {
    case 'grant': {
      const lease = await run.store.grantLease(step.ttlS * 1000);
      m.leases.set(lease.id, { id: lease.id, ttlMs: lease.ttlMs, deadlineMs: run.clock.monotonicMs() + lease.ttlMs, seq: m.leaseSeq++ });
      run.leaseIds.push(lease.id);
      return;
    }
    case 'advance': {
      const now = run.clock.monotonicMs() + step.ms;
      const due = [...m.leases.values()].filter((l) => l.deadlineMs <= now).sort((a, b) => a.deadlineMs - b.deadlineMs || a.seq - b.seq);
      run.clock.advance(step.ms);
      for (const l of due) {
        m.dropLease(l.id);
        m.record();
        coverage.expiries += 1;
      }
      expect(run.store.revision).toBe(m.revision);
      await run.checkEqualsModel(); // waits for the expiries to be written
      m.acked = m.states.length - 1;
      return;
    }
    case 'reopen':
      await run.store.close();
      await run.open();
      m.resetTo(Model.reopened({ revision: m.revision, keys: m.keys }));
      await run.checkEqualsModel();
      return;
    case 'batch': {
      const pending = step.ops.map((op) => run.issue(op));
      if (step.crash) run.proc.crashBeforeOp(step.crash.atOp, { seed: step.crash.seed, mode: step.crash.mode });
      const settled = await Promise.allSettled(pending);
      run.proc.disarm();
      if (!run.proc.dead) {
        expect(settled.map((s) => s.status)).toEqual(settled.map(() => 'fulfilled'));
        await run.checkEqualsModel();
        return;
      }
      coverage.crashes += 1;
      if (settled.some((s) => s.status === 'rejected')) coverage.crashesWithPending += 1;
      await run.recover();
      return;
    }
    case 'fault': {
      run.disk.failOn({ op: step.op, nth: step.nth, code: 'io' });
      const settled = await Promise.allSettled(step.ops.map((op) => run.issue(op)));
      run.disk.clearFaults();
      if (settled.every((s) => s.status === 'fulfilled')) {
        await run.checkEqualsModel();
        return;
      }
      coverage.faultsFired += 1;
      // Stopped: everything is refused until a reopen.
      await expect(run.store.get('a')).rejects.toMatchObject({ code: 'unavailable' });
      await run.recover();
      return;
    }
  }
}

describe('LocalMetadataStore against a model, with crashes', () => {
  it('applies writes in call order, acknowledges only what is on disk, and recovers one whole state no older than the acknowledged one', async () => {
    await fc.assert(
      fc.asyncProperty(journalBoundsArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (bounds, steps) => {
        await runSteps(bounds, steps);
      }),
      { numRuns: 300 },
    );
    for (const [name, n] of Object.entries(coverage)) expect({ name, seen: n > 0 }).toEqual({ name, seen: true });
  }, 120_000);
});
