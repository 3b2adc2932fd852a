/**
 * The producer's partitioner hook. For each record the producer asks
 * `choosePartition(partitioner, record)`:
 *
 *  1. an explicit `record.partition` wins (Java's KafkaProducer checks it before calling
 *     any partitioner, so a custom partitioner never overrides it);
 *  2. otherwise the partitioner decides. The default one places a keyed record by murmur2
 *     over the serialized key (byte-compatible with the Java client, librdkafka's
 *     `murmur2_random` and KafkaJS's DefaultPartitioner) and a keyless record with the
 *     sticky partitioner (KIP-480).
 *
 * A custom partitioner is any object implementing `Partitioner`; `onNewBatch` is optional
 * and is called by the producer when it closes a batch for a partition. The producer, not
 * the partitioner, rejects a partition outside [0, numPartitions) with its typed error.
 */
import type { Random } from '@samsa/runtime';
import { StickyPartitioner } from './sticky-partitioner.ts';

/** What a partitioner sees of one record. */
export interface PartitionerRecord {
  readonly topic: string;
  /** Serialized key; null for a keyless record. */
  readonly key: Uint8Array | null;
  /** Serialized value, for custom partitioners that look at it. */
  readonly value?: Uint8Array | null;
  /** A partition the application asked for explicitly. */
  readonly partition?: number | null;
  /** The topic's partition count from metadata (≥ 1). */
  readonly numPartitions: number;
  /** Partition ids that currently have a leader, if the producer knows them. */
  readonly availablePartitions?: readonly number[];
}

export interface Partitioner {
  /** The partition for `record`, in [0, record.numPartitions). */
  partition(record: PartitionerRecord): number;
  /** The producer closed a batch for `prevPartition` of `topic`. */
  onNewBatch?(topic: string, prevPartition: number, numPartitions: number, availablePartitions?: readonly number[]): void;
}

/** Keyed → murmur2, keyless → sticky (KIP-480), explicit partition → itself. */
export function defaultPartitioner(random: Random): Partitioner {
  const sticky = new StickyPartitioner(random);
  return {
    partition(record) {
      if (record.partition !== undefined && record.partition !== null) return record.partition;
      return sticky.partition(record.topic, record.key, record.numPartitions, record.availablePartitions);
    },
    onNewBatch(topic, prevPartition, numPartitions, availablePartitions) {
      sticky.onNewBatch(topic, prevPartition, numPartitions, availablePartitions);
    },
  };
}

/** The partition the producer sends `record` to: the explicit one, else the partitioner's. */
export function choosePartition(partitioner: Partitioner, record: PartitionerRecord): number {
  if (record.partition !== undefined && record.partition !== null) return record.partition;
  return partitioner.partition(record);
}
