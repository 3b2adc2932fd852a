// Node adapter specifics beyond the shared contract (test/runtime/contract.ts): errno
// mapping, ENOSPC from a real device (/dev/full, Linux), and that mutations issued
// without awaiting land in call order even when they mix appends and truncates.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
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
      ['EACCES', 'permission-denied'],
      ['EPERM', 'permission-denied'],
      ['EROFS', 'read-only'],
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
    // Deno's permission errors have no errno; they are known by name.
    for (const name of ['NotCapable', 'PermissionDenied']) {
      const denied = Object.assign(new Error('Requires read access to "/p"'), { name });
      expect([name, toFileSystemError(denied, '/p').code]).toEqual([name, 'permission-denied']);
    }
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

  it('reports a read-only mount as read-only, naming the path, also for a recursive mkdir', async () => {
    // A real read-only file system: a 1 MiB tmpfs mounted ro (the tests run as root here and in CI).
    const dir = await makeTempDir('samsa-ro-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
    try {
      const fs = new NodeFileSystem();
      // Node's own recursive mkdir says ENOENT here; the adapter finds the EROFS.
      const mkdir = await fs.mkdirp(`${dir}/data/logs`).catch((e: unknown) => e);
      expect(mkdir).toBeInstanceOf(FileSystemError);
      expect((mkdir as FileSystemError).code).toBe('read-only');
      expect((mkdir as FileSystemError).message).toContain(`${dir}/data`);
      const open = await fs.open(`${dir}/f`, 'append').catch((e: unknown) => e);
      expect((open as FileSystemError).code).toBe('read-only');
      // An existing directory is still fine.
      await fs.mkdirp(dir);
    } finally {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true });
    }
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

describe('NodeFileSystem sync and the write chain', () => {
  it('sync waits for earlier writes, and later writes do not wait for the sync', async () => {
    const dir = await makeTempDir('samsa-node-sync-');
    const fs = new NodeFileSystem();
    const h = await fs.open(`${dir}/f`, 'read-write', { truncate: true });
    // Hold fdatasync until released, and record the order of events.
    const events: string[] = [];
    const native = (h as unknown as { handle: { datasync(): Promise<void>; writev(...a: unknown[]): Promise<unknown> } }).handle;
    const realDatasync = native.datasync.bind(native);
    const realWritev = native.writev.bind(native);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    native.datasync = async () => {
      events.push('datasync start');
      await held;
      await realDatasync();
      events.push('datasync end');
    };
    native.writev = async (...args: unknown[]) => {
      const out = await realWritev(...args);
      events.push(`write ${(args[0] as Uint8Array[])[0]![0]}`);
      return out;
    };
    const first = h.write(new Uint8Array([1, 1, 1]), 0);
    const synced = h.sync();
    const later = h.write(new Uint8Array([2, 2, 2]), 3);
    await first;
    await later; // completes while the sync is still held
    expect(events).toEqual(['write 1', 'datasync start', 'write 2']);
    release();
    await synced;
    expect(events.at(-1)).toBe('datasync end');
    await h.close();
    const back = new Uint8Array(6);
    const r = await fs.open(`${dir}/f`, 'read');
    await r.read(back, 0);
    await r.close();
    expect([...back]).toEqual([1, 1, 1, 2, 2, 2]);
    await fs.remove(dir, { recursive: true });
  });

  it('close waits for a sync in flight', async () => {
    const dir = await makeTempDir('samsa-node-sync-close-');
    const fs = new NodeFileSystem();
    const h = await fs.open(`${dir}/f`, 'read-write', { truncate: true });
    await h.write(new Uint8Array([7]), 0);
    const synced = h.sync();
    await h.close();
    await expect(synced).resolves.toBeUndefined();
    await fs.remove(dir, { recursive: true });
  });
});
