/**
 * SamsaLogStore: the PartitionLogStore over @samsa/log — each partition is a standalone
 * `openLog` in `<log.dirs[0]>/<topic>-<partition>/` (Kafka's on-disk layout). Standalone
 * logs keep the per-dir checkpoint files themselves and write their clean-shutdown marker
 * on `close()`, so a clean broker shutdown means no recovery scan on the next start.
 *
 * Deleting a partition: the directory is first renamed to `<topic>-<partition>.<id>-delete`
 * (atomic; Kafka's convention), then removed recursively, so a crash mid-delete never
 * leaves a half-deleted log under its live name. Stray `-delete` dirs are removed on start.
 *
 * The leader epoch stamped into every appended batch is 0: this single node is the
 * partition leader forever.
 */
import { flushPolicyFromKafka, openLog, planRetention } from '@samsa/log';
import type { Log, LogConfig } from '@samsa/log';
import { joinPath } from '@samsa/runtime';
import type { Clock, FileSystem } from '@samsa/runtime';
import type { Logger } from '../observability/logger.ts';
import type { AppendResult, PartitionLog, PartitionLogConfig, PartitionLogStore, RetentionRules, TimestampLookup } from './partition-log.ts';

const LEADER_EPOCH = 0;
const DELETE_SUFFIX = '-delete';

export function toSamsaLogConfig(c: PartitionLogConfig): Partial<LogConfig> {
  const policy = c.cleanupPolicy.includes('compact') ? (c.cleanupPolicy.includes('delete') ? 'compact,delete' : 'compact') : 'delete';
  return {
    segmentBytes: Math.max(64, c.segmentBytes),
    segmentMs: c.segmentMs,
    segmentIndexBytes: Math.max(12, c.segmentIndexBytes),
    indexIntervalBytes: c.indexIntervalBytes,
    maxMessageBytes: c.maxMessageBytes,
    timestampType: c.logAppendTime ? 'log-append-time' : 'create-time',
    flushPolicy: flushPolicyFromKafka(c.flushMessages, c.flushMs),
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    cleanupPolicy: policy,
  };
}

class SamsaPartitionLog implements PartitionLog {
  readonly log: Log;
  constructor(log: Log) {
    this.log = log;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get sizeBytes(): number {
    return this.log.sizeBytes;
  }
  async append(batches: Uint8Array): Promise<AppendResult> {
    const r = await this.log.append(batches, { leaderEpoch: LEADER_EPOCH });
    return { baseOffset: r.baseOffset, lastOffset: r.lastOffset, logAppendTimeMs: r.logAppendTimeMs };
  }
  async read(offset: number, maxBytes: number): Promise<Uint8Array> {
    return (await this.log.read(offset, maxBytes)).records;
  }
  async offsetForTimestamp(timestampMs: number): Promise<TimestampLookup | null> {
    const found = await this.log.offsetForTimestamp(timestampMs);
    return found === null ? null : { offset: found.offset, timestampMs: found.timestamp };
  }
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.log.deleteRecordsBefore(offset);
  }
  flush(): Promise<void> {
    return this.log.flush();
  }
  async enforceRetention(rules: RetentionRules, nowMs: number): Promise<number> {
    const plan = planRetention({
      segments: await this.log.segmentInfos(),
      logStartOffset: this.log.logStartOffset,
      logEndOffset: this.log.logEndOffset,
      highWatermark: this.log.highWatermark,
      nowMs,
      config: rules,
    });
    if (plan.deleteBaseOffsets.length === 0) return 0;
    return this.log.deleteSegments(plan.deleteBaseOffsets, [...new Set(plan.reasons)].join(','));
  }
  close(): Promise<void> {
    return this.log.close();
  }
}

export interface SamsaLogStoreOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** The log dir (Samsa uses the first of log.dirs). */
  readonly logDir: string;
  readonly logger: Logger;
}

export class SamsaLogStore implements PartitionLogStore {
  readonly #opts: SamsaLogStoreOptions;
  #deletions = 0;

  private constructor(options: SamsaLogStoreOptions) {
    this.#opts = options;
  }

  /** Creates the log dir if needed and removes directories left by an interrupted delete. */
  static async open(options: SamsaLogStoreOptions): Promise<SamsaLogStore> {
    await options.fs.mkdirp(options.logDir);
    for (const name of await options.fs.readDir(options.logDir)) {
      if (name.endsWith(DELETE_SUFFIX)) {
        options.logger.info({ dir: name }, 'removing a partition directory left by an interrupted delete');
        await options.fs.remove(joinPath(options.logDir, name), { recursive: true });
      }
    }
    return new SamsaLogStore(options);
  }

  async open(topic: string, partition: number, config: PartitionLogConfig): Promise<PartitionLog> {
    const { fs, clock, logDir, logger } = this.#opts;
    const log = await openLog({
      dir: joinPath(logDir, `${topic}-${partition}`),
      fs,
      clock,
      config: toSamsaLogConfig(config),
      logger: logger.child({ topic, partition }),
      highWatermark: 'log-end',
    });
    return new SamsaPartitionLog(log);
  }

  async remove(topic: string, partition: number): Promise<void> {
    const { fs, logDir } = this.#opts;
    const dir = joinPath(logDir, `${topic}-${partition}`);
    if ((await fs.stat(dir)) === null) return;
    const doomed = joinPath(logDir, `${topic}-${partition}.${clockStamp(this.#opts.clock)}${this.#deletions++}${DELETE_SUFFIX}`);
    await fs.rename(dir, doomed);
    await fs.syncDir(logDir);
    await fs.remove(doomed, { recursive: true });
    await fs.syncDir(logDir);
  }

  async close(): Promise<void> {}
}

function clockStamp(clock: Clock): string {
  return clock.wallMs().toString(36);
}
