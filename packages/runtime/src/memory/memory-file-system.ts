/**
 * MemoryFileSystem: a FileSystem in memory that can crash (the LazyFS model) and fail on
 * command. The simulator and every crash-recovery test of the log engine run on it.
 *
 * Durability model (see memory-inodes.ts for the data layout):
 * - File bytes: a write or truncate is *pending* until `sync()` on any handle of that
 *   file; `crash()` drops pending operations (with `tear`, keeps a seeded torn part).
 * - Directory entries: creating a file, mkdirp, rename and remove change the directory
 *   at once for every reader, but are *pending* until `syncDir(parent)`; a crash puts
 *   each directory back to its entries as of its last syncDir. A directory created by
 *   mkdirp survives a crash only once its own parent was synced after it was created
 *   (files inside an unsynced directory are lost with it, as after a real fsck).
 *   With `{ metadataDurability: 'immediate' }` every directory change is durable at once.
 * - After `crash()` every handle opened before it fails with 'closed' (close() resolves).
 * - Fault injection: `failOn({ op, nth, code })` (see fault-plan.ts); a failed operation
 *   has no effect.
 *
 * Paths are POSIX: "/a/b". Relative paths are taken from "/"; "." and ".." are resolved.
 * Capacity: the sizes of all linked files add up to at most `capacityBytes` (a write past
 * it fails with 'no-space'); one file is at most `fileBytesMax`. Extending a file by
 * truncate stores nothing (sparse tail), so preallocated indices are cheap.
 * `freeSpace()` reports `capacityBytes - usedBytes()`, so a small capacity is a full disk.
 * Single-threaded: every operation completes synchronously inside its promise, so
 * operations are applied in call order.
 */

import { systemClock, type Clock } from '../clock.ts';
import type { FileHandle, FileLock, FileStat, FileSystem, FreeSpace, OpenMode, OpenOptions } from '../file-system.ts';
import { FileSystemError } from '../file-system.ts';
import { createRandom } from '../random.ts';
import { FaultPlan, type FaultOp, type FaultRule, type RandomFaultRule } from './fault-plan.ts';
import {
  crashFile,
  newDirInode,
  newFileInode,
  recordOp,
  syncFile,
  type DirInode,
  type FileInode,
  type Inode,
  type TearMode,
} from './memory-inodes.ts';

export interface MemoryFileSystemOptions {
  /** Source of mtimes; a ManualClock makes them deterministic. Default: the system clock. */
  readonly clock?: Clock;
  /** 'sync-dir' (default): directory changes are durable after syncDir(parent). 'immediate': at once. */
  readonly metadataDurability?: 'sync-dir' | 'immediate';
  /**
   * Total size of all files (apparent sizes, as `du --apparent-size`); default 64 GiB.
   * Sizes extended by truncate and never written cost no memory (see growable-bytes.ts).
   */
  readonly capacityBytes?: number;
  /** Bytes of one file; default `capacityBytes`. */
  readonly fileBytesMax?: number;
}

export interface CrashOptions {
  /** Keep part of the unsynced writes, chosen by `seed` (see TearMode). Without it all are dropped. */
  readonly tear?: { readonly seed: number; readonly mode?: TearMode };
}

export function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

export class MemoryFileSystem implements FileSystem {
  private root: DirInode;
  private readonly clock: Clock;
  private readonly immediate: boolean;
  private readonly faults = new FaultPlan();
  private used = 0;
  readonly capacityBytes: number;
  readonly fileBytesMax: number;
  /** Bumped by crash(); a handle from an older epoch is closed. */
  epoch = 0;
  /** @internal Maintained by MemoryFileHandle. */
  handlesOpen = 0;
  /** Lock files held (normalized paths) and the epoch that took each; crash() drops them all. */
  private readonly locks = new Map<string, number>();

  constructor(options: MemoryFileSystemOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.immediate = options.metadataDurability === 'immediate';
    this.capacityBytes = options.capacityBytes ?? 64 * 1024 * 1024 * 1024;
    this.fileBytesMax = Math.min(options.fileBytesMax ?? this.capacityBytes, this.capacityBytes);
    this.root = newDirInode(this.clock.wallMs());
  }

  // ---- fault injection ----------------------------------------------------------------

  /** Fails the `nth` next operation matching `op` (see fault-plan.ts). */
  failOn(rule: FaultRule): void {
    this.faults.add(rule);
  }

  /** Fails matching operations at random with `probability`, reproducibly from `seed`. */
  failRandomly(rule: RandomFaultRule): void {
    this.faults.setRandom(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** How many operations of a kind were attempted since this file system was made. */
  opCount(op: FaultOp): number {
    return this.faults.counts.get(op) ?? 0;
  }

  /**
   * Simulates power loss and reboot: unsynced file bytes and directory changes are lost
   * (with `tear`, part of the unsynced bytes survive), every open handle is closed.
   * Deterministic: the same state and seed give the same result.
   */
  crash(options: CrashOptions = {}): void {
    this.epoch++;
    this.handlesOpen = 0;
    this.locks.clear();
    const tear = options.tear ? { random: createRandom(options.tear.seed), mode: options.tear.mode ?? 'prefix' } : null;
    const seen = new Set<Inode>();
    const restore = (dir: DirInode): void => {
      dir.children = new Map([...dir.durableChildren].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      for (const child of dir.children.values()) {
        if (seen.has(child)) continue;
        seen.add(child);
        if (child.kind === 'dir') restore(child);
        else crashFile(child, tear);
      }
    };
    restore(this.root);
    this.recountLinks();
  }

  /**
   * An independent copy of the whole state — current and durable contents, pending
   * writes, directory entries — without open handles or fault rules. For exploring many
   * crash outcomes from one point: `const c = fs.clone(); c.crash({ tear: { seed } })`.
   */
  clone(): MemoryFileSystem {
    const copy = new MemoryFileSystem({
      clock: this.clock,
      metadataDurability: this.immediate ? 'immediate' : 'sync-dir',
      capacityBytes: this.capacityBytes,
      fileBytesMax: this.fileBytesMax,
    });
    const copies = new Map<Inode, Inode>();
    const copyOf = (node: Inode): Inode => {
      const known = copies.get(node);
      if (known) return known;
      if (node.kind === 'file') {
        // Pending ops are never mutated after being recorded: sharing them is safe.
        const file: FileInode = { ...node, content: node.content.clone(), durable: node.durable.clone(), pending: [...node.pending] };
        copies.set(node, file);
        return file;
      }
      const dir: DirInode = { kind: 'dir', children: new Map(), durableChildren: new Map(), mtimeMs: node.mtimeMs };
      copies.set(node, dir);
      for (const [name, child] of node.children) dir.children.set(name, copyOf(child));
      for (const [name, child] of node.durableChildren) dir.durableChildren.set(name, copyOf(child));
      return dir;
    };
    copy.root = copyOf(this.root) as DirInode;
    copy.used = this.used;
    return copy;
  }

  /** Handles opened and not yet closed (crash() closes them all). For leak checks. */
  openHandles(): number {
    return this.handlesOpen;
  }

  /** Total size of all linked files (current content, synced or not; apparent sizes). */
  usedBytes(): number {
    return this.used;
  }

  /** What `path` would hold after a crash without tear, or null if it would not exist. For tests. */
  durableContent(path: string): Uint8Array | null {
    let node: Inode = this.root;
    for (const name of splitPath(path)) {
      if (node.kind !== 'dir') return null;
      const next: Inode | undefined = node.durableChildren.get(name);
      if (!next) return null;
      node = next;
    }
    return node.kind === 'file' ? node.durable.snapshot() : null;
  }

  // ---- FileSystem ---------------------------------------------------------------------

  async open(path: string, mode: OpenMode, options: OpenOptions = {}): Promise<FileHandle> {
    this.faults.check('open', path);
    if (mode === 'read' && (options.truncate || options.exclusive)) {
      throw new FileSystemError('bad-mode', path, 'read mode cannot truncate or create');
    }
    const { dir, name } = this.parentOf(path);
    const existing = dir.children.get(name);
    if (existing?.kind === 'dir') throw new FileSystemError('is-a-directory', path);
    if (existing && options.exclusive) throw new FileSystemError('exists', path);
    let inode = existing;
    if (!inode) {
      if (mode === 'read') throw new FileSystemError('not-found', path);
      inode = newFileInode(this.fileBytesMax, this.clock.wallMs());
      this.link(dir, name, inode);
    }
    if (options.truncate && inode.content.length > 0) this.truncateFile(inode, 0, path);
    return new MemoryFileHandle(this, inode, path, mode);
  }

  async mkdirp(path: string): Promise<void> {
    this.faults.check('mkdirp', path);
    let dir = this.root;
    const parts = splitPath(path);
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const child = dir.children.get(name);
      if (child?.kind === 'file') {
        throw new FileSystemError(i === parts.length - 1 ? 'exists' : 'not-a-directory', path);
      }
      if (child) {
        dir = child;
        continue;
      }
      const created = newDirInode(this.clock.wallMs());
      this.link(dir, name, created);
      dir = created;
    }
  }

  async readDir(path: string): Promise<string[]> {
    this.faults.check('readDir', path);
    const node = this.lookup(path);
    if (node.kind !== 'dir') throw new FileSystemError('not-a-directory', path);
    return [...node.children.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async rename(from: string, to: string): Promise<void> {
    this.faults.check('rename', from);
    const source = this.parentOf(from);
    const node = source.dir.children.get(source.name);
    if (!node) throw new FileSystemError('not-found', from);
    const target = this.parentOf(to);
    const replaced = target.dir.children.get(target.name);
    if (replaced === node) return;
    if (node.kind === 'dir') {
      if (replaced?.kind === 'file') throw new FileSystemError('not-a-directory', to);
      if (replaced?.kind === 'dir' && replaced.children.size > 0) throw new FileSystemError('not-empty', to);
      if (this.isInside(target.dir, node)) throw new FileSystemError('io', to, 'cannot move a directory into itself');
    } else if (replaced?.kind === 'dir') {
      throw new FileSystemError('is-a-directory', to);
    }
    this.unlink(source.dir, source.name);
    if (replaced) this.unlink(target.dir, target.name);
    this.link(target.dir, target.name, node);
  }

  async remove(path: string, options: { readonly recursive?: boolean } = {}): Promise<void> {
    this.faults.check('remove', path);
    if (splitPath(path).length === 0) throw new FileSystemError('io', path, 'cannot remove the root');
    let parent: { dir: DirInode; name: string };
    try {
      parent = this.parentOf(path);
    } catch (error) {
      if (error instanceof FileSystemError && (error.code === 'not-found' || error.code === 'not-a-directory')) return;
      throw error;
    }
    const node = parent.dir.children.get(parent.name);
    if (!node) return;
    if (node.kind === 'dir' && node.children.size > 0 && !options.recursive) {
      throw new FileSystemError('not-empty', path);
    }
    this.unlink(parent.dir, parent.name);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.faults.check('stat', path);
    let node: Inode;
    try {
      node = this.lookup(path);
    } catch (error) {
      if (error instanceof FileSystemError && (error.code === 'not-found' || error.code === 'not-a-directory')) return null;
      throw error;
    }
    return {
      isFile: node.kind === 'file',
      isDirectory: node.kind === 'dir',
      sizeBytes: node.kind === 'file' ? node.content.length : 0,
      mtimeMs: node.mtimeMs,
    };
  }

  async syncDir(path: string): Promise<void> {
    this.faults.check('syncDir', path);
    const node = this.lookup(path);
    if (node.kind !== 'dir') throw new FileSystemError('not-a-directory', path);
    node.durableChildren = new Map(node.children);
  }

  // ---- data-directory lock ----
  /**
   * One holder per file across every caller of this file system (as if each lock were
   * taken by its own process). Held until release() or crash(); taking it writes nothing.
   */
  async tryLock(path: string): Promise<FileLock | null> {
    const key = '/' + splitPath(path).join('/');
    await (await this.open(path, 'read-write')).close();
    if (this.locks.has(key)) return null;
    const epoch = this.epoch;
    this.locks.set(key, epoch);
    const held = (): boolean => this.epoch === epoch && this.locks.get(key) === epoch;
    let released = false;
    return {
      path,
      writeHolder: async (bytes) => {
        if (released || !held()) throw new FileSystemError('closed', path);
        const handle = await this.open(path, 'read-write', { truncate: true });
        try {
          await handle.write(bytes, 0);
          await handle.sync();
        } finally {
          await handle.close();
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        if (held()) this.locks.delete(key);
      },
    };
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.faults.check('readFile', path);
    const node = this.lookup(path);
    if (node.kind === 'dir') throw new FileSystemError('is-a-directory', path);
    return node.content.snapshot();
  }

  // ---- free space ---------------------------------------------------------------------

  /**
   * The capacity not yet used (`capacityBytes - usedBytes()`), the same for every path:
   * one volume. Not a fault-plan operation (it writes nothing and a broker polls it).
   */
  async freeSpace(path: string): Promise<FreeSpace> {
    this.lookup(path);
    return { freeBytes: Math.max(0, this.capacityBytes - this.used), totalBytes: this.capacityBytes };
  }

  // ---- used by MemoryFileHandle -------------------------------------------------------

  /** @internal Counts a handle operation and throws an injected fault if one is due. */
  checkFault(op: FaultOp, path: string): void {
    this.faults.check(op, path);
  }

  /** @internal Writes `buffers` back to back at `position` as one pending operation. */
  writeFile(inode: FileInode, buffers: readonly Uint8Array[], position: number, path: string): number {
    let total = 0;
    for (const b of buffers) total += b.byteLength;
    if (total === 0) return 0;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const b of buffers) {
      joined.set(b, at);
      at += b.byteLength;
    }
    this.reserve(inode, Math.max(inode.content.length, position + total), path);
    inode.content.write(position, joined);
    recordOp(inode, { kind: 'write', position, bytes: joined });
    inode.mtimeMs = this.clock.wallMs();
    return total;
  }

  /** @internal */
  truncateFile(inode: FileInode, sizeBytes: number, path: string): void {
    this.reserve(inode, sizeBytes, path);
    inode.content.truncate(sizeBytes);
    recordOp(inode, { kind: 'truncate', sizeBytes });
    inode.mtimeMs = this.clock.wallMs();
  }

  /** @internal */
  syncFile(inode: FileInode): void {
    syncFile(inode);
  }

  // ---- helpers ------------------------------------------------------------------------

  private reserve(inode: FileInode, newLength: number, path: string): void {
    if (!Number.isSafeInteger(newLength) || newLength < 0) throw new RangeError(`bad file length ${newLength}`);
    const delta = newLength - inode.content.length;
    if (newLength > this.fileBytesMax || (inode.links > 0 && this.used + delta > this.capacityBytes)) {
      throw new FileSystemError('no-space', path);
    }
    if (inode.links > 0) this.used += delta;
  }

  private lookup(path: string): Inode {
    let node: Inode = this.root;
    for (const name of splitPath(path)) {
      if (node.kind !== 'dir') throw new FileSystemError('not-a-directory', path);
      const next: Inode | undefined = node.children.get(name);
      if (!next) throw new FileSystemError('not-found', path);
      node = next;
    }
    return node;
  }

  private parentOf(path: string): { dir: DirInode; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new FileSystemError('is-a-directory', path, 'the root');
    const dir = this.lookup('/' + parts.join('/'));
    if (dir.kind !== 'dir') throw new FileSystemError('not-a-directory', path);
    return { dir, name };
  }

  private isInside(dir: DirInode, ancestor: DirInode): boolean {
    if (dir === ancestor) return true;
    for (const child of ancestor.children.values()) {
      if (child.kind === 'dir' && this.isInside(dir, child)) return true;
    }
    return false;
  }

  private link(dir: DirInode, name: string, node: Inode): void {
    dir.children.set(name, node);
    dir.mtimeMs = this.clock.wallMs();
    this.countLinks(node, +1);
    if (this.immediate) dir.durableChildren = new Map(dir.children);
  }

  private unlink(dir: DirInode, name: string): void {
    const node = dir.children.get(name);
    if (!node) return;
    dir.children.delete(name);
    dir.mtimeMs = this.clock.wallMs();
    this.countLinks(node, -1);
    if (this.immediate) dir.durableChildren = new Map(dir.children);
  }

  /** Adds `delta` links to a file, or to every file under a directory; keeps `used` in step. */
  private countLinks(node: Inode, delta: 1 | -1): void {
    if (node.kind === 'dir') {
      for (const child of node.children.values()) this.countLinks(child, delta);
      return;
    }
    const before = node.links;
    node.links += delta;
    if (before === 0 && node.links > 0) this.used += node.content.length;
    if (before > 0 && node.links === 0) this.used -= node.content.length;
  }

  private recountLinks(): void {
    const files = new Set<FileInode>();
    const walk = (dir: DirInode, depth: number): void => {
      if (depth > 4096) throw new RangeError('directory tree deeper than 4096');
      for (const child of dir.children.values()) {
        if (child.kind === 'dir') walk(child, depth + 1);
        else files.add(child);
      }
    };
    walk(this.root, 0);
    for (const f of files) f.links = 0;
    this.used = 0;
    const count = (dir: DirInode): void => {
      for (const child of dir.children.values()) {
        if (child.kind === 'dir') count(child);
        else this.countLinks(child, 1);
      }
    };
    count(this.root);
  }
}

class MemoryFileHandle implements FileHandle {
  readonly path: string;
  private readonly fs: MemoryFileSystem;
  private readonly inode: FileInode;
  private readonly mode: OpenMode;
  private readonly epoch: number;
  private closed = false;

  constructor(fs: MemoryFileSystem, inode: FileInode, path: string, mode: OpenMode) {
    this.fs = fs;
    this.inode = inode;
    this.path = path;
    this.mode = mode;
    this.epoch = fs.epoch;
    fs.handlesOpen++;
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    this.begin('read');
    checkPosition(position);
    return this.inode.content.readInto(buffer, position);
  }

  async append(buffers: Uint8Array | readonly Uint8Array[]): Promise<number> {
    this.begin('append');
    if (this.mode === 'read') throw new FileSystemError('bad-mode', this.path, 'append on a read-only handle');
    return this.fs.writeFile(this.inode, toList(buffers), this.inode.content.length, this.path);
  }

  async write(buffers: Uint8Array | readonly Uint8Array[], position: number): Promise<number> {
    this.begin('write');
    if (this.mode !== 'read-write') throw new FileSystemError('bad-mode', this.path, `positional write on a ${this.mode} handle`);
    checkPosition(position);
    return this.fs.writeFile(this.inode, toList(buffers), position, this.path);
  }

  async sync(): Promise<void> {
    this.begin('sync');
    this.fs.syncFile(this.inode);
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.begin('truncate');
    if (this.mode === 'read') throw new FileSystemError('bad-mode', this.path, 'truncate on a read-only handle');
    checkPosition(sizeBytes);
    this.fs.truncateFile(this.inode, sizeBytes, this.path);
  }

  async size(): Promise<number> {
    this.begin('size');
    return this.inode.content.length;
  }

  async close(): Promise<void> {
    if (this.closed || this.epoch !== this.fs.epoch) {
      this.closed = true;
      return;
    }
    this.closed = true;
    this.fs.handlesOpen--;
    this.fs.checkFault('close', this.path);
  }

  private begin(op: FaultOp): void {
    if (this.closed || this.epoch !== this.fs.epoch) throw new FileSystemError('closed', this.path);
    this.fs.checkFault(op, this.path);
  }
}

function toList(buffers: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return buffers instanceof Uint8Array ? [buffers] : buffers;
}

function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`bad file position ${position}`);
}
