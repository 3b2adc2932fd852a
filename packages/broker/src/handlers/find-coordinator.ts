/**
 * FindCoordinator (key 10), versions 0-6 (v5 only allows TRANSACTION_ABORTABLE, which this
 * broker never answers; v6 adds share-group keys, key type 2, answered INVALID_REQUEST as
 * an unknown key type: there are no share groups).
 *
 * Group keys (key type 0), single broker: this broker coordinates every group; answer its
 * node id and advertised endpoint. The first group lookup creates `__consumer_offsets`
 * (if that fails: COORDINATOR_NOT_AVAILABLE, which clients retry).
 *
 * Group keys in a cluster (`ctx.cluster`): the coordinator is the leader of the group's
 * `__consumer_offsets` partition (Kafka's `abs(groupId.hashCode()) % partitions`) in the
 * current cluster view, with its host and port from the view. No leader (offline, or the
 * broker is not in the view): COORDINATOR_NOT_AVAILABLE. No topic yet: the controller is
 * asked to create it (GroupService.ensureTopic, one creation in flight per broker) and
 * the answer is COORDINATOR_NOT_AVAILABLE until the view shows it.
 *
 * Transaction keys (type 1) → TRANSACTIONAL_ID_AUTHORIZATION_FAILED (no transaction
 * coordinator); other key types → INVALID_REQUEST. v4+ batches keys (`coordinatorKeys` →
 * `coordinators`); earlier versions answer one key (`key`) at top level.
 */
import { ErrorCode, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '@samsa/codec';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import type { ClusterView } from '../cluster/cluster-view.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../groups/consumer-offsets-log.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

interface Coordinator {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

const NOT_AVAILABLE: Coordinator = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.', nodeId: -1, host: '', port: -1 };

/** The leader of `groupId`'s `__consumer_offsets` partition in `view`, or COORDINATOR_NOT_AVAILABLE. */
function clusterCoordinatorFor(ctx: BrokerContext, view: ClusterView, groupId: string): Coordinator {
  const topic = view.topics.get(CONSUMER_OFFSETS_TOPIC);
  const leader = topic?.partitions[ctx.groups.partitionFor(groupId)]?.leader ?? -1;
  const broker = view.brokers.get(leader);
  if (broker === undefined) return NOT_AVAILABLE;
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.nodeId, host: broker.host, port: broker.port };
}

function coordinatorFor(ctx: BrokerContext, keyType: number, key: string, topicError: number): Coordinator {
  if (keyType === GROUP && topicError !== ErrorCode.NONE) return NOT_AVAILABLE;
  if (keyType === GROUP && ctx.cluster !== null) return clusterCoordinatorFor(ctx, ctx.cluster.view(), key);
  if (keyType === GROUP) {
    const e = ctx.advertised();
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: ctx.nodeId, host: e.host, port: e.port };
  }
  const errorCode = keyType === TRANSACTION ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : ErrorCode.INVALID_REQUEST;
  const errorMessage = keyType === TRANSACTION ? 'Transactions are not supported by this broker' : keyType === SHARE ? 'Share groups are not supported by this broker' : `Unknown key type ${keyType}`;
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

async function handleFindCoordinator(ctx: BrokerContext, req: FindCoordinatorRequest, info: RequestInfo): Promise<FindCoordinatorResponse> {
  const topicError = req.keyType === GROUP ? await ctx.groups.ensureTopic() : ErrorCode.NONE;
  if (info.apiVersion >= 4) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: 0,
      host: '',
      port: 0,
      coordinators: req.coordinatorKeys.map((key) => ({ key, ...coordinatorFor(ctx, req.keyType, key, topicError) })),
    };
  }
  return { throttleTimeMs: 0, ...coordinatorFor(ctx, req.keyType, req.key, topicError), coordinators: [] };
}

export const findCoordinatorHandler = defineHandler({
  apiKey: FindCoordinatorRequestCodec.meta.apiKey,
  name: FindCoordinatorRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 6,
  request: FindCoordinatorRequestCodec,
  response: FindCoordinatorResponseCodec,
  handle: handleFindCoordinator,
});
