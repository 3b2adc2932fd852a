// enforceRetention against the real Log on the memory file system (ManualClock time).
import { buildRecordBatch } from '@samsa/codec';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { openLog } from '../open-log.ts';
import { enforceRetention, retentionConfigOf } from './enforce-retention.ts';

const DIR = '/data/events-0';
const value = new Uint8Array(100);

async function setup(config: Record<string, unknown>) {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock });
  const log = await openLog({ dir: DIR, fs, clock, config: { segmentBytes: 1024, segmentIndexBytes: 4096, fileDeleteDelayMs: 1000, ...config } });
  return { clock, fs, log };
}

/** Appends `n` single-record batches with the given timestamp (keyed: compacted logs refuse keyless records). */
async function appendAt(log: Awaited<ReturnType<typeof openLog>>, n: number, timestampMs: number): Promise<void> {
  for (let i = 0; i < n; i++) await log.append(buildRecordBatch([{ key: value, value, timestampMs }]));
}

describe('enforceRetention on a Log', () => {
  it('deletes segments older than retention.ms and moves the log start offset', async () => {
    const { clock, fs, log } = await setup({ retentionMs: 10_000 });
    const t0 = clock.wallMs();
    await appendAt(log, 20, t0 - 60_000); // old: several segments
    await appendAt(log, 3, t0); // young, in the segment being written
    await log.roll();
    await appendAt(log, 2, t0);
    const before = await log.segmentInfos();
    expect(before.length).toBeGreaterThan(3);
    const result = await enforceRetention(log, retentionConfigOf(log.config), t0);
    expect(result.plan.reasons.every((r) => r === 'retention-ms')).toBe(true);
    expect(result.deletedSegments).toBe(result.plan.deleteBaseOffsets.length);
    expect(result.deletedSegments).toBeGreaterThan(0);
    // Only segments with a young record survive, and reads start at the new log start offset.
    const after = await log.segmentInfos();
    expect(after.every((s) => s.largestTimestampMs === -1 || s.largestTimestampMs >= t0 - 10_000)).toBe(true);
    expect(log.logStartOffset).toBe(after[0]!.baseOffset);
    const read = await log.read(log.logStartOffset, 1 << 20);
    expect(read.records.byteLength).toBeGreaterThan(0);
    // Files went to .deleted and are removed after file.delete.delay.ms.
    const names = await fs.readDir(DIR);
    expect(names.some((n) => n.endsWith('.log.deleted'))).toBe(true);
    await clock.advanceAsync(1000);
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect((await fs.readDir(DIR)).some((n) => n.endsWith('.deleted'))).toBe(false);
    await log.close();
  });

  it('keeps the newest retention.bytes and never deletes the active segment by size', async () => {
    const { clock, log } = await setup({ retentionMs: -1, retentionBytes: 2048 });
    await appendAt(log, 40, clock.wallMs());
    const result = await enforceRetention(log, retentionConfigOf(log.config), clock.wallMs());
    expect(result.deletedSegments).toBeGreaterThan(0);
    expect(log.sizeBytes).toBeGreaterThanOrEqual(2048);
    const infos = await log.segmentInfos();
    expect(infos.slice(1).reduce((n, s) => n + s.sizeBytes, 0)).toBeLessThan(2048);
    expect(log.logEndOffset).toBe(40);
    await log.close();
  });

  it('rolls and deletes an expired active segment, leaving an empty log at the end offset', async () => {
    const { clock, log } = await setup({ retentionMs: 1000 });
    await appendAt(log, 3, clock.wallMs() - 5000);
    const result = await enforceRetention(log, retentionConfigOf(log.config), clock.wallMs());
    expect(result.plan.rollActiveFirst).toBe(true);
    expect(log.logStartOffset).toBe(3);
    expect(log.logEndOffset).toBe(3);
    expect(log.segmentCount).toBe(1);
    await log.close();
  });

  it('leaves compacted logs alone except below the log start offset', async () => {
    const { clock, log } = await setup({ retentionMs: 1000, cleanupPolicy: 'compact' });
    await appendAt(log, 20, clock.wallMs() - 5000);
    expect(retentionConfigOf(log.config).deleteEnabled).toBe(false);
    expect((await enforceRetention(log, retentionConfigOf(log.config), clock.wallMs())).deletedSegments).toBe(0);
    await log.close();
  });
});
