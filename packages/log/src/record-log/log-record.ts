/**
 * The record-level view of a log: what an application appends and what it reads back.
 *
 * A record is `{ key?, value, headers?, timestamp? }`. On disk it is one record of a Kafka
 * record batch v2 (key and value as bytes through the log's serdes, headers as
 * string → bytes, timestamp in ms since the epoch, create time). Offsets are dense:
 * every record gets the next one, from 0, for the life of the log.
 */

/** How far an append must have gone before its promise resolves. */
export type Durability =
  /** Accepted by the log in memory; written soon. A process crash may lose it. */
  | 'none'
  /** Written to the file (handed to the OS). A process crash keeps it; a power loss may not. */
  | 'os'
  /** Written and synced to the disk (fdatasync). Survives a power loss. */
  | 'fsync';

export interface RecordHeaderValue {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface RecordToAppend<K, V> {
  /** Omit (or null) for a record without key. Compaction keeps the latest record per key. */
  readonly key?: K | null;
  /** null is a tombstone: compaction removes the key (after `deleteRetentionMs`). */
  readonly value: V | null;
  readonly headers?: readonly RecordHeaderValue[];
  /** Milliseconds since the epoch. Default: the log clock's now. */
  readonly timestamp?: number;
}

export interface LogRecord<K, V> {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: K | null;
  readonly value: V | null;
  readonly headers: readonly RecordHeaderValue[];
}

export interface AppendAck {
  readonly offset: number;
}
