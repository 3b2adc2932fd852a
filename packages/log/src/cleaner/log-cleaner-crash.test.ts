/**
 * Crash during cleaning, at every file-system operation: the n-th operation of the pass
 * fails, the machine crashes (unsynced bytes and directory changes are lost), the log is
 * reopened (the core's recovery completes or discards the interrupted swap).
 *
 * Invariants after every crash point:
 * - each original segment's offset range holds either exactly its original records or
 *   exactly its cleaned records: never both (no duplicate offsets) and never none;
 * - every record read back is byte-equal to the one appended at that offset;
 * - no `.cleaned` or `.swap` file is left behind.
 */
import { buildRecordBatch, iterateRecords, nextBatchEnd } from '@samsa/codec';
import { ManualClock, MemoryFileSystem } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { Log } from '../log.ts';
import { openLog } from '../open-log.ts';
import { cleanLog } from './log-cleaner.ts';

const DIR = '/data/crashy-0';
const config = { segmentBytes: 400, segmentIndexBytes: 1024, cleanupPolicy: 'compact' as const };
const enc = new TextEncoder();
const dec = new TextDecoder();

type Rec = string; // "offset:key=value"

async function build(): Promise<{ fs: MemoryFileSystem; clock: ManualClock; log: Log; segmentBases: number[]; original: Map<number, Rec> }> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock });
  const log = await openLog({ dir: DIR, fs, clock, config });
  const original = new Map<number, Rec>();
  for (let i = 0; i < 24; i++) {
    const records = [0, 1].map((j) => ({ key: enc.encode(`k${(i * 2 + j) % 5}`), value: enc.encode(`v${i}-${j}`), timestampMs: clock.wallMs() }));
    const { baseOffset } = await log.append(buildRecordBatch(records));
    records.forEach((r, j) => original.set(baseOffset + j, `${baseOffset + j}:${dec.decode(r.key)}=${dec.decode(r.value)}`));
  }
  await log.roll();
  await log.flush();
  return { fs, clock, log, segmentBases: log.segmentsSnapshot().map((s) => s.baseOffset), original };
}

async function readAll(log: Log): Promise<Rec[]> {
  const out: Rec[] = [];
  let offset = log.logStartOffset;
  for (let guard = 0; guard < 1000 && offset < log.logEndOffset; guard++) {
    const { records } = await log.read(offset, 1 << 16);
    if (records.byteLength === 0) break;
    for (let pos = 0; pos < records.byteLength; pos = nextBatchEnd(records, pos)) {
      for (const r of iterateRecords(records, pos)) {
        if (r.offset < offset) continue;
        out.push(`${r.offset}:${dec.decode(r.key!)}=${dec.decode(r.value!)}`);
        offset = r.offset + 1;
      }
    }
  }
  return out;
}

const clean = (log: Log, nowMs: number) => cleanLog(log, { firstDirtyOffset: 0, nowMs, deleteRetentionMs: 0, segmentBytes: 1200, yieldNow: async () => {} });

describe('cleaner crash safety', () => {
  it('leaves every segment either original or cleaned after a crash at any step', async () => {
    const reference = await build();
    const result = await clean(reference.log, reference.clock.wallMs());
    expect(result.groupsSwapped).toBeGreaterThan(1);
    const cleaned = new Set(await readAll(reference.log));
    const offsetOf = (r: Rec): number => Number(r.slice(0, r.indexOf(':')));

    let completed = false;
    let crashPoints = 0;
    for (let nth = 1; nth < 2000 && !completed; nth++) {
      const { fs, clock, log, segmentBases, original } = await build();
      fs.failOn({ op: 'any', nth });
      try {
        await clean(log, clock.wallMs());
        completed = true;
      } catch {
        crashPoints++;
      }
      fs.clearFaults();
      fs.crash();
      const reopened = await openLog({ dir: DIR, fs, clock, config });
      const got = await readAll(reopened);
      const offsets = got.map(offsetOf);
      expect(new Set(offsets).size).toBe(offsets.length);
      for (const r of got) expect(original.get(offsetOf(r))).toBe(r);
      for (let i = 0; i < segmentBases.length; i++) {
        const from = segmentBases[i]!;
        const to = segmentBases[i + 1] ?? Infinity;
        const inRange = (r: Rec): boolean => offsetOf(r) >= from && offsetOf(r) < to;
        const present = got.filter(inRange);
        const wasOriginal = [...original.values()].filter(inRange);
        const wasCleaned = [...cleaned].filter(inRange);
        const ok = JSON.stringify(present) === JSON.stringify(wasOriginal) || JSON.stringify(present) === JSON.stringify(wasCleaned);
        if (!ok) throw new Error(`crash at op ${nth}: segment ${from} holds ${JSON.stringify(present)}`);
      }
      expect((await fs.readDir(DIR)).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toEqual([]);
      await reopened.close();
    }
    expect(completed).toBe(true);
    expect(crashPoints).toBeGreaterThan(10);
  });
});
