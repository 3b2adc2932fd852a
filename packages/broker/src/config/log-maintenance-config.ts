/**
 * The broker-level settings of log maintenance, read from server.properties with Kafka's
 * names and defaults (broker-config-defs.ts):
 *
 *   log.retention.check.interval.ms          300000  the log manager's retention task
 *   log.cleaner.enable                       true    run the log cleaner (compaction)
 *   log.cleaner.backoff.ms                   15000   how often the cleaner looks for dirty logs
 *   log.cleaner.dedupe.buffer.size           128 MiB offset map of one cleaning pass
 *   log.flush.offset.checkpoint.interval.ms  60000   recovery-point/start-offset checkpoints
 *
 * Per-topic compaction settings (delete.retention.ms, min.compaction.lag.ms,
 * min.cleanable.dirty.ratio) are topic configs (topic-config.ts) with the
 * log.cleaner.* broker synonyms.
 */
import type { ServerConfig } from './server-config.ts';

export interface LogMaintenanceConfig {
  readonly retentionCheckIntervalMs: number;
  readonly cleanerEnable: boolean;
  readonly cleanerBackoffMs: number;
  readonly cleanerDedupeBufferBytes: number;
  readonly checkpointIntervalMs: number;
}

export function logMaintenanceConfig(server: ServerConfig): LogMaintenanceConfig {
  const num = (key: string): number => server.values.get(key) as number;
  return {
    retentionCheckIntervalMs: num('log.retention.check.interval.ms'),
    cleanerEnable: server.values.get('log.cleaner.enable') as boolean,
    cleanerBackoffMs: num('log.cleaner.backoff.ms'),
    cleanerDedupeBufferBytes: num('log.cleaner.dedupe.buffer.size'),
    checkpointIntervalMs: num('log.flush.offset.checkpoint.interval.ms'),
  };
}
