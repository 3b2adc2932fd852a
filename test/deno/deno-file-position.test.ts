// The Deno file adapter's position cache (deno-file-system.ts): a read or write at the
// handle's current file offset does not seek; a random-offset op does; the cached offset
// follows short reads and writes; after a failed op the next op seeks again.
// Seeks and I/O are observed by wrapping the handle's Deno.FsFile methods (test only).
import { describe, expect, it } from 'vitest';
import type { FileHandle } from '../../packages/runtime/src/file-system.ts';
import { DenoFileSystem, makeTempDir } from '../../packages/runtime/src/deno/index.ts';

interface RawFile {
  seek(offset: number, whence: 0 | 1 | 2): Promise<number>;
  read(b: Uint8Array): Promise<number | null>;
  write(b: Uint8Array): Promise<number>;
}

/** Counts the seeks of one handle; `seeks.length` is the count, entries are the offsets. */
function spySeeks(handle: FileHandle): { seeks: number[]; file: RawFile } {
  const file = (handle as unknown as { file: RawFile }).file;
  const realSeek = file.seek.bind(file);
  const seeks: number[] = [];
  file.seek = (offset, whence) => {
    seeks.push(offset);
    return realSeek(offset, whence);
  };
  return { seeks, file };
}

async function withDir(body: (fs: DenoFileSystem, root: string) => Promise<void>): Promise<void> {
  const root = await makeTempDir('samsa-deno-position-');
  const fs = new DenoFileSystem();
  try {
    await body(fs, root);
  } finally {
    await fs.remove(root, { recursive: true });
  }
}

const block = (seed: number): Uint8Array => new Uint8Array(4096).fill(seed);

describe('DenoFileSystem position cache', () => {
  it('a sequential 4 KiB write loop and read loop seek at most once; a random-offset op seeks', () =>
    withDir(async (fs, root) => {
      const h = await fs.open(`${root}/seq`, 'read-write', { truncate: true });
      const { seeks } = spySeeks(h);
      for (let i = 0; i < 64; i++) expect(await h.write(block(i), i * 4096)).toBe(4096);
      expect(seeks).toEqual([]); // a fresh handle is at offset 0: not even the first write seeks
      const buf = new Uint8Array(4096);
      for (let i = 0; i < 64; i++) {
        expect(await h.read(buf, i * 4096)).toBe(4096);
        expect(buf[0]).toBe(i);
      }
      expect(seeks).toEqual([0]); // back to the start once, then sequential
      expect(await h.read(buf, 64 * 4096)).toBe(0); // at the end, where the loop stopped
      expect(seeks).toEqual([0]);
      expect(await h.read(buf, 5 * 4096)).toBe(4096);
      expect(buf[0]).toBe(5);
      expect(seeks).toEqual([0, 5 * 4096]);
      expect(await h.write(block(99), 64 * 4096)).toBe(4096); // append-like write after a read elsewhere
      expect(seeks).toEqual([0, 5 * 4096, 64 * 4096]);
      expect(await h.write(block(100), 65 * 4096)).toBe(4096);
      expect(seeks.length).toBe(3);
      await h.close();
    }));

  it('follows short reads and short writes', () =>
    withDir(async (fs, root) => {
      const h = await fs.open(`${root}/short`, 'read-write', { truncate: true });
      const { seeks, file } = spySeeks(h);
      const realWrite = file.write.bind(file);
      const realRead = file.read.bind(file);
      file.write = (b) => realWrite(b.subarray(0, 3)); // at most 3 bytes per call
      file.read = (b) => realRead(b.subarray(0, 5)); // at most 5 bytes per call
      const data = Uint8Array.from({ length: 40 }, (_, i) => i);
      expect(await h.write(data.subarray(0, 20), 0)).toBe(20);
      expect(await h.write(data.subarray(20), 20)).toBe(20);
      expect(seeks).toEqual([]);
      const buf = new Uint8Array(12);
      expect(await h.read(buf, 0)).toBe(12);
      expect(await h.read(buf, 12)).toBe(12);
      expect(Array.from(buf)).toEqual(Array.from(data.subarray(12, 24)));
      expect(await h.read(buf, 24)).toBe(12);
      expect(await h.read(buf, 36)).toBe(4);
      expect(Array.from(buf.subarray(0, 4))).toEqual([36, 37, 38, 39]);
      expect(seeks).toEqual([0]);
      await h.close();
    }));

  it('after a failed write the next op seeks, and lands where asked', () =>
    withDir(async (fs, root) => {
      const h = await fs.open(`${root}/fail`, 'read-write', { truncate: true });
      const { seeks, file } = spySeeks(h);
      const realWrite = file.write.bind(file);
      expect(await h.write(new Uint8Array(8).fill(1), 0)).toBe(8);
      let failNext = true;
      file.write = async (b) => {
        if (!failNext) return realWrite(b);
        failNext = false;
        await realWrite(b.subarray(0, 2)); // the offset moved, then the call failed
        throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
      };
      expect(await h.write(new Uint8Array(4).fill(2), 8).then(() => 'resolved', () => 'rejected')).toBe('rejected');
      expect(await h.write(new Uint8Array(4).fill(3), 8)).toBe(4); // the kernel offset is 10 now: must seek
      expect(seeks).toEqual([8]);
      const back = new Uint8Array(12);
      expect(await h.read(back, 0)).toBe(12);
      expect(Array.from(back)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
      await h.close();
    }));

  it('append handles do not track the end; read-write appends seek to the end each time', () =>
    withDir(async (fs, root) => {
      const a = await fs.open(`${root}/log`, 'append', { truncate: true });
      const spyA = spySeeks(a);
      for (let i = 0; i < 4; i++) await a.append(block(i));
      expect(spyA.seeks).toEqual([]); // O_APPEND: no seek
      const buf = new Uint8Array(4096);
      expect(await a.read(buf, 0)).toBe(4096); // the offset after O_APPEND writes is not assumed
      expect(spyA.seeks).toEqual([0]);
      await a.close();
      const rw = await fs.open(`${root}/log`, 'read-write');
      const other = await fs.open(`${root}/log`, 'append');
      await rw.append(block(7));
      await other.append(block(8)); // grows the file behind rw's back
      await rw.append(block(9));
      await other.close();
      expect(await rw.size()).toBe(7 * 4096);
      expect(await rw.read(buf, 6 * 4096)).toBe(4096);
      expect(buf[0]).toBe(9);
      await rw.close();
    }));
});
