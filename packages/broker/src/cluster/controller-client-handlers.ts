/**
 * What the admin handlers (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 * IncrementalAlterConfigs, ControlledShutdown) share in cluster mode (`ctx.cluster` set):
 *
 * - `refuseForwarded`: a request another broker forwarded (clientId `samsa-forward-*`) that
 *   reached a broker that is not, or no longer, the controller is answered NOT_CONTROLLER
 *   and never forwarded again, so forwarding never chains; the forwarding broker's client
 *   reports NOT_CONTROLLER to its caller, whose Kafka client refreshes metadata and retries.
 * - `replyError`: a controller reply's error as the response's code and message.
 * - `brokerOverridesOf`: the dynamic broker configs this broker's view holds for it (what
 *   config resolution uses in cluster mode instead of the local metadata file), and
 *   `clusterDefaultsOf`: the view's cluster-wide default broker configs, the layer below them.
 */
import { ErrorCode } from '@samsa/codec';
import type { ControllerReply } from '@samsa/coordinator';
import type { ClusterLink } from './cluster-link.ts';
import type { ClusterView } from './cluster-view.ts';
import { isForwardedRequest } from './controller-client.ts';

export interface ResponseError {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** NOT_CONTROLLER for a forwarded request at a broker that is not the controller, else null. */
export function refuseForwarded(cluster: ClusterLink, info: { readonly clientId: string | null }): ResponseError | null {
  if (!isForwardedRequest(info.clientId) || cluster.isController) return null;
  return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: `Broker ${cluster.nodeId} is not the controller; a forwarded request is not forwarded again.` };
}

export function replyError(reply: ControllerReply): ResponseError {
  return reply.ok ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode[reply.code], errorMessage: reply.message };
}

export function brokerOverridesOf(view: ClusterView, nodeId: number): Readonly<Record<string, string>> {
  return view.brokerConfigs.get(nodeId) ?? {};
}

/** The cluster-wide default broker configs of the view (empty when none). */
export function clusterDefaultsOf(view: ClusterView): Readonly<Record<string, string>> {
  return view.brokerDefaultConfigs ?? {};
}
