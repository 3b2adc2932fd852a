/**
 * Named cursors: the embedded equivalent of a consumer group's committed offset. A cursor
 * named `billing` keeps the offset of the next record it will read in
 * `<root>/cursors/billing.checkpoint`, a Kafka-style checkpoint file with one line:
 *
 * ```
 * 0          version
 * 1          entry count
 * <offset>   the committed offset (the next record to read)
 * ```
 *
 * Written atomically (temp file, sync, rename, sync the directory: checkpoint-file.ts), so
 * after a crash a cursor holds its last completed commit, never a torn value. Commits of
 * one cursor are serialized; a commit never moves a cursor backwards unless asked
 * (`commit(offset, { allowRewind: true })`).
 */
import type { FileSystem } from '@samsa/runtime';
import { readCheckpointLines, writeCheckpointLines } from '../checkpoint-file.ts';
import { mkdirsDurably } from '../file-io.ts';

const CURSOR_NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function assertCursorName(name: string): void {
  if (!CURSOR_NAME.test(name) || name === '.' || name === '..') {
    throw new RangeError(`cursor name ${JSON.stringify(name)} must be 1-200 characters of A-Z a-z 0-9 . _ -`);
  }
}

export class CursorStore {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #positions = new Map<string, number>();
  readonly #chains = new Map<string, Promise<void>>();
  #dirReady: Promise<void> | null = null;

  constructor(fs: FileSystem, rootDir: string) {
    this.#fs = fs;
    this.#dir = `${rootDir}/cursors`;
  }

  /** The committed offset of `name`, or null when it never committed. */
  async committed(name: string): Promise<number | null> {
    assertCursorName(name);
    const known = this.#positions.get(name);
    if (known !== undefined) return known;
    const lines = await readCheckpointLines(this.#fs, this.#path(name), 1);
    if (lines === null || lines.length === 0) return null;
    const offset = Number(lines[0]![0]);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`cursor ${name}: bad committed offset ${lines[0]![0]}`);
    this.#positions.set(name, offset);
    return offset;
  }

  /** Stores `offset` durably as `name`'s position; resolves once it would survive a crash. */
  commit(name: string, offset: number, allowRewind = false): Promise<void> {
    assertCursorName(name);
    if (!Number.isSafeInteger(offset) || offset < 0) return Promise.reject(new RangeError(`cursor ${name}: offset ${offset} is not a non-negative integer`));
    const previous = this.#chains.get(name) ?? Promise.resolve();
    const next = previous.then(async () => {
      const current = await this.committed(name);
      if (current !== null && offset < current && !allowRewind) {
        throw new RangeError(`cursor ${name} is at ${current}; committing ${offset} would move it back (pass allowRewind)`);
      }
      if (current === offset) return;
      await this.#ensureDir();
      await writeCheckpointLines(this.#fs, this.#path(name), [String(offset)]);
      this.#positions.set(name, offset);
    });
    const settled = next.catch(() => {});
    this.#chains.set(name, settled);
    void settled.then(() => {
      if (this.#chains.get(name) === settled) this.#chains.delete(name);
    });
    return next;
  }

  /** Names of every cursor with a commit. */
  async list(): Promise<string[]> {
    if ((await this.#fs.stat(this.#dir)) === null) return [];
    const entries = await this.#fs.readDir(this.#dir);
    return entries.filter((e) => e.endsWith('.checkpoint')).map((e) => e.slice(0, -'.checkpoint'.length)).filter((n) => CURSOR_NAME.test(n)).sort();
  }

  /** Removes a cursor's commit. */
  async delete(name: string): Promise<void> {
    assertCursorName(name);
    await (this.#chains.get(name) ?? Promise.resolve());
    this.#positions.delete(name);
    await this.#fs.remove(this.#path(name));
    if ((await this.#fs.stat(this.#dir)) !== null) await this.#fs.syncDir(this.#dir);
  }

  #path(name: string): string {
    return `${this.#dir}/${name}.checkpoint`;
  }

  #ensureDir(): Promise<void> {
    this.#dirReady ??= mkdirsDurably(this.#fs, this.#dir).then(
      () => undefined,
      (error: unknown) => {
        this.#dirReady = null;
        throw error;
      },
    );
    return this.#dirReady;
  }
}
