/**
 * FileSystem: the only way a core package touches files.
 *
 * Paths are POSIX-style strings ("/a/b/c"); adapters never interpret them beyond that.
 * Every method either resolves or rejects with a {@link FileSystemError} whose `code` is
 * one of {@link FileSystemErrorCode}; adapters translate their native errors.
 *
 * Durability model (what the memory adapter simulates and the log engine relies on):
 * - Bytes written to a file are *unsynced* until `sync()` on that handle resolves.
 *   A crash may drop unsynced bytes, or keep part of them: a write may survive torn
 *   (a prefix of it). The memory adapter's `crash({ tear })` simulates both.
 * - `rename` is atomic: after a crash the target holds either the old or the new file.
 *   A rename, create or remove is durable once `syncDir(dir)` resolves on its parent.
 * - Positional writes never change the file size except by extending it.
 *
 * Concurrency: a handle may have several reads in flight; writes to one handle are
 * applied in call order. Callers must not use a handle after `close()`.
 *
 * Free space (`freeSpace`): what an unprivileged writer may still use on the file system
 * holding a path (statfs `bavail * bsize` on Node, the capacity left on the memory
 * adapter), or 'unknown' where the runtime cannot tell (Deno 2 has no statfs). It is a
 * hint read at one instant, not a reservation: a write may still fail with 'no-space'.
 */

export type OpenMode =
  /** Read only. The file must exist. */
  | 'read'
  /** Append-only writes plus positional reads. Creates the file if absent. */
  | 'append'
  /** Positional reads and writes. Creates the file if absent. */
  | 'read-write';

export interface OpenOptions {
  /** Fail with `exists` if the file is already there (O_EXCL). */
  readonly exclusive?: boolean;
  /** Truncate the file to zero length on open (O_TRUNC). */
  readonly truncate?: boolean;
}

/** Space on the file system that holds a path, in bytes; 'unknown' when the runtime cannot tell. */
export type FreeSpace =
  | {
      /** Bytes an unprivileged process may still write (statfs `f_bavail * f_bsize`). */
      readonly freeBytes: number;
      /** Size of the file system (statfs `f_blocks * f_frsize`). */
      readonly totalBytes: number;
    }
  | 'unknown';

export interface FileStat {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly sizeBytes: number;
  /** Last modification time, wall clock, milliseconds since the epoch. */
  readonly mtimeMs: number;
}

export interface FileHandle {
  readonly path: string;
  /**
   * Reads up to `buffer.byteLength` bytes starting at `position` into `buffer`
   * (from its offset 0). Resolves the number of bytes read; 0 means end of file.
   */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /**
   * Appends the buffers, in order, at the end of the file as one vectored write.
   * Resolves the total number of bytes written (always the sum of their lengths).
   */
  append(buffers: Uint8Array | readonly Uint8Array[]): Promise<number>;
  /** Writes the buffers back to back starting at `position` (vectored). */
  write(buffers: Uint8Array | readonly Uint8Array[], position: number): Promise<number>;
  /** Makes every byte written so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Sets the file length; extending fills with zeros. */
  truncate(sizeBytes: number): Promise<void>;
  /** Current length in bytes, including unsynced writes. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileSystem {
  open(path: string, mode: OpenMode, options?: OpenOptions): Promise<FileHandle>;
  /** Creates the directory and any missing parents; succeeds if it already exists. */
  mkdirp(path: string): Promise<void>;
  /** Names (not paths) of the entries in a directory, sorted ascending. */
  readDir(path: string): Promise<string[]>;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file, or a directory and everything under it when `recursive`. Missing is not an error. */
  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void>;
  /** Resolves null when nothing is at `path`. */
  stat(path: string): Promise<FileStat | null>;
  /** Makes creates, renames and removes inside `path` durable (fsync of the directory). */
  syncDir(path: string): Promise<void>;
  /** Reads a whole file (small files only: checkpoints, configs). */
  readFile(path: string): Promise<Uint8Array>;

  // ---- free space (low-disk protection) ---------------------------------------------
  /**
   * Free and total bytes of the file system holding `path` (which must exist), or
   * 'unknown' where the runtime has no way to ask. Cheap but not free (one statfs):
   * callers cache it.
   */
  freeSpace(path: string): Promise<FreeSpace>;

  // ---- data-directory lock (issue 11, defect 1) ----------------------------------------
  /**
   * Takes an exclusive OS advisory lock on the file at `path` (created if absent, never
   * truncated), without waiting: resolves null when another holder has it — another
   * process, or another lock taken on the same file by this one. The lock lasts until
   * `release()` or the process dies (the OS drops it with the open file).
   * Node and Deno take the same lock kind (flock(2) on Linux and macOS), so a Node and a
   * Deno process exclude each other. Taking a lock writes nothing: a loser leaves the file
   * untouched, so it can read who holds it.
   */
  tryLock(path: string): Promise<FileLock | null>;
}

/** An exclusive advisory lock held through an open lock file. */
export interface FileLock {
  readonly path: string;
  /** Replaces the lock file's contents (e.g. the holder's pid, for a loser's message) and syncs it. */
  writeHolder(bytes: Uint8Array): Promise<void>;
  /** Releases the lock and closes the file, which stays. Idempotent. */
  release(): Promise<void>;
}

export type FileSystemErrorCode =
  | 'not-found'
  | 'exists'
  | 'not-a-directory'
  | 'is-a-directory'
  | 'not-empty'
  | 'closed'
  | 'bad-mode'
  | 'no-space'
  /** The process may not touch the path (EACCES/EPERM, or a Deno permission not granted). */
  | 'permission-denied'
  /** The path is on a read-only file system (EROFS): nothing can be created or written there. */
  | 'read-only'
  | 'io'
  | 'injected';

/** The one error every FileSystem adapter throws. `code` is stable; `cause` keeps the native error. */
export class FileSystemError extends Error {
  override readonly name = 'FileSystemError';
  readonly code: FileSystemErrorCode;
  readonly path: string;
  constructor(code: FileSystemErrorCode, path: string, message?: string, options?: { cause?: unknown }) {
    super(`${code}: ${path}${message ? ` (${message})` : ''}`, options);
    this.code = code;
    this.path = path;
  }
}

/** Joins POSIX path segments with exactly one slash between them. */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p.length > 0)
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .join('/') || '/';
}

/** The parent directory of a POSIX path ("/a/b" -> "/a", "/a" -> "/"). */
export function dirnameOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i <= 0) return i === 0 ? '/' : '.';
  return trimmed.slice(0, i);
}

/** The last segment of a POSIX path. */
export function basenameOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
