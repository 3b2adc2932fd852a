/**
 * ControlledShutdown (key 7), versions 0-3: served only by a broker in a cluster (it is in
 * CLUSTER_HANDLERS, not HANDLERS, so a single broker neither advertises nor serves it).
 *
 * A broker about to stop asks the controller to move its leaderships away first. Its own
 * ControllerClient sends this request to the controller broker (clientId
 * `samsa-forward-<id>`), whose handler runs `controlledShutdown(brokerId)` on its
 * controller and answers once the broker leads nothing: NONE with no remaining partitions.
 * On a controller error (BROKER_NOT_AVAILABLE, REQUEST_TIMED_OUT, …) the answer carries it
 * and lists the partitions this broker's view still shows `brokerId` leading. A forwarded
 * request at a broker that is not the controller → NOT_CONTROLLER; a broker without a
 * cluster (a custom handler table) → UNSUPPORTED_VERSION.
 */
import { ControlledShutdownRequestCodec, ControlledShutdownResponseCodec, ErrorCode } from '@samsa/codec';
import type { ControlledShutdownRequest, ControlledShutdownResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import { refuseForwarded, replyError } from '../cluster/controller-client-handlers.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

/** At most this many remaining partitions are listed in one answer. */
export const REMAINING_PARTITIONS_LISTED_MAX = 1000;

function ledBy(view: ClusterView, brokerId: number): ControlledShutdownResponse['remainingPartitions'] {
  const out: ControlledShutdownResponse['remainingPartitions'] = [];
  for (const topic of view.topics.values()) {
    for (const p of topic.partitions) {
      if (p.leader !== brokerId) continue;
      if (out.length >= REMAINING_PARTITIONS_LISTED_MAX) return out;
      out.push({ topicName: p.topic, partitionIndex: p.partition });
    }
  }
  return out;
}

async function handleControlledShutdown(ctx: BrokerContext, req: ControlledShutdownRequest, info: RequestInfo): Promise<ControlledShutdownResponse> {
  const cluster = ctx.cluster;
  if (!cluster) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, remainingPartitions: [] };
  const refused = refuseForwarded(cluster, info);
  if (refused) return { errorCode: refused.errorCode, remainingPartitions: [] };
  const reply = await cluster.controller.controlledShutdown(req.brokerId);
  if (reply.ok) return { errorCode: ErrorCode.NONE, remainingPartitions: [] };
  ctx.logger.warn({ brokerId: req.brokerId, code: reply.code, reason: reply.message }, 'controlled shutdown refused');
  return { errorCode: replyError(reply).errorCode, remainingPartitions: ledBy(cluster.view(), req.brokerId) };
}

export const controlledShutdownHandler = defineHandler({
  apiKey: ControlledShutdownRequestCodec.meta.apiKey,
  name: ControlledShutdownRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 3,
  request: ControlledShutdownRequestCodec,
  response: ControlledShutdownResponseCodec,
  handle: handleControlledShutdown,
});
