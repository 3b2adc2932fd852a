/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * This node is the only broker and the controller. v1's endpoint type 1 (brokers) and 2
 * (controllers) both answer this node: it plays both roles. Authorized operations
 * (KIP-430): no authorizer here, so when asked every cluster operation is granted (see
 * authorized-operations.ts); not asked, Kafka's "not requested" INT32_MIN.
 */
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec, ErrorCode } from '@samsa/codec';
import type { DescribeClusterRequest, DescribeClusterResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, CLUSTER_AUTHORIZED_OPERATIONS } from './authorized-operations.ts';

function handleDescribeCluster(ctx: BrokerContext, req: DescribeClusterRequest, info: RequestInfo): DescribeClusterResponse {
  const endpoint = ctx.advertised();
  const endpointType = info.apiVersion >= 1 ? req.endpointType : 1;
  const unknownType = endpointType !== 1 && endpointType !== 2;
  return {
    throttleTimeMs: 0,
    errorCode: unknownType ? ErrorCode.INVALID_REQUEST : ErrorCode.NONE,
    errorMessage: unknownType ? `Unknown endpoint type ${endpointType}` : null,
    endpointType,
    clusterId: ctx.registry.clusterId,
    controllerId: ctx.nodeId,
    brokers: unknownType ? [] : [{ brokerId: ctx.nodeId, host: endpoint.host, port: endpoint.port, rack: ctx.server.rack }],
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
