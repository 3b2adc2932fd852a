/**
 * Many record logs in one application, named like topics: `<root>/<name>/` each holds one
 * RecordLog (record-log.ts). `open(name)` creates a log on first use and returns the same
 * open instance afterwards; `delete(name)` closes and removes it; `close()` closes all.
 *
 * Names are 1-200 characters of A-Z a-z 0-9 . _ - (Kafka's topic alphabet), not `.`/`..`.
 */
import type { FileSystem } from '@samsa/runtime';
import { mkdirsDurably } from '../file-io.ts';
import { openRecordLog } from './record-log.ts';
import type { RecordLog, RecordLogOptions } from './record-log.ts';

const LOG_NAME = /^[A-Za-z0-9._-]{1,200}$/;

function assertLogName(name: string): void {
  if (!LOG_NAME.test(name) || name === '.' || name === '..') throw new RangeError(`log name ${JSON.stringify(name)} must be 1-200 characters of A-Z a-z 0-9 . _ -`);
}

export class RecordLogManager<K = Uint8Array, V = Uint8Array> {
  readonly root: string;
  readonly #options: RecordLogOptions<K, V>;
  readonly #fs: FileSystem;
  readonly #open = new Map<string, Promise<RecordLog<K, V>>>();
  #closed = false;

  constructor(root: string, options: RecordLogOptions<K, V>) {
    this.root = root.replace(/\/+$/, '');
    this.#options = options;
    this.#fs = options.runtime.fs;
  }

  /** Names of the logs on disk (open or not), sorted. */
  async list(): Promise<string[]> {
    if ((await this.#fs.stat(this.root)) === null) return [];
    const names: string[] = [];
    for (const entry of await this.#fs.readDir(this.root)) {
      if (!LOG_NAME.test(entry)) continue;
      if ((await this.#fs.stat(`${this.root}/${entry}/.lock`)) !== null) names.push(entry);
    }
    return names;
  }

  /** The log named `name`, created when missing; `overrides` apply when this call opens it. */
  open(name: string, overrides: Partial<RecordLogOptions<K, V>> = {}): Promise<RecordLog<K, V>> {
    if (this.#closed) return Promise.reject(new Error('the record log manager is closed'));
    try {
      assertLogName(name);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    let log = this.#open.get(name);
    if (log === undefined) {
      log = openRecordLog<K, V>(`${this.root}/${name}`, { ...this.#options, ...overrides });
      this.#open.set(name, log);
      log.catch(() => this.#open.delete(name));
    }
    return log;
  }

  /** Creates `name`; rejects when it exists already. */
  async create(name: string, overrides: Partial<RecordLogOptions<K, V>> = {}): Promise<RecordLog<K, V>> {
    assertLogName(name);
    if ((await this.list()).includes(name)) throw new RangeError(`log ${name} exists already`);
    return this.open(name, overrides);
  }

  /** Closes `name` if open and removes its directory; resolves false when there was none. */
  async delete(name: string): Promise<boolean> {
    assertLogName(name);
    const open = this.#open.get(name);
    this.#open.delete(name);
    if (open !== undefined) await (await open.catch(() => null))?.close();
    const dir = `${this.root}/${name}`;
    if ((await this.#fs.stat(dir)) === null) return false;
    await this.#fs.remove(dir, { recursive: true });
    await mkdirsDurably(this.#fs, this.root);
    await this.#fs.syncDir(this.root);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const logs = [...this.#open.values()];
    this.#open.clear();
    for (const log of logs) await (await log.catch(() => null))?.close();
  }
}

export function openRecordLogs<K = Uint8Array, V = Uint8Array>(root: string, options: RecordLogOptions<K, V>): RecordLogManager<K, V> {
  return new RecordLogManager<K, V>(root, options);
}
