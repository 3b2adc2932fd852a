/**
 * The runtime contract: one definition of what every adapter of @samsa/runtime must do,
 * written only against the interfaces. Run under Node by node-memory.test.ts (vitest) and
 * under Deno by test/deno/runtime-contract.test.ts (deno test, through the vitest shim).
 *
 * Each `define…Contract(name, make…)` registers a describe block; the factory gives a
 * fresh instance per test (a temp directory for real file systems) and a cleanup.
 * Network tests use 127.0.0.1 only, with bounded sizes and timeouts.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../packages/runtime/src/clock.ts';
import { FileSystemError, joinPath, type FileHandle, type FileSystem } from '../../packages/runtime/src/file-system.ts';
import type { Runtime } from '../../packages/runtime/src/runtime.ts';
import { TransportError, type Connection, type Transport } from '../../packages/runtime/src/transport.ts';

export interface FileSystemFixture {
  readonly fs: FileSystem;
  /** An empty directory the test may use. */
  readonly root: string;
  cleanup(): Promise<void>;
}

export interface TransportFixture {
  readonly transport: Transport;
  cleanup(): Promise<void>;
}

export interface ClockFixture {
  readonly clock: Clock;
  /** Lets `ms` of the clock's time pass (really waits for the system clock). */
  advance(ms: number): Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = new TextEncoder();

/** The error code a promise rejects with ('resolved' if it does not). */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FileSystemError || error instanceof TransportError) return error.code;
    throw error;
  }
  return 'resolved';
}

async function readAll(handle: FileHandle): Promise<Uint8Array> {
  const out = new Uint8Array(await handle.size());
  const n = await handle.read(out, 0);
  return out.subarray(0, n);
}

/** Compares big byte arrays quickly (toEqual on a 1 MiB Uint8Array takes seconds). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  let firstDiff = -1;
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff).toBe(-1);
}

function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
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

// ---- Transport -----------------------------------------------------------------------

interface Collected {
  chunks: Uint8Array[];
  bytes: number;
  closed: boolean;
  error: Error | undefined;
  closeCount: number;
}

function collect(connection: Connection): Collected {
  const c: Collected = { chunks: [], bytes: 0, closed: false, error: undefined, closeCount: 0 };
  connection.start({
    onData(chunk) {
      c.chunks.push(chunk.slice());
      c.bytes += chunk.byteLength;
    },
    onClose(error) {
      c.closed = true;
      c.error = error;
      c.closeCount++;
    },
  });
  return c;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Polls `condition` every few ms until true or `timeoutMs` passes (then fails). */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server whose connections echo everything back, pausing while the echo is written. */
async function echoServer(transport: Transport) {
  const accepted: Connection[] = [];
  const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (connection) => {
    accepted.push(connection);
    connection.start({
      onData(chunk) {
        connection.pause();
        connection.write(chunk.slice()).then(
          () => connection.resume(),
          () => undefined,
        );
      },
      onClose() {},
    });
  });
  return { listener, accepted };
}

export function defineTransportContract(name: string, makeTransport: () => Promise<TransportFixture>): void {
  const test = (title: string, body: (transport: Transport) => Promise<void>) =>
    it(title, async () => {
      const fixture = await makeTransport();
      try {
        await body(fixture.transport);
      } finally {
        await fixture.cleanup();
      }
    });

  describe(`Transport contract: ${name}`, () => {
    test('listens on port 0, connects, and echoes 1 MiB both ways', async (transport) => {
      const { listener } = await echoServer(transport);
      expect(listener.port).toBeGreaterThan(0);
      expect(listener.host).toBe('127.0.0.1');
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      expect(client.remotePort).toBe(listener.port);
      expect(client.localPort).toBeGreaterThan(0);
      const got = collect(client);
      const data = patterned(1024 * 1024, 3);
      for (let at = 0; at < data.length; at += 64 * 1024) await client.write(data.subarray(at, at + 64 * 1024));
      await until(() => got.bytes >= data.length, 'the echo');
      expectSameBytes(concat(got.chunks), data);
      await client.close();
      await listener.close();
    });

    test('serves 40 concurrent clients; each side knows the other address', async (transport) => {
      const { listener, accepted } = await echoServer(transport);
      const clients = await Promise.all(Array.from({ length: 40 }, () => transport.connect({ host: '127.0.0.1', port: listener.port })));
      const results = await Promise.all(
        clients.map(async (client, i) => {
          const got = collect(client);
          const data = patterned(10_000 + i, i + 1);
          await client.write(data);
          await until(() => got.bytes >= data.length, `echo ${i}`);
          expectSameBytes(concat(got.chunks), data);
          return client.localPort;
        }),
      );
      await until(() => accepted.length === 40, 'all accepts');
      expect(new Set(results).size).toBe(40);
      expect(accepted.map((c) => c.remotePort).sort()).toEqual([...results].sort());
      for (const c of accepted) {
        expect(c.remoteAddress).toBe('127.0.0.1');
        expect(c.localPort).toBe(listener.port);
      }
      await Promise.all(clients.map((c) => c.close()));
      await listener.close();
    });

    test('vectored write sends the chunks in order', async (transport) => {
      const { listener } = await echoServer(transport);
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await client.write([bytes(1, 2), bytes(), bytes(3)]);
      await client.write([]);
      await client.write(bytes(4));
      await until(() => got.bytes >= 4, 'the echo');
      expect(concat(got.chunks)).toEqual(bytes(1, 2, 3, 4));
      await client.close();
      await listener.close();
    });

    test('writes issued in one tick without awaiting arrive whole and in call order', async (transport) => {
      const { listener } = await echoServer(transport);
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      const expected: number[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        const chunk = i % 3 === 0 ? [bytes(i & 0xff), bytes((i + 1) & 0xff)] : bytes(i & 0xff);
        for (const c of Array.isArray(chunk) ? chunk : [chunk]) expected.push(...c);
        writes.push(client.write(chunk));
      }
      await Promise.all(writes);
      await until(() => got.bytes >= expected.length, 'the echo');
      expect([...concat(got.chunks)]).toEqual(expected);
      await client.close();
      await listener.close();
    });

    test('write applies backpressure while the peer does not read, and resumes after', async (transport) => {
      let server: Connection | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => (server = c));
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      client.pause();
      await until(() => server !== undefined, 'accept');
      const s = server!;
      s.start({ onData() {}, onClose() {} });
      const chunk = patterned(256 * 1024, 5);
      const totalBytes = 96 * 1024 * 1024;
      let written = 0;
      const writer = (async () => {
        while (written < totalBytes) {
          await s.write(chunk);
          written += chunk.byteLength;
        }
      })();
      // Wait until the writer stalls: no progress for 300 ms.
      let last = -1;
      for (let i = 0; i < 100 && written !== last; i++) {
        last = written;
        await sleepMs(300);
      }
      expect(written).toBe(last);
      expect(written).toBeLessThan(totalBytes);
      expect(got.bytes).toBe(0);
      client.resume();
      await writer;
      await until(() => got.bytes >= totalBytes, 'all bytes after resume', 60_000);
      expect(got.bytes).toBe(totalBytes);
      await client.close();
      await listener.close();
    });

    test('pause stops onData until resume', async (transport) => {
      let server: Connection | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => {
        server = c;
        c.start({ onData() {}, onClose() {} });
      });
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await until(() => server !== undefined, 'accept');
      await server!.write(bytes(1));
      await until(() => got.bytes === 1, 'the first byte');
      client.pause();
      await server!.write(bytes(2, 3));
      await sleepMs(100);
      expect(got.bytes).toBe(1);
      client.resume();
      await until(() => got.bytes === 3, 'bytes after resume');
      expect(concat(got.chunks)).toEqual(bytes(1, 2, 3));
      await client.close();
      await listener.close();
    });

    test('close flushes queued writes, then both sides see onClose once', async (transport) => {
      let serverGot: Collected | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => (serverGot = collect(c)));
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const clientGot = collect(client);
      const data = patterned(300_000, 9);
      void client.write(data);
      await client.close();
      await until(() => clientGot.closed, 'client onClose');
      await until(() => serverGot?.closed === true, 'server onClose');
      expect(serverGot!.bytes).toBe(data.length);
      expectSameBytes(concat(serverGot!.chunks), data);
      expect(serverGot!.error).toBeUndefined();
      await client.close();
      await sleepMs(20);
      expect(clientGot.closeCount).toBe(1);
      expect(serverGot!.closeCount).toBe(1);
      expect(await errorCode(client.write(bytes(1)))).toBe('closed');
      await listener.close();
    });

    test('close delivers everything written even when the closer left input unread', async (transport) => {
      const data = patterned(2 * 1024 * 1024, 11);
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => {
        c.start({ onData() {}, onClose() {} });
        c.pause();
        void (async () => {
          await sleepMs(50); // let the client's bytes arrive and sit unread
          await c.write(data);
          await c.close();
        })();
      });
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await client.write(patterned(200_000, 12));
      await until(() => got.closed, 'the server to close', 20_000);
      expect(got.error).toBeUndefined();
      expectSameBytes(concat(got.chunks), data);
      await listener.close();
    });

    test('destroy closes at once and the peer sees onClose', async (transport) => {
      let serverGot: Collected | undefined;
      const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (c) => (serverGot = collect(c)));
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const clientGot = collect(client);
      await until(() => serverGot !== undefined, 'accept');
      client.destroy();
      await until(() => clientGot.closed, 'client onClose');
      await until(() => serverGot!.closed, 'server onClose');
      expect(clientGot.closeCount).toBe(1);
      await listener.close();
    });

    test('a closed listener refuses new connections but keeps existing ones', async (transport) => {
      const { listener } = await echoServer(transport);
      const client = await transport.connect({ host: '127.0.0.1', port: listener.port });
      const got = collect(client);
      await listener.close();
      await client.write(bytes(42));
      await until(() => got.bytes === 1, 'echo through the old connection');
      const error = await transport.connect({ host: '127.0.0.1', port: listener.port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('refused');
      await client.close();
    });

    test('listening on a port in use fails with address-in-use', async (transport) => {
      const first = await transport.listen({ host: '127.0.0.1', port: 0 }, () => undefined);
      expect(await errorCode(transport.listen({ host: '127.0.0.1', port: first.port }, () => undefined))).toBe('address-in-use');
      await first.close();
    });
  });
}

// ---- Clock and Runtime ---------------------------------------------------------------

export function defineClockContract(name: string, makeClock: () => ClockFixture): void {
  describe(`Clock contract: ${name}`, () => {
    it('fires timers in due order, not creation order, and not before due', async () => {
      const { clock, advance } = makeClock();
      const fired: string[] = [];
      clock.setTimeout(() => fired.push('late'), 40);
      clock.setTimeout(() => fired.push('early'), 10);
      expect(fired).toEqual([]);
      await advance(80);
      expect(fired).toEqual(['early', 'late']);
    });

    it('cancel prevents a timer; an interval repeats until cancelled', async () => {
      const { clock, advance } = makeClock();
      let timeouts = 0;
      let ticks = 0;
      clock.setTimeout(() => timeouts++, 10).cancel();
      const t0 = clock.monotonicMs();
      const interval = clock.setInterval(() => ticks++, 10);
      // Bounded by ticks, not by time, so a stalled (loaded) machine only makes it slower.
      for (let i = 0; i < 500 && ticks < 3; i++) await advance(10);
      interval.cancel();
      const elapsedMs = clock.monotonicMs() - t0;
      const seen = ticks;
      await advance(40);
      expect(timeouts).toBe(0);
      expect(seen).toBeGreaterThanOrEqual(3);
      expect(seen).toBeLessThanOrEqual(Math.floor(elapsedMs / 10) + 1);
      expect(ticks).toBe(seen);
    });

    it('sleep resolves after the delay; monotonicMs never goes back; wallMs is an epoch integer', async () => {
      const { clock, advance } = makeClock();
      const t0 = clock.monotonicMs();
      let done = false;
      void clock.sleep(20).then(() => (done = true));
      await advance(40);
      expect(done).toBe(true);
      const t1 = clock.monotonicMs();
      expect(t1 - t0).toBeGreaterThanOrEqual(20);
      const wall = clock.wallMs();
      expect(Number.isInteger(wall)).toBe(true);
      expect(wall).toBeGreaterThan(1_600_000_000_000);
    });
  });
}

export function defineRuntimeContract(name: string, makeRuntime: (seed: number) => Runtime): void {
  describe(`Runtime contract: ${name}`, () => {
    it('is named and its Random replays from the seed', () => {
      const a = makeRuntime(1234);
      const b = makeRuntime(1234);
      const c = makeRuntime(4321);
      expect(a.name).toBe(name);
      expect(a.random.seed).toBe(1234);
      const draw = (r: Runtime) => Array.from({ length: 16 }, () => r.random.nextUint32());
      const da = draw(a);
      expect(draw(b)).toEqual(da);
      expect(draw(c)).not.toEqual(da);
      expect(typeof a.fs.open).toBe('function');
      expect(typeof a.transport.listen).toBe('function');
      expect(typeof a.clock.monotonicMs()).toBe('number');
    });
  });
}
