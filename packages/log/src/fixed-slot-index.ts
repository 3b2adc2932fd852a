/**
 * FixedSlotIndex: the shared machinery of the offset index and the time index (Kafka's
 * `AbstractIndex`). An index file is an array of fixed-size slots, sorted by key, with no
 * header. We keep the entries in an in-memory byte array ("mmap-style": fixed slots,
 * binary search, no parsing) and write them back to the file on `flush()`.
 *
 * File life cycle:
 * - created preallocated to `maxIndexBytes` (zero-filled, sparse on real disks) while its
 *   segment is active, like Kafka's mmap'ed index;
 * - `trimToValidSize()` (segment roll or close) cuts the file to `entries * slotBytes`, so
 *   a file opened later has exactly `size / slotBytes` entries;
 * - a preallocated file found at open time (unclean shutdown) has zero slots at its tail,
 *   which `sanityCheck()` rejects: the caller then rebuilds the index from the segment.
 *
 * Durability: entries written after the last `flush()` may be lost. The log syncs an index
 * before the recovery point moves past its segment, and whenever a truncation removed
 * entries the file held (so a file never keeps entries of removed batches). Crash
 * recovery may start from an entry of the last segment's file below the recovery point
 * (`readPrefixContent`, `keepValidPrefix`; segment-indexes.ts checks it); the rest of an
 * index above the recovery point is rebuilt.
 *
 * Memory: the in-memory array grows by doubling up to `maxIndexBytes`, so an idle segment
 * costs what its entries cost. Not safe for concurrent mutation; the owning segment
 * serialises writes (the log's append lock). Lookups are synchronous.
 */
import type { FileSystem } from '@samsa/runtime';
import { CorruptIndexError, assert } from './errors.ts';
import { readFully, readWholeFile } from './file-io.ts';
import { FileSystemError, type FileHandle } from '@samsa/runtime';

const INITIAL_SLOTS = 64;
/** Slots read per chunk by `readPrefixContent`. */
const PREFIX_CHUNK_SLOTS = 4096;

function isZeroSlot(bytes: Uint8Array, at: number, slotBytes: number): boolean {
  for (let i = at; i < at + slotBytes; i++) if (bytes[i] !== 0) return false;
  return true;
}

export abstract class FixedSlotIndex {
  readonly slotBytes: number;
  readonly baseOffset: number;
  readonly maxIndexBytes: number;
  /** Capacity in entries (the time index keeps one slot spare, see time-index.ts). */
  readonly maxEntries: number;
  private pathValue: string;
  protected bytes: Uint8Array;
  protected view: DataView;
  protected entryCount: number;
  /** Entries [0, flushedEntries) are in the file. */
  private flushedEntries: number;
  /** The file holds stale entries beyond `entryCount` (after a truncation) or must be cut. */
  private fileNeedsTruncate = false;
  /** Entries were written by a non-syncing flush and are not yet synced. */
  private unsynced = false;
  /** The file should be (kept) preallocated to maxIndexBytes: true while the segment is active. */
  private preallocated: boolean;
  /**
   * The file holds exactly the flushed entries, durably, and was not extended since: it was
   * loaded so (a loaded index that passed its checks was synced before its load — on a
   * clean close, or before the recovery point passed its segment; recovery rebuilds the
   * others) or last flushed so with a sync. Then a trim has nothing to cut or sync: a clean
   * restart followed by a shutdown does not rewrite and sync every active index.
   */
  private fileAtValidSize: boolean;
  /** Tail of the serialised flushes. */
  private flushing: Promise<void> = Promise.resolve();

  protected constructor(path: string, baseOffset: number, maxIndexBytes: number, slotBytes: number, content: Uint8Array | null, preallocate: boolean) {
    this.pathValue = path;
    this.baseOffset = baseOffset;
    this.slotBytes = slotBytes;
    this.maxIndexBytes = Math.floor(maxIndexBytes / slotBytes) * slotBytes;
    this.maxEntries = this.maxIndexBytes / slotBytes;
    assert(this.maxEntries >= 1, `index ${path}: maxIndexBytes ${maxIndexBytes} holds no slot`);
    const loaded = content === null ? 0 : Math.floor(content.byteLength / slotBytes);
    if (content !== null && content.byteLength % slotBytes !== 0) {
      throw new CorruptIndexError(path, `size ${content.byteLength} is not a multiple of ${slotBytes}`);
    }
    if (loaded > this.maxEntries) throw new CorruptIndexError(path, `${loaded} entries exceed the capacity ${this.maxEntries}`);
    const capacity = Math.min(this.maxEntries, Math.max(INITIAL_SLOTS, loaded));
    this.bytes = new Uint8Array(capacity * slotBytes);
    if (content !== null) this.bytes.set(content.subarray(0, loaded * slotBytes));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.entryCount = loaded;
    this.flushedEntries = loaded;
    this.preallocated = preallocate;
    this.fileAtValidSize = false;
  }

  /** For `load()`: the entries came from the file, which holds exactly them (see fileAtValidSize). */
  protected markLoadedFromFile(): void {
    this.fileAtValidSize = true;
  }

  /** Reads an index file; null content when the file is missing. */
  protected static async readContent(fs: FileSystem, path: string): Promise<Uint8Array | null> {
    return readWholeFile(fs, path);
  }

  /**
   * The slots of an index file before its first all-zero slot (a preallocated file's
   * unwritten tail; no real entry is all zero after the first), read in bounded chunks so
   * a file preallocated to 10 MiB costs what its entries cost; null when missing.
   */
  protected static async readPrefixContent(fs: FileSystem, path: string, slotBytes: number): Promise<Uint8Array | null> {
    let handle: FileHandle;
    try {
      handle = await fs.open(path, 'read');
    } catch (e) {
      if (e instanceof FileSystemError && e.code === 'not-found') return null;
      throw e;
    }
    try {
      const chunk = new Uint8Array(PREFIX_CHUNK_SLOTS * slotBytes);
      const parts: Uint8Array[] = [];
      // Bounded by the file size: each step reads the next chunk, or stops.
      for (let position = 0; ; position += chunk.byteLength) {
        const n = await readFully(handle, chunk, position);
        const slots = Math.floor(n / slotBytes);
        let used = 0;
        while (used < slots && !isZeroSlot(chunk, used * slotBytes, slotBytes)) used++;
        parts.push(chunk.slice(0, used * slotBytes));
        if (used < PREFIX_CHUNK_SLOTS) break;
      }
      const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
      let at = 0;
      for (const part of parts) {
        out.set(part, at);
        at += part.byteLength;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  get path(): string {
    return this.pathValue;
  }

  get entries(): number {
    return this.entryCount;
  }

  get isFull(): boolean {
    return this.entryCount >= this.maxEntries;
  }

  /** Bytes the entries occupy (what the trimmed file holds). */
  get sizeBytes(): number {
    return this.entryCount * this.slotBytes;
  }

  /** The search key of a slot (relative offset or timestamp). */
  protected abstract keyAt(slot: number): number;
  /** The secondary value of a slot that is also monotonic (position or relative offset). */
  protected abstract valueAt(slot: number): number;
  /**
   * Why slot `slot` breaks the index's invariants after the slots before it (negative, or
   * not increasing), or null when it keeps them.
   */
  protected abstract slotProblem(slot: number): string | null;

  /** Throws CorruptIndexError when the loaded entries break the index's invariants. */
  sanityCheck(): void {
    this.rejectZeroFirstSlot();
    for (let i = 0; i < this.entryCount; i++) {
      const problem = this.slotProblem(i);
      if (problem !== null) throw new CorruptIndexError(this.path, problem);
    }
  }

  /**
   * Keeps the longest prefix of entries that keeps the invariants (crash recovery: a
   * preallocated file leaves zero slots after its entries; a torn write, a bad slot).
   * A zero first slot keeps nothing (see `rejectZeroFirstSlot`).
   */
  keepValidPrefix(): void {
    let valid = 0;
    if (!(this.entryCount > 0 && this.keyAt(0) === 0 && this.valueAt(0) === 0)) {
      while (valid < this.entryCount && this.slotProblem(valid) === null) valid++;
    }
    this.truncateToEntries(valid);
  }

  /**
   * A crash can leave a preallocated file torn to a few zero slots. After real entries
   * they fail each index's increase check; a lone zero first slot needs this one. A real
   * all-zero first entry is rare (offset index: a single-record first batch of
   * index.interval.bytes or more; time index: a record stamped at the epoch itself) and
   * then costs one rebuild of that segment's index when loaded.
   */
  protected rejectZeroFirstSlot(): void {
    if (this.entryCount > 0 && this.keyAt(0) === 0 && this.valueAt(0) === 0) throw new CorruptIndexError(this.path, 'zero first slot (unwritten, left by a crash)');
  }

  /**
   * Largest slot whose key (or value when `byValue`) is ≤ target, or -1 when none is.
   * Plain binary search over the in-memory slots; Kafka's "warm section" trick exists to
   * keep mmap'ed pages resident, which an in-memory array does not need.
   */
  protected largestLowerBoundSlotFor(target: number, byValue = false): number {
    let lo = 0;
    let hi = this.entryCount - 1;
    if (hi < 0) return -1;
    const at = (slot: number): number => (byValue ? this.valueAt(slot) : this.keyAt(slot));
    if (at(0) > target) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (at(mid) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Makes room for one more slot in memory (the caller checked `isFull`). */
  protected reserveSlot(): number {
    assert(this.entryCount < this.maxEntries, `index ${this.pathValue} is full`);
    const needed = (this.entryCount + 1) * this.slotBytes;
    if (needed > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.min(this.maxIndexBytes, this.bytes.byteLength * 2));
      grown.set(this.bytes.subarray(0, this.entryCount * this.slotBytes));
      this.bytes = grown;
      this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    return this.entryCount * this.slotBytes;
  }

  protected commitSlot(): void {
    this.entryCount++;
  }

  /** Keeps the first `entries` slots (in memory now, in the file on the next flush). */
  protected truncateToEntries(entries: number): void {
    assert(entries >= 0 && entries <= this.entryCount, `bad index truncation to ${entries}`);
    if (entries === this.entryCount) return;
    this.entryCount = entries;
    if (this.flushedEntries > entries) {
      this.flushedEntries = entries;
      this.fileNeedsTruncate = true;
      this.fileAtValidSize = false;
    }
  }

  /** Drops every entry (before a rebuild). */
  reset(): void {
    this.truncateToEntries(0);
    this.fileNeedsTruncate = true;
    this.fileAtValidSize = false;
  }

  /** Marks the index as belonging to the active segment: its file is kept at maxIndexBytes. */
  markActive(): void {
    if (!this.preallocated) {
      this.preallocated = true;
      this.fileNeedsTruncate = true;
    }
  }

  /**
   * Writes unflushed entries to the file and syncs it. Calls are serialised: a group-commit
   * sync may flush a just-rolled segment's index while the roll trims it.
   */
  flush(fs: FileSystem, sync = true): Promise<void> {
    const run = this.flushing.then(() => this.flushNow(fs, sync));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /**
   * With `sync: false` the entries are written but not synced (segment roll, recovery: the
   * index can be rebuilt from its segment); the next syncing flush then syncs even when
   * nothing new was written.
   */
  private async flushNow(fs: FileSystem, sync: boolean): Promise<void> {
    if (this.flushedEntries === this.entryCount && !this.fileNeedsTruncate && !(sync && this.unsynced)) return;
    this.fileAtValidSize = false;
    const handle = await fs.open(this.pathValue, 'read-write');
    try {
      if (this.fileNeedsTruncate) {
        await handle.truncate(this.flushedEntries * this.slotBytes);
        if (this.preallocated) await handle.truncate(this.maxIndexBytes);
      }
      if (this.entryCount > this.flushedEntries) {
        const from = this.flushedEntries * this.slotBytes;
        await handle.write(this.bytes.slice(from, this.entryCount * this.slotBytes), from);
      }
      if (sync) await handle.sync();
      this.unsynced = !sync;
      this.flushedEntries = this.entryCount;
      this.fileNeedsTruncate = false;
      this.fileAtValidSize = sync && !this.preallocated;
    } finally {
      await handle.close();
    }
  }

  /** Creates the file preallocated to maxIndexBytes (new active segment). */
  async create(fs: FileSystem): Promise<void> {
    const handle = await fs.open(this.pathValue, 'read-write', { truncate: true });
    try {
      await handle.truncate(this.preallocated ? this.maxIndexBytes : 0);
    } finally {
      await handle.close();
    }
  }

  /** Flushes and cuts the file to its entries (segment roll or close). */
  async trimToValidSize(fs: FileSystem, sync = true): Promise<void> {
    this.preallocated = false;
    // Only a lazy re-extension (markActive) can be pending on a file at its valid size: drop it.
    this.fileNeedsTruncate = !this.fileAtValidSize;
    await this.flush(fs, sync);
  }

  /** Points the index at a new path without touching files (the caller renamed them). */
  setPath(newPath: string): void {
    this.pathValue = newPath;
  }
}
