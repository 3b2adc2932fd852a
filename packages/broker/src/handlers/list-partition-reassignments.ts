/**
 * ListPartitionReassignments (key 46), version 0 (issue 14). Cluster mode only (in the
 * cluster handler table).
 *
 * The partitions being reassigned (all, when `topics` is null; else those of the named
 * partitions that are): their replicas and the replicas being added and removed, as the
 * controller's image has them (`ctx.cluster.controller.listReassignments`, local or
 * forwarded; read-only, no view wait). Partitions named that do not exist, or are not being
 * moved, are left out. A controller refusal is the top-level error; a forwarded request at a
 * broker that is not the controller → NOT_CONTROLLER.
 */
import { ErrorCode, ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec } from '@samsa/codec';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { refuseForwarded } from '../cluster/controller-client-handlers.ts';
import { groupByTopic } from '../cluster/controller-client-messages.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

async function handleListReassignments(ctx: BrokerContext, req: ListPartitionReassignmentsRequest, info: RequestInfo): Promise<ListPartitionReassignmentsResponse> {
  const cluster = ctx.cluster;
  const topLevel = (errorCode: number, errorMessage: string | null): ListPartitionReassignmentsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, topics: [] });
  if (!cluster) return topLevel(ErrorCode.NOT_CONTROLLER, null);
  const refused = refuseForwarded(cluster, info);
  if (refused) return topLevel(refused.errorCode, refused.errorMessage);
  const partitions = req.topics === null ? null : req.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const reply = await cluster.controller.listReassignments({ partitions });
  if (!reply.ok) return topLevel(ErrorCode[reply.code], reply.message);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [...groupByTopic(reply.reassignments ?? [])].map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({ partitionIndex: p.partition, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] })),
    })),
  };
}

export const listPartitionReassignmentsHandler = defineHandler({
  apiKey: ListPartitionReassignmentsRequestCodec.meta.apiKey,
  name: ListPartitionReassignmentsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequestCodec,
  response: ListPartitionReassignmentsResponseCodec,
  handle: handleListReassignments,
});
