/**
 * NodeFileSystem: FileSystem over `node:fs/promises` file descriptors.
 *
 * - `read` is pread into the caller's buffer (looping over short reads until full or EOF).
 * - `append` is writev with no position on an O_APPEND descriptor (on a read-write one:
 *   pwritev at the current size); `write` is pwritev at the position. Both loop over
 *   short writes, so they resolve the full length.
 * - `sync` is fdatasync; `syncDir` opens the directory (O_DIRECTORY) and fsyncs it.
 * - Native errors become FileSystemError (native-errors.ts); a handle used after close
 *   fails with 'closed' without reaching the OS.
 *
 * Concurrency: reads go straight to the kernel and may overlap. append, write and
 * truncate run one at a time per handle, in call order (a promise chain), because
 * libuv's thread pool would otherwise be free to reorder writes issued without awaiting.
 * sync waits for the mutations issued before it and then runs beside the chain, so later
 * writes do not wait for the disk flush.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle, FileLock, FileStat, FileSystem, FreeSpace, OpenMode, OpenOptions } from '../file-system.ts';
import { FileSystemError } from '../file-system.ts';
import { errnoOf, toFileSystemError, translating } from './native-errors.ts';
import { tryLockFile } from './node-file-lock.ts';

/** Short reads/writes in a row before giving up (a regular file never needs more than a few). */
const shortIoLoopsMax = 1024;

/** Directory levels mkdirStepwise creates at most (a path deeper than this is not sane). */
const mkdirDepthMax = 256;

/** mkdir -p one level at a time with plain mkdir, so an error is the kernel's own errno for the level that failed. */
async function mkdirStepwise(path: string): Promise<void> {
  const levels: string[] = [];
  for (let p = path.replace(/\/+$/, ''), i = 0; p !== '' && i < mkdirDepthMax; i++) {
    levels.unshift(p);
    const cut = p.lastIndexOf('/');
    p = cut <= 0 ? '' : p.slice(0, cut);
  }
  for (const level of levels) {
    try {
      await fsp.mkdir(level);
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') continue;
      throw toFileSystemError(error, level);
    }
  }
}

function openFlags(mode: OpenMode, options: OpenOptions): number {
  let flags =
    mode === 'read'
      ? constants.O_RDONLY
      : mode === 'append'
        ? constants.O_RDWR | constants.O_APPEND | constants.O_CREAT
        : constants.O_RDWR | constants.O_CREAT;
  if (options.exclusive) flags |= constants.O_EXCL | constants.O_CREAT;
  if (options.truncate) flags |= constants.O_TRUNC;
  return flags;
}

function toList(buffers: Uint8Array | readonly Uint8Array[]): Uint8Array[] {
  return buffers instanceof Uint8Array ? [buffers] : [...buffers];
}

/** Drops the first `n` bytes of a list of buffers (after a short write). */
function skipBytes(list: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const b of list) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

class NodeFileHandle implements FileHandle {
  readonly path: string;
  private readonly handle: fsp.FileHandle;
  private readonly mode: OpenMode;
  private closed = false;
  /** The last queued mutation; the next one starts after it settles. */
  private tail: Promise<unknown> = Promise.resolve();
  /** fdatasyncs running beside the chain (see `sync`); close waits for them. */
  private readonly syncsInFlight = new Set<Promise<void>>();

  constructor(handle: fsp.FileHandle, path: string, mode: OpenMode) {
    this.handle = handle;
    this.path = path;
    this.mode = mode;
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    this.checkOpen();
    return translating(this.path, async () => {
      let total = 0;
      for (let loops = 0; total < buffer.byteLength && loops < shortIoLoopsMax; loops++) {
        const { bytesRead } = await this.handle.read(buffer, total, buffer.byteLength - total, position + total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return total;
    });
  }

  async append(buffers: Uint8Array | readonly Uint8Array[]): Promise<number> {
    this.checkOpen();
    if (this.mode === 'read') throw new FileSystemError('bad-mode', this.path, 'append on a read-only handle');
    const list = toList(buffers);
    // O_APPEND descriptors write at the end by themselves; a read-write one writes at the
    // end as of now (the chain keeps that from racing with other mutations of this handle).
    if (this.mode === 'append') return this.serial(() => this.writeAll(list, null));
    return this.serial(async () => this.writeAll(list, (await this.handle.stat()).size));
  }

  async write(buffers: Uint8Array | readonly Uint8Array[], position: number): Promise<number> {
    this.checkOpen();
    if (this.mode !== 'read-write') throw new FileSystemError('bad-mode', this.path, `positional write on a ${this.mode} handle`);
    const list = toList(buffers);
    return this.serial(() => this.writeAll(list, position));
  }

  /**
   * Waits for the mutations issued before it, then fdatasyncs outside the chain: mutations
   * issued after it start at once instead of queueing behind the disk flush (group commit
   * writes the next appends while the previous ones are synced). What was written before
   * the sync was called is durable when it resolves; later writes may or may not be.
   */
  async sync(): Promise<void> {
    this.checkOpen();
    await this.tail;
    const syncing = translating(this.path, () => this.handle.datasync());
    this.syncsInFlight.add(syncing);
    try {
      await syncing;
    } finally {
      this.syncsInFlight.delete(syncing);
    }
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.checkOpen();
    if (this.mode === 'read') throw new FileSystemError('bad-mode', this.path, 'truncate on a read-only handle');
    await this.serial(() => translating(this.path, () => this.handle.truncate(sizeBytes)));
  }

  async size(): Promise<number> {
    this.checkOpen();
    return translating(this.path, async () => (await this.handle.stat()).size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await Promise.allSettled([...this.syncsInFlight]);
    await translating(this.path, () => this.handle.close());
  }

  private async writeAll(list: Uint8Array[], position: number | null): Promise<number> {
    let total = 0;
    for (const b of list) total += b.byteLength;
    if (total === 0) return 0;
    return translating(this.path, async () => {
      let written = 0;
      let rest = list;
      for (let loops = 0; written < total; loops++) {
        if (loops >= shortIoLoopsMax) throw new FileSystemError('io', this.path, 'write made no progress');
        const { bytesWritten } = await this.handle.writev(rest, position === null ? undefined : position + written);
        written += bytesWritten;
        if (written < total) rest = skipBytes(rest, bytesWritten);
      }
      return total;
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new FileSystemError('closed', this.path);
  }
}

export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode, options: OpenOptions = {}): Promise<FileHandle> {
    if (mode === 'read' && (options.truncate || options.exclusive)) {
      throw new FileSystemError('bad-mode', path, 'read mode cannot truncate or create');
    }
    const handle = await translating(path, () => fsp.open(path, openFlags(mode, options), 0o644));
    if (mode === 'read') {
      // O_RDONLY opens a directory without complaint on Linux; the contract says is-a-directory.
      const isDirectory = await translating(path, async () => (await handle.stat()).isDirectory());
      if (isDirectory) {
        await handle.close();
        throw new FileSystemError('is-a-directory', path);
      }
    }
    return new NodeFileHandle(handle, path, mode);
  }

  async mkdirp(path: string): Promise<void> {
    try {
      await fsp.mkdir(path, { recursive: true });
    } catch (error) {
      // Node's recursive mkdir reports any failure it does not special-case (EROFS, EIO,
      // ELOOP, ...) as the ENOENT of its follow-up stat of the path; redo it one level at a
      // time to learn the real cause (EROFS on a read-only mount).
      if (errnoOf(error) !== 'ENOENT') throw toFileSystemError(error, path);
      await mkdirStepwise(path);
    }
  }

  async readDir(path: string): Promise<string[]> {
    const names = await translating(path, () => fsp.readdir(path));
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async rename(from: string, to: string): Promise<void> {
    await translating(from, () => fsp.rename(from, to));
  }

  async remove(path: string, options: { readonly recursive?: boolean } = {}): Promise<void> {
    try {
      if (options.recursive) {
        await fsp.rm(path, { recursive: true, force: true });
        return;
      }
      const stat = await fsp.lstat(path);
      if (stat.isDirectory()) await fsp.rmdir(path);
      else await fsp.unlink(path);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return;
      throw toFileSystemError(error, path);
    }
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await fsp.stat(path);
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), sizeBytes: s.size, mtimeMs: Math.floor(s.mtimeMs) };
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return null;
      throw toFileSystemError(error, path);
    }
  }

  async syncDir(path: string): Promise<void> {
    const handle = await translating(path, () => fsp.open(path, constants.O_RDONLY | constants.O_DIRECTORY));
    try {
      await translating(path, () => handle.sync());
    } finally {
      await handle.close();
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    const data = await translating(path, () => fsp.readFile(path));
    // A plain Uint8Array view: Buffer's slice() shares memory, Uint8Array's copies.
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  // ---- free space ---------------------------------------------------------------------

  /** statfs(2): `bavail * bsize` free (what a non-root writer may use), `blocks * bsize` total. */
  async freeSpace(path: string): Promise<FreeSpace> {
    const s = await translating(path, () => fsp.statfs(path));
    return { freeBytes: Number(s.bavail) * Number(s.bsize), totalBytes: Number(s.blocks) * Number(s.bsize) };
  }

  // ---- data-directory lock ----
  tryLock(path: string): Promise<FileLock | null> {
    return tryLockFile(path);
  }
}
