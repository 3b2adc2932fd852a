/**
 * The sticky partitioner for records without a key (KIP-480, Java's
 * `StickyPartitionCache` behind the 2.4-3.2 `DefaultPartitioner`): every keyless record of
 * a topic goes to one "sticky" partition until the producer closes a batch for it, then
 * the topic sticks to another partition. Batches fill up instead of one record going to
 * each partition in turn, so linger.ms costs less latency and batches compress better.
 *
 * Rules (Java's, with one tightening):
 *  - The first keyless record of a topic picks a partition uniformly through the injected
 *    `Random` among `availablePartitions` (partitions with a leader), or among all
 *    `numPartitions` when none is available or the list is not given.
 *  - `onNewBatch(topic, prev, …)` switches only if `prev` is still the sticky partition, so
 *    two batches closing for the same partition switch once. The new partition differs
 *    from `prev` whenever there is another candidate (Java re-draws until it differs among
 *    available partitions but may re-draw `prev` when none is available; here the draw
 *    excludes `prev` in both cases: one draw, no loop).
 *  - The sticky partition is kept while it is below `numPartitions`; availability is
 *    consulted only when choosing (as in Java: a batch for a partition without a leader is
 *    not sent, the next full batch calls onNewBatch and moves on).
 *  - A record with a key is placed by murmur2 (`murmur2Partition`), like Java's
 *    DefaultPartitioner; it neither reads nor moves the sticky partition.
 *
 * Invariants: a returned partition p satisfies 0 ≤ p < numPartitions; while no batch
 * closes, every keyless record of a topic gets the same partition.
 *
 * State is one number per topic written to (bounded by the topics the producer uses;
 * `forgetTopic` drops one). Not safe to share between concurrently running producers
 * without their own ordering — JS is single-threaded, so one producer is fine.
 */
import type { Random } from '@samsa/runtime';
import { murmur2Partition } from './murmur2.ts';

export class StickyPartitioner {
  readonly #random: Random;
  /** topic → the partition keyless records go to now. */
  readonly #stickyPartitionByTopic = new Map<string, number>();

  constructor(random: Random) {
    this.#random = random;
  }

  /**
   * The partition for a record of `topic` with `key` (null: the sticky partition).
   * `availablePartitions` lists partition ids with a leader, each in [0, numPartitions).
   */
  partition(
    topic: string,
    key: Uint8Array | null,
    numPartitions: number,
    availablePartitions?: readonly number[],
  ): number {
    assertPartitionCount(numPartitions);
    if (key !== null) return murmur2Partition(key, numPartitions);
    const sticky = this.#stickyPartitionByTopic.get(topic);
    if (sticky !== undefined && sticky < numPartitions) return sticky;
    return this.#choose(topic, undefined, numPartitions, availablePartitions);
  }

  /**
   * The producer closed a batch for `prevPartition` of `topic` (full, or lingered): if that is
   * the sticky partition, stick to another one. Returns the sticky partition afterwards.
   */
  onNewBatch(
    topic: string,
    prevPartition: number,
    numPartitions: number,
    availablePartitions?: readonly number[],
  ): number {
    assertPartitionCount(numPartitions);
    const sticky = this.#stickyPartitionByTopic.get(topic);
    if (sticky !== undefined && sticky !== prevPartition && sticky < numPartitions) return sticky;
    return this.#choose(topic, sticky === prevPartition ? prevPartition : undefined, numPartitions, availablePartitions);
  }

  /** The sticky partition of `topic`, or undefined before its first keyless record. */
  stickyPartitionOf(topic: string): number | undefined {
    return this.#stickyPartitionByTopic.get(topic);
  }

  /** Drops the state kept for `topic` (a producer that stops writing to it). */
  forgetTopic(topic: string): void {
    this.#stickyPartitionByTopic.delete(topic);
  }

  /** Draws uniformly among the candidates other than `exclude` (if any other exists). */
  #choose(topic: string, exclude: number | undefined, numPartitions: number, available: readonly number[] | undefined): number {
    const candidates = candidatesOf(numPartitions, available);
    const others = exclude === undefined ? candidates : candidates.filter((p) => p !== exclude);
    const pool = others.length > 0 ? others : candidates;
    const chosen = pool[this.#random.int(0, pool.length)]!;
    if (!(chosen >= 0 && chosen < numPartitions)) throw new Error(`sticky partitioner chose ${chosen} of ${numPartitions}`);
    this.#stickyPartitionByTopic.set(topic, chosen);
    return chosen;
  }
}

/** Available partitions below `numPartitions`, or every partition when none is. */
function candidatesOf(numPartitions: number, available: readonly number[] | undefined): readonly number[] {
  if (available !== undefined && available.length > 0) {
    const inRange = available.filter((p) => Number.isInteger(p) && p >= 0 && p < numPartitions);
    if (inRange.length > 0) return inRange;
  }
  return Array.from({ length: numPartitions }, (_, p) => p);
}

function assertPartitionCount(numPartitions: number): void {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`sticky partitioner: numPartitions must be a positive integer, got ${numPartitions}`);
  }
}
