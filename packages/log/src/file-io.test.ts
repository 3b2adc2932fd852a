import { FileSystemError, type FileSystem } from '@samsa/runtime';
import { MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { mkdirsDurably } from './file-io.ts';

/** A file system that refuses stat and syncDir on `forbidden` (as Deno does without --allow-read there). */
function sandboxed(inner: MemoryFileSystem, forbidden: string): FileSystem {
  const deny = (path: string): never => {
    throw new FileSystemError('permission-denied', path, `Requires read access to "${path}"`);
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'stat') return (path: string) => (path === forbidden ? deny(path) : target.stat(path));
      if (prop === 'syncDir') return (path: string) => (path === forbidden ? deny(path) : target.syncDir(path));
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('mkdirsDurably', () => {
  it('creates every missing level and syncs each parent, so a crash keeps them', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/srv');
    await fs.syncDir('/');
    expect(await mkdirsDurably(fs, '/srv/a/b/c')).toEqual([]);
    fs.crash();
    expect((await fs.stat('/srv/a/b/c'))?.isDirectory).toBe(true);
  });

  it('without the parent synced, a crash loses the new directory (what the sync is for)', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/srv');
    await fs.syncDir('/');
    await fs.mkdirp('/srv/a');
    fs.crash();
    expect(await fs.stat('/srv/a')).toBeNull();
  });

  it('reports a parent it may not read or sync instead of failing, and still creates the directory', async () => {
    const inner = new MemoryFileSystem();
    await inner.mkdirp('/tmp/box');
    await inner.syncDir('/');
    await inner.syncDir('/tmp');
    const fs = sandboxed(inner, '/tmp/box');
    expect(await mkdirsDurably(fs, '/tmp/box/data')).toEqual(['/tmp/box']);
    expect((await inner.stat('/tmp/box/data'))?.isDirectory).toBe(true);
    // Any other error still fails the call.
    const broken = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'syncDir') return () => Promise.reject(new FileSystemError('io', '/tmp/box', 'disk on fire'));
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(mkdirsDurably(broken, '/tmp/box/other')).rejects.toMatchObject({ code: 'io' });
  });
});
