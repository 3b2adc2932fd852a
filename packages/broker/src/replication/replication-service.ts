/**
 * ReplicationService: what request handlers and the group coordinator ask of replication
 * (issue 14) around an append to a partition this broker leads. `BrokerContext.replication`
 * is null on a single broker: there the ISR is the broker itself, the high watermark moves
 * with every append, and every acks level is met once the append resolves.
 *
 * In a cluster the ReplicaManager (replica-manager.ts) implements it over the partition's
 * LeaderReplica (@samsa/replication):
 * - before an acks=all append, `checkBeforeAppend` answers NOT_ENOUGH_REPLICAS when the ISR
 *   in force is smaller than the topic's `min.insync.replicas` (nothing is appended);
 * - after the append, `awaitAcks` resolves once the high watermark passed the appended
 *   batch (acks=all), with NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
 *   `min.insync.replicas` meanwhile, NOT_LEADER_OR_FOLLOWER when this broker stopped leading
 *   the partition, or REQUEST_TIMED_OUT after `timeoutMs` (the records stay in the log, as
 *   in Kafka; an idempotent producer's retry is deduplicated). acks 0 and 1 resolve at once.
 */
import type { Partition } from '../partitions/partition.ts';

export interface ReplicationService {
  /** Before appending: a Kafka error code, 0 = go ahead (see the file comment). */
  checkBeforeAppend(partition: Partition, acks: number): number;
  /**
   * After a successful append (or a duplicate) whose last record is at `lastOffset`:
   * resolves the produce's error code once `acks` are satisfied. Never rejects.
   */
  awaitAcks(partition: Partition, lastOffset: number, acks: number, timeoutMs: number): Promise<number>;
}
