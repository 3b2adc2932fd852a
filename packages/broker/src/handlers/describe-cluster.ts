/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * This node is the only broker and the controller. v1's endpoint type 1 (brokers) and 2
 * (controllers) both answer this node: it plays both roles. Authorized operations
 * (KIP-430): no authorizer here, so when asked every cluster operation is granted (see
 * authorized-operations.ts); not asked, Kafka's "not requested" INT32_MIN.
 *
 * Cluster mode (`ctx.cluster`): answered from the current view — every registered broker
 * (by node id) and the active controller (-1 when none), for both endpoint types (every
 * broker runs the controller campaign, so each is a controller candidate).
 */
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec, ErrorCode } from '@samsa/codec';
import type { DescribeClusterRequest, DescribeClusterResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, CLUSTER_AUTHORIZED_OPERATIONS } from './authorized-operations.ts';

function handleDescribeCluster(ctx: BrokerContext, req: DescribeClusterRequest, info: RequestInfo): DescribeClusterResponse {
  const endpoint = ctx.advertised();
  const view = ctx.cluster?.view() ?? null;
  const brokers = view
    ? [...view.brokers.values()].sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack }))
    : [{ brokerId: ctx.nodeId, host: endpoint.host, port: endpoint.port, rack: ctx.server.rack }];
  const endpointType = info.apiVersion >= 1 ? req.endpointType : 1;
  const unknownType = endpointType !== 1 && endpointType !== 2;
  return {
    throttleTimeMs: 0,
    errorCode: unknownType ? ErrorCode.INVALID_REQUEST : ErrorCode.NONE,
    errorMessage: unknownType ? `Unknown endpoint type ${endpointType}` : null,
    endpointType,
    clusterId: view ? view.clusterId : ctx.registry.clusterId,
    controllerId: view ? view.controllerId : ctx.nodeId,
    brokers: unknownType ? [] : brokers,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_NOT_REQUESTED,
  };
}

export const describeClusterHandler = defineHandler({
  apiKey: DescribeClusterRequestCodec.meta.apiKey,
  name: DescribeClusterRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClusterRequestCodec,
  response: DescribeClusterResponseCodec,
  handle: handleDescribeCluster,
});
