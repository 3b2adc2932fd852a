// A clean-shutdown marker that contradicts the files (issue 11, defect 2): a marker and
// checkpoints written by a process whose view was stale (a second broker on a live dir),
// or segment files changed by hand. The log is recovered from its files with a warning
// on its first getOrCreateLog, instead of going offline on first use (which made the
// broker refuse to start). Checks: the recovered end is the files' end, every record in
// the files is readable, appends continue there, the warning names the dir and both ends.
import { describe, expect, it } from 'vitest';
import { batchOf, captureLogger, memoryEnv, readAll } from '../../test/log-test-support.ts';
import { writeOffsetCheckpoint } from '../checkpoint-file.ts';
import { RECOVERY_POINT_CHECKPOINT_FILE } from '../file-names.ts';
import { LogManager } from './log-manager.ts';

const T0 = 1_700_000_000_000;
const rec = (i: number) => ({ key: `k${i}`, value: `value-${i}`, timestampMs: T0 + i });
const SEGMENT = '/data/events-0/00000000000000000000.log';

async function tenRecordsClosedCleanly() {
  const { fs, clock } = memoryEnv();
  const captured = captureLogger();
  const open = () => LogManager.open({ logDirs: ['/data'], fs, clock, logger: captured.logger, highWatermark: 'log-end', defaultConfig: { segmentIndexBytes: 1024, indexIntervalBytes: 64 } });
  const m = await open();
  const log = await m.getOrCreateLog('events', 0);
  const sizeAfter: number[] = [];
  for (let i = 0; i < 10; i++) {
    await log.append(batchOf([rec(i)]));
    sizeAfter.push(log.sizeBytes);
  }
  await m.close();
  expect(await fs.stat('/data/.kafka_cleanshutdown')).not.toBeNull();
  return { fs, open, captured, sizeAfter };
}

describe('LogManager: clean-shutdown marker contradicted by the files', () => {
  it('segment shorter than the marker says: opens by recovery, warns, keeps the data, appends continue', async () => {
    const { fs, open, captured, sizeAfter } = await tenRecordsClosedCleanly();
    // The files lost the last four batches (offsets 6..9) after the marker was written.
    const handle = await fs.open(SEGMENT, 'read-write');
    await handle.truncate(sizeAfter[5]!);
    await handle.close();

    const m = await open();
    const log = await m.getOrCreateLog('events', 0);
    expect(log.isOffline).toBe(false);
    expect(log.logEndOffset).toBe(6);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await log.append(batchOf([rec(6)]))).baseOffset).toBe(6);
    expect(m.getLog('events', 0)).toBe(log);
    const warning = captured.entries.find((e) => e.level === 'warn' && e.msg.includes('contradicts the log files'));
    expect(warning?.obj).toMatchObject({ dir: '/data/events-0', checkpointedEndOffset: 10, segmentEndOffset: 6 });
    await m.close();

    // And the next clean restart trusts the new marker again.
    const again = await open();
    const reopened = await again.getOrCreateLog('events', 0);
    expect(reopened.logEndOffset).toBe(7);
    expect((await readAll(reopened)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await again.close();
  });

  it('checkpoint older than the files (a stale process wrote it): recovers the real end, nothing handed out twice', async () => {
    const { fs, open, captured } = await tenRecordsClosedCleanly();
    await writeOffsetCheckpoint(fs, `/data/${RECOVERY_POINT_CHECKPOINT_FILE}`, [{ topic: 'events', partition: 0, offset: 7 }]);

    const m = await open();
    const log = await m.getOrCreateLog('events', 0);
    expect(log.logEndOffset).toBe(10);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([...Array(10).keys()]);
    expect((await log.append(batchOf([rec(10)]))).baseOffset).toBe(10);
    expect(captured.entries.some((e) => e.level === 'warn' && e.msg.includes('contradicts the log files'))).toBe(true);
    await m.close();
  });

  it('a marker that matches the files is checked once and changes nothing', async () => {
    const { open, captured } = await tenRecordsClosedCleanly();
    const m = await open();
    const log = await m.getOrCreateLog('events', 0);
    expect(await m.getOrCreateLog('events', 0)).toBe(log);
    expect(log.logEndOffset).toBe(10);
    expect(captured.entries.filter((e) => e.level === 'warn')).toEqual([]);
    await m.close();
  });
});
