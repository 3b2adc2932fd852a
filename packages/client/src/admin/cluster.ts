/**
 * describeCluster: the cluster id, the controller and the brokers — from DescribeCluster
 * (KIP-700) when the broker asked serves it, else from a Metadata request for no topics.
 * Any broker answers; retriable errors try the next one.
 */
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec } from '@samsa/codec/wire';
import type { AdminCallOptions, AdminContext } from './admin-context.ts';
import { throwIfError } from './admin-context.ts';

const describeClusterApi = { request: DescribeClusterRequestCodec, response: DescribeClusterResponseCodec };
/** DescribeCluster v1's endpoint type for brokers. */
const ENDPOINT_TYPE_BROKERS = 1;

export interface BrokerDescription {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface ClusterDescription {
  /** null when the broker does not say (Metadata before v2). */
  readonly clusterId: string | null;
  /** -1 when there is no active controller. */
  readonly controllerId: number;
  /** Sorted by node id. */
  readonly brokers: readonly BrokerDescription[];
}

export async function describeCluster(ctx: AdminContext, options: AdminCallOptions = {}): Promise<ClusterDescription> {
  return ctx.retrier.retrying(
    async () => {
      const nodeId = await ctx.routing.anyBroker(options.signal);
      const connection = await ctx.routing.connection(nodeId);
      if (connection.versionOf(DescribeClusterRequestCodec.meta.apiKey) === undefined) {
        const metadata = await ctx.routing.metadata([], options.signal);
        return { clusterId: metadata.clusterId, controllerId: metadata.controllerId, brokers: sorted(metadata.brokers) };
      }
      const response = await ctx.routing.send(nodeId, describeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: ENDPOINT_TYPE_BROKERS }, options);
      throwIfError(response.errorCode, response.errorMessage, 'DescribeCluster');
      return { clusterId: response.clusterId, controllerId: response.controllerId, brokers: sorted(response.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack }))) };
    },
    options.signal,
    { onRetriable: () => ctx.routing.requestRefresh() },
  );
}

function sorted(brokers: readonly BrokerDescription[]): BrokerDescription[] {
  return brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId);
}
