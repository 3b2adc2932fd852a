/**
 * MetadataCache: what the client knows about the cluster — brokers, topics, partitions,
 * each partition's leader and leader epoch — built from Metadata responses. Pure: no I/O,
 * time passed in.
 *
 * Invariants:
 * - A partition's leader epoch never goes backwards: an answer from a broker with older
 *   metadata (a smaller epoch for a partition) keeps the partition as it was (Kafka's
 *   Metadata.updateLatestMetadata does the same), so a stale broker cannot point the
 *   producer back at a former leader.
 * - A topic the last answer reported with an error (UNKNOWN_TOPIC_OR_PARTITION …) is kept
 *   with that error and no partitions until an answer has it again.
 * - `updatedAtMs` is the monotonic time of the last answer; `isStale` compares it to a max age.
 * Bounded by the cluster's own size (the topics the caller asked about, the brokers listed).
 */
import { ErrorCode } from '@samsa/codec/wire';
import type { MetadataResponse } from '@samsa/codec/wire';

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionInfo {
  readonly partition: number;
  /** Broker id of the leader, -1 when there is none (an election is under way). */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaIds: readonly number[];
  readonly isrIds: readonly number[];
  readonly errorCode: number;
}

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly errorCode: number;
  readonly isInternal: boolean;
  /** Indexed by partition id. */
  readonly partitions: readonly PartitionInfo[];
}

export class MetadataCache {
  #brokers = new Map<number, BrokerInfo>();
  readonly #topics = new Map<string, TopicInfo>();
  #clusterId: string | null = null;
  #controllerId = -1;
  #updatedAtMs = Number.NEGATIVE_INFINITY;

  get clusterId(): string | null {
    return this.#clusterId;
  }

  get controllerId(): number {
    return this.#controllerId;
  }

  get updatedAtMs(): number {
    return this.#updatedAtMs;
  }

  brokers(): BrokerInfo[] {
    return [...this.#brokers.values()];
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.#brokers.get(nodeId);
  }

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name);
  }

  topicNames(): string[] {
    return [...this.#topics.keys()];
  }

  /** The leader's broker id, or undefined when the topic, the partition or its leader is unknown. */
  leaderFor(topic: string, partition: number): number | undefined {
    const p = this.#topics.get(topic)?.partitions[partition];
    return p === undefined || p.leaderId < 0 ? undefined : p.leaderId;
  }

  /** Partition ids of `topic` that have a leader. */
  availablePartitions(topic: string): number[] {
    const t = this.#topics.get(topic);
    if (t === undefined) return [];
    return t.partitions.filter((p) => p.leaderId >= 0).map((p) => p.partition);
  }

  isStale(nowMs: number, maxAgeMs: number): boolean {
    return nowMs - this.#updatedAtMs >= maxAgeMs;
  }

  /** Folds one Metadata answer in (see the invariants above). */
  update(response: MetadataResponse, nowMs: number): void {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of response.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    this.#brokers = brokers;
    this.#clusterId = response.clusterId;
    this.#controllerId = response.controllerId;
    for (const t of response.topics) {
      if (t.name === null) continue;
      this.#topics.set(t.name, this.#mergeTopic(t, this.#topics.get(t.name)));
    }
    this.#updatedAtMs = nowMs;
  }

  /** Drops topics the caller no longer asks about. */
  retainTopics(keep: ReadonlySet<string>): void {
    for (const name of [...this.#topics.keys()]) if (!keep.has(name)) this.#topics.delete(name);
  }

  #mergeTopic(t: MetadataResponse['topics'][number], old: TopicInfo | undefined): TopicInfo {
    const name = t.name!;
    if (t.errorCode !== ErrorCode.NONE) return { name, topicId: t.topicId, errorCode: t.errorCode, isInternal: t.isInternal, partitions: [] };
    const partitions: PartitionInfo[] = [];
    const sorted = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
    for (const p of sorted) {
      const fresh: PartitionInfo = {
        partition: p.partitionIndex,
        leaderId: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicaIds: p.replicaNodes,
        isrIds: p.isrNodes,
        errorCode: p.errorCode,
      };
      const before = old?.topicId === t.topicId ? old.partitions[p.partitionIndex] : undefined;
      partitions[p.partitionIndex] = before !== undefined && before.leaderEpoch > fresh.leaderEpoch ? before : fresh;
    }
    // A broker that skips a partition id leaves a hole: it has no known leader.
    for (let i = 0; i < partitions.length; i++) {
      partitions[i] ??= { partition: i, leaderId: -1, leaderEpoch: -1, replicaIds: [], isrIds: [], errorCode: ErrorCode.LEADER_NOT_AVAILABLE };
    }
    return { name, topicId: t.topicId, errorCode: t.errorCode, isInternal: t.isInternal, partitions };
  }
}
