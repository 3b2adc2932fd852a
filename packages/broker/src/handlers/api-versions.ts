/**
 * ApiVersions (key 18), versions 0-4 (v4 is v3 with KAFKA-17011's fix: a supported
 * feature's min version may be 0; this broker advertises no features).
 *
 * Lists exactly the handlers in the table with their [min, max] versions — nothing is
 * advertised that is not served. v3 requests carry client software name/version, which
 * are only logged. No features are advertised (no KRaft feature levels to finalize).
 *
 * A request for a version above 4 never reaches this handler: the dispatcher answers it
 * per KIP-511 with a v0 response (error UNSUPPORTED_VERSION + the supported ranges), so
 * the client can retry with a version both sides know.
 */
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec, ErrorCode } from '@samsa/codec';
import type { ApiVersionsResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';

export function apiVersionsBody(ctx: BrokerContext, errorCode: number): ApiVersionsResponse {
  const apiKeys = [...ctx.handlers.values()]
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
  return {
    errorCode,
    apiKeys,
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

export const apiVersionsHandler = defineHandler({
  apiKey: ApiVersionsRequestCodec.meta.apiKey,
  name: ApiVersionsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 4,
  request: ApiVersionsRequestCodec,
  response: ApiVersionsResponseCodec,
  handle: (ctx) => apiVersionsBody(ctx, ErrorCode.NONE),
});
