/**
 * KvState: the synchronous heart of the simulated metadata store — keys, leases, the
 * revision counter and the per-revision history that watches read. No time, no promises:
 * the caller passes `nowMs` and decides when leases expire.
 *
 * Invariants (etcd's MVCC model):
 * - `revision` grows by exactly one per commit that changed at least one key; a write that
 *   changed nothing (a delete of a missing key, a transaction of reads, a lease with no keys
 *   expiring) leaves it alone.
 * - `history` holds one entry per revision in (compactRevision - 1, revision], oldest
 *   first, each with every event of that revision in the order they happened. Entries
 *   below `compactRevision` are gone; a watch from there is compacted.
 * - `sortedKeys` holds exactly the keys of `keys`, ascending by UTF-16 code units (the
 *   store's order), so `range(prefix)` costs O(log n + k) and never sorts; a put of a new
 *   key or a delete moves the array's tail once (O(n) memmove, no comparisons beyond log n).
 * - Every key with a lease is in that lease's key set, and every key in a lease's set
 *   carries that lease.
 * - A request is bounded as etcd bounds it by default: at most `txnOpsMax` compares and ops
 *   per branch, at most `requestBytesMax` of keys and values.
 * - A transaction is checked in full before it writes (both branches for overlapping writes,
 *   as etcd does before evaluating compares; the branch it runs for missing leases), so a
 *   rejected one changes nothing. Ops run in order and a read sees the writes before it in
 *   the same branch (etcd's storeTxnWrite reads at revision + 1 once it has changed a key).
 */

import type { Random } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';
import type { Compare, KeyValue, Txn, TxnOp, TxnOpResult, TxnResult, WatchBatch, WatchEvent } from '../metadata-store.ts';

export interface LeaseState {
  readonly id: string;
  readonly ttlMs: number;
  /** Monotonic ms at which it expires unless kept alive. */
  deadlineMs: number;
  /** Grant order: leases due at the same time expire in this order. */
  readonly seq: number;
  readonly keys: Set<string>;
}

export interface KvSnapshot {
  readonly revision: number;
  readonly compactRevision: number;
  /** Every key, ascending. */
  readonly kvs: readonly KeyValue[];
  /** Every live lease, by id ascending. */
  readonly leases: readonly { readonly id: string; readonly ttlMs: number; readonly deadlineMs: number; readonly keys: readonly string[] }[];
}

const emptyValue = new Uint8Array(0);

const LEASE_ID_ATTEMPTS_MAX = 16;

export class KvState {
  private readonly keys = new Map<string, KeyValue>();
  /** Every key of `keys`, ascending (compareKeys): a prefix range is a binary search plus its keys. */
  private readonly sortedKeys: string[] = [];
  private readonly leases = new Map<string, LeaseState>();
  private leaseSeq = 0;
  private rev = 1; // etcd's fresh store answers revision 1 before any write
  private compactRev = 0;
  private readonly history: WatchBatch[] = [];

  /**
   * A state rebuilt from persisted keys (the local store's file): `revision` and the keys
   * as they were, no leases and no history. History before `revision + 1` is gone, so the
   * compaction point is at least `revision + 1`. Keys keep their lease ids; the caller
   * deletes them (`deleteKeys`), since a restored state has no live lease.
   */
  static restore(revision: number, compactRevision: number, kvs: readonly KeyValue[]): KvState {
    const state = new KvState();
    state.rev = revision;
    state.compactRev = Math.max(compactRevision, revision + 1);
    for (const kv of kvs) state.keys.set(kv.key, kv);
    state.sortedKeys.push(...[...state.keys.keys()].sort(compareKeys));
    return state;
  }

  get revision(): number {
    return this.rev;
  }

  get compactRevision(): number {
    return this.compactRev;
  }

  get(key: string): KeyValue | null {
    return this.keys.get(key) ?? null;
  }

  /** Keys under `prefix`, ascending; at most `limit` (0 or absent = all). O(log n + k) for k keys returned. */
  range(prefix: string, limit = 0): { kvs: KeyValue[]; more: boolean } {
    // Every key with the prefix sorts at or after the prefix itself, and they are contiguous.
    const kvs: KeyValue[] = [];
    let i = lowerBound(this.sortedKeys, prefix);
    for (; i < this.sortedKeys.length && this.sortedKeys[i]!.startsWith(prefix); i++) {
      if (limit > 0 && kvs.length === limit) break;
      kvs.push(this.keys.get(this.sortedKeys[i]!)!);
    }
    return { kvs, more: i < this.sortedKeys.length && this.sortedKeys[i]!.startsWith(prefix) };
  }

  txn(txn: Txn): TxnResult {
    // etcd checks both branches' shape before it evaluates anything, and the leases of the branch it runs.
    checkSize(txn);
    checkOverlaps(txn.success);
    checkOverlaps(txn.failure ?? []);
    const succeeded = this.comparesHold(txn.compare);
    const ops = succeeded ? txn.success : (txn.failure ?? []);
    for (const op of ops) {
      if (op.type === 'put' && op.lease !== undefined && !this.leases.has(op.lease)) throw new MetadataStoreError('lease-not-found', `lease ${op.lease} not found`);
    }
    const events: WatchEvent[] = [];
    const results = ops.map((op) => this.apply(op, events));
    this.commit(events);
    return { succeeded, revision: this.rev, results };
  }

  grantLease(id: string, ttlMs: number, nowMs: number): LeaseState {
    if (this.leases.has(id)) throw new MetadataStoreError('invalid-argument', `lease ${id} already exists`);
    const lease: LeaseState = { id, ttlMs, deadlineMs: nowMs + ttlMs, seq: this.leaseSeq++, keys: new Set() };
    this.leases.set(id, lease);
    return lease;
  }

  /**
   * The store-level grant both in-process stores share: validates the TTL, refuses past
   * `leasesMax` (`unavailable`), rounds the TTL up to whole seconds as etcd does, grants.
   */
  grantRoundedLease(id: string, ttlMs: number, nowMs: number, leasesMax: number): LeaseState {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new MetadataStoreError('invalid-argument', `bad lease TTL ${ttlMs} ms`);
    if (this.leases.size >= leasesMax) throw new MetadataStoreError('unavailable', `more than ${leasesMax} leases`);
    return this.grantLease(id, Math.ceil(ttlMs / 1000) * 1000, nowMs);
  }

  /** Renews a live lease to its full TTL from `nowMs`; `lease-not-found` when it is gone. */
  renewLease(id: string, nowMs: number): LeaseState {
    const lease = this.leases.get(id);
    if (!lease) throw new MetadataStoreError('lease-not-found', `lease ${id} not found`);
    lease.deadlineMs = nowMs + lease.ttlMs;
    return lease;
  }

  /**
   * A fresh lease id from `random`: a positive 63-bit number in lower-case hex without
   * leading zeros (never "0"), not in use; `unavailable` after a few collisions.
   */
  newLeaseId(random: Random): string {
    for (let i = 0; i < LEASE_ID_ATTEMPTS_MAX; i++) {
      const hi = random.nextUint32() & 0x7fffffff;
      const id = (hi.toString(16).padStart(8, '0') + random.nextUint32().toString(16).padStart(8, '0')).replace(/^0+(?=.)/, '');
      if (!this.leases.has(id) && id !== '0') return id;
    }
    throw new MetadataStoreError('unavailable', 'no free lease id');
  }

  get leaseCount(): number {
    return this.leases.size;
  }

  lease(id: string): LeaseState | null {
    return this.leases.get(id) ?? null;
  }

  /** Removes the lease and deletes its keys in one revision (none when it had no keys). False when it did not exist. */
  dropLease(id: string): boolean {
    const lease = this.leases.get(id);
    if (!lease) return false;
    this.leases.delete(id);
    this.deleteKeys([...lease.keys]);
    return true;
  }

  /** Deletes the keys (missing ones are skipped) in one revision, ascending; no revision when nothing was deleted. Returns how many went. */
  deleteKeys(keys: readonly string[]): number {
    const events: WatchEvent[] = [];
    for (const key of [...keys].sort(compareKeys)) this.deleteKey(key, events);
    this.commit(events);
    return events.length;
  }

  /** Every compare holds against the current state (what `txn` decides its branch by). */
  comparesHold(compare: readonly Compare[]): boolean {
    return compare.every((c) => this.holds(c));
  }

  /** Leases with `deadlineMs <= nowMs`, in expiry order (deadline, then grant order). */
  dueLeases(nowMs: number): LeaseState[] {
    return [...this.leases.values()].filter((l) => l.deadlineMs <= nowMs).sort((a, b) => a.deadlineMs - b.deadlineMs || a.seq - b.seq);
  }

  /** The earliest lease deadline, or null. */
  nextDeadlineMs(): number | null {
    let min: number | null = null;
    for (const l of this.leases.values()) if (min === null || l.deadlineMs < min) min = l.deadlineMs;
    return min;
  }

  /** Drops the history below `revision` (clamped to the current revision). Rejects moving backwards. */
  compact(revision: number): void {
    if (!Number.isInteger(revision) || revision < 1) throw new MetadataStoreError('invalid-argument', `cannot compact at revision ${revision}`);
    if (revision > this.rev) throw new MetadataStoreError('invalid-argument', `cannot compact at ${revision}: the store is at ${this.rev}`);
    if (revision <= this.compactRev) return;
    this.compactRev = revision;
    while (this.history.length > 0 && this.history[0]!.revision < revision) this.history.shift();
  }

  /** The batch of `revision` (unfiltered), or null when it is compacted or not yet written. */
  batchAt(revision: number): WatchBatch | null {
    const first = this.history[0];
    if (!first) return null;
    return this.history[revision - first.revision] ?? null;
  }

  snapshot(): KvSnapshot {
    return {
      revision: this.rev,
      compactRevision: this.compactRev,
      kvs: this.range('').kvs,
      leases: [...this.leases.values()]
        .sort((a, b) => compareKeys(a.id, b.id))
        .map((l) => ({ id: l.id, ttlMs: l.ttlMs, deadlineMs: l.deadlineMs, keys: [...l.keys].sort(compareKeys) })),
    };
  }

  private holds(c: Compare): boolean {
    const kv = this.keys.get(c.key);
    switch (c.target) {
      case 'value': {
        // etcd: a value compare on a missing key fails, whatever its op.
        if (!kv) return false;
        const eq = bytesEqual(kv.value, c.value);
        return c.op === 'equal' ? eq : !eq;
      }
      case 'lease': {
        const eq = (kv?.lease ?? null) === c.value;
        return c.op === 'equal' ? eq : !eq;
      }
      default: {
        const actual = kv ? kv[c.target] : 0;
        switch (c.op) {
          case 'equal':
            return actual === c.value;
          case 'not-equal':
            return actual !== c.value;
          case 'less':
            return actual < c.value;
          case 'greater':
            return actual > c.value;
        }
      }
    }
  }

  private apply(op: TxnOp, events: WatchEvent[]): TxnOpResult {
    switch (op.type) {
      case 'put':
        this.putKey(op.key, op.value, op.lease ?? null, events);
        return { type: 'put' };
      case 'delete':
        return { type: 'delete', deleted: this.deleteKey(op.key, events) };
      case 'delete-prefix': {
        let deleted = 0;
        for (const kv of this.range(op.prefix).kvs) deleted += this.deleteKey(kv.key, events);
        return { type: 'delete', deleted };
      }
      case 'get': {
        const kv = this.keys.get(op.key);
        return { type: 'get', kvs: kv ? [kv] : [] };
      }
      case 'range':
        return { type: 'range', kvs: this.range(op.prefix).kvs };
    }
  }

  /** The revision this commit will get: reads after a write in the same transaction see it. */
  private pendingRevision(events: readonly WatchEvent[]): number {
    return events.length > 0 ? events[0]!.kv.modRevision : this.rev + 1;
  }

  private putKey(key: string, value: Uint8Array, lease: string | null, events: WatchEvent[]): void {
    const revision = this.pendingRevision(events);
    const old = this.keys.get(key);
    if (old?.lease != null) this.leases.get(old.lease)?.keys.delete(key);
    const kv: KeyValue = {
      key,
      value: value.slice(),
      createRevision: old ? old.createRevision : revision,
      modRevision: revision,
      version: old ? old.version + 1 : 1,
      lease,
    };
    this.keys.set(key, kv);
    if (!old) this.sortedKeys.splice(lowerBound(this.sortedKeys, key), 0, key);
    if (lease !== null) this.leases.get(lease)!.keys.add(key);
    events.push({ type: 'put', kv });
  }

  private deleteKey(key: string, events: WatchEvent[]): number {
    const old = this.keys.get(key);
    if (!old) return 0;
    const revision = this.pendingRevision(events);
    this.keys.delete(key);
    const at = lowerBound(this.sortedKeys, key);
    if (this.sortedKeys[at] !== key) throw new Error(`assertion: key ${JSON.stringify(key)} missing from the sorted keys`);
    this.sortedKeys.splice(at, 1);
    if (old.lease !== null) this.leases.get(old.lease)?.keys.delete(key);
    events.push({ type: 'delete', kv: { key, value: emptyValue, createRevision: 0, modRevision: revision, version: 0, lease: null } });
    return 1;
  }

  private commit(events: WatchEvent[]): void {
    if (events.length === 0) return;
    this.rev += 1;
    this.history.push({ revision: this.rev, events });
  }
}

/** etcd's defaults: `--max-txn-ops` 128 (compares, and ops per branch), `--max-request-bytes` 1.5 MiB. */
export const txnOpsMax = 128;
export const requestBytesMax = 1.5 * 1024 * 1024;

function checkSize(txn: Txn): void {
  const failure = txn.failure ?? [];
  if (Math.max(txn.compare.length, txn.success.length, failure.length) > txnOpsMax) {
    throw new MetadataStoreError('invalid-argument', `too many operations in txn request (max ${txnOpsMax})`);
  }
  let bytes = 0;
  for (const c of txn.compare) bytes += c.key.length + (c.target === 'value' ? c.value.length : 8);
  for (const op of [...txn.success, ...failure]) bytes += (op.type === 'delete-prefix' || op.type === 'range' ? op.prefix : op.key).length + (op.type === 'put' ? op.value.length : 0);
  if (bytes > requestBytesMax) throw new MetadataStoreError('invalid-argument', `request is too large (${bytes} bytes, max ${requestBytesMax})`);
}

/** etcd refuses a branch whose writes overlap: two puts of a key, or a put of a key the branch also deletes (before or after it). */
function checkOverlaps(ops: readonly TxnOp[]): void {
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'put') continue;
    if (puts.has(op.key)) throw new MetadataStoreError('invalid-argument', `duplicate key given in txn request: ${op.key}`);
    puts.add(op.key);
  }
  for (const op of ops) {
    const hit = op.type === 'delete' ? puts.has(op.key) : op.type === 'delete-prefix' ? [...puts].some((k) => k.startsWith(op.prefix)) : false;
    if (hit) throw new MetadataStoreError('invalid-argument', 'duplicate key given in txn request: a put of a key the branch also deletes');
  }
}

/** The first index of `sorted` whose key is not below `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
