// Node adapter specifics beyond the shared contract (test/runtime/contract.ts): errno
// mapping, ENOSPC from a real device (/dev/full, Linux), and that mutations issued
// without awaiting land in call order even when they mix appends and truncates.
import { describe, expect, it } from 'vitest';
import { FileSystemError } from '../file-system.ts';
import { toFileSystemError } from './native-errors.ts';
import { NodeFileSystem } from './node-file-system.ts';
import { makeTempDir } from './temp-dir.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: test`), { code });

describe('native error mapping', () => {
  it('maps errno codes to FileSystemError codes and keeps the cause', () => {
    const table: [string, string][] = [
      ['ENOENT', 'not-found'],
      ['EEXIST', 'exists'],
      ['ENOTDIR', 'not-a-directory'],
      ['EISDIR', 'is-a-directory'],
      ['ENOTEMPTY', 'not-empty'],
      ['ENOSPC', 'no-space'],
      ['EDQUOT', 'no-space'],
      ['EBADF', 'closed'],
      ['EACCES', 'io'],
      ['EIO', 'io'],
    ];
    for (const [native, code] of table) {
      const cause = errno(native);
      const mapped = toFileSystemError(cause, '/p');
      expect(mapped).toBeInstanceOf(FileSystemError);
      expect([native, mapped.code]).toEqual([native, code]);
      expect(mapped.cause).toBe(cause);
      expect(mapped.path).toBe('/p');
    }
    expect(toFileSystemError('weird', '/p').code).toBe('io');
  });
});

describe('NodeFileSystem', () => {
  it('reports a full device as no-space', async () => {
    const fs = new NodeFileSystem();
    const full = await fs.open('/dev/full', 'append');
    const error = await full.append(new Uint8Array(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileSystemError);
    expect((error as FileSystemError).code).toBe('no-space');
    await full.close();
  });

  it('applies un-awaited appends and truncates in call order', async () => {
    const fs = new NodeFileSystem();
    const dir = await makeTempDir('samsa-node-fs-');
    try {
      const f = await fs.open(`${dir}/a`, 'append');
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        ops.push(f.append(Uint8Array.of(i & 0xff, i & 0xff)));
        ops.push(f.truncate(i + 1));
      }
      await Promise.all(ops);
      // After round i the file is bytes 0..i: each truncate cuts the pair just appended to one byte.
      expect(Array.from(await fs.readFile(`${dir}/a`))).toEqual(Array.from({ length: 300 }, (_, i) => i & 0xff));
      await f.close();
    } finally {
      await fs.remove(dir, { recursive: true });
    }
  });
});
