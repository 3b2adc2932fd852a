// Log maintenance settings: Kafka's defaults, overrides, validation, and the per-topic
// compaction keys resolved from their log.cleaner.* synonyms.
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-types.ts';
import { logMaintenanceConfig } from './log-maintenance-config.ts';
import { parseServerConfig } from './server-config.ts';
import { effectiveTopicConfig } from './topic-config.ts';

describe('logMaintenanceConfig', () => {
  it("has Kafka's defaults", () => {
    expect(logMaintenanceConfig(parseServerConfig())).toEqual({
      retentionCheckIntervalMs: 300_000,
      cleanerEnable: true,
      cleanerBackoffMs: 15_000,
      cleanerDedupeBufferBytes: 134_217_728,
      checkpointIntervalMs: 60_000,
    });
    const c = parseServerConfig();
    expect(c.values.get('offsets.topic.segment.bytes')).toBe(104_857_600);
    expect(c.values.get('offsets.retention.check.interval.ms')).toBe(600_000);
  });

  it('takes server.properties values and refuses bad ones', () => {
    const c = parseServerConfig({
      text: 'log.cleaner.backoff.ms=250\nlog.cleaner.enable=false\nlog.cleaner.dedupe.buffer.size=1048576\nlog.flush.offset.checkpoint.interval.ms=5000\nlog.retention.check.interval.ms=1000\nlog.cleaner.threads=2\n',
    });
    expect(logMaintenanceConfig(c)).toEqual({ retentionCheckIntervalMs: 1000, cleanerEnable: false, cleanerBackoffMs: 250, cleanerDedupeBufferBytes: 1_048_576, checkpointIntervalMs: 5000 });
    expect(() => parseServerConfig({ overrides: ['log.cleaner.backoff.ms=0'] })).toThrow(ConfigError);
    expect(() => parseServerConfig({ overrides: ['log.cleaner.dedupe.buffer.size=8'] })).toThrow(ConfigError);
    expect(() => parseServerConfig({ overrides: ['offsets.topic.segment.bytes=0'] })).toThrow(ConfigError);
  });

  it('topic compaction settings default from the broker synonyms and take topic overrides', () => {
    const server = parseServerConfig({ overrides: ['log.cleaner.delete.retention.ms=1000', 'log.cleaner.min.cleanable.ratio=0.25', 'log.segment.delete.delay.ms=10'] });
    const byBroker = effectiveTopicConfig(server, {}, {});
    expect([byBroker.deleteRetentionMs, byBroker.minCompactionLagMs, byBroker.minCleanableDirtyRatio, byBroker.fileDeleteDelayMs]).toEqual([1000, 0, 0.25, 10]);
    const byTopic = effectiveTopicConfig(server, {}, { 'delete.retention.ms': '5', 'min.compaction.lag.ms': '7', 'min.cleanable.dirty.ratio': '0.9', 'file.delete.delay.ms': '0' });
    expect([byTopic.deleteRetentionMs, byTopic.minCompactionLagMs, byTopic.minCleanableDirtyRatio, byTopic.fileDeleteDelayMs]).toEqual([5, 7, 0.9, 0]);
    const kafka = effectiveTopicConfig(parseServerConfig(), {}, {});
    expect([kafka.deleteRetentionMs, kafka.minCompactionLagMs, kafka.minCleanableDirtyRatio, kafka.fileDeleteDelayMs]).toEqual([86_400_000, 0, 0.5, 60_000]);
  });
});
