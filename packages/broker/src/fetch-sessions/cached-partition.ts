/**
 * CachedPartition: what a fetch session remembers about one of its partitions — the
 * request fields the client last sent for it and the answer fields the client last
 * received (Kafka's `CachedPartition`).
 *
 * The client's view of a partition is the last answer it got for it; a partition may be
 * left out of an incremental response only if leaving it out leaves that view true. So a
 * partition is answered (`maybeUpdateResponseData` returns true) when:
 *   - the answer holds records (the client must get them);
 *   - the high watermark, last stable offset or log start offset differ from what the
 *     client was last told;
 *   - the answer is an error (always answered; the remembered high watermark is set to -1
 *     so the first answer after the error clears is sent too, whatever it holds);
 *   - it carries a diverging epoch (the client must truncate) or a preferred read replica.
 * A new cached partition remembers -1 for every answer field: its first answer is always
 * sent (a real high watermark is never -1).
 */
import type { PartitionOutcome, SessionFetchParams, SessionPartition } from './session-partition.ts';

export class CachedPartition {
  readonly topic: string;
  readonly partition: number;
  params: SessionFetchParams;
  /** The answer fields last sent to the client (-1: nothing sent yet, or an error). */
  highWatermark = -1;
  lastStableOffset = -1;
  logStartOffset = -1;

  constructor(from: SessionPartition) {
    this.topic = from.topic;
    this.partition = from.partition;
    this.params = from.params;
  }

  asSessionPartition(): SessionPartition {
    return { topic: this.topic, partition: this.partition, params: this.params };
  }

  /**
   * True when the answer must be sent; with `update`, remembers it as the client's view.
   * Without `update` it only tells (a size estimate, a dry run).
   */
  maybeUpdateResponseData(outcome: PartitionOutcome, update: boolean): boolean {
    let mustRespond = outcome.hasRecords || outcome.hasDivergingEpoch || outcome.hasPreferredReadReplica;
    if (this.highWatermark !== outcome.highWatermark) {
      mustRespond = true;
      if (update) this.highWatermark = outcome.highWatermark;
    }
    if (this.lastStableOffset !== outcome.lastStableOffset) {
      mustRespond = true;
      if (update) this.lastStableOffset = outcome.lastStableOffset;
    }
    if (this.logStartOffset !== outcome.logStartOffset) {
      mustRespond = true;
      if (update) this.logStartOffset = outcome.logStartOffset;
    }
    if (outcome.errorCode !== 0) {
      mustRespond = true;
      if (update) this.highWatermark = -1;
    }
    return mustRespond;
  }
}
