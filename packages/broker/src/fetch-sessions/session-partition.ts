/**
 * SessionPartition: one partition as a fetch request names it, with the request fields a
 * fetch session caches for it (KIP-227: an incremental request leaves out the partitions
 * whose fields did not change, the session remembers them).
 *
 * `topic` is the topic *name* in a session of Fetch v7–v12 and the topic *id* (uuid text)
 * in one of v13+ (KIP-516): a session uses one or the other, never both
 * (`FetchSession.usesTopicIds`), so one key space serves both. `partitionKey` puts the
 * partition number first: a number holds no ':', so no two (topic, partition) pairs share
 * a key whatever a client writes as topic name.
 */
export interface SessionPartitionKey {
  readonly topic: string;
  readonly partition: number;
}

/** The request fields of a fetched partition that a session caches. */
export interface SessionFetchParams {
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  /** v9+: the leader epoch the client knows (-1: none). */
  readonly currentLeaderEpoch: number;
  /** v12+: the epoch of the last record the client fetched (-1: none). */
  readonly lastFetchedEpoch: number;
  /** v5+: the fetcher's log start offset (followers only; -1 from consumers). */
  readonly logStartOffset: number;
}

export interface SessionPartition extends SessionPartitionKey {
  readonly params: SessionFetchParams;
}

export function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/**
 * What one partition's answer says, as far as a session cares: an incremental response
 * leaves a partition out unless one of these has something new.
 */
export interface PartitionOutcome {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Records in the answer (more than zero bytes). */
  readonly hasRecords: boolean;
  /** v12+: the answer carries a diverging epoch (KIP-320): the client must truncate. */
  readonly hasDivergingEpoch: boolean;
  /** v11+: the answer names a preferred read replica (KIP-392; Samsa never does: -1). */
  readonly hasPreferredReadReplica: boolean;
}
