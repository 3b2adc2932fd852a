// LogManager for a host (the broker): `reconfigure` changes what the cleaner and retention
// read for one log; retention runs on the manager's clock only (never with
// `startMaintenance({ retention: false })`), with each log's current rules, and reports
// every deletion to `onSegmentsDeleted`; a cleaning pass sizes its offset map to its dirty
// bytes (cleanerMapBytesFor).
import { buildRecordBatch } from '@samsa/codec';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { OffsetMap } from '../cleaner/offset-map.ts';
import { advanceAndSettle, openMaintainedManager } from '../../test/log-test-support.ts';
import { cleanerMapBytesFor, LogManager, type SegmentsDeletedEvent } from './log-manager.ts';

const enc = new TextEncoder();
const DAY_MS = 24 * 3600 * 1000;
const batch = (key: string, value: string, timestampMs?: number) =>
  buildRecordBatch([{ key: enc.encode(key), value: enc.encode(value), ...(timestampMs === undefined ? {} : { timestampMs }) }]);

function open(clock: ManualClock): Promise<LogManager> {
  return openMaintainedManager(new MemoryFileSystem({ clock }), clock);
}

describe('LogManager reconfigure / retention for a host', () => {
  it('a delete-policy log reconfigured to compact is cleaned on the next cleaner tick', async () => {
    const clock = new ManualClock();
    const m = await open(clock);
    const table = await m.getOrCreateLog('table', 0, { minCleanableDirtyRatio: 0.1 });
    for (let i = 0; i < 30; i++) await table.append(batch(`k${i % 3}`, `v${i}`));
    await table.roll();
    const before = table.sizeBytes;
    m.startMaintenance({ retention: false });
    await advanceAndSettle(clock, 1000);
    expect(table.sizeBytes).toBe(before); // delete policy: the cleaner skips it
    expect(m.reconfigure('table', 0, { cleanupPolicy: 'compact' })).toBe(true);
    expect(table.config.cleanupPolicy).toBe('compact'); // the open Log's own config
    expect(table.config.minCleanableDirtyRatio).toBe(0.1); // the rest is kept
    await advanceAndSettle(clock, 1000);
    expect(table.sizeBytes).toBeLessThan(before);
    expect(m.firstDirtyOffset(table)).toBe(30);
    expect(m.reconfigure('absent', 0, { cleanupPolicy: 'compact' })).toBe(false);
    expect(() => m.reconfigure('table', 0, { segmentBytes: 1 })).toThrow();
    expect(table.config.segmentBytes).not.toBe(1); // a refused change changes nothing
    await m.close();
  });

  it('startMaintenance({ retention: false }) never deletes; the retention task deletes with each log\'s current rules and reports it to onSegmentsDeleted', async () => {
    const clock = new ManualClock();
    const deletions: SegmentsDeletedEvent[] = [];
    const m = await openMaintainedManager(new MemoryFileSystem({ clock }), clock, { onSegmentsDeleted: (e) => deletions.push(e) });
    const old = clock.wallMs() - 10 * DAY_MS;
    const events = await m.getOrCreateLog('events', 0, { retentionMs: DAY_MS });
    for (let i = 0; i < 10; i++) await events.append(batch(`k${i}`, 'x'.repeat(50), old));
    m.startMaintenance({ retention: false });
    for (let i = 0; i < 3; i++) await advanceAndSettle(clock, 1000);
    expect(events.logStartOffset).toBe(0);
    await m.close();
    // Rules that keep everything delete nothing; a compact-only log is not retained; the
    // log's time rule deletes the old segments on the next tick of the retention task.
    const again = await openMaintainedManager(new MemoryFileSystem({ clock }), clock, { onSegmentsDeleted: (e) => deletions.push(e) });
    const log = await again.getOrCreateLog('events', 0, { retentionMs: -1, retentionBytes: -1 });
    for (let i = 0; i < 10; i++) await log.append(batch(`k${i}`, 'x'.repeat(50), old));
    again.startMaintenance();
    await advanceAndSettle(clock, 1000);
    again.reconfigure('events', 0, { retentionMs: DAY_MS, cleanupPolicy: 'compact' });
    await advanceAndSettle(clock, 1000);
    expect(log.logStartOffset).toBe(0);
    expect(deletions).toEqual([]);
    again.reconfigure('events', 0, { cleanupPolicy: 'delete' });
    await advanceAndSettle(clock, 1000);
    expect(log.logStartOffset).toBe(10);
    expect(deletions).toEqual([{ topic: 'events', partition: 0, deletedSegments: expect.any(Number), logStartOffset: 10, reason: 'retention-ms' }]);
    expect(deletions[0]!.deletedSegments).toBeGreaterThan(0);
    await again.close();
  });

  it('runRetention uses the reconfigured retention.ms', async () => {
    const clock = new ManualClock();
    const m = await open(clock);
    const old = clock.wallMs() - 10 * DAY_MS;
    const events = await m.getOrCreateLog('events', 0, { retentionMs: -1 });
    for (let i = 0; i < 10; i++) await events.append(batch(`k${i}`, 'x'.repeat(50), old));
    expect(await m.runRetention()).toBe(0);
    m.reconfigure('events', 0, { retentionMs: DAY_MS });
    expect(await m.runRetention()).toBeGreaterThan(0);
    expect(events.logStartOffset).toBe(10);
    await m.close();
  });

  it('closeLog waits for the log\'s running cleaning pass, then closes it; close() still marks a clean shutdown', async () => {
    const clock = new ManualClock();
    const fs = new MemoryFileSystem({ clock });
    const m = await LogManager.open({ logDirs: ['/data'], fs, clock, highWatermark: 'log-end', defaultConfig: { segmentIndexBytes: 1024, segmentBytes: 300 } });
    const table = await m.getOrCreateLog('table', 0, { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.1 });
    for (let i = 0; i < 30; i++) await table.append(batch(`k${i % 3}`, `v${i}`));
    await table.roll();
    const before = table.sizeBytes;
    const cleaning = m.runCleaner();
    await m.closeLog('table', 0);
    expect(table.isClosed).toBe(true);
    const results = await cleaning;
    expect(results.length).toBe(1); // the pass finished before the close
    expect(m.getLog('table', 0)).toBe(table);
    await m.closeLog('absent', 0);
    await m.close();
    expect(await fs.stat('/data/.kafka_cleanshutdown')).not.toBeNull();
    const again = await LogManager.open({ logDirs: ['/data'], fs, clock, highWatermark: 'log-end' });
    expect(again.getLog('table', 0)!.sizeBytes).toBeLessThan(before);
    expect(again.getLog('table', 0)!.logEndOffset).toBe(30);
    await again.close();
  });

  it('cleanerMapBytesFor: room for one key per smallest record of the dirty bytes, within [64 KiB, max]', () => {
    const MiB = 1024 * 1024;
    expect(cleanerMapBytesFor(0, 128 * MiB)).toBe(64 * 1024);
    expect(cleanerMapBytesFor(10_000_000_000, 128 * MiB)).toBe(128 * MiB);
    expect(cleanerMapBytesFor(10_000_000, 100_000)).toBe(100_000);
    let previous = 0;
    for (const dirtyBytes of [1, 100, 28_056, 100_000, 1 * MiB, 10 * MiB, 100 * MiB]) {
      const bytes = cleanerMapBytesFor(dirtyBytes, 1024 * MiB);
      expect(bytes).toBeGreaterThanOrEqual(previous);
      previous = bytes;
      if (dirtyBytes <= MiB) expect(new OffsetMap(bytes).entriesMax).toBeGreaterThanOrEqual(Math.ceil(dirtyBytes / 7));
    }
    expect(cleanerMapBytesFor(28_056, 128 * MiB)).toBeLessThan(MiB);
  });
});
