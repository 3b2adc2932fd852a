/**
 * AlterPartitionReassignments (key 45), version 0 (issue 14). Cluster mode only (in the
 * cluster handler table).
 *
 * Per partition: `replicas` is the target replica list (start, or replace, a reassignment)
 * or null (cancel the ongoing one). The controller (`ctx.cluster.controller.reassignPartitions`,
 * local or forwarded) records the move in the partition record: the new replicas join the
 * replica list at once and the ISR only through the leader's AlterPartition once they have
 * caught up; when every target is in the ISR the controller drops the removed replicas (and
 * moves the leadership away from a removed leader). Per-partition errors:
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT (empty, repeated or unregistered
 * brokers; no in-sync replica left), NO_REASSIGNMENT_IN_PROGRESS (cancel with none),
 * INVALID_REQUEST (a partition twice). A started move is answered once this broker's view
 * shows every target replica in the partition's replicas (at most `timeoutMs`, capped, else
 * REQUEST_TIMED_OUT: the move still goes on). A controller refusal is the top-level error.
 * A forwarded request at a broker that is not the controller → NOT_CONTROLLER.
 */
import { AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec, ErrorCode } from '@samsa/codec';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '@samsa/codec';
import type { PartitionResult } from '@samsa/coordinator';
import type { BrokerContext } from '../broker-context.ts';
import { refuseForwarded } from '../cluster/controller-client-handlers.ts';
import { groupByTopic } from '../cluster/controller-client-messages.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import { notSeenMessage, viewWaitMs, waitForView } from '../cluster/controller-client-view-wait.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleReassignments(ctx: BrokerContext, req: AlterPartitionReassignmentsRequest, info: RequestInfo): Promise<AlterPartitionReassignmentsResponse> {
  const cluster = ctx.cluster;
  const topLevel = (errorCode: number, errorMessage: string | null): AlterPartitionReassignmentsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, responses: [] });
  if (!cluster) return topLevel(ErrorCode.NOT_CONTROLLER, null);
  const refused = refuseForwarded(cluster, info);
  if (refused) return topLevel(refused.errorCode, refused.errorMessage);
  const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
  const reply = await cluster.controller.reassignPartitions({ partitions });
  if (!reply.ok) return topLevel(ErrorCode[reply.code], reply.message);
  let results: readonly PartitionResult[] = reply.partitions ?? [];
  const started = partitions.filter((p) => p.replicas !== null && results.some((r) => r.topic === p.topic && r.partition === p.partition && r.error === null));
  const waitMs = viewWaitMs(info, req.timeoutMs);
  if (started.length > 0 && waitMs > 0) {
    const shows = (view: ClusterView, p: (typeof started)[number]): boolean => {
      const replicas = view.topics.get(p.topic)?.partitions[p.partition]?.replicas ?? [];
      return p.replicas!.every((b) => replicas.includes(b));
    };
    if (!(await waitForView(cluster, ctx.clock, (view) => started.every((p) => shows(view, p)), waitMs))) {
      const view = cluster.view();
      const late = new Set(started.filter((p) => !shows(view, p)).map((p) => `${p.topic}/${p.partition}`));
      results = results.map((r) => (late.has(`${r.topic}/${r.partition}`) ? { ...r, error: 'REQUEST_TIMED_OUT' as const, message: notSeenMessage(`the new replicas of ${r.topic}-${r.partition}`, waitMs) } : r));
    }
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    responses: [...groupByTopic(results)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, errorCode: p.error === null ? ErrorCode.NONE : ErrorCode[p.error], errorMessage: p.message })) })),
  };
}

export const alterPartitionReassignmentsHandler = defineHandler({
  apiKey: AlterPartitionReassignmentsRequestCodec.meta.apiKey,
  name: AlterPartitionReassignmentsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: AlterPartitionReassignmentsRequestCodec,
  response: AlterPartitionReassignmentsResponseCodec,
  handle: handleReassignments,
});
