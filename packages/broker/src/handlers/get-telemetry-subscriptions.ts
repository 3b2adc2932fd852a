/**
 * GetTelemetrySubscriptions (key 71), version 0 (flexible; KIP-714 client metrics).
 *
 * Answered as Kafka answers with no client-metrics subscription configured, so a client
 * that probes it (Java 3.7+, librdkafka 2.5+ with enable.metrics.push) learns that no
 * metrics are wanted and stops there: the request's client instance id — a fresh random
 * uuid when the request's is the zero uuid (from the broker's seeded Random; never the zero
 * uuid, Kafka's reserved metadata-topic id, nor one whose text starts with '-', as Kafka's
 * Uuid.randomUuid) — subscriptionId `TELEMETRY_SUBSCRIPTION_ID` (0), no accepted
 * compression types (a client pushes uncompressed), pushIntervalMs 300000 (Kafka's
 * default interval), telemetryMaxBytes 1048576 (telemetry.max.bytes' default),
 * deltaTemporality true and requestedMetrics [] (empty: no metrics). Always NONE.
 *
 * Samsa keeps no per-client-instance state, so Kafka's stateful refusals (a request
 * before the push interval elapsed: THROTTLING_QUOTA_EXCEEDED) do not apply; nor is a
 * minted id remembered — PushTelemetry (push-telemetry.ts) checks what it can alone.
 */
import { ErrorCode, GetTelemetrySubscriptionsRequestCodec, GetTelemetrySubscriptionsResponseCodec, uuidToString, ZERO_UUID } from '@samsa/codec';
import type { GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse } from '@samsa/codec';
import type { Random } from '@samsa/runtime';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from './api-handler.ts';

/** The one subscription set there is (none): what every answer carries and every push must name. */
export const TELEMETRY_SUBSCRIPTION_ID = 0;
/** Kafka's ClientMetricsConfigs.DEFAULT_INTERVAL_MS. */
export const TELEMETRY_PUSH_INTERVAL_MS = 300_000;
/** Kafka's telemetry.max.bytes default: the largest metrics payload a push may carry. */
export const TELEMETRY_MAX_BYTES = 1_048_576;
/** Kafka's Uuid.METADATA_TOPIC_ID, reserved like the zero uuid. */
export const METADATA_TOPIC_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';
/** A retry bound for minting an id: a draw is refused with probability about 2^-6, so this is never reached by chance. */
const UUID_DRAWS_MAX = 100;
const UUID_BYTES = 16;

/** True for the ids no client instance may have (Kafka's Uuid.RESERVED). */
export function isReservedUuid(id: string): boolean {
  return id === ZERO_UUID || id === METADATA_TOPIC_UUID;
}

/** A new client instance id, as Kafka's Uuid.randomUuid: not reserved, not starting with '-'. */
export function newClientInstanceId(random: Random): string {
  for (let draw = 0; draw < UUID_DRAWS_MAX; draw++) {
    const id = uuidToString(random.fill(new Uint8Array(UUID_BYTES)), 0);
    if (!isReservedUuid(id) && !id.startsWith('-')) return id;
  }
  throw new Error(`no usable uuid in ${UUID_DRAWS_MAX} draws: the Random is broken`);
}

function handleGetTelemetrySubscriptions(ctx: BrokerContext, req: GetTelemetrySubscriptionsRequest): GetTelemetrySubscriptionsResponse {
  const clientInstanceId = req.clientInstanceId === ZERO_UUID ? newClientInstanceId(ctx.random) : req.clientInstanceId;
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    clientInstanceId,
    subscriptionId: TELEMETRY_SUBSCRIPTION_ID,
    acceptedCompressionTypes: [],
    pushIntervalMs: TELEMETRY_PUSH_INTERVAL_MS,
    telemetryMaxBytes: TELEMETRY_MAX_BYTES,
    deltaTemporality: true,
    requestedMetrics: [],
  };
}

export const getTelemetrySubscriptionsHandler = defineHandler({
  apiKey: GetTelemetrySubscriptionsRequestCodec.meta.apiKey,
  name: GetTelemetrySubscriptionsRequestCodec.meta.apiName,
  minVersion: 0,
  maxVersion: 0,
  request: GetTelemetrySubscriptionsRequestCodec,
  response: GetTelemetrySubscriptionsResponseCodec,
  handle: handleGetTelemetrySubscriptions,
});
