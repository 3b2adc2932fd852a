/**
 * Property tests of planRetention against a list model.
 *
 * Invariants:
 * - the deleted segments are a prefix of the log, in order, and the plan equals a naive
 *   model that applies Kafka's three rules one after the other on a list;
 * - every deleted segment ends at or below the high watermark;
 * - the active segment is never deleted by size, and is deleted by time only when it is
 *   non-empty, and then `rollActiveFirst` is set;
 * - the size rule leaves at least `retention.bytes`;
 * - the new log start offset is the base of the first segment left (or the log end after a
 *   roll), never below the old one;
 * - with `cleanup.policy=compact` only the log-start-offset rule deletes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention, segmentRetentionTimestampMs, type RetentionInput, type SegmentSummary } from './retention-plan.ts';

const inputArb: fc.Arbitrary<RetentionInput> = fc
  .record({
    gaps: fc.array(fc.record({ offsets: fc.integer({ min: 1, max: 50 }), sizeBytes: fc.integer({ min: 0, max: 1000 }), ts: fc.integer({ min: -1, max: 2000 }), mtime: fc.integer({ min: 0, max: 2000 }) }), { minLength: 1, maxLength: 8 }),
    activeOffsets: fc.integer({ min: 0, max: 50 }),
    activeSizePerOffset: fc.integer({ min: 1, max: 100 }),
    activeTs: fc.integer({ min: -1, max: 2000 }),
    firstBase: fc.integer({ min: 0, max: 1000 }),
    lsoShift: fc.integer({ min: 0, max: 400 }),
    hwBack: fc.option(fc.integer({ min: 0, max: 400 })),
    nowMs: fc.integer({ min: 0, max: 3000 }),
    retentionMs: fc.integer({ min: -1, max: 2000 }),
    retentionBytes: fc.integer({ min: -1, max: 5000 }),
    deleteEnabled: fc.boolean(),
  })
  .map((g) => {
    const segments: SegmentSummary[] = [];
    let base = g.firstBase;
    for (const s of g.gaps) {
      segments.push({ baseOffset: base, sizeBytes: s.sizeBytes, largestTimestampMs: s.ts, lastModifiedMs: s.mtime });
      base += s.offsets;
    }
    // The last generated segment is the active one; its size follows its offset count.
    const active = segments.pop()!;
    const logEndOffset = active.baseOffset + g.activeOffsets;
    segments.push({ ...active, sizeBytes: g.activeOffsets * g.activeSizePerOffset, largestTimestampMs: g.activeOffsets === 0 ? -1 : g.activeTs });
    const logStartOffset = Math.min(g.firstBase + g.lsoShift, logEndOffset);
    const highWatermark = g.hwBack === null ? undefined : Math.max(logStartOffset, logEndOffset - g.hwBack);
    return {
      segments,
      logStartOffset,
      logEndOffset,
      ...(highWatermark === undefined ? {} : { highWatermark }),
      nowMs: g.nowMs,
      config: { retentionMs: g.retentionMs, retentionBytes: g.retentionBytes, deleteEnabled: g.deleteEnabled },
    };
  });

/** The model: a list, three passes, `shift()` while the rule holds. */
function model(input: RetentionInput): { deleted: number[]; rolled: boolean } {
  const hw = input.highWatermark ?? input.logEndOffset;
  const list = input.segments.map((s, i) => ({ s, end: input.segments[i + 1]?.baseOffset ?? input.logEndOffset, active: i === input.segments.length - 1 }));
  const deleted: number[] = [];
  const pass = (rule: (e: (typeof list)[number]) => boolean): void => {
    while (list.length > 0 && list[0]!.end <= hw && rule(list[0]!)) deleted.push(list.shift()!.s.baseOffset);
  };
  const { retentionMs, retentionBytes, deleteEnabled } = input.config;
  if (deleteEnabled && retentionMs >= 0) pass((e) => !(e.active && e.s.sizeBytes === 0) && input.nowMs - segmentRetentionTimestampMs(e.s) > retentionMs);
  if (deleteEnabled && retentionBytes >= 0) {
    const total = list.reduce((n, e) => n + e.s.sizeBytes, 0);
    if (total >= retentionBytes) {
      let left = total;
      pass((e) => {
        if (e.active || left - e.s.sizeBytes < retentionBytes) return false;
        left -= e.s.sizeBytes;
        return true;
      });
    }
  }
  pass((e) => !e.active && list[1] !== undefined && list[1].s.baseOffset <= input.logStartOffset);
  return { deleted, rolled: list.length === 0 };
}

describe('planRetention (model)', () => {
  it('matches the list model and keeps its invariants', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planRetention(input);
        const expected = model(input);
        expect([...plan.deleteBaseOffsets]).toEqual(expected.deleted);
        expect(plan.rollActiveFirst).toBe(expected.rolled);
        const n = plan.deleteBaseOffsets.length;
        expect(plan.reasons.length).toBe(n);
        expect([...plan.deleteBaseOffsets]).toEqual(input.segments.slice(0, n).map((s) => s.baseOffset));
        const hw = input.highWatermark ?? input.logEndOffset;
        for (let i = 0; i < n; i++) expect(input.segments[i + 1]?.baseOffset ?? input.logEndOffset).toBeLessThanOrEqual(hw);
        const last = input.segments.length - 1;
        if (plan.rollActiveFirst) {
          expect(plan.reasons[last]).toBe('retention-ms');
          expect(input.segments[last]!.sizeBytes).toBeGreaterThan(0);
          expect(plan.logStartOffset).toBe(Math.max(input.logStartOffset, input.logEndOffset));
        } else {
          expect(plan.logStartOffset).toBe(Math.max(input.logStartOffset, input.segments[n]!.baseOffset));
        }
        const lastBySize = plan.reasons.lastIndexOf('retention-bytes');
        if (lastBySize >= 0) {
          // What the size rule left (the log-start-offset rule may delete more afterwards).
          const keptBytes = input.segments.slice(lastBySize + 1).reduce((a, s) => a + s.sizeBytes, 0);
          expect(keptBytes).toBeGreaterThanOrEqual(input.config.retentionBytes);
        }
        if (!input.config.deleteEnabled) expect(plan.reasons.every((r) => r === 'log-start-offset')).toBe(true);
      }),
    );
  });
});

describe('planRetention (Kafka cases)', () => {
  const seg = (baseOffset: number, sizeBytes: number, largestTimestampMs: number): SegmentSummary => ({ baseOffset, sizeBytes, largestTimestampMs, lastModifiedMs: 0 });
  const config = { retentionMs: 100, retentionBytes: -1, deleteEnabled: true };

  it('deletes old segments by time and keeps a young one', () => {
    const plan = planRetention({ segments: [seg(0, 10, 1), seg(10, 10, 5), seg(20, 10, 950)], logStartOffset: 0, logEndOffset: 30, nowMs: 1000, config });
    expect(plan.deleteBaseOffsets).toEqual([0, 10]);
    expect(plan.logStartOffset).toBe(20);
    expect(plan.rollActiveFirst).toBe(false);
  });

  it('rolls and deletes an expired active segment, but never an empty one', () => {
    const all = planRetention({ segments: [seg(0, 10, 1), seg(10, 10, 5)], logStartOffset: 0, logEndOffset: 15, nowMs: 1000, config });
    expect(all.deleteBaseOffsets).toEqual([0, 10]);
    expect(all.rollActiveFirst).toBe(true);
    expect(all.logStartOffset).toBe(15);
    const empty = planRetention({ segments: [seg(0, 10, 1), seg(10, 0, -1)], logStartOffset: 0, logEndOffset: 10, nowMs: 1000, config });
    expect(empty.deleteBaseOffsets).toEqual([0]);
    expect(empty.rollActiveFirst).toBe(false);
  });

  it('uses the file mtime when no record has a timestamp', () => {
    const s: SegmentSummary = { baseOffset: 0, sizeBytes: 10, largestTimestampMs: -1, lastModifiedMs: 990 };
    const plan = planRetention({ segments: [s, seg(10, 10, 0)], logStartOffset: 0, logEndOffset: 20, nowMs: 1000, config });
    expect(plan.deleteBaseOffsets).toEqual([]);
  });

  it('never deletes the active segment by size, even with retention.bytes=0', () => {
    const plan = planRetention({ segments: [seg(0, 10, 999), seg(10, 10, 999)], logStartOffset: 0, logEndOffset: 20, nowMs: 1000, config: { retentionMs: -1, retentionBytes: 0, deleteEnabled: true } });
    expect(plan.deleteBaseOffsets).toEqual([0]);
    expect(plan.rollActiveFirst).toBe(false);
  });

  it('stops at the high watermark', () => {
    const plan = planRetention({ segments: [seg(0, 10, 1), seg(10, 10, 1), seg(20, 10, 1)], logStartOffset: 0, logEndOffset: 30, highWatermark: 15, nowMs: 1000, config });
    expect(plan.deleteBaseOffsets).toEqual([0]);
  });

  it('deletes below the log start offset even for compacted logs', () => {
    const plan = planRetention({ segments: [seg(0, 10, 1), seg(10, 10, 1), seg(20, 10, 1)], logStartOffset: 25, logEndOffset: 30, nowMs: 1000, config: { retentionMs: -1, retentionBytes: -1, deleteEnabled: false } });
    expect(plan.deleteBaseOffsets).toEqual([0, 10]);
    expect(plan.logStartOffset).toBe(25);
  });
});
