/**
 * InitProducerId (key 22), versions 0-5 — idempotent producers only (v5 only allows
 * TRANSACTION_ABORTABLE, a transactional error this broker never answers).
 *
 * Without a transactional id, Kafka "blindly" hands out a fresh producer id with epoch 0,
 * also when a v3+ client sends its current id/epoch to bump it (KIP-360): the fresh id
 * starts a clean sequence. Producer ids come from blocks persisted in the metadata store
 * before use, so an id is never handed out twice across restarts; in a cluster the blocks
 * are reserved in the cluster's store, so no two brokers hand out the same id either.
 *
 * A transactional id → TRANSACTIONAL_ID_AUTHORIZATION_FAILED: there is no transaction
 * coordinator yet, and a fatal error is kinder than a client retrying forever.
 */
import { ErrorCode, InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '@samsa/codec';
import type { InitProducerIdRequest, InitProducerIdResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';

async function handleInitProducerId(ctx: BrokerContext, req: InitProducerIdRequest): Promise<InitProducerIdResponse> {
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
  }
  try {
    // In a cluster, ids come from blocks every broker reserves in the metadata store, so two
    // brokers never hand out the same id (cluster/producer-id-blocks.ts).
    const producerId = ctx.cluster !== null ? await ctx.cluster.nextProducerId() : await ctx.registry.nextProducerId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  } catch (e) {
    ctx.logger.error({ err: e }, 'persisting a producer id block failed');
    return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
  }
}

export const initProducerIdHandler = defineHandler({
  apiKey: InitProducerIdRequestCodec.meta.apiKey,
  name: InitProducerIdRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 5,
  request: InitProducerIdRequestCodec,
  response: InitProducerIdResponseCodec,
  handle: handleInitProducerId,
});
