// The Deno file adapter's sync: it waits for the operations issued before it, then runs
// beside the handle's chain, so a later write completes while fdatasync is still held
// (group commit keeps writing while the disk flushes). Also: close waits for it.
import { describe, expect, it } from 'vitest';
import { DenoFileSystem, makeTempDir } from '../../packages/runtime/src/deno/index.ts';

describe('DenoFileSystem sync and the chain', () => {
  it('sync waits for earlier writes, and later writes do not wait for the sync', async () => {
    const root = await makeTempDir('samsa-deno-sync-');
    const fs = new DenoFileSystem();
    const h = await fs.open(`${root}/f`, 'read-write', { truncate: true });
    const events: string[] = [];
    type Raw = { syncData(): Promise<void>; write(b: Uint8Array): Promise<number> };
    const file = (h as unknown as { file: Raw }).file;
    // The flush runs on a second descriptor of the file, opened by the first sync
    // (deno-file-sync-overlap.test.ts): hold that one's syncData.
    await h.sync();
    const syncer = (await (h as unknown as { syncFile: Promise<Raw | null> }).syncFile) ?? file;
    const realSync = syncer.syncData.bind(syncer);
    const realWrite = file.write.bind(file);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    syncer.syncData = async () => {
      events.push('sync start');
      await held;
      await realSync();
      events.push('sync end');
    };
    file.write = async (b: Uint8Array) => {
      const n = await realWrite(b);
      events.push(`write ${b[0]}`);
      return n;
    };
    const first = h.write(new Uint8Array([1, 1, 1]), 0);
    const synced = h.sync();
    const later = h.write(new Uint8Array([2, 2, 2]), 3);
    await first;
    await later;
    expect(events).toEqual(['write 1', 'sync start', 'write 2']);
    release();
    await synced;
    expect(events.at(-1)).toBe('sync end');
    await h.close();
    const back = new Uint8Array(6);
    const r = await fs.open(`${root}/f`, 'read');
    await r.read(back, 0);
    await r.close();
    expect([...back]).toEqual([1, 1, 1, 2, 2, 2]);
    await fs.remove(root, { recursive: true });
  });

  it('close waits for a sync in flight', async () => {
    const root = await makeTempDir('samsa-deno-sync-close-');
    const fs = new DenoFileSystem();
    const h = await fs.open(`${root}/f`, 'read-write', { truncate: true });
    await h.write(new Uint8Array([7]), 0);
    const synced = h.sync();
    await h.close();
    await synced;
    expect(await fs.stat(`${root}/f`)).not.toBeNull();
    await fs.remove(root, { recursive: true });
  });
});
