/**
 * LocalMetadataStore: the MetadataStore of a single broker — etcd's semantics for one
 * process, kept in a snapshot and a journal (`local-file-format.ts`,
 * `local-journal-format.ts`) in a directory, through the runtime FileSystem. Time comes
 * only from the Clock (lease expiry), randomness only from the Random (lease ids). The
 * key-value core is the simulated store's `KvState`, its watches `SimulatedWatch`: same
 * revisions, transaction rules, leases and watch batches.
 *
 * Durability: every request is applied to memory when it is called, in call order, and its
 * promise settles only once the disk holds that state (or a later one). A write costs the
 * size of its change: the revisions committed since the last disk write are appended to
 * the journal `samsa-metadata.kv.log` as one entry (length, CRC-32C, JSON) and the journal
 * is synced — one write and one fsync per group of commits (writes that arrive while one
 * is in flight share the next). Once the journal would pass max(`journalBytesMin`,
 * `journalSnapshotRatio` × the snapshot's size), the whole state is written as a new
 * snapshot instead (`samsa-metadata.kv.tmp`, synced, renamed over `samsa-metadata.kv`, the
 * directory synced), then a new journal after it (header to `….log.tmp`, synced, renamed,
 * the directory synced), so the journal's bytes stay within a constant factor of the
 * state's and the snapshot's rewrites cost O(1) amortized per byte journaled. Reads are
 * answered from the state at their call, but also wait until that state is durable, and a
 * watch yields a batch only once its revision is durable: nothing a crash could take back
 * is ever shown.
 *
 * Recovery (open): the snapshot, then the journal's revisions after it (a journal of an
 * older snapshot is skipped whole), replayed into one state. A torn last journal entry (the
 * only one that can be unsynced) is discarded and cut off the file; an invalid entry before
 * it, or revisions that do not follow on refuse to open with LocalMetadataCorruptError
 * naming the file (and offset). A journal without a snapshot (the snapshot removed by hand
 * to start empty) is renamed `samsa-metadata.kv.log.orphan` and the store starts empty. A version 1 file (a snapshot
 * rewritten by every write, no journal) opens as a snapshot; the first write converts it
 * by writing a version 2 snapshot and a journal.
 *
 * A disk write that fails leaves the store failed: memory is ahead of the disk, so every
 * pending and later request rejects and watches end; close and reopen it. The writes of
 * the failed disk write reject `unavailable` when it certainly did not land (a journal
 * append that was cut back off the file, a snapshot that failed before its rename), else
 * `unknown-outcome`.
 *
 * Leases do not survive a restart (their owner is gone): on open, every key attached to a
 * lease is deleted in one revision, persisted before `open` resolves. `open` makes the
 * files it read durable before it serves anything, since they may not be yet (their writer
 * may have died before its fsync or directory sync): it syncs them and the directory.
 * Syncing rather than rewriting lets a store open on a full disk (a broker must start there
 * and serve reads). History is kept in memory only (`historyRevisionsMax`): a reopened
 * store's history starts after its revision, and a watch from before that fails with
 * CompactedError.
 *
 * Bounded: the snapshot at `fileBytesMax` (a write that would grow it past that is refused
 * `invalid-argument` before anything is applied; lease expiries only shrink it), the
 * journal as above, the revisions waiting for the disk (past `fileBytesMax` of them, the
 * next disk write is a snapshot), history, watches, leases and requests waiting for the
 * disk (`pendingRequestsMax`, past it: `unavailable`). One store per directory: it holds
 * `samsa-metadata.kv.lock`.
 */

import { dirnameOf, joinPath } from '@samsa/runtime';
import type { Clock, FileHandle, FileLock, FileSystem, Random } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';
import type { KeyValue, Lease, MetadataStore, RangeResult, Txn, TxnOp, TxnResult, WatchBatch } from '../metadata-store.ts';
import { KvState } from '../simulated/kv-state.ts';
import { LeaseExpiryTimer } from '../simulated/lease-expiry-timer.ts';
import { SimulatedWatch, type WatchHost } from '../simulated/simulated-watch.ts';
import { decodeMetadataFile, encodeMetadataFile, fileBytesFor, LocalMetadataCorruptError, localFormatVersion, localMetadataFileName, recordJson, utf8Length } from './local-file-format.ts';
import type { DecodedMetadataFile } from './local-file-format.ts';
import { decodeJournal, encodeJournalEntry, encodeJournalHeader, journalRevisionJson } from './local-journal-format.ts';
import type { DecodedJournal } from './local-journal-format.ts';

/** The journal's name beside the snapshot. */
export const localJournalFileName = `${localMetadataFileName}.log`;

export interface LocalMetadataStoreOptions {
  readonly fs: FileSystem;
  /** Directory of the file (created if missing). */
  readonly dir: string;
  readonly clock: Clock;
  readonly random: Random;
  /** The snapshot's size bound. Default 64 MiB. */
  readonly fileBytesMax?: number;
  /** The journal grows to at least this before it is folded into a new snapshot. Default 1 MiB. */
  readonly journalBytesMin?: number;
  /**
   * Past `journalBytesMin`, a new snapshot is written once the journal would be larger than
   * this many times the snapshot. Default 2. With both 0 every disk write is a snapshot
   * (what version 1 did; the bench's baseline).
   */
  readonly journalSnapshotRatio?: number;
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

/** A committed revision waiting for the disk: its JSON in a journal entry. */
interface QueuedRevision {
  readonly revision: number;
  readonly json: string;
}

/** How far a failed disk write got: whether what it wrote may be on disk. */
interface WriteProgress {
  maybeWritten: boolean;
}


export class LocalMetadataStore implements MetadataStore {
  /** The snapshot (`samsa-metadata.kv`). */
  readonly path: string;
  /** The journal (`samsa-metadata.kv.log`). */
  readonly journalPath: string;
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
  private readonly journalBytesMin: number;
  private readonly journalSnapshotRatio: number;
  /** The journal following the snapshot on disk, open for appends; null until one is started. */
  private journal: FileHandle | null = null;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private snapshotRevision = 0;
  /** The next disk write must be a snapshot (none yet, or a version 1 one). */
  private snapshotDue = true;
  /** The queue dropped revisions (it passed `fileBytesMax`): the next disk write must be a snapshot. */
  private queueDropped = false;
  private queue: QueuedRevision[] = [];
  private queueBytes = 0;
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
    this.journalPath = joinPath(options.dir, localJournalFileName);
    this.clock = options.clock;
    this.random = options.random;
    this.lock = lock;
    this.kv = kv;
    this.expiry = new LeaseExpiryTimer(this.clock, kv, () => {
      if (!this.closed && !this.failure) this.expireDue();
    });
    this.durableRevision = durableRevision;
    this.fileBytesMax = positive('fileBytesMax', options.fileBytesMax ?? 64 * 1024 * 1024);
    this.journalBytesMin = nonNegative('journalBytesMin', options.journalBytesMin ?? 1024 * 1024);
    this.journalSnapshotRatio = nonNegative('journalSnapshotRatio', options.journalSnapshotRatio ?? 2);
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
   * file (and offset) when the snapshot or the journal is corrupt beyond a torn last
   * journal entry, or of another format; `unavailable` when another store holds the
   * directory.
   */
  static async open(options: LocalMetadataStoreOptions): Promise<LocalMetadataStore> {
    const fileBytesMax = positive('fileBytesMax', options.fileBytesMax ?? 64 * 1024 * 1024);
    await mkdirDurably(options.fs, options.dir);
    const lockPath = joinPath(options.dir, `${localMetadataFileName}.lock`);
    const lock = await options.fs.tryLock(lockPath);
    if (lock === null) throw new MetadataStoreError('unavailable', `${lockPath} is held: another local metadata store has ${options.dir} open`);
    let store: LocalMetadataStore | null = null;
    try {
      const { snapshot, snapshotBytes, journal } = await readFiles(options, fileBytesMax);
      const kv = snapshot ? replay(joinPath(options.dir, localJournalFileName), snapshot, journal) : new KvState();
      store = new LocalMetadataStore(options, lock, kv, 0);
      if (snapshot) await store.adoptFiles(snapshot, snapshotBytes, journal);
      // The leases died with the process that held them: their keys go, in one revision.
      const before = kv.revision;
      kv.deleteKeys(kv.range('').kvs.filter((x) => x.lease !== null).map((x) => x.key));
      store.afterCommit(before);
      store.maybePersist();
      await store.persisting;
      if (store.failure) throw store.failure;
      return store;
    } catch (e) {
      await store?.journal?.close().catch(() => {});
      await lock.release().catch(() => {});
      throw e;
    }
  }

  /**
   * Takes over the files open read: cuts a torn journal tail off, makes both files and the
   * directory durable (their writer may have died before its fsync or directory sync), and
   * keeps the journal open for appends when it follows this snapshot.
   */
  private async adoptFiles(snapshot: DecodedMetadataFile, snapshotBytes: number, journal: DecodedJournal | null): Promise<void> {
    this.snapshotBytes = snapshotBytes;
    this.snapshotRevision = snapshot.revision;
    this.snapshotDue = snapshot.version < localFormatVersion;
    await syncFile(this.fs, this.path);
    if (journal !== null && journal.baseRevision === snapshot.revision) {
      const handle = await this.fs.open(this.journalPath, 'read-write');
      this.journal = handle;
      if (journal.tornBytes > 0) await handle.truncate(journal.validBytes);
      await handle.sync();
      this.journalBytes = journal.validBytes;
    }
    await this.fs.syncDir(this.dir);
    this.durableRevision = this.kv.revision;
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

  /** Waits for the disk write in flight, ends the watches and releases the directory. Later calls reject `unavailable`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.expiry.cancel();
    await this.persisting;
    await this.journal?.close().catch(() => {});
    this.journal = null;
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
    const events: ({ put: string } | { deleted: string })[] = [];
    for (const e of batch.events) {
      if (e.type === 'put') events.push({ put: this.setRecord(e.kv) });
      else {
        this.deleteRecord(e.kv.key);
        events.push({ deleted: e.kv.key });
      }
    }
    this.enqueue(batch.revision, journalRevisionJson(batch.revision, events));
    const keepFrom = this.kv.revision - this.historyRevisionsMax + 1;
    if (keepFrom > this.kv.compactRevision) this.kv.compact(keepFrom);
    for (const w of this.watches) w.notify(batch);
    this.maybePersist();
  }

  /** Keeps `kv`'s record for the next snapshot; returns its JSON. */
  private setRecord(kv: KeyValue): string {
    this.deleteRecord(kv.key);
    const json = recordJson(kv);
    const record = { json, bytes: utf8Length(json) };
    this.records.set(kv.key, record);
    this.recordBytes += record.bytes;
    return json;
  }

  /**
   * Queues a committed revision for the next journal entry (also while a snapshot is due or
   * in flight: it may commit after the snapshot's state). Past `fileBytesMax` queued, the
   * queue is dropped and the next disk write is a snapshot instead.
   */
  private enqueue(revision: number, json: string): void {
    this.queue.push({ revision, json });
    this.queueBytes += json.length;
    if (this.queueBytes > this.fileBytesMax) {
      this.queueDropped = true;
      this.queue = [];
      this.queueBytes = 0;
    }
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

  /** Writes until the disk has caught up with memory: one journal entry (or one snapshot) per group of commits. */
  private async persistLoop(): Promise<void> {
    while (this.failure === null && this.durableRevision < this.kv.revision) {
      const revision = this.kv.revision;
      const progress: WriteProgress = { maybeWritten: false };
      try {
        await this.writeRevisions(revision, progress);
      } catch (error) {
        this.fail(error, revision, progress.maybeWritten);
        return;
      }
      this.durableRevision = revision;
      const due = this.waiters.filter((w) => w.revision <= revision);
      this.waiters = this.waiters.filter((w) => w.revision > revision);
      for (const w of due) w.resolve();
    }
  }

  /** Makes the revisions up to `revision` durable: appended to the journal, or a snapshot when the journal would pass its bound. */
  private async writeRevisions(revision: number, progress: WriteProgress): Promise<void> {
    const taken = this.queue;
    this.queue = [];
    this.queueBytes = 0;
    const mustSnapshot = this.snapshotDue || this.queueDropped;
    if (!mustSnapshot && (taken.length === 0 || taken[0]!.revision !== this.durableRevision + 1 || taken[taken.length - 1]!.revision !== revision)) {
      throw new Error(`assertion: the queued revisions do not continue ${this.durableRevision} up to ${revision}`);
    }
    const entry = mustSnapshot ? null : encodeJournalEntry(taken.map((q) => q.json));
    const journalBytes = this.journal ? this.journalBytes : encodeJournalHeader(this.snapshotRevision).length;
    const boundBytes = Math.max(this.journalBytesMin, this.journalSnapshotRatio * this.snapshotBytes);
    if (entry === null || journalBytes + entry.length > boundBytes) {
      await this.writeSnapshot(revision, progress);
      return;
    }
    if (this.journal === null) await this.startJournal(this.snapshotRevision);
    await this.appendEntry(entry, progress);
  }

  /** Appends one entry and syncs; on failure cuts it back off (then it certainly did not land) or reports that it may have. */
  private async appendEntry(entry: Uint8Array, progress: WriteProgress): Promise<void> {
    const journal = this.journal!;
    const position = this.journalBytes;
    try {
      await journal.write(entry, position);
      await journal.sync();
    } catch (error) {
      // Nothing past `position` in the file now: nothing past it can appear after a crash.
      try {
        if ((await journal.size()) !== position) {
          await journal.truncate(position);
          await journal.sync();
        }
      } catch {
        progress.maybeWritten = true;
      }
      throw error;
    }
    this.journalBytes = position + entry.length;
  }

  /** The whole state at `revision` as a new snapshot, then a new journal after it. */
  private async writeSnapshot(revision: number, progress: WriteProgress): Promise<void> {
    if (revision !== this.kv.revision) throw new Error(`assertion: a snapshot of ${revision} asked at ${this.kv.revision}`);
    const bytes = this.encode();
    // The snapshot holds every revision up to `revision`: a drop from now on is after it.
    this.queueDropped = false;
    await this.replaceFile(this.path, bytes, progress);
    this.snapshotBytes = bytes.length;
    this.snapshotRevision = revision;
    this.snapshotDue = false;
    // Commits made while the snapshot was written are after it: they stay queued.
    this.queue = this.queue.filter((q) => q.revision > revision);
    this.queueBytes = this.queue.reduce((n, q) => n + q.json.length, 0);
    await this.startJournal(revision);
  }

  /** A new, empty journal following the snapshot at `baseRevision`, created whole (temp file, sync, rename, directory sync). */
  private async startJournal(baseRevision: number): Promise<void> {
    await this.journal?.close();
    this.journal = null;
    const header = encodeJournalHeader(baseRevision);
    await this.replaceFile(this.journalPath, header, { maybeWritten: false });
    this.journal = await this.fs.open(this.journalPath, 'read-write');
    this.journalBytes = header.length;
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
  private async replaceFile(path: string, bytes: Uint8Array, progress: WriteProgress): Promise<void> {
    const tmp = `${path}.tmp`;
    const handle = await this.fs.open(tmp, 'read-write', { truncate: true });
    try {
      await handle.write(bytes, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(tmp, path);
    progress.maybeWritten = true;
    await this.fs.syncDir(this.dir);
  }

  /** The disk could not be written: memory is ahead of it, so the store stops. */
  private fail(cause: unknown, revision: number, maybeWritten: boolean): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.failure = new MetadataStoreError('unavailable', `the local metadata store could not write ${this.path} (${reason}); close and reopen it`, { cause });
    const unknown = new MetadataStoreError('unknown-outcome', `${this.path} may or may not hold this write: ${reason}`, { cause });
    for (const w of this.waiters) w.reject(maybeWritten && w.isWrite && w.revision <= revision ? unknown : this.failure);
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

/** The snapshot (null when there is none yet) and the journal beside it (null when none), read and checked. */
async function readFiles(
  options: LocalMetadataStoreOptions,
  fileBytesMax: number,
): Promise<{ snapshot: DecodedMetadataFile | null; snapshotBytes: number; journal: DecodedJournal | null }> {
  const fs = options.fs;
  const path = joinPath(options.dir, localMetadataFileName);
  const journalPath = joinPath(options.dir, localJournalFileName);
  const stat = await fs.stat(path);
  if (stat && stat.sizeBytes > fileBytesMax) throw new LocalMetadataCorruptError(path, `${stat.sizeBytes} bytes, more than fileBytesMax ${fileBytesMax}`);
  const snapshot = stat ? decodeMetadataFile(path, await fs.readFile(path)) : null;
  const journalStat = await fs.stat(journalPath);
  if (journalStat === null) return { snapshot, snapshotBytes: stat?.sizeBytes ?? 0, journal: null };
  if (snapshot === null) {
    // Only an operator makes this (a snapshot is durable before its first journal exists):
    // the snapshot was removed to start empty. The journal cannot be applied without it; it
    // is set aside, not deleted, before the new store writes anything.
    await fs.rename(journalPath, `${journalPath}.orphan`);
    await fs.syncDir(options.dir);
    return { snapshot: null, snapshotBytes: 0, journal: null };
  }
  // The journal stays under max(journalBytesMin, ratio × snapshot) ≤ this (whatever the options were when it was written, within reason).
  const journalBytesLimit = Math.max(options.journalBytesMin ?? 0, 1024 * 1024, (options.journalSnapshotRatio ?? 2) * fileBytesMax, fileBytesMax) + 1024;
  if (journalStat.sizeBytes > journalBytesLimit) throw new LocalMetadataCorruptError(journalPath, `${journalStat.sizeBytes} bytes, more than the ${journalBytesLimit} a journal can reach with these options`);
  const journal = decodeJournal(journalPath, await fs.readFile(journalPath), journalBytesLimit);
  if (journal.baseRevision > snapshot.revision) {
    throw new LocalMetadataCorruptError(journalPath, `the journal follows revision ${journal.baseRevision}, newer than the snapshot's ${snapshot.revision}`);
  }
  return { snapshot, snapshotBytes: stat!.sizeBytes, journal };
}

/** The snapshot with the journal's revisions after it applied (a journal of an older snapshot adds nothing). */
function replay(journalPath: string, snapshot: DecodedMetadataFile, journal: DecodedJournal | null): KvState {
  const keys = new Map(snapshot.kvs.map((kv) => [kv.key, kv]));
  let revision = snapshot.revision;
  for (const r of journal?.revisions ?? []) {
    if (r.revision <= snapshot.revision) continue; // in the snapshot already
    if (r.revision !== revision + 1) throw new LocalMetadataCorruptError(journalPath, `revision ${r.revision} follows revision ${revision}`);
    for (const e of r.events) {
      if (e.type === 'put') keys.set(e.kv.key, e.kv);
      else if (!keys.delete(e.key)) throw new LocalMetadataCorruptError(journalPath, `revision ${r.revision} deletes ${JSON.stringify(e.key)}, which does not exist`);
    }
    revision = r.revision;
  }
  return KvState.restore(revision, snapshot.compactRevision, [...keys.values()]);
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new MetadataStoreError('invalid-argument', `${name} must be a non-negative number, got ${value}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) throw new MetadataStoreError('invalid-argument', `${name} must be a positive integer, got ${value}`);
  return value;
}
