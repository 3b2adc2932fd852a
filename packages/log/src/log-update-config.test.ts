// Log.updateConfig: Kafka's dynamic topic configs reach the open log. Each change is
// observed through behaviour (a roll, a sync, a refused batch, a stamped timestamp), not
// only through the config object.
import { describe, expect, it } from 'vitest';
import { batchTimestampType } from '@samsa/codec';
import { batchOf, memoryEnv, open } from '../test/log-test-support.ts';
import { InvalidArgumentError, RecordTooLargeError } from './errors.ts';

const T0 = 1_700_000_000_000;
const rec = (i: number, value = `v${i}`) => ({ key: `k${i}`, value, timestampMs: T0 + i });

describe('Log.updateConfig', () => {
  it('segment.bytes: the next append rolls at the new size', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    for (let i = 0; i < 10; i++) await log.append(batchOf([rec(i, 'x'.repeat(100))]));
    expect(log.segmentCount).toBe(1);
    log.updateConfig({ segmentBytes: 400 });
    for (let i = 10; i < 20; i++) await log.append(batchOf([rec(i, 'x'.repeat(100))]));
    // ~170-byte batches, at most two per 400-byte segment after the change.
    expect(log.segmentCount).toBeGreaterThanOrEqual(5);
    const bases = log.segmentsSnapshot().map((s) => s.baseOffset);
    expect(bases[0]).toBe(0);
    expect(bases[1]).toBe(10); // the first roll happened at the first append after the change
    await log.close();
  });

  it('segment.ms: a shorter age rolls the active segment on the next append', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    await log.append(batchOf([rec(0)]));
    clock.advance(60_000);
    await log.append(batchOf([rec(1)]));
    expect(log.segmentCount).toBe(1); // default segment.ms is 7 days
    log.updateConfig({ segmentMs: 30_000 });
    await log.append(batchOf([rec(2)]));
    expect(log.segmentsSnapshot().map((s) => s.baseOffset)).toEqual([0, 2]);
    await log.close();
  });

  it('flush policy: none → every-append syncs each append; back to none stops', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    expect((await log.append(batchOf([rec(0)]))).synced).toBe(false);
    expect(log.recoveryPoint).toBe(0);
    log.updateConfig({ flushPolicy: { kind: 'every-append' } });
    const r = await log.append(batchOf([rec(1)]));
    expect(r.synced).toBe(true);
    expect(log.recoveryPoint).toBe(2); // the earlier unsynced append is covered too
    log.updateConfig({ flushPolicy: { kind: 'none' } });
    expect((await log.append(batchOf([rec(2)]))).synced).toBe(false);
    expect(log.recoveryPoint).toBe(2);
    await log.close();
  });

  it('flush policy: an interval timer starts, changes period, and stops with the policy', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    const timersAtOpen = clock.pendingTimers();
    log.updateConfig({ flushPolicy: { kind: 'interval', intervalMs: 1000 } });
    expect(clock.pendingTimers()).toBe(timersAtOpen + 1);
    await log.append(batchOf([rec(0)]));
    await clock.advanceAsync(999);
    expect(log.recoveryPoint).toBe(0);
    await clock.advanceAsync(1);
    expect(log.recoveryPoint).toBe(1);

    log.updateConfig({ flushPolicy: { kind: 'interval', intervalMs: 5000 } });
    expect(clock.pendingTimers()).toBe(timersAtOpen + 1); // replaced, not added
    await log.append(batchOf([rec(1)]));
    await clock.advanceAsync(1000);
    expect(log.recoveryPoint).toBe(1);
    await clock.advanceAsync(4000);
    expect(log.recoveryPoint).toBe(2);

    log.updateConfig({ flushPolicy: { kind: 'none' } });
    expect(clock.pendingTimers()).toBe(timersAtOpen);
    await log.append(batchOf([rec(2)]));
    await clock.advanceAsync(10_000);
    expect(log.recoveryPoint).toBe(2);
    await log.close();
    const timersAfterClose = clock.pendingTimers();
    log.updateConfig({ flushPolicy: { kind: 'interval', intervalMs: 1000 } }); // closed: no timer
    expect(clock.pendingTimers()).toBe(timersAfterClose);
  });

  it('max.message.bytes and message.timestamp.type apply to the next append', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock);
    const big = batchOf([rec(0, 'x'.repeat(500))]);
    await log.append(big);
    log.updateConfig({ maxMessageBytes: 200 });
    await expect(log.append(batchOf([rec(1, 'x'.repeat(500))]))).rejects.toBeInstanceOf(RecordTooLargeError);
    expect(log.logEndOffset).toBe(1); // nothing appended
    log.updateConfig({ maxMessageBytes: 1_000_000, timestampType: 'log-append-time' });
    const r = await log.append(batchOf([rec(1, 'x'.repeat(500))]));
    expect(r.logAppendTimeMs).toBe(clock.wallMs());
    const read = await log.read(1, 10_000);
    expect(batchTimestampType(read.records)).toBe('log-append');
    await log.close();
  });

  it('refuses a bad config and changes nothing; open-time-only settings keep their values', async () => {
    const { fs, clock } = memoryEnv();
    const log = await open(fs, clock, {}, { segmentIndexBytes: 4096 });
    const before = log.config;
    expect(() => log.updateConfig({ segmentBytes: 1 })).toThrow(InvalidArgumentError);
    expect(() => log.updateConfig({ flushPolicy: { kind: 'messages', messages: 0 } })).toThrow(InvalidArgumentError);
    expect(log.config).toBe(before);
    const next = log.updateConfig({ segmentIndexBytes: 96, waitersMax: 1, checkpointIntervalMs: 5, retentionMs: 1234 });
    expect(next).toMatchObject({ segmentIndexBytes: 4096, waitersMax: before.waitersMax, checkpointIntervalMs: before.checkpointIntervalMs, retentionMs: 1234 });
    await log.close();
  });
});
