/**
 * Leadership checks for client requests on a partition (Produce, Fetch, ListOffsets,
 * DeleteRecords): which local replica serves the request, or the Kafka error instead.
 *
 * - Single broker (`ctx.cluster` null): the registry's partition, else
 *   UNKNOWN_TOPIC_OR_PARTITION — exactly the single-node behaviour; leader epochs in the
 *   request are not checked (the one leader's epoch never changes).
 * - Cluster, in Kafka's order: a partition the current view lacks →
 *   UNKNOWN_TOPIC_OR_PARTITION; no local replica → NOT_LEADER_OR_FOLLOWER; a current
 *   leader epoch in the request (≥ 0) older than the local replica's →
 *   FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH; a replica this node does not
 *   lead, or a lease that may have expired (`leaseValid` false: another broker may lead now) →
 *   NOT_LEADER_OR_FOLLOWER. Errors carry the view's leader and epoch (`currentLeader`)
 *   for the responses that have the field (Fetch v12+), so a client moves at once.
 * This node leads only when the registry's applied state (the replica's `isLeader` and
 * `leaderEpoch`, the topic id) and the current view agree: a view not yet applied never
 * makes this node a leader, and one that moved leadership away (or replaced the topic)
 * stops writes at once, before the registry applies it.
 */
import { ErrorCode } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { leadsInThisIncarnation } from '../cluster/cluster-view.ts';
import type { Partition } from '../partitions/partition.ts';

export interface LeaderHint {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export const NO_LEADER_HINT: LeaderHint = { leaderId: -1, leaderEpoch: -1 };

export type LeaderLookup = { readonly partition: Partition; readonly errorCode?: undefined } | { readonly partition?: undefined; readonly errorCode: number; readonly currentLeader: LeaderHint };

/** `currentLeaderEpoch` -1: the request names none (or its version has no such field). */
export function leaderPartition(ctx: BrokerContext, topic: string, index: number, currentLeaderEpoch = -1): LeaderLookup {
  const local = ctx.registry.partition(topic, index);
  const cluster = ctx.cluster;
  if (cluster === null) return local ? { partition: local } : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, currentLeader: NO_LEADER_HINT };
  const view = cluster.view();
  const viewTopic = view.topics.get(topic);
  const pv = viewTopic?.partitions[index];
  if (viewTopic === undefined || pv === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, currentLeader: NO_LEADER_HINT };
  const currentLeader = { leaderId: pv.leader, leaderEpoch: pv.leaderEpoch };
  // A replica of an older incarnation of the name (the view's deletion not applied yet) is not this topic's.
  if (!local || ctx.registry.topic(topic)?.record.topicId !== viewTopic.topicId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < local.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, currentLeader };
  if (currentLeaderEpoch > local.leaderEpoch) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, currentLeader };
  // The applied role must agree with the current view: a view that moved leadership away
  // but is not applied yet must not let a write in here.
  const leads = local.isLeader && leadsInThisIncarnation(view, pv, ctx.nodeId) && pv.leaderEpoch === local.leaderEpoch;
  if (!leads || !cluster.leaseValid) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader };
  return { partition: local };
}
