/**
 * HandleCache: a FileSystem decorator that bounds how many real file handles are open.
 *
 * `open()` returns a virtual handle. The real handle behind it is opened on demand and,
 * when more than `openHandlesMax` real handles are open, the least recently used idle one
 * is closed; its virtual handle reopens the file (same path, same mode, without
 * `truncate`/`exclusive`) on its next use. The log engine keeps one `.log` handle per
 * segment it touched, so thousands of partitions would otherwise hold thousands of
 * descriptors; with this decorator a LogManager caps them without the engine knowing.
 *
 * Semantics kept:
 * - Unsynced bytes survive a close/reopen (the OS page cache, and the memory FS, key them
 *   by file, not by descriptor); `sync()` on the reopened handle covers them.
 * - Renames go through the decorator, so a virtual handle follows its file: after
 *   `rename(a, b)` (or of a parent directory) its path is `b`.
 * - A file that is replaced by a rename or removed stays readable through handles that
 *   were open on it, as on POSIX: before the replace/remove, every virtual handle on that
 *   path is (re)opened and pinned, so it keeps the old file until closed. Pinned handles
 *   may push the count over the limit for as long as they live.
 * - Handles in use (an operation in flight) are never closed. When every real handle is
 *   busy, an open or reopen waits until one is released (the limit is hard for unpinned
 *   handles; no deadlock: a busy handle runs one underlying operation, which never waits
 *   for another handle).
 *
 * Single event loop; every method is async and ordered as the underlying FileSystem's.
 */
import { type FileHandle, type FileLock, type FileStat, type FileSystem, FileSystemError, type FreeSpace, type OpenMode, type OpenOptions } from '@samsa/runtime';

export interface HandleCacheStats {
  /** Real handles open now. */
  readonly open: number;
  /** Most real handles open at once so far. */
  readonly openMaxSeen: number;
  readonly evictions: number;
  readonly reopens: number;
  /** Virtual handles alive (opened and not closed). */
  readonly virtualHandles: number;
}

export class HandleCache implements FileSystem {
  readonly inner: FileSystem;
  readonly openHandlesMax: number;
  /** Virtual handles holding a real handle, least recently used first. */
  private readonly lru = new Set<VirtualHandle>();
  private readonly virtual = new Set<VirtualHandle>();
  /** Virtual handles by current path, so renames and removes of files cost O(1). */
  private readonly byPath = new Map<string, Set<VirtualHandle>>();
  private realOpen = 0;
  private readonly pinned = new Set<VirtualHandle>();
  private waiters: (() => void)[] = [];
  private realOpenMaxSeen = 0;
  private evictionCount = 0;
  private reopenCount = 0;

  constructor(inner: FileSystem, options: { readonly openHandlesMax: number }) {
    if (!(Number.isSafeInteger(options.openHandlesMax) && options.openHandlesMax >= 1)) throw new RangeError(`openHandlesMax ${options.openHandlesMax}`);
    this.inner = inner;
    this.openHandlesMax = options.openHandlesMax;
  }

  stats(): HandleCacheStats {
    return { open: this.realOpen, openMaxSeen: this.realOpenMaxSeen, evictions: this.evictionCount, reopens: this.reopenCount, virtualHandles: this.virtual.size };
  }

  async open(path: string, mode: OpenMode, options?: OpenOptions): Promise<FileHandle> {
    const real = await this.openReserved(() => this.inner.open(path, mode, options));
    const handle = new VirtualHandle(this, path, mode, real);
    this.virtual.add(handle);
    this.index(handle);
    this.lru.add(handle);
    return handle;
  }

  mkdirp(path: string): Promise<void> {
    return this.inner.mkdirp(path);
  }

  readDir(path: string): Promise<string[]> {
    return this.inner.readDir(path);
  }

  async rename(from: string, to: string): Promise<void> {
    const isDir = (await this.inner.stat(from))?.isDirectory === true;
    await this.pinAll(to, isDir);
    await this.inner.rename(from, to);
    const moved = isDir ? [...this.virtual].filter((h) => h.currentPath.startsWith(`${from}/`)) : [...(this.byPath.get(from) ?? [])];
    for (const h of moved) {
      this.unindex(h);
      h.currentPath = isDir ? to + h.currentPath.slice(from.length) : to;
      this.index(h);
    }
  }

  async remove(path: string, options?: { readonly recursive?: boolean }): Promise<void> {
    await this.pinAll(path, options?.recursive === true);
    await this.inner.remove(path, options);
  }

  stat(path: string): Promise<FileStat | null> {
    return this.inner.stat(path);
  }

  syncDir(path: string): Promise<void> {
    return this.inner.syncDir(path);
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path);
  }

  freeSpace(path: string): Promise<FreeSpace> {
    return this.inner.freeSpace(path);
  }

  /** Passed through: a lock holds its own descriptor, outside the cache's budget. */
  tryLock(path: string): Promise<FileLock | null> {
    return this.inner.tryLock(path);
  }

  // ---- used by VirtualHandle --------------------------------------------------------

  /**
   * Takes one slot for a real handle: closes least recently used idle handles until one
   * fits, waits while all are busy. The slot is counted in the same synchronous step as
   * the check, so concurrent opens cannot overshoot the limit.
   */
  private async reserveSlot(): Promise<void> {
    for (;;) {
      for (const h of this.lru) {
        if (this.unpinnedOpen() < this.openHandlesMax) break;
        if (h.busy || h.pinned) continue;
        const real = h.detach();
        this.lru.delete(h);
        this.evictionCount++;
        if (real !== null) await this.closeReal(real);
      }
      if (this.unpinnedOpen() < this.openHandlesMax) {
        this.realOpen++;
        if (this.realOpen > this.realOpenMaxSeen) this.realOpenMaxSeen = this.realOpen;
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Wakes opens waiting for a free slot (they re-check). */
  notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  markPinned(h: VirtualHandle): void {
    this.pinned.add(h);
  }

  private unpinnedOpen(): number {
    let pinnedOpen = 0;
    for (const h of this.pinned) if (h.hasReal) pinnedOpen++;
    return this.realOpen - pinnedOpen;
  }

  async reopen(h: VirtualHandle): Promise<FileHandle> {
    const real = await this.openReserved(() => this.inner.open(h.currentPath, h.mode));
    this.reopenCount++;
    this.lru.add(h);
    return real;
  }

  touch(h: VirtualHandle): void {
    this.lru.delete(h);
    this.lru.add(h);
  }

  async closeReal(real: FileHandle): Promise<void> {
    this.realOpen--;
    try {
      await real.close();
    } finally {
      this.notify();
    }
  }

  forget(h: VirtualHandle): void {
    this.pinned.delete(h);
    this.lru.delete(h);
    this.virtual.delete(h);
    this.unindex(h);
  }

  private index(h: VirtualHandle): void {
    let set = this.byPath.get(h.currentPath);
    if (set === undefined) this.byPath.set(h.currentPath, (set = new Set()));
    set.add(h);
  }

  private unindex(h: VirtualHandle): void {
    const set = this.byPath.get(h.currentPath);
    if (set === undefined) return;
    set.delete(h);
    if (set.size === 0) this.byPath.delete(h.currentPath);
  }

  /** Opens a real handle in a reserved slot (the slot is given back if the open fails). */
  private async openReserved(open: () => Promise<FileHandle>): Promise<FileHandle> {
    await this.reserveSlot();
    try {
      return await open();
    } catch (error) {
      this.realOpen--;
      this.notify();
      throw error;
    }
  }

  /** Reopens and pins every virtual handle on `path` (or under it, for a directory): that file is about to go. */
  private async pinAll(path: string, directory: boolean): Promise<void> {
    const doomed = [...(this.byPath.get(path) ?? [])];
    if (directory) for (const h of this.virtual) if (h.currentPath.startsWith(`${path}/`)) doomed.push(h);
    for (const h of doomed) await h.pin();
  }
}

class VirtualHandle implements FileHandle {
  currentPath: string;
  readonly mode: OpenMode;
  pinned = false;
  private readonly cache: HandleCache;
  private real: FileHandle | null;
  private opening: Promise<FileHandle> | null = null;
  private inUse = 0;
  private closed = false;

  constructor(cache: HandleCache, path: string, mode: OpenMode, real: FileHandle) {
    this.cache = cache;
    this.currentPath = path;
    this.mode = mode;
    this.real = real;
  }

  get path(): string {
    return this.currentPath;
  }

  get hasReal(): boolean {
    return this.real !== null;
  }

  get busy(): boolean {
    return this.inUse > 0 || this.opening !== null;
  }

  /** Gives up the real handle (eviction); the next operation reopens. */
  detach(): FileHandle | null {
    const real = this.real;
    this.real = null;
    return real;
  }

  async pin(): Promise<void> {
    if (this.closed) return;
    this.pinned = true;
    this.cache.markPinned(this);
    await this.run(async () => undefined);
  }

  read(buffer: Uint8Array, position: number): Promise<number> {
    return this.run((h) => h.read(buffer, position));
  }

  append(buffers: Uint8Array | readonly Uint8Array[]): Promise<number> {
    return this.run((h) => h.append(buffers));
  }

  write(buffers: Uint8Array | readonly Uint8Array[], position: number): Promise<number> {
    return this.run((h) => h.write(buffers, position));
  }

  sync(): Promise<void> {
    return this.run((h) => h.sync());
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.run((h) => h.truncate(sizeBytes));
  }

  size(): Promise<number> {
    return this.run((h) => h.size());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.forget(this);
    const real = this.real ?? (this.opening ? await this.opening.catch(() => null) : null);
    this.real = null;
    if (real !== null) await this.cache.closeReal(real);
  }

  private async run<T>(op: (h: FileHandle) => Promise<T>): Promise<T> {
    if (this.closed) throw new FileSystemError('closed', this.currentPath);
    this.inUse++;
    try {
      let real = this.real;
      if (real === null) {
        if (this.opening === null) {
          this.opening = this.cache.reopen(this);
          try {
            this.real = await this.opening;
          } finally {
            this.opening = null;
          }
        } else {
          await this.opening;
        }
        real = this.real!;
        if (this.closed) throw new FileSystemError('closed', this.currentPath);
      } else {
        this.cache.touch(this);
      }
      return await op(real);
    } finally {
      this.inUse--;
      if (this.inUse === 0) this.cache.notify();
    }
  }
}
