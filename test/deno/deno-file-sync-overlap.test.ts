// The Deno file adapter's fdatasync does not hold up the handle's reads and writes.
// Deno runs the async ops of one Deno.FsFile one at a time (its resource task queue), so
// an fdatasync on the descriptor the writes use makes every later write wait for the disk
// flush — on Node, writes and fdatasync run side by side in libuv's pool. The adapter
// syncs through a second descriptor of the same file (same inode: fdatasync flushes the
// file, not the descriptor). Real Deno ops, no spies, in the first case: 128 MiB of dirty
// page cache make the flush last long enough to observe (tens of ms on a disk).
import { describe, expect, it } from 'vitest';
import { DenoFileSystem, makeTempDir } from '../../packages/runtime/src/deno/index.ts';

const MIB = 1024 * 1024;
const DIRTY_MIB = 128;

/**
 * Descriptors of this process open on `path` (Linux /proc; other tests' descriptors do not
 * count). Deno refuses to read /proc/<pid>/fd without --allow-all, which `deno task test`
 * does not grant, so `find` (--allow-run) lists the descriptor links that point at `path`.
 */
function fdsOn(path: string): number {
  const out = new Deno.Command('find', { args: [`/proc/${Deno.pid}/fd`, '-lname', path], stdout: 'piped', stderr: 'null' }).outputSync();
  return new TextDecoder().decode(out.stdout).split('\n').filter((line) => line.length > 0).length;
}

describe('DenoFileSystem sync beside reads and writes', () => {
  it('a write issued while fdatasync runs completes before the sync does', async () => {
    const root = await makeTempDir('samsa-deno-sync-overlap-');
    const fs = new DenoFileSystem();
    const h = await fs.open(`${root}/segment`, 'read-write', { truncate: true });
    try {
      const chunk = new Uint8Array(MIB).fill(1);
      for (let i = 0; i < DIRTY_MIB; i++) await h.write(chunk, i * MIB);
      let syncDone = false;
      const synced = h.sync().then(() => (syncDone = true));
      // Issued after the sync started: it must not queue behind the flush.
      await h.write(new Uint8Array([2, 2, 2]), DIRTY_MIB * MIB);
      const doneBeforeSync = !syncDone;
      await synced;
      expect(doneBeforeSync).toBe(true);
      const back = new Uint8Array(3);
      expect(await h.read(back, DIRTY_MIB * MIB)).toBe(3);
      expect([...back]).toEqual([2, 2, 2]);
    } finally {
      await h.close();
      await fs.remove(root, { recursive: true });
    }
  });

  it('syncs the handle’s own file when its path now names another file, and close releases every descriptor', async () => {
    const root = await makeTempDir('samsa-deno-sync-renamed-');
    const fs = new DenoFileSystem();
    const h = await fs.open(`${root}/a`, 'read-write', { truncate: true });
    const file = (h as unknown as { file: { syncData(): Promise<void> } }).file;
    const realSync = file.syncData.bind(file);
    let ownSyncs = 0;
    file.syncData = () => {
      ownSyncs++;
      return realSync();
    };
    try {
      await h.write(new Uint8Array([1]), 0);
      await fs.rename(`${root}/a`, `${root}/b`);
      const other = await fs.open(`${root}/a`, 'read-write', { truncate: true });
      await other.close();
      await h.sync();
      // The path names another inode now: the handle's own descriptor did the flush.
      expect(ownSyncs).toBe(1);
      await h.write(new Uint8Array([2]), 1);
      await h.sync();
      expect(ownSyncs).toBe(2);
    } finally {
      await h.close();
    }
    expect(fdsOn(`${root}/b`)).toBe(0);
    // Synced where the path still names the file: a second descriptor, closed with the handle.
    const g = await fs.open(`${root}/b`, 'read-write');
    await g.write(new Uint8Array([3]), 2);
    await g.sync();
    expect(fdsOn(`${root}/b`)).toBe(2);
    await g.close();
    expect(fdsOn(`${root}/b`)).toBe(0);
    await fs.remove(root, { recursive: true });
  });
});
