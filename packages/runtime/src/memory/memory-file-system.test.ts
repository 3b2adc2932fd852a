// Memory file system specifics beyond the shared contract (test/runtime/contract.ts):
// the crash model (files, directories, tear), fault injection, capacity.
import { describe, expect, it } from 'vitest';
import { FileSystemError } from '../file-system.ts';
import { MemoryFileSystem } from './memory-file-system.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FileSystemError) return error.code;
    throw error;
  }
  return 'resolved';
}

describe('MemoryFileSystem crash', () => {
  it('keeps synced bytes and drops unsynced ones', async () => {
    const fs = new MemoryFileSystem();
    const f = await fs.open('/a', 'append');
    await fs.syncDir('/');
    await f.append(bytes(1, 2, 3));
    await f.sync();
    await f.append([bytes(4), bytes(5, 6)]);
    expect(await f.size()).toBe(6);
    fs.crash();
    expect(await fs.readFile('/a')).toEqual(bytes(1, 2, 3));
    expect(await codeOf(f.append(bytes(7)))).toBe('closed');
    expect(fs.openHandles()).toBe(0);
    await f.close();
    expect(fs.openHandles()).toBe(0);
  });

  it('counts open handles', async () => {
    const fs = new MemoryFileSystem();
    const a = await fs.open('/a', 'append');
    const b = await fs.open('/a', 'read');
    expect(fs.openHandles()).toBe(2);
    await a.close();
    await a.close();
    expect(fs.openHandles()).toBe(1);
    await b.close();
    expect(fs.openHandles()).toBe(0);
  });

  it('loses a created file whose directory was not synced', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/d');
    await fs.syncDir('/');
    const f = await fs.open('/d/x', 'append');
    await f.append(bytes(1));
    await f.sync();
    expect(fs.durableContent('/d/x')).toBeNull();
    fs.crash();
    expect(await fs.stat('/d/x')).toBeNull();
    expect(await fs.readDir('/d')).toEqual([]);
  });

  it('loses the whole subtree of a directory whose creation was not synced', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/d/e');
    const f = await fs.open('/d/e/x', 'append');
    await f.sync();
    await fs.syncDir('/d/e');
    await fs.syncDir('/d');
    fs.crash();
    expect(await fs.stat('/d')).toBeNull();
  });

  it('makes renames and removes durable only after syncDir', async () => {
    const fs = new MemoryFileSystem();
    const f = await fs.open('/old', 'read-write');
    await f.write(bytes(9), 0);
    await f.sync();
    await fs.syncDir('/');
    await fs.rename('/old', '/new');
    fs.crash();
    expect(await fs.readDir('/')).toEqual(['old']);
    await fs.rename('/old', '/new');
    await fs.syncDir('/');
    await fs.remove('/new');
    fs.crash();
    expect(await fs.readFile('/new')).toEqual(bytes(9));
  });

  it("with metadataDurability 'immediate' directory changes survive without syncDir", async () => {
    const fs = new MemoryFileSystem({ metadataDurability: 'immediate' });
    await fs.mkdirp('/a/b');
    const f = await fs.open('/a/b/c', 'append');
    await f.append(bytes(1, 2));
    await f.sync();
    fs.crash();
    expect(await fs.readFile('/a/b/c')).toEqual(bytes(1, 2));
  });

  it('tears the last unsynced write at a seeded byte, the same way for the same seed', async () => {
    const results: Uint8Array[] = [];
    for (let round = 0; round < 2; round++) {
      const fs = new MemoryFileSystem({ metadataDurability: 'immediate' });
      const f = await fs.open('/a', 'append');
      await f.append(bytes(1, 2));
      await f.sync();
      await f.append(bytes(3, 4, 5, 6, 7, 8, 9, 10));
      fs.crash({ tear: { seed: 7, mode: 'last' } });
      results.push(await fs.readFile('/a'));
    }
    expect(results[0]).toEqual(results[1]);
    const torn = results[0]!;
    expect(torn.length).toBeGreaterThanOrEqual(2);
    expect(torn).toEqual(bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10).subarray(0, torn.length));
  });

  it('truncate is pending until sync', async () => {
    const fs = new MemoryFileSystem({ metadataDurability: 'immediate' });
    const f = await fs.open('/a', 'read-write');
    await f.write(bytes(1, 2, 3, 4), 0);
    await f.sync();
    await f.truncate(1);
    fs.crash();
    expect(await fs.readFile('/a')).toEqual(bytes(1, 2, 3, 4));
  });
});

describe('MemoryFileSystem faults', () => {
  it('fails exactly the nth matching operation with the given code, without effect', async () => {
    const fs = new MemoryFileSystem();
    const f = await fs.open('/a', 'append');
    fs.failOn({ op: 'append', nth: 2, code: 'no-space' });
    await f.append(bytes(1));
    expect(await codeOf(f.append(bytes(2)))).toBe('no-space');
    await f.append(bytes(3));
    expect(await fs.readFile('/a')).toEqual(bytes(1, 3));
  });

  it("'any' counts every operation and defaults to 'injected'", async () => {
    const fs = new MemoryFileSystem();
    fs.failOn({ op: 'any', nth: 3 });
    await fs.mkdirp('/x');
    await fs.stat('/x');
    expect(await codeOf(fs.readDir('/x'))).toBe('injected');
    expect(await fs.readDir('/x')).toEqual([]);
  });

  it('failRandomly fails the same operations for the same seed, only the chosen kinds', async () => {
    const outcomes: string[][] = [];
    for (let round = 0; round < 2; round++) {
      const fs = new MemoryFileSystem();
      const f = await fs.open('/a', 'append');
      fs.failRandomly({ seed: 99, probability: 0.3, ops: ['append'] });
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) seen.push(await codeOf(f.append(bytes(i))));
      await f.sync(); // not an append: never fails
      fs.clearFaults();
      await f.append(bytes(1));
      outcomes.push(seen);
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    const failures = outcomes[0]!.filter((c) => c === 'injected').length;
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(30);
  });

  it('enforces the capacity with no-space', async () => {
    const fs = new MemoryFileSystem({ capacityBytes: 10 });
    const f = await fs.open('/a', 'append');
    await f.append(new Uint8Array(8));
    expect(await codeOf(f.append(new Uint8Array(3)))).toBe('no-space');
    expect(fs.usedBytes()).toBe(8);
    await fs.remove('/a');
    expect(fs.usedBytes()).toBe(0);
  });

  it('reports the capacity left as free space', async () => {
    const fs = new MemoryFileSystem({ capacityBytes: 10 });
    expect(await fs.freeSpace('/')).toEqual({ freeBytes: 10, totalBytes: 10 });
    const f = await fs.open('/a', 'append');
    await f.append(new Uint8Array(8));
    expect(await fs.freeSpace('/a')).toEqual({ freeBytes: 2, totalBytes: 10 });
    await fs.remove('/a');
    expect(await fs.freeSpace('/')).toEqual({ freeBytes: 10, totalBytes: 10 });
    expect(await codeOf(fs.freeSpace('/missing'))).toBe('not-found');
  });
});

describe('MemoryFileSystem clone', () => {
  it('copies current, durable and pending state independently of the original', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/d');
    await fs.syncDir('/');
    const f = await fs.open('/d/a', 'append');
    await fs.syncDir('/d');
    await f.append(bytes(1, 2));
    await f.sync();
    await f.append(bytes(3, 4));
    const copy = fs.clone();
    expect(await copy.readFile('/d/a')).toEqual(bytes(1, 2, 3, 4));
    expect(copy.usedBytes()).toBe(4);
    copy.crash();
    expect(await copy.readFile('/d/a')).toEqual(bytes(1, 2));
    expect(await fs.readFile('/d/a')).toEqual(bytes(1, 2, 3, 4));
    await f.append(bytes(5));
    expect(await copy.readFile('/d/a')).toEqual(bytes(1, 2));
    const g = await copy.open('/d/a', 'append');
    await g.append(bytes(9));
    expect(await fs.readFile('/d/a')).toEqual(bytes(1, 2, 3, 4, 5));
  });
});

describe('MemoryFileSystem sparse tails', () => {
  it('extends by truncate without storing the zeros, and reads them back as zeros', async () => {
    const fs = new MemoryFileSystem({ metadataDurability: 'immediate' });
    const f = await fs.open('/index', 'read-write');
    await f.truncate(10 * 1024 * 1024 * 1024);
    await f.write(bytes(7, 8), 4);
    await f.sync();
    fs.crash();
    const g = await fs.open('/index', 'read');
    expect(await g.size()).toBe(10 * 1024 * 1024 * 1024);
    const buf = new Uint8Array(8).fill(0xee);
    expect(await g.read(buf, 0)).toBe(8);
    expect(buf).toEqual(bytes(0, 0, 0, 0, 7, 8, 0, 0));
    buf.fill(0xee);
    expect(await g.read(buf, 10 * 1024 * 1024 * 1024 - 4)).toBe(4);
    expect(buf).toEqual(bytes(0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee));
    expect(fs.usedBytes()).toBe(10 * 1024 * 1024 * 1024);
    await g.close();
  });
});
