// The broker's storage-config minimums are @samsa/log's own: resolveLogConfig accepts each
// minimum and rejects one below it, so the validators refuse exactly what the log cannot take.
import { resolveLogConfig } from '@samsa/log';
import { describe, expect, it } from 'vitest';
import { LOG_SEGMENT_BYTES_MIN, LOG_SEGMENT_INDEX_BYTES_MIN, LOG_SEGMENT_MS_MIN } from './log-limits.ts';
import { validateTopicConfig } from './topic-config.ts';

describe('log limits', () => {
  it("match @samsa/log's resolveLogConfig", () => {
    expect(resolveLogConfig({ segmentBytes: LOG_SEGMENT_BYTES_MIN }).segmentBytes).toBe(LOG_SEGMENT_BYTES_MIN);
    expect(() => resolveLogConfig({ segmentBytes: LOG_SEGMENT_BYTES_MIN - 1 })).toThrow(/segmentBytes/);
    expect(resolveLogConfig({ segmentIndexBytes: LOG_SEGMENT_INDEX_BYTES_MIN }).segmentIndexBytes).toBe(LOG_SEGMENT_INDEX_BYTES_MIN);
    expect(() => resolveLogConfig({ segmentIndexBytes: LOG_SEGMENT_INDEX_BYTES_MIN - 1 })).toThrow(/segmentIndexBytes/);
    expect(resolveLogConfig({ segmentMs: LOG_SEGMENT_MS_MIN }).segmentMs).toBe(LOG_SEGMENT_MS_MIN);
    expect(() => resolveLogConfig({ segmentMs: LOG_SEGMENT_MS_MIN - 1 })).toThrow(/segmentMs/);
  });

  it('bound the topic keys that map onto them', () => {
    expect(validateTopicConfig('segment.bytes', String(LOG_SEGMENT_BYTES_MIN))).toBe(String(LOG_SEGMENT_BYTES_MIN));
    expect(() => validateTopicConfig('segment.bytes', String(LOG_SEGMENT_BYTES_MIN - 1))).toThrow(/segment\.bytes/);
    expect(validateTopicConfig('segment.index.bytes', String(LOG_SEGMENT_INDEX_BYTES_MIN))).toBe(String(LOG_SEGMENT_INDEX_BYTES_MIN));
    expect(() => validateTopicConfig('segment.index.bytes', String(LOG_SEGMENT_INDEX_BYTES_MIN - 1))).toThrow(/segment\.index\.bytes/);
    expect(() => validateTopicConfig('segment.ms', '0')).toThrow(/segment\.ms/);
  });
});
