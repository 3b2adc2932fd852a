/**
 * DenoFileSystem: FileSystem over `Deno.open` files.
 *
 * Deno.FsFile has no pread/pwrite, so positional I/O is seek + read/write. Every
 * operation on a handle (reads included) therefore runs one at a time, in call order,
 * on a per-handle promise chain: a seek must not interleave with another op's read.
 * `append` opens with O_APPEND (writes land at the end whatever the offset).
 *
 * Position cache: the handle tracks the descriptor's file offset (`positionBytes`), so a
 * read or write at the current offset (sequential reads, back-to-back writes) skips
 * the seek. Invariants: it is only read and changed inside the chain (so it always
 * matches the offset the next chained op sees); it advances by the bytes each
 * read/write call reports (short transfers included); truncate, stat and fdatasync do
 * not move the offset; an O_APPEND write leaves the offset at an end we do not know,
 * and any error leaves it unknown (null): the next positional op seeks.
 * A vectored write of several buffers is joined into one buffer up to `joinBytesMax`
 * (one syscall), written buffer by buffer above that. `sync` is fdatasync (syncData),
 * run beside the chain once the operations issued before it are done, through a second
 * descriptor of the same file (`syncFile`): Deno runs the async ops of one FsFile one at
 * a time, so an fdatasync on the descriptor the chain uses would hold every later read
 * and write until the disk flush ends (the Deno broker's produce tail, issue 12). The
 * second descriptor is opened read-only on the first sync and kept while the handle is
 * open; it is used only if it is the same inode (dev + ino) as the handle's file, else
 * (path renamed and replaced, no permission, no ino on this platform) the handle's own
 * descriptor syncs, serialised but correct. close() closes both. fdatasync flushes the
 * inode's dirty pages whichever descriptor asks, and Linux (≥ 4.16) reports a writeback
 * error to every descriptor that has not seen it, one opened after the error included.
 * `syncDir` opens the directory and fsyncs it. Deno's errors carry errno codes
 * (`error.code === 'ENOENT'`), mapped like Node's (../node/native-errors.ts).
 */
import type { FileHandle, FileLock, FileStat, FileSystem, FreeSpace, OpenMode, OpenOptions } from '../file-system.ts';
import { FileSystemError } from '../file-system.ts';
import { errnoOf, toFileSystemError, translating } from '../node/native-errors.ts';
import { deno, type DenoFsFile, type DenoOpenOptions } from './deno-types.ts';

const joinBytesMax = 1024 * 1024;
const shortIoLoopsMax = 1024;
const dirEntriesMax = 10_000_000;

function toList(buffers: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return buffers instanceof Uint8Array ? [buffers] : buffers;
}

/** Joins small vectors into one buffer so a vectored write stays one syscall. */
function coalesce(list: readonly Uint8Array[]): readonly Uint8Array[] {
  if (list.length <= 1) return list;
  let total = 0;
  for (const b of list) total += b.byteLength;
  if (total > joinBytesMax) return list;
  const joined = new Uint8Array(total);
  let at = 0;
  for (const b of list) {
    joined.set(b, at);
    at += b.byteLength;
  }
  return [joined];
}

/**
 * Opens `path` again, read-only, for fdatasync: resolves it only if it is the same inode
 * as `file` (the path may have been renamed and replaced since `file` was opened), else
 * null. Never rejects: any failure means "sync through `file`".
 */
async function openSameFile(path: string, file: DenoFsFile): Promise<DenoFsFile | null> {
  let other: DenoFsFile;
  try {
    other = await deno().open(path, { read: true });
  } catch {
    return null;
  }
  try {
    const [mine, theirs] = await Promise.all([file.stat(), other.stat()]);
    if (mine.ino != null && mine.ino === theirs.ino && mine.dev === theirs.dev) return other;
  } catch {
    // fall through: not provably the same file
  }
  other.close();
  return null;
}

class DenoFileHandle implements FileHandle {
  readonly path: string;
  private readonly file: DenoFsFile;
  private readonly mode: OpenMode;
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** The descriptor's file offset as of the end of the chain, or null when unknown. A fresh open is at 0. */
  private positionBytes: number | null = 0;
  /** fdatasyncs running beside the chain (see `sync`); close waits for them. */
  private readonly syncsInFlight = new Set<Promise<void>>();
  /** A second descriptor of this file for fdatasync (see the file doc); null inside = none usable. */
  private syncFile: Promise<DenoFsFile | null> | null = null;

  constructor(file: DenoFsFile, path: string, mode: OpenMode) {
    this.file = file;
    this.path = path;
    this.mode = mode;
  }

  read(buffer: Uint8Array, position: number): Promise<number> {
    return this.serial(async () => {
      if (buffer.byteLength === 0) return 0;
      await this.seekTo(position);
      let total = 0;
      for (let loops = 0; total < buffer.byteLength && loops < shortIoLoopsMax; loops++) {
        const n = await this.file.read(buffer.subarray(total));
        if (n === null || n === 0) break;
        total += n;
        this.positionBytes = position + total;
      }
      return total;
    });
  }

  append(buffers: Uint8Array | readonly Uint8Array[]): Promise<number> {
    if (this.mode === 'read') return this.fail('bad-mode', 'append on a read-only handle');
    const list = toList(buffers);
    if (this.mode === 'append') {
      return this.serial(async () => {
        // O_APPEND moves the offset to an end this handle does not track.
        this.positionBytes = null;
        return this.writeAll(list);
      });
    }
    // A read-write file has no O_APPEND: move to the end first (inside the chain). The
    // end is not cached: another handle may have grown the file since.
    return this.serial(async () => {
      this.positionBytes = null;
      this.positionBytes = await this.file.seek(0, 2);
      return this.writeAll(list);
    });
  }

  write(buffers: Uint8Array | readonly Uint8Array[], position: number): Promise<number> {
    if (this.mode !== 'read-write') return this.fail('bad-mode', `positional write on a ${this.mode} handle`);
    const list = toList(buffers);
    return this.serial(async () => {
      await this.seekTo(position);
      return this.writeAll(list);
    });
  }

  /**
   * Waits for the operations issued before it, then fdatasyncs beside the chain (as the
   * Node adapter does): later reads and writes do not queue behind the disk flush, here
   * nor in Deno's per-FsFile op queue (the flush runs on `syncFile`, see the file doc).
   * fdatasync does not move the file offset the chained seeks and the position cache
   * rely on.
   */
  async sync(): Promise<void> {
    if (this.closed) throw new FileSystemError('closed', this.path);
    await this.tail;
    const syncing = this.syncDescriptor()
      .then((other) => (other ?? this.file).syncData())
      .catch((error: unknown) => {
        throw toFileSystemError(error, this.path);
      });
    this.syncsInFlight.add(syncing);
    try {
      await syncing;
    } finally {
      this.syncsInFlight.delete(syncing);
    }
  }

  truncate(sizeBytes: number): Promise<void> {
    if (this.mode === 'read') return this.fail('bad-mode', 'truncate on a read-only handle');
    return this.serial(() => this.file.truncate(sizeBytes));
  }

  size(): Promise<number> {
    return this.serial(async () => (await this.file.stat()).size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await Promise.allSettled([...this.syncsInFlight]);
    const other = await this.syncFile;
    try {
      other?.close();
    } catch {
      // Only ever synced through: nothing of ours is lost with it.
    }
    try {
      this.file.close();
    } catch (error) {
      throw toFileSystemError(error, this.path);
    }
  }

  /** The descriptor fdatasync runs on, opened on the first sync; null = use `file`. Never rejects. */
  private syncDescriptor(): Promise<DenoFsFile | null> {
    this.syncFile ??= openSameFile(this.path, this.file);
    return this.syncFile;
  }

  /** Moves the offset to `position` unless it is there already. Chain only. */
  private async seekTo(position: number): Promise<void> {
    if (this.positionBytes === position) return;
    this.positionBytes = null;
    this.positionBytes = await this.file.seek(position, 0);
  }

  /** Writes everything at the current offset, advancing the cached one by what each call wrote. Chain only. */
  private async writeAll(list: readonly Uint8Array[]): Promise<number> {
    let total = 0;
    for (const buffer of coalesce(list)) {
      let done = 0;
      for (let loops = 0; done < buffer.byteLength; loops++) {
        if (loops >= shortIoLoopsMax) throw new FileSystemError('io', this.path, 'write made no progress');
        const n = await this.file.write(buffer.subarray(done));
        done += n;
        if (this.positionBytes !== null) this.positionBytes += n;
      }
      total += done;
    }
    return total;
  }

  private fail<T>(code: 'bad-mode', message: string): Promise<T> {
    if (this.closed) return Promise.reject(new FileSystemError('closed', this.path));
    return Promise.reject(new FileSystemError(code, this.path, message));
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new FileSystemError('closed', this.path));
    const run = this.tail.then(op).catch((error: unknown) => {
      // Whatever moved before the failure, the offset is no longer known: the next op seeks.
      this.positionBytes = null;
      throw toFileSystemError(error, this.path);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function openOptions(mode: OpenMode, options: OpenOptions): DenoOpenOptions {
  if (mode === 'read') return { read: true };
  const create = options.exclusive ? { createNew: true } : { create: true };
  // Deno refuses append + truncate together; the append case truncates after opening.
  if (mode === 'append') return { read: true, append: true, ...create };
  return { read: true, write: true, truncate: options.truncate === true, ...create };
}

export class DenoFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode, options: OpenOptions = {}): Promise<FileHandle> {
    if (mode === 'read' && (options.truncate || options.exclusive)) {
      throw new FileSystemError('bad-mode', path, 'read mode cannot truncate or create');
    }
    const file = await translating(path, () => deno().open(path, openOptions(mode, options)));
    try {
      if (mode === 'read' && (await file.stat()).isDirectory) throw new FileSystemError('is-a-directory', path);
      if (mode === 'append' && options.truncate) await file.truncate(0);
    } catch (error) {
      file.close();
      throw toFileSystemError(error, path);
    }
    return new DenoFileHandle(file, path, mode);
  }

  async mkdirp(path: string): Promise<void> {
    const existing = await this.stat(path);
    if (existing?.isFile) throw new FileSystemError('exists', path);
    await translating(path, () => deno().mkdir(path, { recursive: true }));
  }

  async readDir(path: string): Promise<string[]> {
    return translating(path, async () => {
      const names: string[] = [];
      for await (const entry of deno().readDir(path)) {
        if (names.length >= dirEntriesMax) throw new FileSystemError('io', path, `more than ${dirEntriesMax} entries`);
        names.push(entry.name);
      }
      return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    });
  }

  async rename(from: string, to: string): Promise<void> {
    await translating(from, () => deno().rename(from, to));
  }

  async remove(path: string, options: { readonly recursive?: boolean } = {}): Promise<void> {
    try {
      await deno().remove(path, { recursive: options.recursive === true });
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return;
      throw toFileSystemError(error, path);
    }
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const info = await deno().stat(path);
      return { isFile: info.isFile, isDirectory: info.isDirectory, sizeBytes: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return null;
      throw toFileSystemError(error, path);
    }
  }

  async syncDir(path: string): Promise<void> {
    const info = await this.stat(path);
    if (!info) throw new FileSystemError('not-found', path);
    if (!info.isDirectory) throw new FileSystemError('not-a-directory', path);
    const dir = await translating(path, () => deno().open(path, { read: true }));
    try {
      await translating(path, () => dir.sync());
    } finally {
      dir.close();
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    return translating(path, () => deno().readFile(path));
  }

  // ---- free space ---------------------------------------------------------------------

  /**
   * Deno 2 has no `Deno.statfs`, but its `node:fs` statfs works (2.9) and needs
   * `--allow-sys=statfs`. Without that grant (asked first, so it never prompts) free
   * space is 'unknown', and a Deno broker's low-disk protection rests on the 'no-space'
   * write path alone.
   */
  async freeSpace(path: string): Promise<FreeSpace> {
    if (deno().permissions.querySync({ name: 'sys', kind: 'statfs' }).state !== 'granted') return 'unknown';
    const { statfs } = await import('node:fs/promises');
    const s = await translating(path, () => statfs(path));
    return { freeBytes: Number(s.bavail) * Number(s.bsize), totalBytes: Number(s.blocks) * Number(s.bsize) };
  }

  // ---- data-directory lock ----
  /** `FsFile.tryLock(true)`: flock(2), the kind the Node adapter takes too (node-file-lock.ts). */
  async tryLock(path: string): Promise<FileLock | null> {
    const file = await translating(path, () => deno().open(path, { read: true, write: true, create: true }));
    let locked = false;
    try {
      locked = await translating(path, () => file.tryLock(true));
    } finally {
      if (!locked) file.close();
    }
    if (!locked) return null;
    let released = false;
    return {
      path,
      writeHolder: async (bytes) => {
        if (released) throw new FileSystemError('closed', path);
        await translating(path, async () => {
          await file.truncate(0);
          await file.seek(0, 0);
          let written = 0;
          for (let i = 0; written < bytes.byteLength && i < 1024; i++) written += await file.write(bytes.subarray(written));
          await file.syncData();
        });
      },
      release: async () => {
        if (released) return;
        released = true;
        file.close(); // closing drops the lock
      },
    };
  }
}
