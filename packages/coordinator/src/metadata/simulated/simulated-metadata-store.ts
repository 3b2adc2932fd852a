/**
 * SimulatedMetadataStore: a deterministic, in-memory MetadataStore with etcd's semantics
 * and injected faults, for property tests and the whole-cluster simulator.
 *
 * Time comes only from the Clock (lease expiry, slow answers), randomness only from the
 * Random (lease ids, faults): the same seed, clock moves and call sequence give the same
 * run. Every request takes effect synchronously when it is called, in call order, before
 * the returned promise settles (a slow answer only delays the promise); so a caller that
 * sees a revision knows every earlier call's effect is in it.
 *
 * Leases expire when the clock reaches their deadline (a timer on the clock, and a check
 * at the start of every request), in deadline order, ties in grant order; each expiry
 * deletes its keys in one revision. TTLs are rounded up to whole seconds, as etcd does.
 *
 * Bounded: history keeps at most `historyRevisionsMax` revisions (older ones are compacted
 * automatically), a watch buffers at most `watchBufferedBatchesMax` batches, at most
 * `watchesMax` watches and `leasesMax` leases exist at once (more are refused
 * `unavailable`). Test hooks: `compact`, `expireLease`, `dropWatches`, `faults` (arm a
 * fault for the next request, set delays), `snapshot`.
 */

import type { Clock, Random } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';
import type { KeyValue, Lease, MetadataStore, RangeResult, Txn, TxnResult, WatchBatch } from '../metadata-store.ts';
import { FaultInjector, type SimulatedFaultConfig } from './faults.ts';
import { KvState, type KvSnapshot } from './kv-state.ts';
import { LeaseExpiryTimer } from './lease-expiry-timer.ts';
import { SimulatedWatch, type WatchHost } from './simulated-watch.ts';

export interface SimulatedMetadataStoreOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly faults?: SimulatedFaultConfig;
  /** Revisions of history kept for watches. Default 100_000. */
  readonly historyRevisionsMax?: number;
  /** Undelivered batches per watch before it fails `unavailable`. Default 4096. */
  readonly watchBufferedBatchesMax?: number;
  /** Default 10_000. */
  readonly watchesMax?: number;
  /** Default 100_000. */
  readonly leasesMax?: number;
}


export class SimulatedMetadataStore implements MetadataStore {
  readonly faults: FaultInjector;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly kv = new KvState();
  private readonly expiry: LeaseExpiryTimer;
  private readonly watches = new Set<SimulatedWatch>();
  private readonly historyRevisionsMax: number;
  private readonly watchBufferedBatchesMax: number;
  private readonly watchesMax: number;
  private readonly leasesMax: number;
  private closed = false;
  private readonly watchHost: WatchHost;

  constructor(options: SimulatedMetadataStoreOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.faults = new FaultInjector(options.random, options.faults);
    this.expiry = new LeaseExpiryTimer(this.clock, this.kv, () => this.expireDue());
    this.historyRevisionsMax = positive('historyRevisionsMax', options.historyRevisionsMax ?? 100_000);
    this.watchBufferedBatchesMax = positive('watchBufferedBatchesMax', options.watchBufferedBatchesMax ?? 4096);
    this.watchesMax = positive('watchesMax', options.watchesMax ?? 10_000);
    this.leasesMax = positive('leasesMax', options.leasesMax ?? 100_000);
    this.watchHost = {
      state: this.kv,
      watchDrops: () => this.faults.watchDrops(),
      detach: (w) => this.watches.delete(w),
    };
  }

  range(prefix: string, options?: { readonly limit?: number }): Promise<RangeResult> {
    return this.read(() => {
      const limit = options?.limit ?? 0;
      if (!(Number.isInteger(limit) && limit >= 0)) throw new MetadataStoreError('invalid-argument', `bad limit ${limit}`);
      return { ...this.kv.range(prefix, limit), revision: this.kv.revision };
    });
  }

  get(key: string): Promise<KeyValue | null> {
    return this.read(() => this.kv.get(key));
  }

  put(key: string, value: Uint8Array, options?: { readonly lease?: string }): Promise<number> {
    const op = options?.lease === undefined ? { type: 'put' as const, key, value } : { type: 'put' as const, key, value, lease: options.lease };
    return this.write(() => this.commitTxn({ compare: [], success: [op] }).revision);
  }

  delete(key: string): Promise<number> {
    return this.write(() => {
      const result = this.commitTxn({ compare: [], success: [{ type: 'delete', key }] }).results[0]!;
      return result.type === 'delete' ? result.deleted : 0;
    });
  }

  txn(txn: Txn): Promise<TxnResult> {
    return this.write(() => this.commitTxn(txn));
  }

  grantLease(ttlMs: number): Promise<Lease> {
    return this.read(() => {
      const lease = this.kv.grantRoundedLease(this.kv.newLeaseId(this.random), ttlMs, this.clock.monotonicMs(), this.leasesMax);
      this.armExpiry();
      return { id: lease.id, ttlMs: lease.ttlMs };
    });
  }

  keepAlive(leaseId: string): Promise<number> {
    return this.read(() => {
      const lease = this.kv.lease(leaseId);
      if (lease && this.faults.leaseExpiresEarly()) this.expireLease(leaseId);
      const live = this.kv.renewLease(leaseId, this.clock.monotonicMs());
      this.armExpiry();
      return live.ttlMs;
    });
  }

  revokeLease(leaseId: string): Promise<void> {
    return this.write(() => {
      this.dropLease(leaseId);
    });
  }

  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchBatch> {
    const refused = this.closed
      ? new MetadataStoreError('unavailable', 'the store is closed')
      : this.watches.size >= this.watchesMax
        ? new MetadataStoreError('unavailable', `more than ${this.watchesMax} watches`)
        : this.faults.refuse()
          ? new MetadataStoreError('unavailable', 'watch refused (injected)')
          : null;
    // etcd: a start revision of 0 (or less) means "from the next revision".
    const from = fromRevision > 0 ? fromRevision : this.kv.revision + 1;
    const watch = new SimulatedWatch(this.watchHost, prefix, from, signal, this.watchBufferedBatchesMax);
    if (refused) watch.fail(refused);
    else this.watches.add(watch);
    return { [Symbol.asyncIterator]: () => watch.batches() };
  }

  close(): Promise<void> {
    this.closed = true;
    this.expiry.cancel();
    for (const w of this.watches) w.fail(new MetadataStoreError('unavailable', 'the store is closed'));
    this.watches.clear();
    return Promise.resolve();
  }

  // ---- test hooks -------------------------------------------------------------------

  /** Drops history below `revision`: watches from earlier fail with CompactedError. */
  compact(revision: number): void {
    this.kv.compact(revision);
  }

  /** Expires the lease now, as if its keepalives had been lost: its keys go in one revision. */
  expireLease(leaseId: string): boolean {
    return this.dropLease(leaseId);
  }

  /** Fails every open watch with `unavailable`. */
  dropWatches(): void {
    for (const w of this.watches) w.fail(new MetadataStoreError('unavailable', `watch on '${w.prefix}' dropped (injected)`));
    this.watches.clear();
  }

  /** Replaces the random fault probabilities (armed hooks stay armed). */
  configureFaults(config: SimulatedFaultConfig): void {
    this.faults.configure(config);
  }

  snapshot(): KvSnapshot {
    return this.kv.snapshot();
  }

  get revision(): number {
    return this.kv.revision;
  }

  // ---- internals --------------------------------------------------------------------

  private commitTxn(txn: Txn): TxnResult {
    const before = this.kv.revision;
    const result = this.kv.txn(txn);
    this.afterCommit(before);
    return result;
  }

  private dropLease(leaseId: string): boolean {
    const before = this.kv.revision;
    const dropped = this.kv.dropLease(leaseId);
    this.afterCommit(before);
    return dropped;
  }

  private afterCommit(before: number): void {
    if (this.kv.revision === before) return;
    const keepFrom = this.kv.revision - this.historyRevisionsMax + 1;
    if (keepFrom > this.kv.compactRevision) this.kv.compact(keepFrom);
    const batch = this.kv.batchAt(this.kv.revision)!;
    for (const w of this.watches) w.notify(batch);
  }

  private expireDue(): void {
    for (const lease of this.kv.dueLeases(this.clock.monotonicMs())) this.dropLease(lease.id);
    this.armExpiry();
  }

  private armExpiry(): void {
    if (this.closed) return;
    this.expiry.arm();
  }

  /** A request that is refused or answered (possibly late); never an unknown outcome. */
  private read<T>(apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new MetadataStoreError('unavailable', 'the store is closed'));
    this.expireDue();
    if (this.faults.refuse()) return this.answer(() => Promise.reject(new MetadataStoreError('unavailable', 'request refused (injected)')));
    return this.settle(apply);
  }

  /** A write: refused, applied, or lost after it was (or was not) applied. */
  private write<T>(apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new MetadataStoreError('unavailable', 'the store is closed'));
    this.expireDue();
    const fault = this.faults.write();
    if (fault === 'unavailable') return this.answer(() => Promise.reject(new MetadataStoreError('unavailable', 'request refused (injected)')));
    if (fault === 'none') return this.settle(apply);
    if (fault === 'unknown-applied') {
      try {
        apply();
      } catch {
        // a request the store rejected: still an unknown outcome for the caller, and nothing applied
      }
    }
    return this.answer(() => Promise.reject(new MetadataStoreError('unknown-outcome', 'request timed out after it was sent (injected)')));
  }

  private settle<T>(apply: () => T): Promise<T> {
    let value: T;
    try {
      value = apply();
    } catch (error) {
      return this.answer(() => Promise.reject(error));
    }
    return this.answer(() => Promise.resolve(value));
  }

  private answer<T>(outcome: () => Promise<T>): Promise<T> {
    const delayMs = this.faults.responseDelayMs();
    if (delayMs === 0) return outcome();
    return this.clock.sleep(delayMs).then(outcome);
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) throw new MetadataStoreError('invalid-argument', `${name} must be a positive integer, got ${value}`);
  return value;
}
