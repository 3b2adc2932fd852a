// legacyOffsetsBefore against Kafka's legacy rule, case by case.
import { describe, expect, it } from 'vitest';
import { LEGACY_OFFSETS_MAX, legacyOffsetsBefore, type LegacyOffsetsInput } from './list-offsets-v0.ts';

// Three segments modified at t=100, 200, 300; the active one holds data; now = 400.
const base: LegacyOffsetsInput = {
  segments: [
    { baseOffset: 0, sizeBytes: 10, lastModifiedMs: 100 },
    { baseOffset: 10, sizeBytes: 10, lastModifiedMs: 200 },
    { baseOffset: 20, sizeBytes: 10, lastModifiedMs: 300 },
  ],
  logStartOffset: 0,
  logEndOffset: 25,
  highWatermark: 25,
  nowMs: 400,
  timestamp: -1,
  maxNumOffsets: 100,
  fromConsumer: true,
};

describe('legacyOffsetsBefore (ListOffsets v0)', () => {
  it('latest: the log end first, then every segment base, newest first, at most max_num_offsets', () => {
    expect(legacyOffsetsBefore(base)).toEqual([25, 20, 10, 0]);
    expect(legacyOffsetsBefore({ ...base, maxNumOffsets: 1 })).toEqual([25]);
    expect(legacyOffsetsBefore({ ...base, maxNumOffsets: 2 })).toEqual([25, 20]);
  });

  it('earliest: the first segment base, raised to the log start offset', () => {
    expect(legacyOffsetsBefore({ ...base, timestamp: -2 })).toEqual([0]);
    expect(legacyOffsetsBefore({ ...base, timestamp: -2, logStartOffset: 4 })).toEqual([4]);
  });

  it('by time: from the last candidate modified at or before it; none before the first', () => {
    expect(legacyOffsetsBefore({ ...base, timestamp: 250 })).toEqual([10, 0]);
    expect(legacyOffsetsBefore({ ...base, timestamp: 300 })).toEqual([20, 10, 0]);
    expect(legacyOffsetsBefore({ ...base, timestamp: 500 })).toEqual([25, 20, 10, 0]);
    expect(legacyOffsetsBefore({ ...base, timestamp: 99 })).toEqual([]);
  });

  it('an empty active segment adds no log-end candidate', () => {
    const segments = [...base.segments.slice(0, 2), { baseOffset: 20, sizeBytes: 0, lastModifiedMs: 300 }];
    expect(legacyOffsetsBefore({ ...base, segments, logEndOffset: 20, highWatermark: 20 })).toEqual([20, 10, 0]);
  });

  it('a consumer never sees past the high watermark; a replica does', () => {
    expect(legacyOffsetsBefore({ ...base, highWatermark: 22 })).toEqual([22, 20, 10, 0]);
    expect(legacyOffsetsBefore({ ...base, highWatermark: 22, fromConsumer: false })).toEqual([25, 20, 10, 0]);
  });

  it('a huge or negative max_num_offsets is bounded', () => {
    const segments = Array.from({ length: 3000 }, (_, i) => ({ baseOffset: i, sizeBytes: 1, lastModifiedMs: i }));
    expect(legacyOffsetsBefore({ ...base, segments, logEndOffset: 3000, highWatermark: 3000, maxNumOffsets: 2 ** 31 - 1 })).toHaveLength(LEGACY_OFFSETS_MAX);
    expect(legacyOffsetsBefore({ ...base, maxNumOffsets: -5 })).toEqual([]);
  });
});
