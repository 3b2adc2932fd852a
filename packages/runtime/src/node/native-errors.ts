/**
 * Maps Node's errno-style errors (`error.code`: 'ENOENT', ...) to FileSystemError codes.
 * Deno's errors carry the same `code` strings, so the Deno adapter uses this too.
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
};

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toFileSystemError(error: unknown, path: string): FileSystemError {
  if (error instanceof FileSystemError) return error;
  const errno = errnoOf(error);
  const code = (errno && byErrno[errno]) || 'io';
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
