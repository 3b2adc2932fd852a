/**
 * The local store: the MetadataStore contract on the memory file system, then what only it
 * has — the snapshot and journal survive close, crash and reopen with every key and
 * revision; leases do not (their keys go in one revision on open); a torn or corrupt
 * snapshot is refused naming it; a torn last journal entry is discarded, a corrupt one
 * before it refused naming the journal and the offset; the journal is folded into a new
 * snapshot past its bound; a version 1 file opens and is converted; a journal whose
 * snapshot was removed is set aside; the snapshot's size
 * bound; a failed disk write stops the store and never shows what the disk does not hold;
 * concurrent writes share one journal entry and fsync; one store per directory.
 */
import { describe, expect, it } from 'vitest';
import { createRandom } from '@samsa/runtime';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { metadataStoreContract, takeBatches } from '../testing/store-contract.ts';
import { CompactedError, MetadataStoreError } from '../metadata-store.ts';
import { LocalMetadataStore, type LocalMetadataStoreOptions } from './local-metadata-store.ts';
import { LocalMetadataCorruptError, localMetadataFileName } from './local-file-format.ts';
import { encodeJournalEntry, journalRevisionJson } from './local-journal-format.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const dir = '/data/meta';
const filePath = `${dir}/${localMetadataFileName}`;
const journalPath = `${filePath}.log`;
/** Every disk write a snapshot (what version 1 did): the rename paths. */
const snapshotEveryWrite = { journalBytesMin: 0, journalSnapshotRatio: 0 };

async function overwrite(fs: MemoryFileSystem, path: string, content: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'read-write', { truncate: true });
  await h.write(content, 0);
  await h.sync();
  await h.close();
}

function env(): { fs: MemoryFileSystem; clock: ManualClock; open: (o?: Partial<LocalMetadataStoreOptions>) => Promise<LocalMetadataStore> } {
  const fs = new MemoryFileSystem();
  const clock = new ManualClock();
  return { fs, clock, open: (o = {}) => LocalMetadataStore.open({ fs, dir, clock, random: createRandom(7), ...o }) };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

metadataStoreContract({
  name: 'local (memory file system)',
  create: async () => {
    const { open, clock } = env();
    const store = await open();
    return {
      store,
      prefix: 'contract/',
      waitForExpiry: async (lease) => {
        clock.advance(lease.ttlMs);
        // The expiry's deletes are applied on the clock and written in the background: a read waits for them.
        await store.get('contract/');
      },
      compact: async (revision) => store.compact(revision),
      close: () => store.close(),
    };
  },
});

describe('LocalMetadataStore', () => {
  it('keeps every key, revision and version across close and reopen, and across a crash', async () => {
    const { fs, open } = env();
    const a = await open();
    const r1 = await a.put('k/1', bytes('one'));
    await a.put('k/1', bytes('uno'));
    await a.put('k/2', new Uint8Array([0, 255, 128]));
    await a.put('k/3', bytes('gone'));
    const r4 = await a.delete('k/3').then(() => a.revision);
    const before = await a.range('');
    await a.close();

    const b = await open();
    expect(await b.range('')).toEqual(before);
    expect(await b.get('k/1')).toMatchObject({ createRevision: r1, modRevision: r1 + 1, version: 2, lease: null });
    expect(b.revision).toBe(r4);
    const r5 = await b.put('k/4', bytes('after'));
    expect(r5).toBe(r4 + 1);
    fs.crash(); // power loss with the store open: everything acknowledged is on disk
    const c = await open();
    expect((await c.range('')).kvs.map((kv) => [kv.key, text(kv.value), kv.modRevision])).toEqual([
      ['k/1', 'uno', r1 + 1],
      ['k/2', '\u0000\ufffd\ufffd', r1 + 2],
      ['k/4', 'after', r5],
    ]);
    expect(c.revision).toBe(r5);
    await c.close();
  });

  it('deletes the keys of every lease on open, in one revision, and watches see it; older history is compacted', async () => {
    const { open } = env();
    const a = await open();
    const l1 = await a.grantLease(10_000);
    const l2 = await a.grantLease(10_000);
    await a.put('reg/1', bytes('1'), { lease: l1.id });
    await a.put('reg/2', bytes('2'), { lease: l2.id });
    const r = await a.put('topic/x', bytes('x'));
    await a.close();

    const b = await open();
    expect(b.revision).toBe(r + 1);
    expect((await b.range('')).kvs.map((kv) => kv.key)).toEqual(['topic/x']);
    const [batch] = await takeBatches(b, '', r + 1, 1);
    expect(batch!.events.map((e) => [e.type, e.kv.key])).toEqual([
      ['delete', 'reg/1'],
      ['delete', 'reg/2'],
    ]);
    const error = await rejection(takeBatches(b, '', r, 1));
    expect(error).toBeInstanceOf(CompactedError);
    expect((error as CompactedError).compactRevision).toBe(r + 1);
    await expect(b.keepAlive(l1.id)).rejects.toMatchObject({ code: 'lease-not-found' });
    await b.close();
    const c = await open(); // the deletion was persisted: nothing left to delete
    expect(c.revision).toBe(r + 1);
    await c.close();
  });

  it('writes the documented layout: a snapshot (header with version, CRC-32C and length, one JSON key per line) and a journal of entries after it', async () => {
    const { fs, open } = env();
    const a = await open();
    const lease = await a.grantLease(5_000);
    const r1 = await a.put('b', bytes('2'), { lease: lease.id });
    const r2 = await a.put('a', bytes('1'));
    await a.delete('a');
    // The snapshot is the state the store was created with (revision 1, no keys).
    const file = text(await fs.readFile(filePath));
    const [head, ...body] = file.split('\n');
    expect(head).toMatch(/^samsa-metadata-store 2 [0-9a-f]{8} \d+$/);
    expect(Number(head!.split(' ')[3])).toBe(new TextEncoder().encode(body.join('\n')).length);
    expect(JSON.parse(body.join('\n'))).toEqual({ revision: 1, compactRevision: 0, kvs: [] });
    // The journal: its header names the snapshot's revision, then one entry per disk write.
    const journal = await fs.readFile(journalPath);
    const newline = journal.indexOf(0x0a);
    expect(text(journal.subarray(0, newline))).toBe('samsa-metadata-journal 2 1');
    const entries: unknown[] = [];
    for (let at = newline + 1; at < journal.length; ) {
      const view = new DataView(journal.buffer, journal.byteOffset + at);
      const length = view.getUint32(0);
      entries.push(JSON.parse(text(journal.subarray(at + 8, at + 8 + length))));
      at += 8 + length;
    }
    expect(entries).toEqual([
      { revisions: [{ revision: r1, events: [{ key: 'b', value: btoa('2'), createRevision: r1, modRevision: r1, version: 1, lease: lease.id }] }] },
      { revisions: [{ revision: r2, events: [{ key: 'a', value: btoa('1'), createRevision: r2, modRevision: r2, version: 1, lease: null }] }] },
      { revisions: [{ revision: r2 + 1, events: [{ key: 'a', deleted: true }] }] },
    ]);
    await a.close();
    // A snapshot written later holds every key, ascending, one per line.
    const b = await open(snapshotEveryWrite);
    const r3 = await b.put('c', bytes('3'));
    const later = text(await fs.readFile(filePath)).split('\n');
    expect(later[0]).toMatch(/^samsa-metadata-store 2 /);
    expect(JSON.parse(later.slice(1).join('\n'))).toMatchObject({ revision: r3, kvs: [{ key: 'c', value: btoa('3'), createRevision: r3 }] });
    expect(text(await fs.readFile(journalPath))).toBe(`samsa-metadata-journal 2 ${r3}\n`);
    await b.close();
  });

  it('refuses a torn, corrupt or foreign file, naming it, and never starts empty', async () => {
    const { fs, open } = env();
    const a = await open();
    await a.put('k', bytes('value'));
    await a.close();
    const good = await fs.readFile(filePath);
    const cases: [string, Uint8Array, RegExp][] = [
      ['torn', good.subarray(0, good.length - 3), /torn/],
      ['flipped', Uint8Array.from(good, (b, i) => (i === good.length - 10 ? b ^ 1 : b)), /CRC-32C mismatch/],
      ['empty', new Uint8Array(0), /no header line/],
      ['version 3', bytes(text(good).replace('samsa-metadata-store 2 ', 'samsa-metadata-store 3 ')), /format version 3/],
      ['foreign', bytes('{"formatVersion":1}\n'), /not a local metadata store file/],
    ];
    for (const [name, content, reason] of cases) {
      const h = await fs.open(filePath, 'read-write', { truncate: true });
      await h.write(content, 0);
      await h.close();
      const error = await rejection(open());
      expect({ name, error }).toMatchObject({ name, error: { name: 'LocalMetadataCorruptError', path: filePath } });
      expect((error as LocalMetadataCorruptError).message).toMatch(reason);
      expect((error as Error).message).toContain(filePath);
    }
  });

  it('refuses a write that would grow the file past fileBytesMax, and applies nothing', async () => {
    const { fs, open } = env();
    const a = await open({ fileBytesMax: 2_000 });
    await a.put('small', new Uint8Array(500));
    const r = a.revision;
    const fileBefore = await fs.readFile(filePath);
    const error = await rejection(a.txn({ compare: [], success: [{ type: 'put', key: 'a', value: bytes('1') }, { type: 'put', key: 'big', value: new Uint8Array(1_000) }] }));
    expect(error).toMatchObject({ name: 'MetadataStoreError', code: 'invalid-argument' });
    expect((error as Error).message).toMatch(/fileBytesMax 2000/);
    expect(a.revision).toBe(r);
    expect(await a.get('a')).toBeNull();
    expect(await fs.readFile(filePath)).toEqual(fileBefore);
    // Replacing the big value with a bigger one in the same txn as deleting others is judged on the result.
    await a.txn({ compare: [], success: [{ type: 'delete', key: 'small' }, { type: 'put', key: 'big', value: new Uint8Array(1_000) }] });
    expect((await fs.stat(filePath))!.sizeBytes).toBeLessThanOrEqual(2_000);
    await a.close();
  });

  it('stops after a failed file write: pending requests reject, nothing the file lacks is shown, reopen has the old state', async () => {
    const { fs, open } = env();
    const a = await open();
    const r = await a.put('k', bytes('durable'));
    const ac = new AbortController();
    const watched: string[] = [];
    const watching = (async () => {
      for await (const b of a.watch('', r + 1, ac.signal)) for (const e of b.events) watched.push(text(e.kv.value));
    })();
    fs.failOn({ op: 'sync', nth: 1, code: 'io' });
    const put = a.put('k', bytes('lost'));
    const get = a.get('k'); // evaluated after the put, so it must wait for the disk: it may not show "lost"
    expect(await rejection(put)).toMatchObject({ code: 'unavailable' });
    expect(await rejection(get)).toMatchObject({ code: 'unavailable' });
    expect(await rejection(watching)).toMatchObject({ code: 'unavailable' });
    expect(watched).toEqual([]);
    expect(await rejection(a.get('k'))).toMatchObject({ code: 'unavailable' });
    await a.close();
    const b = await open(snapshotEveryWrite);
    expect(text((await b.get('k'))!.value)).toBe('durable');
    expect(b.revision).toBe(r);
    // A snapshot's failure after the rename: the write may be there, so the caller hears unknown-outcome.
    fs.failOn({ op: 'syncDir', nth: 1, code: 'io' });
    expect(await rejection(b.put('k', bytes('maybe')))).toMatchObject({ code: 'unknown-outcome' });
    await b.close();
  });

  it('makes the snapshot it reopened durable before serving it (its writer may have died before the directory sync)', async () => {
    const { fs, open } = env();
    const a = await open(snapshotEveryWrite);
    await a.put('k', bytes('v1'));
    fs.failOn({ op: 'syncDir', nth: 1, code: 'io' });
    expect(await rejection(a.put('k', bytes('v2')))).toMatchObject({ code: 'unknown-outcome' });
    await a.close();
    const b = await open();
    expect(text((await b.get('k'))!.value)).toBe('v2'); // served: so it must survive a power loss
    fs.crash();
    const c = await open();
    expect(text((await c.get('k'))!.value)).toBe('v2');
    await c.close();
  });

  it('opens on a full disk and serves what the file holds, made durable by syncs (no rewrite)', async () => {
    const { fs, open } = env();
    const a = await open();
    await a.put('k', bytes('v1'));
    await a.close();
    // Every write fails as on a full disk: open must not need one when nothing changed.
    fs.failRandomly({ seed: 1, probability: 1, ops: ['write', 'append', 'truncate'], code: 'no-space' });
    const renamesBefore = fs.opCount('rename');
    const b = await open();
    expect(text((await b.get('k'))!.value)).toBe('v1');
    expect(fs.opCount('rename')).toBe(renamesBefore);
    expect(await rejection(b.put('k', bytes('v2')))).toMatchObject({ code: 'unavailable' });
    await b.close();
    fs.clearFaults();
  });

  it('groups concurrent writes into fewer journal entries and fsyncs; each is acknowledged only once written', async () => {
    const { fs, open } = env();
    const a = await open();
    const renamesBefore = fs.opCount('rename');
    const syncsBefore = fs.opCount('sync');
    const revisions = await Promise.all(Array.from({ length: 50 }, (_, i) => a.put(`k/${i}`, bytes(String(i)))));
    const syncs = fs.opCount('sync') - syncsBefore;
    expect(new Set(revisions).size).toBe(50);
    expect(syncs).toBeLessThanOrEqual(3);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(fs.opCount('rename')).toBe(renamesBefore); // appended, no snapshot
    await a.close();
    const b = await open();
    expect((await b.range('k/')).kvs).toHaveLength(50);
    await b.close();
  });

  it('bounds the requests waiting for the disk: one more is refused unavailable and not applied', async () => {
    const { open } = env();
    const a = await open({ pendingRequestsMax: 2 });
    const first = a.put('k/1', bytes('1'));
    const second = a.put('k/2', bytes('2'));
    const revision = a.revision;
    expect(await rejection(a.put('k/3', bytes('3')))).toMatchObject({ code: 'unavailable' });
    expect(a.revision).toBe(revision);
    await Promise.all([first, second]);
    expect((await a.range('k/')).kvs.map((kv) => kv.key)).toEqual(['k/1', 'k/2']);
    await a.close();
  });

  it('a write costs its change: with 2,000 keys, a put appends one small entry to the journal and rewrites no snapshot', async () => {
    const { fs, open } = env();
    const a = await open();
    for (let i = 0; i < 2_000; i += 100) {
      await a.txn({ compare: [], success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `topics/t${String(i + j).padStart(5, '0')}`, value: new Uint8Array(200) })) });
    }
    const snapshotBytes = (await fs.stat(filePath))!.sizeBytes;
    const journalBefore = (await fs.stat(journalPath))!.sizeBytes;
    const renamesBefore = fs.opCount('rename');
    await a.put('producer-ids', bytes('{"v":1,"blockEnd":2000}'));
    expect(fs.opCount('rename')).toBe(renamesBefore);
    expect((await fs.stat(filePath))!.sizeBytes).toBe(snapshotBytes);
    const appended = (await fs.stat(journalPath))!.sizeBytes - journalBefore;
    expect(appended).toBeGreaterThan(0);
    expect(appended).toBeLessThan(250);
    await a.close();
  });

  it('folds the journal into a new snapshot once it passes its bound, and the journal stays within it', async () => {
    const { fs, open } = env();
    const a = await open({ journalBytesMin: 2_000, journalSnapshotRatio: 2 });
    let renames = fs.opCount('rename');
    let snapshots = 0;
    for (let i = 0; i < 200; i++) {
      await a.put(`k/${i % 20}`, bytes(`value ${i}`));
      const journalBytes = (await fs.stat(journalPath))!.sizeBytes;
      const bound = Math.max(2_000, 2 * (await fs.stat(filePath))!.sizeBytes);
      expect(journalBytes).toBeLessThanOrEqual(bound);
      if (fs.opCount('rename') > renames) {
        snapshots += 1;
        renames = fs.opCount('rename');
      }
    }
    expect(snapshots).toBeGreaterThanOrEqual(3);
    expect(snapshots).toBeLessThan(40);
    const before = await a.range('');
    await a.close();
    const b = await open();
    expect(await b.range('')).toEqual(before);
    await b.close();
  });

  it('discards a torn last journal entry wherever it was cut, cuts it off the file, and appends after it', async () => {
    const { fs, open } = env();
    const a = await open();
    await a.put('k', bytes('kept'));
    const kept = (await fs.stat(journalPath))!.sizeBytes;
    const r = a.revision;
    await a.txn({ compare: [], success: [{ type: 'put', key: 'k', value: bytes('torn') }, { type: 'put', key: 'j', value: bytes('torn') }] });
    await a.close();
    const whole = await fs.readFile(journalPath);
    for (let cut = kept; cut < whole.length; cut += 7) {
      await overwrite(fs, journalPath, whole.subarray(0, cut));
      const b = await open();
      expect({ cut, revision: b.revision, k: text((await b.get('k'))!.value), j: await b.get('j') }).toEqual({ cut, revision: r, k: 'kept', j: null });
      expect((await fs.stat(journalPath))!.sizeBytes).toBe(kept);
      await b.put('k', bytes('after'));
      await b.close();
      const c = await open();
      expect(text((await c.get('k'))!.value)).toBe('after');
      await c.close();
    }
    // A last entry at full length with a changed byte (a sector the disk lost) is torn too, also
    // when the changed byte is in its length (too large, or smaller than the payload: found by
    // the property test's scramble crashes); so is a zero-filled tail.
    const changed = (at: number, mask: number): Uint8Array => Uint8Array.from(whole.subarray(kept), (x, i) => (i === at ? x ^ mask : x));
    for (const tail of [changed(20, 1), changed(0, 0x20), changed(3, 0x01), changed(3, 0x04), new Uint8Array(whole.length - kept)]) {
      await overwrite(fs, journalPath, new Uint8Array([...whole.subarray(0, kept), ...tail]));
      const b = await open();
      expect(text((await b.get('k'))!.value)).toBe('kept');
      expect(b.revision).toBe(r);
      await b.close();
    }
  });

  it('refuses a journal corrupt before its last entry, naming it and the offset, and never drops what follows', async () => {
    const { fs, open } = env();
    const a = await open();
    await a.put('k', bytes('one'));
    const second = (await fs.stat(journalPath))!.sizeBytes;
    await a.put('k', bytes('two'));
    await a.put('k', bytes('three'));
    await a.close();
    const good = await fs.readFile(journalPath);
    const header = good.indexOf(0x0a) + 1;
    const cases: [string, Uint8Array, RegExp][] = [
      ['a flipped byte in the second entry', Uint8Array.from(good, (x, i) => (i === second + 12 ? x ^ 1 : x)), new RegExp(`entry at offset ${second} is corrupt \\(a CRC-32C mismatch\\)`)],
      ['a zeroed length in the first entry', Uint8Array.from(good, (x, i) => (i >= header && i < header + 4 ? 0 : x)), new RegExp(`entry at offset ${header} is corrupt \\(a length of 0 bytes\\)`)],
      ['another header', new Uint8Array([...bytes('samsa-metadata-journal 3 1\n'), ...good.subarray(header)]), /journal format version 3/],
      ['a base newer than the snapshot', new Uint8Array([...bytes('samsa-metadata-journal 2 9\n'), ...good.subarray(header)]), /follows revision 9, newer than the snapshot's 1/],
    ];
    for (const [name, content, reason] of cases) {
      await overwrite(fs, journalPath, content);
      const error = await rejection(open());
      expect({ name, error }).toMatchObject({ name, error: { name: 'LocalMetadataCorruptError', path: journalPath } });
      expect({ name, message: (error as Error).message }).toMatchObject({ name, message: expect.stringMatching(reason) });
      expect(await fs.readFile(journalPath)).toEqual(content); // untouched
    }
  });

  it('starts empty when the snapshot was removed by hand, setting its journal aside (renamed .orphan, not deleted)', async () => {
    const { fs, open } = env();
    const a = await open();
    await a.put('k', bytes('one'));
    await a.put('k', bytes('two'));
    await a.close();
    const journal = await fs.readFile(journalPath);
    await fs.remove(filePath);
    const b = await open();
    expect(b.revision).toBe(1);
    expect(await b.get('k')).toBeNull();
    expect(await fs.readFile(`${journalPath}.orphan`)).toEqual(journal);
    const r = await b.put('j', bytes('new'));
    await b.close();
    fs.crash();
    const c = await open();
    expect(c.revision).toBe(r);
    expect((await c.range('')).kvs.map((kv) => kv.key)).toEqual(['j']);
    await c.close();
  });

  it('skips the journal of an older snapshot (a crash between the snapshot and its new journal)', async () => {
    const { fs, open } = env();
    const a = await open(snapshotEveryWrite);
    await a.put('k', bytes('one'));
    // The second write's snapshot is renamed and synced; the rename of its new journal fails.
    fs.failOn({ op: 'rename', nth: 2, code: 'io' });
    expect(await rejection(a.put('k', bytes('two')))).toMatchObject({ code: 'unknown-outcome' });
    await a.close();
    fs.crash();
    const b = await open();
    expect(text((await b.get('k'))!.value)).toBe('two');
    const r = await b.put('k', bytes('three')); // starts a journal for this snapshot
    await b.close();
    const c = await open();
    expect(text((await c.get('k'))!.value)).toBe('three');
    expect(c.revision).toBe(r);
    await c.close();
  });

  it('makes the journal it reopened durable before serving it (its writer may have died before the fsync)', async () => {
    const { fs, open } = env();
    const a = await open();
    const r = await a.put('k', bytes('v1'));
    await a.close();
    // An entry the last process appended and did not sync.
    const h = await fs.open(journalPath, 'read-write');
    const entry = encodeJournalEntry([journalRevisionJson(r + 1, [{ put: JSON.stringify({ key: 'k', value: btoa('v2'), createRevision: r, modRevision: r + 1, version: 2, lease: null }) }])]);
    await h.write(entry, await h.size());
    await h.close();
    const b = await open();
    expect(text((await b.get('k'))!.value)).toBe('v2'); // served: so it must survive a power loss
    fs.crash();
    const c = await open();
    expect(text((await c.get('k'))!.value)).toBe('v2');
    await c.close();
  });

  it('opens a version 1 file (no journal) even on a full disk, and converts it to a version 2 snapshot and a journal at the first write', async () => {
    const { fs, open } = env();
    const a = await open(snapshotEveryWrite);
    const r = await a.put('k', bytes('from v1'));
    await a.close();
    // A version 1 file has the same layout, header version aside; version 1 had no journal.
    await overwrite(fs, filePath, bytes(text(await fs.readFile(filePath)).replace(/^samsa-metadata-store 2 /, 'samsa-metadata-store 1 ')));
    await fs.remove(journalPath);
    fs.failRandomly({ seed: 1, probability: 1, ops: ['write', 'append', 'truncate'], code: 'no-space' });
    const b = await open();
    expect(text((await b.get('k'))!.value)).toBe('from v1');
    await b.close();
    fs.clearFaults();
    const c = await open();
    expect(c.revision).toBe(r);
    await c.put('j', bytes('new'));
    expect(text(await fs.readFile(filePath))).toMatch(/^samsa-metadata-store 2 /);
    expect(text(await fs.readFile(journalPath))).toMatch(/^samsa-metadata-journal 2 /);
    await c.close();
    const d = await open();
    expect((await d.range('')).kvs.map((kv) => [kv.key, text(kv.value)])).toEqual([
      ['j', 'new'],
      ['k', 'from v1'],
    ]);
    await d.close();
  });

  it('journals the writes committed while a snapshot is being written (the conversion of a version 1 file, a queue overflow)', async () => {
    const { fs, open } = env();
    const a = await open(snapshotEveryWrite);
    await a.put('k', bytes('v1'));
    await a.close();
    await overwrite(fs, filePath, bytes(text(await fs.readFile(filePath)).replace(/^samsa-metadata-store 2 /, 'samsa-metadata-store 1 ')));
    await fs.remove(journalPath);
    const b = await open();
    // The first put starts the conversion's snapshot; the others commit while it is written.
    const revisions = await Promise.all(['a', 'b', 'c'].map((key) => b.put(key, bytes(key))));
    await b.put('d', bytes('d'));
    await b.close();
    const c = await open();
    expect(c.revision).toBe(revisions[2]! + 1);
    expect((await c.range('')).kvs.map((kv) => kv.key)).toEqual(['a', 'b', 'c', 'd', 'k']);
    await c.close();
    // A queue past fileBytesMax is dropped for a snapshot, also while one is in flight.
    const d = await open({ fileBytesMax: 3_000, journalBytesMin: 100_000 });
    const renames = fs.opCount('rename');
    const last = await Promise.all(Array.from({ length: 40 }, (_, i) => d.put('q', new Uint8Array(150).fill(i)))).then((r) => r[39]!);
    expect(fs.opCount('rename')).toBeGreaterThan(renames);
    await d.close();
    const e = await open({ fileBytesMax: 3_000 });
    expect(await e.get('q')).toMatchObject({ modRevision: last, value: new Uint8Array(150).fill(39) });
    await e.close();
  });

  it('holds its directory: a second store on it is refused until the first closes', async () => {
    const { open } = env();
    const a = await open();
    const error = await rejection(open());
    expect(error).toBeInstanceOf(MetadataStoreError);
    expect(error).toMatchObject({ code: 'unavailable' });
    await a.close();
    const b = await open();
    await b.close();
  });
});
