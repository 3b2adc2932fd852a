/**
 * FindCoordinator (key 10), versions 0-4.
 *
 * Group keys (key type 0) are coordinated by this broker: answer its node id and
 * advertised endpoint. The first group lookup creates `__consumer_offsets` (if that
 * fails: COORDINATOR_NOT_AVAILABLE, which clients retry). Transaction keys (type 1) → TRANSACTIONAL_ID_AUTHORIZATION_FAILED (no
 * transaction coordinator); other key types → INVALID_REQUEST. v4+ batches keys
 * (`coordinatorKeys` → `coordinators`); earlier versions answer one key at top level.
 */
import { ErrorCode, FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '@samsa/codec';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import type { RequestInfo } from './api-handler.ts';

const GROUP = 0;
const TRANSACTION = 1;

function coordinatorFor(ctx: BrokerContext, keyType: number, topicError: number) {
  if (keyType === GROUP && topicError !== ErrorCode.NONE) {
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.', nodeId: -1, host: '', port: -1 };
  }
  if (keyType === GROUP) {
    const e = ctx.advertised();
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: ctx.nodeId, host: e.host, port: e.port };
  }
  const errorCode = keyType === TRANSACTION ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : ErrorCode.INVALID_REQUEST;
  const errorMessage = keyType === TRANSACTION ? 'Transactions are not supported by this broker' : `Unknown key type ${keyType}`;
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
      coordinators: req.coordinatorKeys.map((key) => ({ key, ...coordinatorFor(ctx, req.keyType, topicError) })),
    };
  }
  return { throttleTimeMs: 0, ...coordinatorFor(ctx, req.keyType, topicError), coordinators: [] };
}

export const findCoordinatorHandler = defineHandler({
  apiKey: FindCoordinatorRequestCodec.meta.apiKey,
  name: FindCoordinatorRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 4,
  request: FindCoordinatorRequestCodec,
  response: FindCoordinatorResponseCodec,
  handle: handleFindCoordinator,
});
