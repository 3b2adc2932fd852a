/**
 * Deleting segment files the Kafka way: first rename each file to `<name>.deleted` (fast,
 * atomic, and readers that already hold a handle keep reading), make the renames durable
 * with one syncDir, then remove the `.deleted` files later (`file.delete.delay.ms`).
 *
 * A crash between the two steps leaves `.deleted` files behind; log recovery removes every
 * stray `.deleted` file (see {@link removeStrayDeletedFiles}), so a deleted segment never
 * comes back: once renamed, it is no longer a segment file.
 *
 * {@link DeferredFileRemover} owns the second step: a bounded queue of paths, each removed
 * by a Clock timer after its delay. Errors go to a callback, never to an unhandled
 * rejection. Single-threaded use (one event loop).
 */
import type { Clock, FileSystem, TimerHandle } from '@samsa/runtime';
import { DELETED_FILE_SUFFIX, joinDir, parentDir } from '../file-names.ts';

/**
 * Renames each existing file to `<path>.deleted` and syncs the parent directories once.
 * Missing files are skipped (an index may never have been written). Returns the new paths.
 */
export async function markFilesDeleted(fs: FileSystem, paths: readonly string[]): Promise<string[]> {
  const renamed: string[] = [];
  const dirs = new Set<string>();
  for (const path of paths) {
    if (path.endsWith(DELETED_FILE_SUFFIX)) throw new RangeError(`markFilesDeleted: ${path} is already marked`);
    if ((await fs.stat(path)) === null) continue;
    await fs.rename(path, path + DELETED_FILE_SUFFIX);
    renamed.push(path + DELETED_FILE_SUFFIX);
    dirs.add(parentDir(path));
  }
  for (const dir of dirs) await fs.syncDir(dir);
  return renamed;
}

/** Removes files (missing is fine). No syncDir: a removal lost in a crash is redone by recovery. */
export async function removeFiles(fs: FileSystem, paths: readonly string[]): Promise<void> {
  for (const path of paths) await fs.remove(path);
}

/** Removes every `*.deleted` file of a partition directory; returns their names. For recovery. */
export async function removeStrayDeletedFiles(fs: FileSystem, dir: string): Promise<string[]> {
  const names = (await fs.readDir(dir)).filter((n) => n.endsWith(DELETED_FILE_SUFFIX));
  for (const name of names) await fs.remove(joinDir(dir, name));
  return names;
}

export interface DeferredFileRemoverOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** `file.delete.delay.ms`. */
  readonly delayMs: number;
  /** Bound on paths waiting; beyond it, `schedule` removes the oldest at once. */
  readonly pendingMax?: number;
  /** Called with each path whose removal failed (it stays on disk; recovery removes it). */
  readonly onError?: (path: string, error: unknown) => void;
}

interface Pending {
  readonly paths: readonly string[];
  readonly timer: TimerHandle;
}

export class DeferredFileRemover {
  private readonly options: DeferredFileRemoverOptions;
  private readonly pendingMax: number;
  private readonly pending = new Set<Pending>();
  private pendingPaths = 0;
  private inFlight = new Set<Promise<void>>();

  constructor(options: DeferredFileRemoverOptions) {
    this.options = options;
    this.pendingMax = options.pendingMax ?? 100_000;
  }

  /** Paths waiting for their timer. */
  get pendingCount(): number {
    return this.pendingPaths;
  }

  /** Removes `paths` after the delay. */
  schedule(paths: readonly string[]): void {
    if (paths.length === 0) return;
    while (this.pendingPaths + paths.length > this.pendingMax && this.pending.size > 0) {
      const oldest = this.pending.values().next().value!;
      this.fire(oldest);
    }
    const entry: Pending = { paths, timer: this.options.clock.setTimeout(() => this.fire(entry), Math.max(0, this.options.delayMs)) };
    this.pending.add(entry);
    this.pendingPaths += paths.length;
  }

  /** Removes everything still waiting, now, and waits for removals in flight (close / tests). */
  async flushNow(): Promise<void> {
    for (const entry of [...this.pending]) this.fire(entry);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels the timers without removing (recovery removes the files at next start). */
  cancelAll(): void {
    for (const entry of this.pending) entry.timer.cancel();
    this.pending.clear();
    this.pendingPaths = 0;
  }

  private fire(entry: Pending): void {
    if (!this.pending.delete(entry)) return;
    entry.timer.cancel();
    this.pendingPaths -= entry.paths.length;
    const run = this.removeAll(entry.paths).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async removeAll(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      try {
        await this.options.fs.remove(path);
      } catch (error) {
        this.options.onError?.(path, error);
      }
    }
  }
}
