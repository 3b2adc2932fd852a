/**
 * tryLockFile on Node: an exclusive advisory lock on a lock file, without waiting.
 *
 * Node has no flock in core. Two locks are taken on one open file description, and both
 * must succeed:
 * - `fs-native-extensions` (holepunch; prebuilt N-API binaries loaded without an install
 *   script): flock(2) on macOS, LockFileEx on Windows, an open-file-description fcntl
 *   lock (F_OFD_SETLK) on Linux.
 * - on Linux also flock(2), because that is what Deno's `FsFile.tryLock` takes and Linux
 *   keeps flock and fcntl locks apart: util-linux `flock -n <fd>` locks the descriptor this
 *   process passes it and exits; the lock belongs to the open file description, so it
 *   stays with this process until the file is closed or the process dies. Where no `flock`
 *   binary exists (ENOENT) only the first lock is taken: Node brokers still exclude each
 *   other, a Deno broker on the same dir is not excluded (runtime README).
 *
 * Taking the lock writes nothing; `writeHolder` replaces the file's contents afterwards.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FileLock } from '../file-system.ts';
import { FileSystemError } from '../file-system.ts';
import { translating } from './native-errors.ts';

interface NativeLocks {
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

let nativeLocks: NativeLocks | null = null;
function native(): NativeLocks {
  nativeLocks ??= createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
  return nativeLocks;
}

/** Bound on the `flock` helper's run (it never waits for the lock: -n). */
const flockHelperTimeoutMs = 10_000;

/** Resolves true (locked), false (held elsewhere) or null (no flock binary). */
function flockDescriptor(fd: number, path: string): Promise<boolean | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--nonblock', '--exclusive', '--conflict-exit-code', '75', '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
      timeout: flockHelperTimeoutMs,
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(null) : reject(new FileSystemError('io', path, `flock: ${e.message}`, { cause: e }))));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === 75) resolve(false);
      else reject(new FileSystemError('io', path, `flock exited with ${code}: ${stderr.trim()}`));
    });
  });
}

export async function tryLockFile(path: string): Promise<FileLock | null> {
  const handle = await translating(path, () => fsp.open(path, constants.O_RDWR | constants.O_CREAT, 0o644));
  let locked = false;
  try {
    locked = native().tryLock(handle.fd);
    if (locked && process.platform === 'linux') locked = (await flockDescriptor(handle.fd, path)) !== false;
  } finally {
    if (!locked) await handle.close();
  }
  if (!locked) return null;
  let released: Promise<void> | null = null;
  return {
    path,
    async writeHolder(bytes: Uint8Array): Promise<void> {
      if (released) throw new FileSystemError('closed', path);
      await translating(path, async () => {
        await handle.truncate(0);
        await handle.write(bytes, 0, bytes.byteLength, 0);
        await handle.datasync();
      });
    },
    release(): Promise<void> {
      released ??= (async () => {
        try {
          native().unlock(handle.fd);
        } finally {
          await handle.close(); // drops the flock(2) lock with the open file description
        }
      })();
      return released;
    },
  };
}
