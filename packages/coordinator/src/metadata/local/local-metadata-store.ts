/**
 * LocalMetadataStore: the MetadataStore of a single broker — etcd's semantics for one
 * process, kept in one file (`local-file-format.ts`) in a directory, through the runtime
 * FileSystem. Time comes only from the Clock (lease expiry), randomness only from the
 * Random (lease ids). The key-value core is the simulated store's `KvState`, its watches
 * `SimulatedWatch`: same revisions, transaction rules, leases and watch batches.
 *
 * Durability: every request is applied to memory when it is called, in call order, and its
 * promise settles only once the file holds that state (or a later one): written to
 * `samsa-metadata.kv.tmp`, synced, renamed over the file, the directory synced. So an
 * acknowledged write survives a crash, and a crash leaves the file at one committed state,
 * never a mix. Reads are answered from the state at their call, but also wait until that
 * state is durable, and a watch yields a batch only once its revision is durable: nothing
 * a crash could take back is ever shown. Writes that arrive while a file write is in
 * flight are grouped into the next one (one file write per group, not per request).
 *
 * A file write that fails leaves the store failed: memory may be ahead of the file, so
 * every pending and later request rejects (`unavailable`, or `unknown-outcome` for the
 * writes of a file write that failed after its rename) and watches end; close and reopen
 * it (the file holds the last state that was written whole).
 *
 * Leases do not survive a restart (their owner is gone): on open, every key attached to a
 * lease is deleted in one revision, persisted before `open` resolves. `open` makes the file
 * it read durable before it serves anything, since it may not be yet (its writer may have
 * died between the rename and the directory sync): it syncs the file and the directory, or,
 * when the lease sweep changed the state, writes the file again. Syncing rather than
 * rewriting lets a store open on a full disk (a broker must start there and serve reads).
 * History is kept in memory only (`historyRevisionsMax`): a reopened store's history
 * starts after its revision, and a watch from before that fails with CompactedError.
 *
 * Bounded: the file at `fileBytesMax` (a write that would grow it past that is refused
 * `invalid-argument` before anything is applied; lease expiries only shrink it), history,
 * watches, leases and requests waiting for the disk (`pendingRequestsMax`, past it:
 * `unavailable`). One store per directory: it holds `samsa-metadata.kv.lock`.
 */

import { dirnameOf, joinPath } from '@samsa/runtime';
import type { Clock, FileLock, FileSystem, Random } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';
import type { KeyValue, Lease, MetadataStore, RangeResult, Txn, TxnOp, TxnResult, WatchBatch } from '../metadata-store.ts';
import { KvState } from '../simulated/kv-state.ts';
import { LeaseExpiryTimer } from '../simulated/lease-expiry-timer.ts';
import { SimulatedWatch, type WatchHost } from '../simulated/simulated-watch.ts';
import { decodeMetadataFile, encodeMetadataFile, fileBytesFor, LocalMetadataCorruptError, localMetadataFileName, recordJson, utf8Length } from './local-file-format.ts';

export interface LocalMetadataStoreOptions {
  readonly fs: FileSystem;
  /** Directory of the file (created if missing). */
  readonly dir: string;
  readonly clock: Clock;
  readonly random: Random;
  /** The file's size bound. Default 64 MiB. */
  readonly fileBytesMax?: number;
  /** Revisions of history kept in memory for watches. Default 10_000. */
  readonly historyRevisionsMax?: number;
  /** Undelivered batches per watch before it fails `unavailable`. Default 4096. */
  readonly watchBufferedBatchesMax?: number;
  /** Default 10_000. */
  readonly watchesMax?: number;
  /** Default 100_000. */
  readonly leasesMax?: number;
  /** Requests waiting for their state to reach the disk. Default 10_000. */
  readonly pendingRequestsMax?: number;
}

interface Waiter {
  readonly revision: number;
  readonly isWrite: boolean;
  resolve(): void;
  reject(error: Error): void;
}

interface StoredRecord {
  readonly json: string;
  readonly bytes: number;
}


export class LocalMetadataStore implements MetadataStore {
  readonly path: string;
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly lock: FileLock;
  private readonly kv: KvState;
  private readonly expiry: LeaseExpiryTimer;
  private readonly records = new Map<string, StoredRecord>();
  private recordBytes = 0;
  private readonly fileBytesMax: number;
  private readonly historyRevisionsMax: number;
  private readonly watchBufferedBatchesMax: number;
  private readonly watchesMax: number;
  private readonly leasesMax: number;
  private readonly pendingRequestsMax: number;
  private readonly watches = new Set<SimulatedWatch>();
  private readonly watchHost: WatchHost;
  private waiters: Waiter[] = [];
  private durableRevision: number;
  private persisting: Promise<void> | null = null;
  private failure: MetadataStoreError | null = null;
  private closed = false;

  private constructor(options: LocalMetadataStoreOptions, lock: FileLock, kv: KvState, durableRevision: number) {
    this.fs = options.fs;
    this.dir = options.dir;
    this.path = joinPath(options.dir, localMetadataFileName);
    this.clock = options.clock;
    this.random = options.random;
    this.lock = lock;
    this.kv = kv;
    this.expiry = new LeaseExpiryTimer(this.clock, kv, () => {
      if (!this.closed && !this.failure) this.expireDue();
    });
    this.durableRevision = durableRevision;
    this.fileBytesMax = positive('fileBytesMax', options.fileBytesMax ?? 64 * 1024 * 1024);
    this.historyRevisionsMax = positive('historyRevisionsMax', options.historyRevisionsMax ?? 10_000);
    this.watchBufferedBatchesMax = positive('watchBufferedBatchesMax', options.watchBufferedBatchesMax ?? 4096);
    this.watchesMax = positive('watchesMax', options.watchesMax ?? 10_000);
    this.leasesMax = positive('leasesMax', options.leasesMax ?? 100_000);
    this.pendingRequestsMax = positive('pendingRequestsMax', options.pendingRequestsMax ?? 10_000);
    this.watchHost = { state: kv, watchDrops: () => false, detach: (w) => this.watches.delete(w) };
    for (const item of kv.range('').kvs) this.setRecord(item);
  }

  /**
   * Opens (or creates) the store in `dir`. Rejects LocalMetadataCorruptError naming the
   * file when it is torn, corrupt or of another format; `unavailable` when another store
   * holds the directory.
   */
  static async open(options: LocalMetadataStoreOptions): Promise<LocalMetadataStore> {
    const fileBytesMax = positive('fileBytesMax', options.fileBytesMax ?? 64 * 1024 * 1024);
    await mkdirDurably(options.fs, options.dir);
    const lockPath = joinPath(options.dir, `${localMetadataFileName}.lock`);
    const lock = await options.fs.tryLock(lockPath);
    if (lock === null) throw new MetadataStoreError('unavailable', `${lockPath} is held: another local metadata store has ${options.dir} open`);
    try {
      const path = joinPath(options.dir, localMetadataFileName);
      const stat = await options.fs.stat(path);
      if (stat && stat.sizeBytes > fileBytesMax) throw new LocalMetadataCorruptError(path, `${stat.sizeBytes} bytes, more than fileBytesMax ${fileBytesMax}`);
      const decoded = stat ? decodeMetadataFile(path, await options.fs.readFile(path)) : null;
      const kv = decoded ? KvState.restore(decoded.revision, decoded.compactRevision, decoded.kvs) : new KvState();
      // Nothing read counts as durable yet: the last process may have died between its rename
      // and the directory sync, so open writes the state again (and serves it once that is done).
      const store = new LocalMetadataStore(options, lock, kv, 0);
      // The leases died with the process that held them: their keys go, in one revision.
      const before = kv.revision;
      kv.deleteKeys(kv.range('').kvs.filter((x) => x.lease !== null).map((x) => x.key));
      store.afterCommit(before);
      if (decoded !== null && kv.revision === before) {
        // Nothing changed: sync the file and its directory entry instead of writing it
        // again, so a store opens (and serves) on a full disk.
        await syncFile(options.fs, path);
        await options.fs.syncDir(options.dir);
        store.durableRevision = kv.revision;
      }
      store.maybePersist();
      await store.persisting;
      if (store.failure) throw store.failure;
      return store;
    } catch (e) {
      await lock.release().catch(() => {});
      throw e;
    }
  }

  range(prefix: string, options?: { readonly limit?: number }): Promise<RangeResult> {
    return this.request(false, () => {
      const limit = options?.limit ?? 0;
      if (!(Number.isInteger(limit) && limit >= 0)) throw new MetadataStoreError('invalid-argument', `bad limit ${limit}`);
      return { ...this.kv.range(prefix, limit), revision: this.kv.revision };
    });
  }

  get(key: string): Promise<KeyValue | null> {
    return this.request(false, () => this.kv.get(key));
  }

  put(key: string, value: Uint8Array, options?: { readonly lease?: string }): Promise<number> {
    const op = options?.lease === undefined ? { type: 'put' as const, key, value } : { type: 'put' as const, key, value, lease: options.lease };
    return this.request(true, () => this.commitTxn({ compare: [], success: [op] }).revision);
  }

  delete(key: string): Promise<number> {
    return this.request(true, () => {
      const result = this.commitTxn({ compare: [], success: [{ type: 'delete', key }] }).results[0]!;
      return result.type === 'delete' ? result.deleted : 0;
    });
  }

  txn(txn: Txn): Promise<TxnResult> {
    return this.request(true, () => this.commitTxn(txn));
  }

  grantLease(ttlMs: number): Promise<Lease> {
    return this.request(false, () => {
      const lease = this.kv.grantRoundedLease(this.kv.newLeaseId(this.random), ttlMs, this.clock.monotonicMs(), this.leasesMax);
      this.armExpiry();
      return { id: lease.id, ttlMs: lease.ttlMs };
    });
  }

  keepAlive(leaseId: string): Promise<number> {
    return this.request(false, () => {
      const lease = this.kv.renewLease(leaseId, this.clock.monotonicMs());
      this.armExpiry();
      return lease.ttlMs;
    });
  }

  revokeLease(leaseId: string): Promise<void> {
    return this.request(true, () => {
      const before = this.kv.revision;
      this.kv.dropLease(leaseId);
      this.afterCommit(before);
    });
  }

  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchBatch> {
    const refused = this.closed
      ? new MetadataStoreError('unavailable', 'the store is closed')
      : (this.failure ?? (this.watches.size >= this.watchesMax ? new MetadataStoreError('unavailable', `more than ${this.watchesMax} watches`) : null));
    // etcd: a start revision of 0 (or less) means "from the next revision".
    const from = fromRevision > 0 ? fromRevision : this.kv.revision + 1;
    const watch = new SimulatedWatch(this.watchHost, prefix, from, signal, this.watchBufferedBatchesMax);
    if (refused) watch.fail(refused);
    else this.watches.add(watch);
    return { [Symbol.asyncIterator]: () => this.durableBatches(watch.batches()) };
  }

  /** Waits for the file write in flight, ends the watches and releases the directory. Later calls reject `unavailable`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.expiry.cancel();
    await this.persisting;
    for (const w of this.watches) w.fail(new MetadataStoreError('unavailable', 'the store is closed'));
    this.watches.clear();
    await this.lock.release().catch(() => {});
  }

  /** Drops history below `revision`: watches from earlier fail with CompactedError (kept in memory only). */
  compact(revision: number): void {
    this.kv.compact(revision);
  }

  /** The revision applied in memory (the file may still be catching up). */
  get revision(): number {
    return this.kv.revision;
  }

  // ---- requests ---------------------------------------------------------------------

  /**
   * Applies the request now (in call order) and settles once the state it saw is durable.
   * A request refused by the store (bad input, a missing lease, a bound) changes nothing
   * and rejects at once.
   */
  private request<T>(isWrite: boolean, apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new MetadataStoreError('unavailable', 'the store is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiters.length >= this.pendingRequestsMax) {
      return Promise.reject(new MetadataStoreError('unavailable', `more than ${this.pendingRequestsMax} requests wait for ${this.path} to be written`));
    }
    this.expireDue();
    let value: T;
    try {
      value = apply();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.durable(this.kv.revision, isWrite).then(() => value);
  }

  private commitTxn(txn: Txn): TxnResult {
    const predictedBytes = this.fileBytesAfter(txn);
    if (predictedBytes > this.fileBytesMax) {
      throw new MetadataStoreError('invalid-argument', `the write would make ${this.path} ${predictedBytes} bytes, more than fileBytesMax ${this.fileBytesMax}`);
    }
    const before = this.kv.revision;
    const result = this.kv.txn(txn);
    this.afterCommit(before);
    return result;
  }

  /** The file's size if `txn` committed (exact for the branch its compares pick). */
  private fileBytesAfter(txn: Txn): number {
    const ops: readonly TxnOp[] = this.kv.comparesHold(txn.compare) ? txn.success : (txn.failure ?? []);
    const revision = this.kv.revision + 1;
    let bytes = this.recordBytes;
    let count = this.records.size;
    const gone = new Set<string>();
    const drop = (key: string): void => {
      const old = this.records.get(key);
      if (!old || gone.has(key)) return;
      gone.add(key);
      bytes -= old.bytes;
      count -= 1;
    };
    for (const op of ops) {
      if (op.type === 'put') {
        const old = this.kv.get(op.key);
        const next: KeyValue = {
          key: op.key,
          value: op.value,
          createRevision: old ? old.createRevision : revision,
          modRevision: revision,
          version: old ? old.version + 1 : 1,
          lease: op.lease ?? null,
        };
        drop(op.key);
        bytes += utf8Length(recordJson(next));
        count += 1;
      } else if (op.type === 'delete') drop(op.key);
      else if (op.type === 'delete-prefix') for (const x of this.kv.range(op.prefix).kvs) drop(x.key);
    }
    return fileBytesFor(revision, this.kv.compactRevision, bytes, count);
  }

  /** After a commit (or none): records, history bound, watches, the next file write. */
  private afterCommit(before: number): void {
    if (this.kv.revision === before) return;
    const batch = this.kv.batchAt(this.kv.revision)!;
    for (const e of batch.events) {
      if (e.type === 'put') this.setRecord(e.kv);
      else this.deleteRecord(e.kv.key);
    }
    const keepFrom = this.kv.revision - this.historyRevisionsMax + 1;
    if (keepFrom > this.kv.compactRevision) this.kv.compact(keepFrom);
    for (const w of this.watches) w.notify(batch);
    this.maybePersist();
  }

  private setRecord(kv: KeyValue): void {
    this.deleteRecord(kv.key);
    const json = recordJson(kv);
    const record = { json, bytes: utf8Length(json) };
    this.records.set(kv.key, record);
    this.recordBytes += record.bytes;
  }

  private deleteRecord(key: string): void {
    const old = this.records.get(key);
    if (!old) return;
    this.records.delete(key);
    this.recordBytes -= old.bytes;
  }

  // ---- durability -------------------------------------------------------------------

  /** Resolves once the file holds `revision` or later; rejects when the store fails first. */
  private durable(revision: number, isWrite: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.durableRevision >= revision) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ revision, isWrite, resolve, reject }));
  }

  private async *durableBatches(batches: AsyncGenerator<WatchBatch>): AsyncGenerator<WatchBatch> {
    for await (const batch of batches) {
      await this.durable(batch.revision, false);
      yield batch;
    }
  }

  private maybePersist(): void {
    if (this.persisting !== null || this.failure !== null || this.durableRevision >= this.kv.revision) return;
    this.persisting = this.persistLoop().finally(() => {
      this.persisting = null;
    });
  }

  /** Writes the current state until the file has caught up with memory (one write per group of commits). */
  private async persistLoop(): Promise<void> {
    while (this.failure === null && this.durableRevision < this.kv.revision) {
      const revision = this.kv.revision;
      const progress = { renamed: false };
      try {
        await this.writeFile(this.encode(), progress);
      } catch (error) {
        this.fail(error, revision, progress.renamed);
        return;
      }
      this.durableRevision = revision;
      const due = this.waiters.filter((w) => w.revision <= revision);
      this.waiters = this.waiters.filter((w) => w.revision > revision);
      for (const w of due) w.resolve();
    }
  }

  private encode(): Uint8Array {
    const records = this.kv.range('').kvs.map((x) => this.records.get(x.key)!.json);
    const bytes = encodeMetadataFile(this.kv.revision, this.kv.compactRevision, records);
    if (bytes.length !== fileBytesFor(this.kv.revision, this.kv.compactRevision, this.recordBytes, records.length)) {
      throw new Error(`assertion: ${this.path} encodes to ${bytes.length} bytes, not the predicted size`);
    }
    return bytes;
  }

  /** temp file, fsync, rename over, fsync the directory: after a crash the file is the old or the new one. */
  private async writeFile(bytes: Uint8Array, progress: { renamed: boolean }): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const handle = await this.fs.open(tmp, 'read-write', { truncate: true });
    try {
      await handle.write(bytes, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(tmp, this.path);
    progress.renamed = true;
    await this.fs.syncDir(this.dir);
  }

  /** The file could not be written: memory is ahead of it, so the store stops. */
  private fail(cause: unknown, revision: number, renamed: boolean): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.failure = new MetadataStoreError('unavailable', `the local metadata store could not write ${this.path} (${reason}); close and reopen it`, { cause });
    const unknown = new MetadataStoreError('unknown-outcome', `${this.path} may or may not hold this write: ${reason}`, { cause });
    for (const w of this.waiters) w.reject(renamed && w.isWrite && w.revision <= revision ? unknown : this.failure);
    this.waiters = [];
    for (const w of this.watches) w.fail(this.failure);
    this.watches.clear();
    this.expiry.cancel();
  }

  // ---- leases -----------------------------------------------------------------------

  private expireDue(): void {
    for (const lease of this.kv.dueLeases(this.clock.monotonicMs())) {
      const before = this.kv.revision;
      this.kv.dropLease(lease.id);
      this.afterCommit(before);
    }
    this.armExpiry();
  }

  private armExpiry(): void {
    if (this.closed || this.failure) return;
    this.expiry.arm();
  }
}

/** fsync of a file this process did not write (its writer synced it before the rename, unless it died first). */
async function syncFile(fs: FileSystem, path: string): Promise<void> {
  const handle = await fs.open(path, 'read');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdirp, and sync the parent of each directory it had to create, so a crash does not take the store's directory away. */
async function mkdirDurably(fs: FileSystem, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir, depth = 0; depth < 256 && d !== '/' && d !== '.' && (await fs.stat(d)) === null; d = dirnameOf(d), depth++) missing.push(d);
  if (missing.length === 0) return;
  await fs.mkdirp(dir);
  for (const d of missing.reverse()) {
    // A parent outside what the process may touch (Deno granted the data dir only) cannot be synced; the log does the same.
    await fs.syncDir(dirnameOf(d)).catch((e: unknown) => {
      if ((e as { code?: unknown }).code !== 'permission-denied') throw e;
    });
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) throw new MetadataStoreError('invalid-argument', `${name} must be a positive integer, got ${value}`);
  return value;
}
