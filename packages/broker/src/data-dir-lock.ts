/**
 * DataDirLock: an exclusive OS advisory lock on every log dir (Kafka's `<log dir>/.lock`),
 * taken before anything in the dirs is opened or written, and held until the broker has
 * closed its logs. Two brokers on one dir would both hand out the same offsets.
 *
 * - Acquire creates a missing dir (durably, as the metadata store would), then takes
 *   `FileSystem.tryLock(<dir>/.lock)` — the OS drops it when the process dies, so a crash
 *   never leaves a stale lock — and then writes the holder's description (pid, host,
 *   start time: given by the app, the core has no process) into the file. That write is
 *   best effort: on a full disk the lock is still held and the broker starts (serving
 *   reads), and `holderWriteFailures` names the dirs whose file could not say who holds it
 *   (a loser's message then says the holder has not written its pid).
 * - A loser writes nothing: it reads the holder's description (at most
 *   `HOLDER_BYTES_MAX`), releases the locks it already took on earlier dirs, and throws
 *   DataDirLockedError naming the dir and the holder.
 */
import { joinPath } from '@samsa/runtime';
import type { FileLock, FileSystem } from '@samsa/runtime';
import { mkdirsDurably } from '@samsa/log';

export const DATA_DIR_LOCK_FILE_NAME = '.lock';
/** What a loser reads of the holder's description. */
const HOLDER_BYTES_MAX = 4096;

/** Another process holds the lock of `dir`; `holder` is what it wrote there ('' if nothing yet). */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  readonly code = 'data-dir-locked';
  readonly dir: string;
  readonly holder: string;
  constructor(dir: string, holder: string) {
    const who = holder === '' ? 'another process (it has not written its pid yet)' : `another process (${holder})`;
    super(`data dir ${dir} is locked by ${who}: two brokers on one dir would lose data. Stop that broker first, or give this one another data dir.`);
    this.dir = dir;
    this.holder = holder;
  }
}

export class DataDirLock {
  readonly #locks: readonly FileLock[];
  /** Parents of a dir this acquire created that it was not allowed to sync (see MetadataStore). */
  readonly unsyncedParents: readonly string[];
  /** Dirs whose lock file could not take the holder's description (e.g. the disk is full), with why. */
  readonly holderWriteFailures: readonly { readonly dir: string; readonly error: unknown }[];
  #released: Promise<void> | null = null;

  private constructor(locks: readonly FileLock[], unsyncedParents: readonly string[], holderWriteFailures: readonly { dir: string; error: unknown }[]) {
    this.#locks = locks;
    this.unsyncedParents = unsyncedParents;
    this.holderWriteFailures = holderWriteFailures;
  }

  /** `holder`: one line describing this process, e.g. `pid=123 host=h started=2026-…`. */
  static async acquire(fs: FileSystem, dirs: readonly string[], holder: string): Promise<DataDirLock> {
    const locks: FileLock[] = [];
    const unsynced: string[] = [];
    const holderWriteFailures: { dir: string; error: unknown }[] = [];
    try {
      for (const dir of dirs) {
        unsynced.push(...(await mkdirsDurably(fs, dir)));
        const path = joinPath(dir, DATA_DIR_LOCK_FILE_NAME);
        const lock = await fs.tryLock(path);
        if (lock === null) throw new DataDirLockedError(dir, await readHolder(fs, path));
        locks.push(lock);
        try {
          await lock.writeHolder(new TextEncoder().encode(`${holder}\n`));
        } catch (error) {
          holderWriteFailures.push({ dir, error });
        }
      }
    } catch (e) {
      for (const lock of locks) await lock.release().catch(() => undefined);
      throw e;
    }
    return new DataDirLock(locks, unsynced, holderWriteFailures);
  }

  /** Idempotent. */
  release(): Promise<void> {
    this.#released ??= (async () => {
      for (const lock of this.#locks) await lock.release().catch(() => undefined);
    })();
    return this.#released;
  }
}

async function readHolder(fs: FileSystem, path: string): Promise<string> {
  try {
    const stat = await fs.stat(path);
    if (stat === null || stat.sizeBytes > HOLDER_BYTES_MAX) return '';
    return new TextDecoder().decode(await fs.readFile(path)).trim().replace(/\s+/g, ' ');
  } catch {
    return '';
  }
}
