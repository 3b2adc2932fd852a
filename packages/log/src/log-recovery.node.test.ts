/**
 * Recovery on the real filesystem (Node adapter). Property, a few runs each on a fresh
 * temp dir: write a log, shut it down uncleanly (the clean-shutdown marker removed), cut a
 * random segment at a random byte, corrupt an older segment's offset index, delete the
 * recovery-point checkpoint; reopen.
 *
 * Invariants:
 * - the log ends exactly after the last whole batch before the cut; segments after the cut
 *   segment are gone; every remaining record reads back unchanged;
 * - the corrupt index is rebuilt and every index entry agrees with its segment;
 * - appends continue at the new log end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeFileSystem, makeTempDir } from '@samsa/runtime/node';
import { systemClock } from '@samsa/runtime';
import { checkIndexesAgree } from '../test/log-model.ts';
import { batchOf, captureLogger, readAll } from '../test/log-test-support.ts';
import { LOG_CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT_FILE, segmentFilePath } from './file-names.ts';
import { openLog } from './open-log.ts';

const T0 = 1_700_000_000_000;
const CONFIG = { segmentBytes: 3000, segmentIndexBytes: 240, indexIntervalBytes: 200 };

describe('recovery on the Node filesystem', () => {
  it('cuts a torn segment, rebuilds a corrupt index, survives a lost checkpoint', async () => {
    const fs = new NodeFileSystem();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 30, max: 90 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.nat(), fc.integer({ min: 1, max: 0xffff }), async (count, where, cutSeed, garbage) => {
        const root = await makeTempDir('samsa-log-');
        try {
          const dir = `${root}/events-0`;
          const log = await openLog({ dir, fs, clock: systemClock, config: CONFIG });
          for (let i = 0; i < count; i++) await log.append(batchOf([{ key: `k${i}`, value: `value ${i} ${'z'.repeat(i % 37)}`, timestampMs: T0 + i }]));
          const layout: { base: number; batches: { offset: number; end: number }[] }[] = [];
          for (const s of log.segmentsSnapshot()) {
            const batches: { offset: number; end: number }[] = [];
            let next = s.baseOffset;
            await s.forEachBatch((b, position) => {
              batches.push({ offset: next++, end: position + b.byteLength });
              return true;
            });
            layout.push({ base: s.baseOffset, batches });
          }
          await log.close();
          await fs.remove(`${dir}/${LOG_CLEAN_SHUTDOWN_FILE}`);
          await fs.remove(`${root}/${RECOVERY_POINT_CHECKPOINT_FILE}`);

          const victim = layout[Math.floor(where * layout.length)]!;
          const size = victim.batches[victim.batches.length - 1]?.end ?? 0;
          // At least one byte stays: an emptied file looks like a legal empty segment.
          const cutAt = size === 0 ? 0 : 1 + (cutSeed % size);
          const h = await fs.open(segmentFilePath(dir, victim.base, 'log'), 'read-write');
          await h.truncate(cutAt);
          await h.close();
          const expectedEnd = cutAt >= size ? count : victim.base + victim.batches.filter((b) => b.end <= cutAt).length;

          const indexOwner = layout[0]!;
          const ix = await fs.open(segmentFilePath(dir, indexOwner.base, 'index'), 'read-write');
          await ix.write(new Uint8Array([garbage >> 8, garbage & 0xff, 0xff, 0xff, 0x7f, 0, 0, 1]), 0);
          await ix.close();

          const captured = captureLogger();
          const reopened = await openLog({ dir, fs, clock: systemClock, config: CONFIG, logger: captured.logger });
          try {
            expect(reopened.logEndOffset).toBe(expectedEnd);
            if (cutAt < size) expect(reopened.segmentsSnapshot().every((s) => s.baseOffset <= victim.base)).toBe(true);
            const records = await readAll(reopened, 500);
            expect(records.map((r) => r.offset)).toEqual([...Array(expectedEnd).keys()]);
            expect(records.every((r) => r.value.startsWith(`value ${r.offset} `))).toBe(true);
            await checkIndexesAgree(reopened, fs);
            if (cutAt < size) expect(captured.entries.some((e) => e.msg.includes('truncated'))).toBe(true);
            expect((await reopened.append(batchOf([{ key: null, value: 'after', timestampMs: T0 }]))).baseOffset).toBe(expectedEnd);
          } finally {
            await reopened.close();
          }
        } finally {
          await fs.remove(root, { recursive: true });
        }
      }),
      { numRuns: 6 },
    );
  });
});
