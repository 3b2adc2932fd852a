/**
 * Maps Node's errno-style errors (`error.code`: 'ENOENT', ...) to FileSystemError codes.
 * Deno's errors carry the same `code` strings, so the Deno adapter uses this too; its
 * permission errors (NotCapable, PermissionDenied) are known by name.
 * Anything unknown becomes 'io' with the native error kept as `cause`.
 */
import { FileSystemError, type FileSystemErrorCode } from '../file-system.ts';

const byErrno: Readonly<Record<string, FileSystemErrorCode>> = {
  ENOENT: 'not-found',
  EEXIST: 'exists',
  ENOTDIR: 'not-a-directory',
  EISDIR: 'is-a-directory',
  ENOTEMPTY: 'not-empty',
  ENOSPC: 'no-space',
  EDQUOT: 'no-space',
  EBADF: 'closed',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
  EROFS: 'read-only',
};

/** Deno's permission errors carry no errno; they are known by name. */
const byName: Readonly<Record<string, FileSystemErrorCode>> = {
  NotCapable: 'permission-denied',
  PermissionDenied: 'permission-denied',
};

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toFileSystemError(error: unknown, path: string): FileSystemError {
  if (error instanceof FileSystemError) return error;
  const errno = errnoOf(error);
  const name = error instanceof Error ? error.name : undefined;
  const code = (errno && byErrno[errno]) || (name && byName[name]) || 'io';
  const message = error instanceof Error ? error.message : String(error);
  return new FileSystemError(code, path, message, { cause: error });
}

/** Runs `op`, translating any native error for `path`. */
export async function translating<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    throw toFileSystemError(error, path);
  }
}
