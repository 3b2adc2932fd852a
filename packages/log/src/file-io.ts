/**
 * Small helpers over the runtime FileSystem: read a whole file through a handle (index
 * files can be megabytes, beyond what `readFile` is meant for), read a byte range fully,
 * and create directories durably.
 */
import { FileSystemError, type FileHandle, type FileSystem } from '@samsa/runtime';
import { parentDir } from './file-names.ts';

/** Loop bound for short reads: a read that returns 0 before the end is end-of-file. */
const SHORT_READS_MAX = 1 << 20;

/** Reads `buffer.byteLength` bytes at `position`, or fewer at end of file; returns bytes read. */
export async function readFully(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let done = 0;
  for (let i = 0; i < SHORT_READS_MAX && done < buffer.byteLength; i++) {
    const n = await handle.read(done === 0 ? buffer : buffer.subarray(done), position + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

/** The whole content of `path`, or null when it does not exist. */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Uint8Array | null> {
  // No stat first: at startup every file operation counts (one fewer per index file).
  let handle: FileHandle;
  try {
    handle = await fs.open(path, 'read');
  } catch (e) {
    if (e instanceof FileSystemError && e.code === 'not-found') return null;
    throw e;
  }
  try {
    const size = await handle.size();
    const buffer = new Uint8Array(size);
    const n = await readFully(handle, buffer, 0);
    return n === size ? buffer : buffer.subarray(0, n);
  } finally {
    await handle.close();
  }
}

/** Bound on directory levels created at once. */
const DIR_DEPTH_MAX = 256;

/**
 * mkdirp, then syncDir the parent of every directory it created (top down), so a crash
 * keeps them. Returns the parents it was not allowed to read or sync (a sandbox such as
 * Deno's permissions may grant the new directory but not its parent): the new entries
 * there become durable only when the OS writes its metadata, so the caller should say so.
 */
export async function mkdirsDurably(fs: FileSystem, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir, i = 0; i < DIR_DEPTH_MAX && d !== '/' && d !== '.'; d = parentDir(d), i++) {
    let exists: boolean;
    try {
      exists = (await fs.stat(d)) !== null;
    } catch (e) {
      if (!isPermissionDenied(e)) throw e;
      break; // a directory we may not look at: it exists, or mkdirp below fails
    }
    if (exists) break;
    missing.push(d);
  }
  await fs.mkdirp(dir);
  const unsynced: string[] = [];
  for (const created of missing.reverse()) {
    try {
      await fs.syncDir(parentDir(created));
    } catch (e) {
      if (!isPermissionDenied(e)) throw e;
      unsynced.push(parentDir(created));
    }
  }
  return unsynced;
}

function isPermissionDenied(e: unknown): boolean {
  return e instanceof FileSystemError && e.code === 'permission-denied';
}
