/**
 * The offsets of every partition of one topic, through the client's Admin: the partitions
 * (describeTopics), each one's log start and log end (listOffsets earliest and latest, at
 * the partition's leader) and, when a time is given, the first offset at or after it. What
 * `consume` starts from and what `groups describe` and `groups reset-offsets` measure
 * against. A topic that does not exist rejects with the Admin's KafkaError
 * (UNKNOWN_TOPIC_OR_PARTITION).
 */
import type { Admin } from '@samsa/client';

export interface PartitionRange {
  readonly partition: number;
  /** Log start offset. */
  readonly low: number;
  /** Log end offset (the high watermark). */
  readonly high: number;
  /** Only when a time was given: the first offset whose timestamp is at or after it, −1 when no record's is. */
  readonly atTimestamp?: number;
}

/** Every partition of `topic`, ascending. */
export async function topicOffsets(admin: Admin, topic: string, timestampMs?: number): Promise<PartitionRange[]> {
  const [described] = await admin.describeTopics([topic]);
  const partitions = (described?.partitions ?? []).map((p) => p.partition).sort((a, b) => a - b);
  if (partitions.length === 0) return [];
  const at = async (spec: 'earliest' | 'latest' | { timestampMs: number }): Promise<number[]> =>
    (await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec })))).map((l) => l.offset);
  const [low, high, atTime] = await Promise.all([at('earliest'), at('latest'), timestampMs === undefined ? null : at({ timestampMs })]);
  return partitions.map((partition, i) => ({ partition, low: low[i]!, high: high[i]!, ...(atTime === null ? {} : { atTimestamp: atTime[i]! }) }));
}
