/**
 * PushTelemetry (key 72), version 0 (flexible; KIP-714 client metrics).
 *
 * Samsa subscribes no metrics (get-telemetry-subscriptions.ts), so a well-behaved client
 * never pushes any; one that does anyway — or pushes its final, `terminating` push — is
 * answered as Kafka's ClientMetricsManager would, in its order, and the payload dropped
 * unread:
 *   - the zero or another reserved client instance id → INVALID_REQUEST;
 *   - a subscription id other than the one handed out (0) → UNKNOWN_SUBSCRIPTION_ID
 *     (the client asks GetTelemetrySubscriptions again);
 *   - a compression type that is no Kafka codec (not 0-4) → UNSUPPORTED_COMPRESSION_TYPE;
 *   - metrics over telemetryMaxBytes (1 MiB) → TELEMETRY_TOO_LARGE;
 *   - else NONE.
 * Kafka's per-instance checks need state Samsa does not keep (a push after a terminating
 * one → INVALID_REQUEST, a push before the interval elapsed → THROTTLING_QUOTA_EXCEEDED):
 * those pushes are answered NONE. No metrics are decoded (INVALID_RECORD never arises).
 */
import { ErrorCode, isCompressionType, PushTelemetryRequestCodec, PushTelemetryResponseCodec } from '@samsa/codec';
import type { PushTelemetryRequest, PushTelemetryResponse } from '@samsa/codec';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';
import { isReservedUuid, TELEMETRY_MAX_BYTES, TELEMETRY_SUBSCRIPTION_ID } from './get-telemetry-subscriptions.ts';

function pushErrorCode(req: PushTelemetryRequest): number {
  if (isReservedUuid(req.clientInstanceId)) return ErrorCode.INVALID_REQUEST;
  if (req.subscriptionId !== TELEMETRY_SUBSCRIPTION_ID) return ErrorCode.UNKNOWN_SUBSCRIPTION_ID;
  if (!isCompressionType(req.compressionType)) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if (req.metrics.byteLength > TELEMETRY_MAX_BYTES) return ErrorCode.TELEMETRY_TOO_LARGE;
  return ErrorCode.NONE;
}

function handlePushTelemetry(ctx: BrokerContext, req: PushTelemetryRequest): PushTelemetryResponse {
  const errorCode = pushErrorCode(req);
  if (errorCode !== ErrorCode.NONE) ctx.logger.debug({ clientInstanceId: req.clientInstanceId, errorCode }, 'PushTelemetry refused');
  return { throttleTimeMs: 0, errorCode };
}

export const pushTelemetryHandler = defineHandler({
  apiKey: PushTelemetryRequestCodec.meta.apiKey,
  name: PushTelemetryRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: PushTelemetryRequestCodec,
  response: PushTelemetryResponseCodec,
  handle: handlePushTelemetry,
});
