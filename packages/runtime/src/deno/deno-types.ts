/**
 * The part of the `Deno` global this adapter uses, declared here so the package
 * type-checks under Node's tsc (which has no lib.deno). Structural subsets of Deno's own
 * types: under `deno check` the real global satisfies them.
 *
 * Reach it with `deno()`, at call time: importing this adapter on Node does not fail,
 * only calling it does.
 */

export interface DenoFileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtime: Date | null;
  /** Device and inode (Unix; null where the platform has none): identify a file across renames. */
  readonly dev?: number | null;
  readonly ino?: number | null;
}

export interface DenoFsFile {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  /** whence: 0 = start, 1 = current, 2 = end (Deno.SeekMode). */
  seek(offset: number, whence: 0 | 1 | 2): Promise<number>;
  sync(): Promise<void>;
  syncData(): Promise<void>;
  truncate(length?: number): Promise<void>;
  stat(): Promise<DenoFileInfo>;
  /** flock(2) (LockFileEx on Windows) without waiting; false when held elsewhere (Deno 2.4+). */
  tryLock(exclusive?: boolean): Promise<boolean>;
  unlock(): Promise<void>;
  close(): void;
}

export interface DenoOpenOptions {
  read?: boolean;
  write?: boolean;
  append?: boolean;
  truncate?: boolean;
  create?: boolean;
  createNew?: boolean;
  mode?: number;
}

export interface DenoNetAddr {
  readonly hostname: string;
  readonly port: number;
}

export interface DenoConn {
  readonly localAddr: DenoNetAddr;
  readonly remoteAddr: DenoNetAddr;
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  setNoDelay(noDelay?: boolean): void;
  /** Half-close: sends FIN, keeps reading. */
  closeWrite(): Promise<void>;
  close(): void;
}

export interface DenoListener {
  readonly addr: DenoNetAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}

export interface DenoApi {
  open(path: string, options: DenoOpenOptions): Promise<DenoFsFile>;
  mkdir(path: string, options: { recursive?: boolean; mode?: number }): Promise<void>;
  readDir(path: string): AsyncIterable<{ readonly name: string }>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  stat(path: string): Promise<DenoFileInfo>;
  readFile(path: string): Promise<Uint8Array>;
  makeTempDir(options?: { prefix?: string }): Promise<string>;
  listen(options: { hostname: string; port: number; transport: 'tcp' }): DenoListener;
  connect(options: { hostname: string; port: number; transport: 'tcp' }): Promise<DenoConn>;
  /** Asked before `statfs` (free space) so a missing grant never prompts. */
  readonly permissions: { querySync(descriptor: { name: 'sys'; kind: 'statfs' }): { readonly state: 'granted' | 'denied' | 'prompt' } };
}

/** The `Deno` global, typed by the subset above. Throws when not running on Deno. */
export function deno(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (!api) throw new Error('@samsa/runtime/deno needs the Deno runtime');
  return api;
}
