/**
 * HandleCache over the memory file system.
 *
 * Invariants:
 * - real handles open never exceed `openHandlesMax` while no handle is pinned or busy;
 * - reads through virtual handles see exactly what a plain map of file contents says,
 *   whatever evictions happened in between (random ops, fast-check);
 * - unsynced writes survive an eviction and are made durable by a later sync;
 * - a handle follows its file through renames (also of the parent directory), and keeps
 *   reading the old file after that path is replaced or removed (POSIX semantics).
 */
import { MemoryFileSystem } from '@samsa/runtime/memory';
import type { FileHandle } from '@samsa/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandleCache } from './handle-cache.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readAllOf(h: FileHandle): Promise<string> {
  const size = await h.size();
  const buf = new Uint8Array(size);
  await h.read(buf, 0);
  return dec.decode(buf);
}

describe('HandleCache (model)', () => {
  it('matches a map of contents and keeps at most openHandlesMax real handles', async () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), file: fc.nat(11), text: fc.string({ minLength: 1, maxLength: 5 }) }),
      fc.record({ kind: fc.constant('read' as const), file: fc.nat(11) }),
      fc.record({ kind: fc.constant('reopen' as const), file: fc.nat(11) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), async (ops, limit) => {
        const cache = new HandleCache(new MemoryFileSystem(), { openHandlesMax: limit });
        await cache.mkdirp('/d');
        const handles: FileHandle[] = [];
        const model: string[] = [];
        for (let i = 0; i < 12; i++) {
          handles.push(await cache.open(`/d/f${i}`, 'read-write'));
          model.push('');
          expect(cache.stats().open).toBeLessThanOrEqual(limit);
        }
        for (const op of ops) {
          const h = handles[op.file]!;
          if (op.kind === 'append') {
            await h.append(enc.encode(op.text));
            model[op.file] += op.text;
          } else if (op.kind === 'read') {
            expect(await readAllOf(h)).toBe(model[op.file]);
          } else {
            await h.close();
            handles[op.file] = await cache.open(`/d/f${op.file}`, 'read-write');
          }
          expect(cache.stats().open).toBeLessThanOrEqual(limit);
        }
        for (let i = 0; i < 12; i++) expect(await readAllOf(handles[i]!)).toBe(model[i]);
        for (const h of handles) await h.close();
        expect(cache.stats().open).toBe(0);
        expect(cache.stats().virtualHandles).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('HandleCache (semantics)', () => {
  it('keeps unsynced writes across an eviction and syncs them later', async () => {
    const mem = new MemoryFileSystem();
    const cache = new HandleCache(mem, { openHandlesMax: 1 });
    const a = await cache.open('/a', 'append');
    await cache.syncDir('/');
    await a.append(enc.encode('hello'));
    const b = await cache.open('/b', 'read-write'); // evicts a
    expect(cache.stats().evictions).toBe(1);
    await a.sync(); // reopens a (evicting b), syncs the bytes written before
    expect(cache.stats().reopens).toBe(1);
    mem.crash();
    expect(dec.decode(mem.durableContent('/a')!)).toBe('hello');
    void b;
  });

  it('follows renames of the file and of its directory', async () => {
    const cache = new HandleCache(new MemoryFileSystem(), { openHandlesMax: 1 });
    await cache.mkdirp('/x/y');
    const h = await cache.open('/x/y/f', 'read-write');
    await h.write(enc.encode('data'), 0);
    await (await cache.open('/other', 'read-write')).close(); // evicts h
    await cache.rename('/x/y/f', '/x/y/g');
    await cache.rename('/x/y', '/x/z');
    expect(h.path).toBe('/x/z/g');
    expect(await readAllOf(h)).toBe('data');
  });

  it('keeps reading a file after its path is replaced or removed', async () => {
    const cache = new HandleCache(new MemoryFileSystem(), { openHandlesMax: 1 });
    const old = await cache.open('/seg.log', 'read-write');
    await old.write(enc.encode('old'), 0);
    const fresh = await cache.open('/seg.log.swap', 'read-write'); // evicts `old`
    await fresh.write(enc.encode('new!'), 0);
    await cache.rename('/seg.log.swap', '/seg.log'); // replaces old's file: old is pinned first
    expect(await readAllOf(old)).toBe('old');
    expect(await readAllOf(fresh)).toBe('new!');
    const gone = await cache.open('/gone', 'read-write');
    await gone.write(enc.encode('bye'), 0);
    await fresh.size(); // evicts `gone` (old is pinned)
    await cache.remove('/gone');
    expect(await readAllOf(gone)).toBe('bye');
    expect(await cache.stat('/gone')).toBeNull();
    await old.close();
    await fresh.close();
    await gone.close();
    expect(cache.stats().open).toBe(0);
  });
});
