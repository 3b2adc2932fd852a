import { describe, expect, it } from 'vitest';
import { batchBaseOffset, batchMaxTimestamp, batchPartitionLeaderEpoch, batchTimestampType, nextBatchEnd } from '@samsa/codec';
import { batchOf, concat, decodeBatches, memoryEnv, open, readAll } from '../test/log-test-support.ts';
import { NonContiguousOffsetError, OffsetOutOfRangeError, RecordTooLargeError, SegmentsChangedError, StaleLeaderEpochError, TooManyWaitersError } from './errors.ts';

const T0 = 1_700_000_000_000;
const rec = (i: number) => ({ key: `k${i}`, value: `v${i}`, timestampMs: T0 + i });

describe('follower appends', () => {
  it('keep the leader offsets and epochs and must continue the log end', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, {});
    const r = await log.appendAsFollower(concat([batchOf([rec(0), rec(1)], { baseOffset: 0, leaderEpoch: 2 }), batchOf([rec(2)], { baseOffset: 2, leaderEpoch: 3 })]));
    expect([r.baseOffset, r.lastOffset]).toEqual([0, 2]);
    expect(log.epochEntries()).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    await expect(log.appendAsFollower(batchOf([rec(5)], { baseOffset: 5 }))).rejects.toBeInstanceOf(NonContiguousOffsetError);
    await expect(log.appendAsFollower(batchOf([rec(1)], { baseOffset: 1 }))).rejects.toBeInstanceOf(NonContiguousOffsetError);
    expect(log.logEndOffset).toBe(3);
    const gap = await log.appendAsFollower(batchOf([rec(9)], { baseOffset: 9, leaderEpoch: 3 }), { allowGaps: true });
    expect(gap.baseOffset).toBe(9);
    expect(log.logEndOffset).toBe(10);
    expect((await readAll(log)).map((x) => x.offset)).toEqual([0, 1, 2, 9]);
    // Follower truncation by epoch (KIP-279): the leader says epoch 2 ended at 2.
    await log.truncateTo(log.endOffsetForEpoch(2).endOffset);
    expect(log.logEndOffset).toBe(2);
    expect(log.latestEpoch()).toBe(2);
    // An epoch assigned at become-leader with nothing appended in it starts at the log end:
    // a truncation to the log end removes no batch but drops that epoch (KIP-320 steps).
    await log.assignEpochStartOffset(7, 2);
    expect(log.latestEpoch()).toBe(7);
    expect(await log.truncateTo(2)).toBe(false);
    expect(log.latestEpoch()).toBe(2);
    expect(log.logEndOffset).toBe(2);
    await log.close();
  });
});

describe('offsets beyond int32', () => {
  it('rolls when a relative offset would overflow int32 and serves offsets above 2^32', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0)]));
    const far = 2 ** 31 + 10;
    await log.appendAsFollower(batchOf([rec(1)], { baseOffset: far }), { allowGaps: true });
    expect(log.segmentsSnapshot().map((s) => s.baseOffset)).toEqual([0, far]);
    await log.truncateFullyAndStartAt(2 ** 40);
    const r = await log.append(batchOf([rec(2), rec(3)]));
    expect([r.baseOffset, r.lastOffset]).toEqual([2 ** 40, 2 ** 40 + 1]);
    await log.close();
    const reopened = await open(fs, clock);
    expect((await readAll(reopened)).map((x) => x.offset)).toEqual([2 ** 40, 2 ** 40 + 1]);
    expect((await reopened.offsetForTimestamp(T0 + 3))?.offset).toBe(2 ** 40 + 1);
    await reopened.close();
  });
});

describe('leader appends', () => {
  it('stamp the leader epoch and, for log-append-time topics, the append time', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { timestampType: 'log-append-time' });
    const bytes = batchOf([rec(0), rec(1)]);
    const r = await log.append(bytes, { leaderEpoch: 7 });
    expect(r.logAppendTimeMs).toBe(clock.wallMs());
    const read = (await log.read(0, 1000)).records;
    expect(batchPartitionLeaderEpoch(read, 0)).toBe(7);
    expect(batchTimestampType(read, 0)).toBe('log-append');
    expect(batchMaxTimestamp(read, 0)).toBe(clock.wallMs());
    expect(decodeBatches(read).records.map((x) => x.timestampMs)).toEqual([clock.wallMs(), clock.wallMs()]);
    await log.close();
  });

  it('reject a batch above max.message.bytes', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { maxMessageBytes: 100 });
    await expect(log.append(batchOf([{ key: null, value: 'x'.repeat(200), timestampMs: T0 }]))).rejects.toBeInstanceOf(RecordTooLargeError);
    await log.close();
  });
});

describe('segment.ms', () => {
  it('rolls once the first batch is older than segment.ms, also after a restart', async () => {
    const { fs, clock } = memoryEnv();
    let log = await open(fs, clock, {}, { segmentMs: 60_000 });
    await log.append(batchOf([{ key: null, value: 'a', timestampMs: clock.wallMs() }]));
    await log.close();
    log = await open(fs, clock, {}, { segmentMs: 60_000 });
    clock.advance(30_000);
    await log.append(batchOf([{ key: null, value: 'b', timestampMs: clock.wallMs() }]));
    expect(log.segmentCount).toBe(1);
    clock.advance(30_001);
    await log.append(batchOf([{ key: null, value: 'c', timestampMs: clock.wallMs() }]));
    expect(log.segmentsSnapshot().map((s) => s.baseOffset)).toEqual([0, 2]);
    await log.close();
  });
});

describe('reads', () => {
  it('stop at maxOffset (high watermark) and return at least one whole batch', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, { highWatermark: 'manual' }, {});
    for (let i = 0; i < 10; i++) await log.append(batchOf([rec(2 * i), rec(2 * i + 1)]));
    expect(log.highWatermark).toBe(0);
    log.updateHighWatermark(6);
    const capped = decodeBatches((await log.read(0, 100_000, { maxOffset: log.highWatermark })).records);
    expect(capped.records.map((x) => x.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    const tiny = decodeBatches((await log.read(3, 1)).records);
    expect(tiny.batches).toEqual([{ base: 2, last: 3 }]);
    expect((await log.read(3, 1, { minOneMessage: false })).records.byteLength).toBe(0);
    await log.close();
  });
});

describe('deleteRecordsBefore', () => {
  it('moves the log start offset and deletes wholly covered segments after the delay', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    for (let i = 0; i < 300; i++) await log.append(batchOf([rec(i)]));
    const segments = log.segmentsSnapshot();
    expect(segments.length).toBeGreaterThan(3);
    const cut = segments[2]!.baseOffset + 1;
    expect(await log.deleteRecordsBefore(cut)).toBe(cut);
    expect(log.segmentsSnapshot()[0]!.baseOffset).toBe(segments[2]!.baseOffset);
    await expect(log.read(cut - 1, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await readAll(log))[0]!.offset).toBe(cut);
    const deleted = (await fs.readDir('/data/events-0')).filter((n) => n.endsWith('.deleted'));
    expect(deleted.length).toBe(6); // two segments, three files each
    clock.advance(1000);
    for (let i = 0; i < 50 && (await fs.readDir('/data/events-0')).some((n) => n.endsWith('.deleted')); i++) await new Promise((r) => setTimeout(r, 0));
    expect((await fs.readDir('/data/events-0')).filter((n) => n.endsWith('.deleted'))).toEqual([]);
    await log.close();
    const text = new TextDecoder().decode(await fs.readFile('/data/log-start-offset-checkpoint'));
    expect(text).toBe(`0\n1\nevents 0 ${cut}\n`);
    const reopened = await open(fs, clock);
    expect(reopened.logStartOffset).toBe(cut);
    await reopened.close();
  });
});

describe('waiting for data', () => {
  it('wakes on append, times out on the clock, honours abort and the bound', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { waitersMax: 2 });
    const events: number[] = [];
    const off = log.onAppend((e) => events.push(e.logEndOffset));
    const woken = log.waitForData(0, 10_000);
    const timedOut = log.waitForData(5, 500);
    await expect(log.waitForData(9, 500)).rejects.toBeInstanceOf(TooManyWaitersError);
    await log.append(batchOf([rec(0)]));
    expect(await woken).toBe(true);
    clock.advance(500);
    expect(await timedOut).toBe(false);
    const controller = new AbortController();
    const aborted = log.waitForData(5, 10_000, { signal: controller.signal });
    controller.abort();
    expect(await aborted).toBe(false);
    expect(await log.waitForData(0, 0)).toBe(true);
    off();
    await log.append(batchOf([rec(1)]));
    expect(events).toEqual([1]);
    const pending = log.waitForData(100, 10_000);
    await log.close();
    expect(await pending).toBe(false);
  });

  it('bounds waiters over both watermarks together: one past waitersMax is answered at once with TooManyWaitersError', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, { highWatermark: 'manual' }, { waitersMax: 2 });
    await log.append(batchOf([rec(0)]));
    const follower = log.waitForData(1, 10_000); // log end
    const consumer = log.waitForData(0, 10_000, { watermark: 'high-watermark' });
    await expect(log.waitForData(0, 10_000, { watermark: 'high-watermark' })).rejects.toMatchObject({ code: 'too-many-waiters' });
    await expect(log.waitForData(1, 10_000)).rejects.toBeInstanceOf(TooManyWaitersError);
    // Answered at once without a slot: data already there, or no time to wait.
    expect(await log.waitForData(0, 10_000)).toBe(true);
    expect(await log.waitForData(5, 0, { watermark: 'high-watermark' })).toBe(false);
    log.updateHighWatermark(1);
    expect(await consumer).toBe(true);
    // The freed slot takes a new waiter.
    const again = log.waitForData(1, 10_000, { watermark: 'high-watermark' });
    await log.append(batchOf([rec(1)]));
    expect(await follower).toBe(true);
    log.updateHighWatermark(2);
    expect(await again).toBe(true);
    await log.close();
  });
});

describe('segment swap (compaction)', () => {
  it('abandons a pass whose segments left the log, and the log stays writable', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0), rec(1)]));
    await log.roll();
    await log.append(batchOf([rec(2)]));
    const [oldest] = log.segmentsSnapshot();
    const cleaned = await log.createCleanedSegment(oldest!.baseOffset);
    await log.truncateFullyAndStartAt(10);
    await expect(log.replaceSegments(cleaned, [oldest!])).rejects.toBeInstanceOf(SegmentsChangedError);
    expect(log.isOffline).toBe(false);
    const r = await log.append(batchOf([rec(3)]));
    expect(r.baseOffset).toBe(10);
    await cleaned.deleteFiles();
    await log.close();
  });

  it('serves every offset while a swap is in flight', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0), rec(1)]));
    await log.append(batchOf([rec(2)]));
    await log.roll();
    await log.append(batchOf([rec(3)]));
    const [oldest] = log.segmentsSnapshot();
    const cleaned = await log.createCleanedSegment(oldest!.baseOffset);
    const first = await log.read(0, 1 << 20);
    const kept = first.records.slice();
    await cleaned.append(kept, { lastOffset: 2, maxTimestamp: T0 + 2, offsetOfMaxTimestamp: 2 });
    const swapping = log.replaceSegments(cleaned, [oldest!]);
    const during: number[][] = [];
    for (let i = 0; i < 20; i++) during.push((await readAll(log)).map((x) => x.offset));
    await swapping;
    for (const offsets of during) expect(offsets).toEqual([0, 1, 2, 3]);
    expect((await readAll(log)).map((x) => x.offset)).toEqual([0, 1, 2, 3]);
    await log.close();
  });
});

describe('leader epochs on leader appends', () => {
  it('stamps the epoch in place (the CRC still holds), records its start once, and refuses an older epoch', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0), rec(1)]), { leaderEpoch: 4 });
    await log.append(batchOf([rec(2)]), { leaderEpoch: 4 });
    await log.append(batchOf([rec(3)]), { leaderEpoch: 6 });
    expect(log.epochEntries()).toEqual([
      { epoch: 4, startOffset: 0 },
      { epoch: 6, startOffset: 3 },
    ]);
    const bytes = (await log.read(0, 1 << 20)).records;
    expect(decodeBatches(bytes).batches).toEqual([{ base: 0, last: 1 }, { base: 2, last: 2 }, { base: 3, last: 3 }]); // validates each CRC-32C
    expect([0, 2, 3].map((o) => batchPartitionLeaderEpoch(bytes, positionOfBatch(bytes, o)))).toEqual([4, 4, 6]);
    expect(log.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 4, endOffset: 3 });
    expect(log.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 4, endOffset: 3 });
    expect(log.endOffsetForEpoch(6)).toEqual({ leaderEpoch: 6, endOffset: 4 });
    expect(log.endOffsetForEpoch(7)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    // A replaced leader (epoch 5 < 6) writes nothing and leaves the history alone.
    await expect(log.append(batchOf([rec(4)]), { leaderEpoch: 5 })).rejects.toBeInstanceOf(StaleLeaderEpochError);
    expect(log.logEndOffset).toBe(4);
    expect(log.latestEpoch()).toBe(6);
    await log.close();
  });
});

function positionOfBatch(bytes: Uint8Array, baseOffset: number): number {
  for (let pos = 0; pos < bytes.byteLength; pos = nextBatchEnd(bytes, pos)) if (batchBaseOffset(bytes, pos) === baseOffset) return pos;
  throw new Error(`no batch at ${baseOffset}`);
}
