/**
 * A dense numbering of the partitions an assignment covers: topics sorted by name
 * (UTF-16 order, as Java's TreeSet), partitions ascending, so `id` order is the
 * (topic, partition) order Java sorts TopicPartitions in. The sticky assignor works on ids
 * (sets of small integers) instead of (topic, partition) pairs.
 *
 * Invariant: ids are exactly [0, size); `topicOf(id(t, p)) === t`, `partitionOf(id(t, p)) === p`.
 */
import { compareStrings } from './member-order.ts';

export class PartitionIndex {
  readonly topics: readonly string[];
  readonly size: number;
  readonly #baseByTopic = new Map<string, number>();
  readonly #countByTopic = new Map<string, number>();
  /** id → index into `topics`. */
  readonly #topicIndexById: Uint32Array;

  /** Covers every partition of each of `topics` that `partitionsPerTopic` knows. */
  constructor(topics: Iterable<string>, partitionsPerTopic: ReadonlyMap<string, number>) {
    this.topics = [...new Set(topics)].filter((t) => partitionsPerTopic.has(t)).sort(compareStrings);
    let size = 0;
    for (const t of this.topics) {
      const count = partitionsPerTopic.get(t)!;
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`assignor: topic ${t} has ${count} partitions`);
      this.#baseByTopic.set(t, size);
      this.#countByTopic.set(t, count);
      size += count;
    }
    this.size = size;
    this.#topicIndexById = new Uint32Array(size);
    this.topics.forEach((t, i) => this.#topicIndexById.fill(i, this.#baseByTopic.get(t)!, this.#baseByTopic.get(t)! + this.#countByTopic.get(t)!));
  }

  /** The id of `partition` of `topic`, or undefined when the index does not cover it. */
  id(topic: string, partition: number): number | undefined {
    const base = this.#baseByTopic.get(topic);
    if (base === undefined || !Number.isInteger(partition) || partition < 0 || partition >= this.#countByTopic.get(topic)!) return undefined;
    return base + partition;
  }

  has(topic: string): boolean {
    return this.#baseByTopic.has(topic);
  }

  topicOf(id: number): string {
    return this.topics[this.#topicIndexById[id]!]!;
  }

  partitionOf(id: number): number {
    return id - this.#baseByTopic.get(this.topicOf(id))!;
  }
}
