/**
 * SimDisk: one broker's disk — a MemoryFileSystem that outlives the broker's processes
 * (the LazyFS model: a crash drops unsynced writes, optionally tearing them) — and
 * ProcessFileSystem, the FileSystem one process sees of it.
 *
 * A process's file system dies with it: every call it makes afterwards, and every answer
 * still on its way to it, never settles (a dead process runs no continuation); the disk
 * itself is then crashed and the next process opens a fresh ProcessFileSystem on it.
 *
 * Planted bug `lying-fsync` (test-only, SimulationOptions.plant): `sync()` on a log
 * segment (`<20-digit offset>.log`, not the metadata journal) answers at once without
 * making anything durable — a log that acks
 * before its data is on disk.
 */
import type { FileHandle, FileLock, FileStat, FileSystem, FreeSpace, OpenMode, OpenOptions } from '@samsa/runtime';
import { MemoryFileSystem } from '@samsa/runtime/memory';
import type { Clock } from '@samsa/runtime';

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export class SimDisk {
  readonly fs: MemoryFileSystem;
  /** Crashes so far (each may have lost unsynced writes). */
  crashes = 0;

  constructor(clock: Clock, capacityBytes: number) {
    this.fs = new MemoryFileSystem({ clock, capacityBytes });
  }

  /** Power loss: unsynced writes dropped; with `tearSeed`, a seeded part of them kept (torn). */
  crash(tearSeed: number | null): void {
    this.crashes++;
    this.fs.crash(tearSeed === null ? {} : { tear: { seed: tearSeed } });
  }
}

export class ProcessFileSystem implements FileSystem {
  readonly #fs: FileSystem;
  readonly #lyingFsync: boolean;
  #dead = false;

  constructor(fs: FileSystem, lyingFsync: boolean) {
    this.#fs = fs;
    this.#lyingFsync = lyingFsync;
  }

  kill(): void {
    this.#dead = true;
  }

  /** @internal Runs a call for the live process; a dead one never hears back. */
  guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.#dead) return never();
    return call().then(
      (value) => (this.#dead ? never<T>() : value),
      (error: unknown) => (this.#dead ? never<T>() : Promise.reject(error)),
    );
  }

  get lyingFsync(): boolean {
    return this.#lyingFsync;
  }

  open(path: string, mode: OpenMode, options?: OpenOptions): Promise<FileHandle> {
    return this.guard(() => this.#fs.open(path, mode, options)).then((h) => new ProcessFileHandle(this, h));
  }
  mkdirp(path: string): Promise<void> {
    return this.guard(() => this.#fs.mkdirp(path));
  }
  readDir(path: string): Promise<string[]> {
    return this.guard(() => this.#fs.readDir(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.guard(() => this.#fs.rename(from, to));
  }
  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void> {
    return this.guard(() => this.#fs.remove(path, options));
  }
  stat(path: string): Promise<FileStat | null> {
    return this.guard(() => this.#fs.stat(path));
  }
  syncDir(path: string): Promise<void> {
    return this.guard(() => this.#fs.syncDir(path));
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.guard(() => this.#fs.readFile(path));
  }
  freeSpace(path: string): Promise<FreeSpace> {
    return this.guard(() => this.#fs.freeSpace(path));
  }
  tryLock(path: string): Promise<FileLock | null> {
    return this.guard(() => this.#fs.tryLock(path)).then((lock) =>
      lock === null
        ? null
        : {
            path: lock.path,
            writeHolder: (bytes: Uint8Array) => this.guard(() => lock.writeHolder(bytes)),
            release: () => this.guard(() => lock.release()),
          },
    );
  }
}

class ProcessFileHandle implements FileHandle {
  readonly path: string;
  readonly #owner: ProcessFileSystem;
  readonly #handle: FileHandle;

  constructor(owner: ProcessFileSystem, handle: FileHandle) {
    this.#owner = owner;
    this.#handle = handle;
    this.path = handle.path;
  }

  read(buffer: Uint8Array, position: number): Promise<number> {
    return this.#owner.guard(() => this.#handle.read(buffer, position));
  }
  append(buffers: Uint8Array | readonly Uint8Array[]): Promise<number> {
    return this.#owner.guard(() => this.#handle.append(buffers));
  }
  write(buffers: Uint8Array | readonly Uint8Array[], position: number): Promise<number> {
    return this.#owner.guard(() => this.#handle.write(buffers, position));
  }
  sync(): Promise<void> {
    if (this.#owner.lyingFsync && isSegmentFile(this.path)) return this.#owner.guard(() => Promise.resolve());
    return this.#owner.guard(() => this.#handle.sync());
  }
  truncate(sizeBytes: number): Promise<void> {
    return this.#owner.guard(() => this.#handle.truncate(sizeBytes));
  }
  size(): Promise<number> {
    return this.#owner.guard(() => this.#handle.size());
  }
  close(): Promise<void> {
    return this.#owner.guard(() => this.#handle.close());
  }
}

/**
 * A partition log segment (`<dir>/<topic>-<partition>/<20-digit offset>.log`): what the
 * lying-fsync plant lies about. Not the local metadata store's journal
 * (`samsa-metadata.kv.log`): a broker whose metadata journal lost acknowledged writes
 * refuses to start, which the plant is not about.
 */
function isSegmentFile(path: string): boolean {
  return /\/[0-9]{20}\.log$/.test(path);
}
