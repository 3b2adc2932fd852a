// The record-level API on the memory file system and a ManualClock: appends and offsets,
// serdes, group commit (fewer writes and syncs than appends), durability across a crash,
// reads, tailing with follow and abort, offsetForTime, cursors across restarts and crashes,
// retention, compaction and latestByKey against a model, backpressure, a failed write,
// the directory lock, and the manager.
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { AppenderFailedError } from './group-commit-appender.ts';
import type { LogRecord } from './log-record.ts';
import { openRecordLog, RecordLogLockedError } from './record-log.ts';
import type { RecordLog, RecordLogOptions } from './record-log.ts';
import { openRecordLogs } from './record-log-manager.ts';
import { jsonSerde, stringSerde } from './serde.ts';

const T0 = 1_700_000_000_000;
const DIR = '/app/events';

function env(): { fs: MemoryFileSystem; clock: ManualClock } {
  const clock = new ManualClock({ startWallMs: T0 });
  return { fs: new MemoryFileSystem({ clock }), clock };
}

type Event = { n: number; note?: string };
type Options = Partial<RecordLogOptions<string, Event>>;

function openEvents(e: { fs: MemoryFileSystem; clock: ManualClock }, options: Options = {}): Promise<RecordLog<string, Event>> {
  return openRecordLog<string, Event>(DIR, { runtime: e, keySerde: stringSerde, valueSerde: jsonSerde<Event>(), maintenanceIntervalMs: 0, ...options });
}

async function all(log: RecordLog<string, Event>): Promise<LogRecord<string, Event>[]> {
  const out: LogRecord<string, Event>[] = [];
  for await (const r of log.stream()) out.push(r);
  return out;
}

describe('RecordLog', () => {
  it('appends one or many records with dense offsets and reads them back through the serdes', async () => {
    const e = env();
    const log = await openEvents(e);
    expect(await log.append({ key: 'a', value: { n: 1 } })).toEqual({ offset: 0 });
    expect(await log.append([{ key: 'b', value: { n: 2 }, headers: [{ key: 'h', value: new Uint8Array([7]) }] }, { value: { n: 3 }, timestamp: T0 - 5 }])).toEqual([{ offset: 1 }, { offset: 2 }]);
    expect(await log.append({ key: 'a', value: null })).toEqual({ offset: 3 });
    const read = await log.read({ from: 1, maxRecords: 2 });
    expect(read.map((r) => [r.offset, r.key, r.value, r.timestamp])).toEqual([[1, 'b', { n: 2 }, T0], [2, null, { n: 3 }, T0 - 5]]);
    expect(read[0]!.headers.map((h) => [h.key, [...h.value!]])).toEqual([['h', [7]]]);
    expect((await all(log)).map((r) => r.value)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, null]);
    expect(log.endOffset).toBe(4);
    await log.close();
    await expect(log.append({ value: { n: 9 } })).rejects.toThrow(/closed/);
  });

  it('group commit: 200 concurrent fsync appends take a handful of writes and syncs, each acked at its own offset', async () => {
    const e = env();
    const log = await openEvents(e);
    await log.append({ value: { n: -1 } }, { durability: 'fsync' });
    const writesBefore = e.fs.opCount('write') + e.fs.opCount('append');
    const syncsBefore = e.fs.opCount('sync');
    const acks = await Promise.all(Array.from({ length: 200 }, (_, n) => log.append({ key: `k${n % 7}`, value: { n } }, { durability: 'fsync' })));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 200 }, (_, n) => n + 1));
    expect(e.fs.opCount('write') + e.fs.opCount('append') - writesBefore).toBeLessThanOrEqual(4);
    expect(e.fs.opCount('sync') - syncsBefore).toBeLessThanOrEqual(4);
    expect((await all(log)).slice(1).map((r) => r.value!.n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    await log.close();
  });

  it('after a power loss every fsync-acked append is there; a process crash keeps os-acked ones', async () => {
    const e = env();
    const log = await openEvents(e);
    for (let n = 0; n < 20; n++) await log.append({ value: { n } }, { durability: n % 2 === 0 ? 'fsync' : 'os' });
    const lastFsync = 18;
    await log.append({ value: { n: 20 } }, { durability: 'os' });
    e.fs.crash(); // power loss: unsynced bytes are gone
    const reopened = await openEvents(e);
    const values = (await all(reopened)).map((r) => r.value!.n);
    expect(values.slice(0, lastFsync + 1)).toEqual(Array.from({ length: lastFsync + 1 }, (_, n) => n));
    expect(reopened.endOffset).toBe(values.length);
    await reopened.close();

    // A process crash (the file system survives): an os-acked append is kept.
    const e2 = env();
    const a = await openEvents(e2);
    await a.append({ value: { n: 1 } }, { durability: 'os' });
    const image = e2.fs.clone(); // the files as they are, no power loss; the lock went with the process
    const b = await openRecordLog<string, Event>(DIR, { runtime: { fs: image, clock: e2.clock }, keySerde: stringSerde, valueSerde: jsonSerde<Event>(), maintenanceIntervalMs: 0 });
    expect((await b.read()).map((r) => r.value)).toEqual([{ n: 1 }]);
    await b.close();
    await a.close();
  });

  it("durability 'none' resolves at once with the offset the record then gets", async () => {
    const e = env();
    const log = await openEvents(e, { durability: 'none' });
    const acks = [await log.append({ value: { n: 0 } }), await log.append({ value: { n: 1 } })];
    expect(acks).toEqual([{ offset: 0 }, { offset: 1 }]);
    await log.flush();
    expect((await log.read()).map((r) => [r.offset, r.value!.n])).toEqual([[0, 0], [1, 1]]);
    await log.close();
  });

  it('stream({ follow }) tails new records in order and ends on abort', async () => {
    const e = env();
    const log = await openEvents(e);
    await log.append([{ value: { n: 0 } }, { value: { n: 1 } }]);
    const controller = new AbortController();
    const seen: number[] = [];
    const tail = (async () => {
      for await (const r of log.stream({ from: 1, follow: true, signal: controller.signal })) {
        seen.push(r.value!.n);
        if (seen.length === 4) controller.abort();
      }
    })();
    await log.append({ value: { n: 2 } });
    await log.append([{ value: { n: 3 } }, { value: { n: 4 } }, { value: { n: 5 } }]);
    await tail;
    expect(seen).toEqual([1, 2, 3, 4]);
    await log.close();
  });

  it('offsetForTime finds the first record at or after a timestamp', async () => {
    const e = env();
    const log = await openEvents(e);
    for (let n = 0; n < 10; n++) await log.append({ value: { n }, timestamp: T0 + n * 1000 });
    expect(await log.offsetForTime(T0 + 3500)).toBe(4);
    expect(await log.offsetForTime(T0)).toBe(0);
    expect(await log.offsetForTime(T0 + 60_000)).toBeNull();
    await log.close();
  });

  it('a cursor resumes after its last commit across a restart and a power loss, and never moves back by accident', async () => {
    const e = env();
    let log = await openEvents(e);
    for (let n = 0; n < 10; n++) await log.append({ value: { n } });
    const billing = log.cursor('billing');
    expect(await billing.committed()).toBeNull();
    const first: number[] = [];
    for await (const r of billing.stream()) {
      first.push(r.value!.n);
      await billing.commit(r);
      if (r.value!.n === 5) break;
    }
    expect(first).toEqual([0, 1, 2, 3, 4, 5]);
    await log.close();
    e.fs.crash();
    log = await openEvents(e);
    const again = log.cursor('billing');
    expect(await again.committed()).toBe(6);
    const rest: number[] = [];
    for await (const r of again.stream()) rest.push(r.value!.n);
    expect(rest).toEqual([6, 7, 8, 9]);
    await expect(again.commit(3)).rejects.toThrow(/move it back/);
    await again.commit(3, { allowRewind: true });
    expect(await again.committed()).toBe(3);
    expect(await log.cursors()).toEqual(['billing']);
    await log.deleteCursor('billing');
    expect(await log.cursors()).toEqual([]);
    expect(() => log.cursor('../x')).not.toThrow(); // the name is checked on use
    await expect(log.cursor('../x').committed()).rejects.toThrow(RangeError);
    await log.close();
  });

  it('retention by size deletes whole old segments; readers and cursors continue at the new start', async () => {
    const e = env();
    const log = await openEvents(e, { segmentBytes: 1024, retention: { bytes: 2048 } });
    for (let n = 0; n < 200; n++) await log.append({ value: { n, note: 'x'.repeat(40) } });
    const result = await log.maintain();
    expect(result.segmentsDeleted).toBeGreaterThan(0);
    expect(log.startOffset).toBeGreaterThan(0);
    const left = await all(log);
    expect(left[0]!.offset).toBe(log.startOffset);
    expect(left.map((r) => r.value!.n)).toEqual(Array.from({ length: 200 - log.startOffset }, (_, i) => i + log.startOffset));
    expect((await log.cursor('late').stream().next()).value?.offset).toBe(log.startOffset);
    await log.close();
  });

  it('retention by time deletes segments whose newest record is older than ms', async () => {
    const e = env();
    const log = await openEvents(e, { segmentBytes: 1024, retention: { ms: 60_000 } });
    for (let n = 0; n < 100; n++) await log.append({ value: { n, note: 'y'.repeat(40) }, timestamp: T0 - 3_600_000 });
    await log.engine.roll(); // the new records start a segment of their own
    for (let n = 100; n < 110; n++) await log.append({ value: { n } });
    await log.maintain();
    expect((await all(log)).map((r) => r.value!.n)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    await log.close();
  });

  it('compaction keeps the latest record per key; latestByKey matches a model with tombstones', async () => {
    const e = env();
    const log = await openEvents(e, { segmentBytes: 2048, compaction: { deleteRetentionMs: 0 } });
    const model = new Map<string, number | null>();
    let seed = 42;
    const rand = (m: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % m);
    for (let n = 0; n < 600; n++) {
      const key = `user-${rand(25)}`;
      const tombstone = rand(10) === 0;
      await log.append({ key, value: tombstone ? null : { n } });
      model.set(key, tombstone ? null : n);
    }
    await log.append({ key: 'last', value: { n: 999 } });
    model.set('last', 999);
    const expected = [...model.entries()].filter(([, v]) => v !== null).map(([k, v]) => [k, v]).sort();
    const view = async (): Promise<(string | number)[][]> => {
      const out: (string | number)[][] = [];
      for await (const r of log.latestByKey()) out.push([r.key!, r.value!.n]);
      return out.sort();
    };
    expect(await view()).toEqual(expected);
    const before = (await all(log)).length;
    const result = await log.maintain();
    expect(result.recordsCompactedAway).toBeGreaterThan(400);
    const after = await all(log);
    expect(after.length).toBe(before - result.recordsCompactedAway);
    expect(await view()).toEqual(expected);
    // Offsets survive compaction: every remaining record keeps the offset it was appended at.
    expect(after.every((r, i) => i === 0 || r.offset > after[i - 1]!.offset)).toBe(true);
    await log.close();
  });

  it('backpressure: appends beyond pendingBytesMax wait for the write, and all land in call order', async () => {
    const e = env();
    const log = await openEvents(e, { pendingBytesMax: 600 });
    const acks = await Promise.all(Array.from({ length: 50 }, (_, n) => log.append({ value: { n, note: 'z'.repeat(100) } })));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect((await all(log)).map((r) => r.value!.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    await log.close();
  });

  it('a failed write fails the log for good; reopening recovers every acknowledged append', async () => {
    const e = env();
    const log = await openEvents(e);
    await log.append({ value: { n: 0 } }, { durability: 'fsync' });
    e.fs.failOn({ op: 'any', nth: 1, code: 'no-space' });
    await expect(log.append({ value: { n: 1 } })).rejects.toBeInstanceOf(AppenderFailedError);
    await expect(log.append({ value: { n: 2 } })).rejects.toBeInstanceOf(AppenderFailedError);
    e.fs.clearFaults();
    await log.close().catch(() => {});
    e.fs.crash();
    const reopened = await openEvents(e);
    expect((await reopened.read()).map((r) => r.value!.n)).toEqual([0]);
    expect(await reopened.append({ value: { n: 3 } })).toEqual({ offset: 1 });
    await reopened.close();
  });

  it('one process at a time: a second open of the same directory is refused until the first closes', async () => {
    const e = env();
    const log = await openEvents(e);
    await expect(openEvents(e)).rejects.toBeInstanceOf(RecordLogLockedError);
    await log.close();
    const again = await openEvents(e);
    await again.close();
  });
});

describe('RecordLogManager', () => {
  it('creates, lists, reuses, deletes and closes named logs', async () => {
    const e = env();
    const logs = openRecordLogs<string, string>('/app/logs', { runtime: e, keySerde: stringSerde, valueSerde: stringSerde, maintenanceIntervalMs: 0 });
    expect(await logs.list()).toEqual([]);
    const orders = await logs.create('orders');
    await orders.append({ key: 'o1', value: 'placed' });
    const audit = await logs.open('audit');
    await audit.append({ value: 'login' });
    expect(await logs.open('orders')).toBe(orders);
    expect(await logs.list()).toEqual(['audit', 'orders']);
    await expect(logs.create('orders')).rejects.toThrow(/exists/);
    await expect(logs.open('no/slash')).rejects.toThrow(RangeError);
    expect(await logs.delete('audit')).toBe(true);
    expect(await logs.delete('audit')).toBe(false);
    expect(await logs.list()).toEqual(['orders']);
    await logs.close();
    const reopened = openRecordLogs<string, string>('/app/logs', { runtime: e, keySerde: stringSerde, valueSerde: stringSerde, maintenanceIntervalMs: 0 });
    expect((await (await reopened.open('orders')).read()).map((r) => [r.key, r.value])).toEqual([['o1', 'placed']]);
    await reopened.close();
  });
});
