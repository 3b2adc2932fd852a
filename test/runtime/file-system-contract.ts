/**
 * The FileSystem contract: what every @samsa/runtime file system (node, deno, memory)
 * must do, written only against the interface. `defineFileSystemContract(name, makeFs)`
 * registers one describe block; every test gets a fresh fixture (an empty directory) and
 * its cleanup runs even when the test fails. Sizes are bounded (at most a few MiB).
 */
import { describe, expect, it } from 'vitest';
import { FileSystemError, joinPath, type FileSystem } from '../../packages/runtime/src/file-system.ts';
import { bytes, errorCode, expectSameBytes, patterned, readAll, text } from './contract-helpers.ts';

export interface FileSystemFixture {
  readonly fs: FileSystem;
  /** An empty directory the test may use. */
  readonly root: string;
  cleanup(): Promise<void>;
}

function withFs(makeFs: () => Promise<FileSystemFixture>, body: (fs: FileSystem, at: (name: string) => string) => Promise<void>) {
  return async () => {
    const fixture = await makeFs();
    try {
      await body(fixture.fs, (name) => joinPath(fixture.root, name));
    } finally {
      await fixture.cleanup();
    }
  };
}

export function defineFileSystemContract(name: string, makeFs: () => Promise<FileSystemFixture>): void {
  const test = (title: string, body: (fs: FileSystem, at: (name: string) => string) => Promise<void>) =>
    it(title, withFs(makeFs, body));

  describe(`FileSystem contract: ${name}`, () => {
    test('read-write: vectored positional writes, reads, size', async (fs, at) => {
      const f = await fs.open(at('a'), 'read-write');
      expect(f.path).toBe(at('a'));
      expect(await f.write([bytes(1, 2), bytes(), bytes(3, 4, 5)], 0)).toBe(5);
      expect(await f.write(bytes(9, 9), 1)).toBe(2);
      expect(await f.size()).toBe(5);
      expect(await readAll(f)).toEqual(bytes(1, 9, 9, 4, 5));
      const part = new Uint8Array(2);
      expect(await f.read(part, 3)).toBe(2);
      expect(part).toEqual(bytes(4, 5));
      await f.close();
    });

    test('append: vectored, in order, always at the end, returns the total', async (fs, at) => {
      const f = await fs.open(at('log'), 'append');
      expect(await f.append([bytes(1), bytes(2, 3)])).toBe(3);
      expect(await f.append(bytes(4))).toBe(1);
      expect(await f.append([])).toBe(0);
      expect(await f.size()).toBe(4);
      expect(await readAll(f)).toEqual(bytes(1, 2, 3, 4));
      await f.close();
    });

    test('appends issued without awaiting are applied in call order', async (fs, at) => {
      const f = await fs.open(at('log'), 'append');
      const writes: Promise<number>[] = [];
      for (let i = 0; i < 50; i++) writes.push(f.append([bytes(i), bytes(i)]));
      await Promise.all(writes);
      const expected = new Uint8Array(100);
      for (let i = 0; i < 50; i++) expected.set([i, i], 2 * i);
      expect(await readAll(f)).toEqual(expected);
      await f.close();
    });

    test('mutations issued without awaiting (append, truncate, write) are applied in call order', async (fs, at) => {
      const f = await fs.open(at('mixed'), 'read-write');
      const ops: Promise<unknown>[] = [];
      const rounds = 300;
      for (let i = 0; i < rounds; i++) {
        ops.push(f.append(bytes(i & 0xff, 0xaa)));
        ops.push(f.truncate(i + 1)); // cuts the 0xaa just appended
        if (i % 10 === 9) ops.push(f.write(bytes(0x77), i)); // overwrites byte i
      }
      await Promise.all(ops);
      const expected = Array.from({ length: rounds }, (_, i) => (i % 10 === 9 ? 0x77 : i & 0xff));
      expect(Array.from(await readAll(f))).toEqual(expected);
      await f.close();
    });

    test('reads at or past the end return 0; a read across the end is short', async (fs, at) => {
      const f = await fs.open(at('a'), 'read-write');
      await f.write(bytes(1, 2, 3), 0);
      const buf = new Uint8Array(8).fill(0xee);
      expect(await f.read(buf, 3)).toBe(0);
      expect(await f.read(buf, 100)).toBe(0);
      expect(await f.read(buf, 1)).toBe(2);
      expect(buf.subarray(0, 3)).toEqual(bytes(2, 3, 0xee));
      expect(await f.read(new Uint8Array(0), 0)).toBe(0);
      await f.close();
    });

    test('a write past the end zero-fills the gap', async (fs, at) => {
      const f = await fs.open(at('a'), 'read-write');
      await f.write(bytes(7), 4);
      expect(await f.size()).toBe(5);
      expect(await readAll(f)).toEqual(bytes(0, 0, 0, 0, 7));
      await f.close();
    });

    test('truncate shrinks and extends with zeros', async (fs, at) => {
      const f = await fs.open(at('a'), 'append');
      await f.append(bytes(1, 2, 3, 4));
      await f.truncate(2);
      expect(await f.size()).toBe(2);
      await f.truncate(4);
      expect(await readAll(f)).toEqual(bytes(1, 2, 0, 0));
      await f.append(bytes(5));
      expect(await readAll(f)).toEqual(bytes(1, 2, 0, 0, 5));
      await f.close();
    });

    // ---- position tracking (an adapter may cache the file offset; these catch a stale one) ----

    test('positional reads and writes at scattered and sequential offsets match a model', async (fs, at) => {
      const f = await fs.open(at('model'), 'read-write');
      const model: number[] = [];
      let x = 0x9e3779b9;
      const next = (bound: number): number => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) % bound;
      };
      let cursor = 0; // where the last read or write ended: the sequential case
      let askedEnd = 0; // where the last read asked to end (past `cursor` after a short read)
      for (let step = 0; step < 300; step++) {
        const pick = next(4);
        const position = pick === 0 ? next(2048) : pick === 1 ? askedEnd : cursor;
        const length = 1 + next(64);
        const kind = next(10);
        if (kind < 4) {
          const data = patterned(length, step + 1);
          expect(await f.write(data, position)).toBe(length);
          while (model.length < position) model.push(0);
          for (let i = 0; i < length; i++) model[position + i] = data[i]!;
          cursor = position + length;
          askedEnd = cursor;
        } else if (kind < 8) {
          const buf = new Uint8Array(length);
          const expected = model.slice(position, position + length);
          expect(await f.read(buf, position)).toBe(expected.length);
          expect(Array.from(buf.subarray(0, expected.length))).toEqual(expected);
          cursor = position + expected.length;
          askedEnd = position + length;
        } else if (kind === 8) {
          const sizeBytes = next(2048);
          await f.truncate(sizeBytes);
          model.length = Math.min(model.length, sizeBytes);
          while (model.length < sizeBytes) model.push(0);
        } else {
          const data = patterned(length, step + 7);
          expect(await f.append(data)).toBe(length);
          model.push(...data);
          cursor = model.length;
          askedEnd = cursor;
        }
      }
      expect(await f.size()).toBe(model.length);
      expect(Array.from(await readAll(f))).toEqual(model);
      await f.close();
    });

    test('reads and writes issued without awaiting, on two regions, do not move one another', async (fs, at) => {
      const chunk = 512;
      const chunks = 64;
      const f = await fs.open(at('regions'), 'read-write');
      const before = patterned(chunk * chunks, 3);
      await f.write(before, 0); // region A: [0, 32 KiB), only read below
      const after = patterned(chunk * chunks, 4);
      const regionB = chunk * chunks;
      const ops: Promise<void>[] = [];
      for (let i = 0; i < chunks; i++) {
        // sequential writes to B, each followed by a read of A at a scattered offset
        ops.push(f.write(after.subarray(i * chunk, (i + 1) * chunk), regionB + i * chunk).then((n) => expect(n).toBe(chunk)));
        const from = ((i * 37) % chunks) * chunk;
        const buf = new Uint8Array(chunk);
        ops.push(f.read(buf, from).then((n) => {
          expect(n).toBe(chunk);
          expectSameBytes(buf, before.subarray(from, from + chunk));
        }));
      }
      await Promise.all(ops);
      const all = await readAll(f);
      expectSameBytes(all.subarray(0, regionB), before);
      expectSameBytes(all.subarray(regionB), after);
      await f.close();
    });

    test('short reads at the end, then writes where they stopped and where they asked to stop', async (fs, at) => {
      const f = await fs.open(at('eof'), 'read-write');
      const data = patterned(10, 5);
      await f.write(data, 0);
      const buf = new Uint8Array(8);
      expect(await f.read(buf, 0)).toBe(8);
      expect(await f.read(buf, 8)).toBe(2); // short: the end
      expect(await f.write(bytes(9), 16)).toBe(1); // where the short read asked to end, not where it did
      expect(await f.size()).toBe(17);
      expect(await f.read(buf, 10)).toBe(7);
      expect(Array.from(buf.subarray(0, 7))).toEqual([0, 0, 0, 0, 0, 0, 9]);
      expect(await f.read(buf, 17)).toBe(0);
      expect(await f.read(buf, 17)).toBe(0);
      expect(await f.write(bytes(1, 2, 3), 17)).toBe(3);
      expect(await f.read(buf, 20)).toBe(0);
      expect(await f.read(buf, 15)).toBe(5);
      expect(Array.from(buf.subarray(0, 5))).toEqual([0, 9, 1, 2, 3]);
      expect(Array.from((await readAll(f)).subarray(0, 10))).toEqual(Array.from(data));
      await f.close();
    });

    test('positional ops after an append on a read-write handle land where asked', async (fs, at) => {
      const f = await fs.open(at('rw-append'), 'read-write');
      await f.write(bytes(1, 2, 3, 4), 0);
      const buf = new Uint8Array(2);
      expect(await f.read(buf, 0)).toBe(2);
      expect(await f.append(bytes(5, 6))).toBe(2);
      expect(await f.write(bytes(7), 4)).toBe(1); // where the append started
      expect(await f.read(buf, 4)).toBe(2);
      expect(Array.from(buf)).toEqual([7, 6]);
      expect(await f.append(bytes(8))).toBe(1);
      expect(await f.read(buf, 6)).toBe(1); // where the read ended
      expect(buf[0]).toBe(8);
      expect(Array.from(await readAll(f))).toEqual([1, 2, 3, 4, 7, 6, 8]);
      await f.close();
    });

    test('a write after truncate lands at its position, also where the last write ended', async (fs, at) => {
      const f = await fs.open(at('trunc'), 'read-write');
      await f.write(new Uint8Array(100).fill(1), 0);
      await f.truncate(10);
      expect(await f.write(bytes(2), 100)).toBe(1); // where the previous write ended: gap of zeros
      const expected = new Uint8Array(101);
      expected.fill(1, 0, 10);
      expected[100] = 2;
      expectSameBytes(await readAll(f), expected);
      await f.truncate(50);
      expect(await f.write(bytes(3, 3), 50)).toBe(2);
      expect(await f.write(bytes(4), 52)).toBe(1);
      await f.truncate(0);
      expect(await f.write(bytes(5), 0)).toBe(1);
      expect(Array.from(await readAll(f))).toEqual([5]);
      await f.close();
    });

    test('failed operations leave reads and writes at the right positions', async (fs, at) => {
      const f = await fs.open(at('fail'), 'read-write');
      await f.write(patterned(64, 9), 0);
      const buf = new Uint8Array(16);
      expect(await f.read(buf, 0)).toBe(16);
      await f.close();
      expect(await errorCode(f.read(buf, 16))).toBe('closed');
      const r = await fs.open(at('fail'), 'read');
      expect(await r.read(buf, 0)).toBe(16);
      expect(await errorCode(r.write(bytes(1), 16))).toBe('bad-mode');
      expect(await errorCode(r.append(bytes(1)))).toBe('bad-mode');
      expect(await errorCode(r.truncate(0))).toBe('bad-mode');
      expect(await r.read(buf, 16)).toBe(16);
      expectSameBytes(buf, patterned(64, 9).subarray(16, 32));
      expect(await r.read(buf, 4)).toBe(16);
      expectSameBytes(buf, patterned(64, 9).subarray(4, 20));
      await r.close();
      const a = await fs.open(at('fail'), 'append');
      expect(await errorCode(a.write(bytes(1), 0))).toBe('bad-mode');
      expect(await a.append(bytes(7))).toBe(1);
      expect(await a.read(buf, 1)).toBe(16); // as far into the file as the append was long
      expectSameBytes(buf, patterned(64, 9).subarray(1, 17));
      expect(await a.read(buf, 60)).toBe(5);
      expect(Array.from(buf.subarray(0, 5))).toEqual([...patterned(64, 9).subarray(60), 7]);
      await a.close();
    });

    test('1 MiB in vectored writes reads back intact after sync and reopen', async (fs, at) => {
      const data = patterned(1024 * 1024, 7);
      const f = await fs.open(at('big'), 'append');
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < data.length; at += 100_000) pieces.push(data.subarray(at, at + 100_000));
      expect(await f.append(pieces)).toBe(data.length);
      await f.sync();
      await f.close();
      const r = await fs.open(at('big'), 'read');
      const back = new Uint8Array(data.length + 10);
      expect(await r.read(back, 0)).toBe(data.length);
      expectSameBytes(back.subarray(0, data.length), data);
      await r.close();
      expectSameBytes(await fs.readFile(at('big')), data);
    });

    test('open: missing file in read mode, missing parent, exclusive, truncate, directories', async (fs, at) => {
      expect(await errorCode(fs.open(at('missing'), 'read'))).toBe('not-found');
      expect(await errorCode(fs.open(at('no/such/file'), 'append'))).toBe('not-found');
      const f = await fs.open(at('a'), 'read-write', { exclusive: true });
      await f.write(bytes(1, 2, 3), 0);
      await f.close();
      expect(await errorCode(fs.open(at('a'), 'append', { exclusive: true }))).toBe('exists');
      const t = await fs.open(at('a'), 'read-write', { truncate: true });
      expect(await t.size()).toBe(0);
      await t.close();
      await fs.mkdirp(at('d'));
      expect(await errorCode(fs.open(at('d'), 'read'))).toBe('is-a-directory');
      expect(await errorCode(fs.open(at('d'), 'read-write'))).toBe('is-a-directory');
      expect(await errorCode(fs.open(at('a/x'), 'append'))).toBe('not-a-directory');
    });

    test('modes: read handles cannot write, append handles cannot write at a position', async (fs, at) => {
      const a = await fs.open(at('a'), 'append');
      await a.append(bytes(1));
      expect(await errorCode(a.write(bytes(2), 0))).toBe('bad-mode');
      await a.close();
      const r = await fs.open(at('a'), 'read');
      expect(await errorCode(r.append(bytes(2)))).toBe('bad-mode');
      expect(await errorCode(r.write(bytes(2), 0))).toBe('bad-mode');
      expect(await errorCode(r.truncate(0))).toBe('bad-mode');
      expect(await errorCode(fs.open(at('a'), 'read', { truncate: true }))).toBe('bad-mode');
      await r.close();
      expect(await fs.readFile(at('a'))).toEqual(bytes(1));
    });

    test('a closed handle fails with closed; close twice is fine', async (fs, at) => {
      const f = await fs.open(at('a'), 'read-write');
      await f.close();
      await f.close();
      expect(await errorCode(f.read(new Uint8Array(1), 0))).toBe('closed');
      expect(await errorCode(f.write(bytes(1), 0))).toBe('closed');
      expect(await errorCode(f.append(bytes(1)))).toBe('closed');
      expect(await errorCode(f.sync())).toBe('closed');
      expect(await errorCode(f.size())).toBe('closed');
      expect(await errorCode(f.truncate(0))).toBe('closed');
    });

    test('mkdirp creates parents, is idempotent, and refuses a file in the way', async (fs, at) => {
      await fs.mkdirp(at('x/y/z'));
      await fs.mkdirp(at('x/y/z'));
      expect((await fs.stat(at('x/y/z')))?.isDirectory).toBe(true);
      const f = await fs.open(at('file'), 'append');
      await f.close();
      expect(await errorCode(fs.mkdirp(at('file')))).toBe('exists');
      expect(await errorCode(fs.mkdirp(at('file/sub')))).toBe('not-a-directory');
    });

    test('readDir lists names sorted; errors on missing and on files', async (fs, at) => {
      for (const n of ['b', 'a', '10', '2', 'B', '00000000000000000100.log', '00000000000000000020.log']) {
        await (await fs.open(at(n), 'append')).close();
      }
      await fs.mkdirp(at('dir'));
      expect(await fs.readDir(at(''))).toEqual(['00000000000000000020.log', '00000000000000000100.log', '10', '2', 'B', 'a', 'b', 'dir']);
      expect(await fs.readDir(at('dir'))).toEqual([]);
      expect(await errorCode(fs.readDir(at('nope')))).toBe('not-found');
      expect(await errorCode(fs.readDir(at('a')))).toBe('not-a-directory');
    });

    test('rename atomically replaces the target; missing source is not-found', async (fs, at) => {
      const oldF = await fs.open(at('target'), 'append');
      await oldF.append(bytes(1, 1, 1, 1));
      await oldF.close();
      const tmp = await fs.open(at('target.tmp'), 'append');
      await tmp.append(bytes(2, 2));
      await tmp.sync();
      await tmp.close();
      await fs.rename(at('target.tmp'), at('target'));
      await fs.syncDir(at(''));
      expect(await fs.readFile(at('target'))).toEqual(bytes(2, 2));
      expect(await fs.stat(at('target.tmp'))).toBeNull();
      expect(await fs.readDir(at(''))).toEqual(['target']);
      expect(await errorCode(fs.rename(at('nope'), at('x')))).toBe('not-found');
    });

    test('handles see one another; an open handle keeps its file across rename-over and remove', async (fs, at) => {
      const writer = await fs.open(at('seg'), 'append');
      const reader = await fs.open(at('seg'), 'read');
      await writer.append(bytes(1, 2, 3));
      expect(await reader.size()).toBe(3);
      expect(await readAll(reader)).toEqual(bytes(1, 2, 3));
      expect((await fs.stat(at('seg')))?.sizeBytes).toBe(3);
      const swap = await fs.open(at('seg.swap'), 'append');
      await swap.append(bytes(9));
      await swap.close();
      await fs.rename(at('seg.swap'), at('seg'));
      expect(await readAll(reader)).toEqual(bytes(1, 2, 3));
      expect(await fs.readFile(at('seg'))).toEqual(bytes(9));
      await writer.append(bytes(4));
      expect(await readAll(reader)).toEqual(bytes(1, 2, 3, 4));
      await fs.remove(at('seg'));
      const fresh = await fs.open(at('seg'), 'read-write', { exclusive: true });
      expect(await fresh.size()).toBe(0);
      expect(await readAll(reader)).toEqual(bytes(1, 2, 3, 4));
      await Promise.all([writer.close(), reader.close(), fresh.close()]);
    });

    test('rename moves directories with their contents', async (fs, at) => {
      await fs.mkdirp(at('p/q'));
      const f = await fs.open(at('p/q/f'), 'append');
      await f.append(bytes(5));
      await f.close();
      await fs.rename(at('p'), at('r'));
      expect(await fs.readFile(at('r/q/f'))).toEqual(bytes(5));
      expect(await fs.stat(at('p'))).toBeNull();
    });

    test('remove: files, missing paths, non-empty directories, recursive', async (fs, at) => {
      await fs.mkdirp(at('d/e'));
      await (await fs.open(at('d/e/f'), 'append')).close();
      await (await fs.open(at('g'), 'append')).close();
      await fs.remove(at('g'));
      expect(await fs.stat(at('g'))).toBeNull();
      await fs.remove(at('g'));
      await fs.remove(at('no/such/thing'));
      expect(await errorCode(fs.remove(at('d')))).toBe('not-empty');
      await fs.remove(at('d'), { recursive: true });
      expect(await fs.stat(at('d'))).toBeNull();
      await fs.mkdirp(at('empty'));
      await fs.remove(at('empty'));
      expect(await fs.readDir(at(''))).toEqual([]);
    });

    test('stat: files, directories, missing (null), under a file (null)', async (fs, at) => {
      const f = await fs.open(at('a'), 'append');
      await f.append(new Uint8Array(10));
      await f.close();
      const s = await fs.stat(at('a'));
      expect(s).not.toBeNull();
      expect(s!.isFile).toBe(true);
      expect(s!.isDirectory).toBe(false);
      expect(s!.sizeBytes).toBe(10);
      expect(Number.isFinite(s!.mtimeMs)).toBe(true);
      const d = await fs.stat(at(''));
      expect(d?.isDirectory).toBe(true);
      expect(d?.isFile).toBe(false);
      expect(await fs.stat(at('missing'))).toBeNull();
      expect(await fs.stat(at('a/below'))).toBeNull();
    });

    test('syncDir: directories only', async (fs, at) => {
      await fs.mkdirp(at('d'));
      await fs.syncDir(at('d'));
      await fs.syncDir(at(''));
      expect(await errorCode(fs.syncDir(at('missing')))).toBe('not-found');
      await (await fs.open(at('f'), 'append')).close();
      expect(await errorCode(fs.syncDir(at('f')))).toBe('not-a-directory');
    });

    test('readFile: content, missing, directory', async (fs, at) => {
      const f = await fs.open(at('cfg'), 'append');
      await f.append(text.encode('a=1\n'));
      await f.close();
      const got = await fs.readFile(at('cfg'));
      expect(got).toEqual(text.encode('a=1\n'));
      expect(Object.getPrototypeOf(got)).toBe(Uint8Array.prototype);
      expect(await fs.readFile(at('empty-missing')).catch((e: FileSystemError) => e.code)).toBe('not-found');
      await fs.mkdirp(at('d'));
      expect(await errorCode(fs.readFile(at('d')))).toBe('is-a-directory');
    });

    test('freeSpace: free and total bytes of the volume, or unknown', async (fs, at) => {
      await fs.mkdirp(at('d'));
      const space = await fs.freeSpace(at('d'));
      if (space !== 'unknown') {
        expect(Number.isSafeInteger(space.freeBytes) && Number.isSafeInteger(space.totalBytes)).toBe(true);
        expect(space.freeBytes).toBeGreaterThanOrEqual(0);
        expect(space.totalBytes).toBeGreaterThanOrEqual(space.freeBytes);
        expect(space.totalBytes).toBeGreaterThan(0);
        expect(await errorCode(fs.freeSpace(at('missing')))).toBe('not-found');
      }
    });

    test('errors are FileSystemError with the path', async (fs, at) => {
      const error = await fs.open(at('missing'), 'read').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileSystemError);
      expect((error as FileSystemError).path).toBe(at('missing'));
    });

    // ---- data-directory lock ----
    test('tryLock: one holder at a time; a loser writes nothing; release lets the next one in', async (fs, at) => {
      const path = at('.lock');
      const first = await fs.tryLock(path);
      expect(first).not.toBeNull();
      expect(first!.path).toBe(path);
      await first!.writeHolder(text.encode('pid=1\n'));
      const statBefore = await fs.stat(path);
      expect(await fs.tryLock(path)).toBeNull();
      expect(await fs.tryLock(path)).toBeNull();
      expect(await fs.readFile(path)).toEqual(text.encode('pid=1\n'));
      expect(await fs.stat(path)).toEqual(statBefore);
      await first!.writeHolder(text.encode('pid=2\n'));
      expect(await fs.readFile(path)).toEqual(text.encode('pid=2\n'));
      await first!.release();
      await first!.release();
      expect(await errorCode(first!.writeHolder(text.encode('x')))).toBe('closed');
      const second = await fs.tryLock(path);
      expect(second).not.toBeNull();
      expect(await fs.readFile(path)).toEqual(text.encode('pid=2\n'));
      await second!.release();
    });

    test('tryLock: creates the file; locks on different files are independent; a missing dir is not-found', async (fs, at) => {
      const a = await fs.tryLock(at('a.lock'));
      const b = await fs.tryLock(at('b.lock'));
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
      expect((await fs.stat(at('a.lock')))?.sizeBytes).toBe(0);
      await a!.release();
      await b!.release();
      expect(await errorCode(fs.tryLock(at('missing/x.lock')))).toBe('not-found');
    });
  });
}
