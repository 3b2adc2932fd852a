/**
 * What the consumer hands the application: records, and batches of one partition's
 * consecutive records. Offsets are bigint (Kafka's int64); timestamps are epoch ms numbers.
 *
 * Key, value and header values are views: into the Fetch response for uncompressed
 * batches, into one decompressed block otherwise. They stay valid (nothing reuses the
 * buffers), but they alias a larger buffer, so copy them to keep a few bytes of a large
 * response alive.
 */

export interface ConsumerRecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** CreateTime, or LogAppendTime on topics that use it (Kafka's rule). */
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly ConsumerRecordHeader[];
  /** The leader epoch stamped on the record's batch (-1 when unknown). */
  readonly leaderEpoch: number;
}

/**
 * Consecutive records of one partition, in offset order (never empty). `nextOffset` is
 * where the partition's position moves once the batch is delivered (the last record's
 * offset + 1, or further when aborted or control records followed it).
 */
export interface ConsumerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumerRecord[];
  readonly nextOffset: bigint;
  /** The partition's high watermark when the batch was fetched. */
  readonly highWatermark: bigint;
  /** highWatermark − nextOffset, at fetch time (never negative). */
  readonly lag: bigint;
}

/** A partition named by topic and index. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A partition and an offset in it (to start from, to commit, or committed). */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: bigint;
  readonly leaderEpoch?: number;
  readonly metadata?: string | null;
}

/** The map key of a partition: `topic` NUL `partition` (NUL cannot appear in a topic name). */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
