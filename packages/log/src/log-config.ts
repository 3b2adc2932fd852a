/**
 * Per-log configuration: Kafka's topic-level storage configs, camelCased with units last.
 * `resolveLogConfig` fills Kafka's defaults and checks ranges. Retention and compaction
 * settings live here too so one object describes a log; the retention and cleaner modules
 * read them.
 */
import { InvalidArgumentError } from './errors.ts';
import type { FlushPolicy } from './flush-policy.ts';

export type TimestampType = 'create-time' | 'log-append-time';
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface LogConfig {
  /** `segment.bytes`: roll when the active segment would exceed this. */
  readonly segmentBytes: number;
  /** `segment.ms`: roll when the active segment's first timestamp is older than this. */
  readonly segmentMs: number;
  /** `segment.jitter.ms`: subtracted from segment.ms (fixed per log here, no random jitter). */
  readonly segmentJitterMs: number;
  /** `segment.index.bytes`: size each index file is preallocated to; a full index rolls. */
  readonly segmentIndexBytes: number;
  /** `index.interval.bytes`: bytes of batches between two index entries. */
  readonly indexIntervalBytes: number;
  /** `max.message.bytes`: the largest single batch accepted. */
  readonly maxMessageBytes: number;
  /** `message.timestamp.type`. */
  readonly timestampType: TimestampType;
  readonly flushPolicy: FlushPolicy;
  /** `retention.ms`; negative = unlimited. */
  readonly retentionMs: number;
  /** `retention.bytes`; negative = unlimited. */
  readonly retentionBytes: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** `delete.retention.ms`: how long tombstones survive compaction. */
  readonly deleteRetentionMs: number;
  /** `min.compaction.lag.ms`. */
  readonly minCompactionLagMs: number;
  /** `min.cleanable.dirty.ratio`. */
  readonly minCleanableDirtyRatio: number;
  /** `file.delete.delay.ms`: how long `.deleted` files stay before removal. */
  readonly fileDeleteDelayMs: number;
  /** Standalone logs: how often to rewrite the per-dir checkpoints (Kafka's log.flush.offset.checkpoint.interval.ms). */
  readonly checkpointIntervalMs: number;
  /** Bound on concurrent `waitForData` callers. */
  readonly waitersMax: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  timestampType: 'create-time',
  flushPolicy: { kind: 'none' },
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 60_000,
  checkpointIntervalMs: 60_000,
  waitersMax: 10_000,
};

/** Kafka's smallest legal segment (LegacyRecord.RECORD_OVERHEAD_V0 + ...); we use the batch header size. */
const SEGMENT_BYTES_MIN = 64;

export function resolveLogConfig(partial: Partial<LogConfig> = {}): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, ...partial };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new InvalidArgumentError(`bad log config: ${what}`);
  };
  check(Number.isSafeInteger(config.segmentBytes) && config.segmentBytes >= SEGMENT_BYTES_MIN && config.segmentBytes <= 0x7fffffff, `segmentBytes ${config.segmentBytes}`);
  check(Number.isSafeInteger(config.segmentMs) && config.segmentMs >= 1, `segmentMs ${config.segmentMs}`);
  check(Number.isSafeInteger(config.segmentIndexBytes) && config.segmentIndexBytes >= 12 && config.segmentIndexBytes <= 0x7fffffff, `segmentIndexBytes ${config.segmentIndexBytes}`);
  check(Number.isSafeInteger(config.indexIntervalBytes) && config.indexIntervalBytes >= 0, `indexIntervalBytes ${config.indexIntervalBytes}`);
  check(Number.isSafeInteger(config.maxMessageBytes) && config.maxMessageBytes >= 0, `maxMessageBytes ${config.maxMessageBytes}`);
  check(Number.isSafeInteger(config.waitersMax) && config.waitersMax >= 0, `waitersMax ${config.waitersMax}`);
  const p = config.flushPolicy;
  check(p.kind !== 'messages' || (Number.isSafeInteger(p.messages) && p.messages >= 1), 'flushPolicy.messages');
  check(p.kind !== 'interval' || (Number.isSafeInteger(p.intervalMs) && p.intervalMs >= 1), 'flushPolicy.intervalMs');
  return config;
}
