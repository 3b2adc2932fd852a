/**
 * The consumer's own expected failures, on the client's error classes (src/errors.ts).
 *
 * - No valid position and `autoOffsetReset: 'none'`: a KafkaError with
 *   OFFSET_OUT_OF_RANGE, as Java's OffsetOutOfRangeException/NoOffsetForPartitionException.
 * - LogTruncationError (KIP-320): the leader's log no longer holds what the consumer read —
 *   after a leader change, the epoch the position was read under ends before the position.
 *   It is a KafkaError with OFFSET_OUT_OF_RANGE (Java's LogTruncationException extends
 *   OffsetOutOfRangeException) and names where each partition's log diverges.
 */
import { ErrorCode } from '@samsa/codec/wire';
import { KafkaError } from '../errors.ts';
import type { TopicPartitionOffset } from './consumer-record.ts';

export class LogTruncationError extends KafkaError {
  override readonly name: string = 'LogTruncationError';
  /** Per partition: the first offset the leader's log does not share (the epoch's end offset). */
  readonly divergentOffsets: readonly TopicPartitionOffset[];
  constructor(divergentOffsets: readonly TopicPartitionOffset[], detail: string) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, detail);
    this.divergentOffsets = divergentOffsets;
  }
}

/** The error for a partition with no valid position and no reset strategy. */
export function noOffsetError(topic: string, partition: number, why: string): KafkaError {
  return new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `${topic}-${partition}: ${why} and autoOffsetReset is 'none'`);
}
