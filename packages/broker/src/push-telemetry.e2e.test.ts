// PushTelemetry (key 72, KIP-714) through the broker, on the memory runtime:
//   - ApiVersions advertises key 72 as 0-0;
//   - a push with the id and subscription GetTelemetrySubscriptions handed out is answered
//     NONE (terminating or not, uncompressed or with any Kafka codec id), its metrics dropped;
//   - Kafka's refusals, in Kafka's order: the zero or the reserved metadata-topic client
//     instance id → INVALID_REQUEST; another subscription id → UNKNOWN_SUBSCRIPTION_ID; a
//     compression type that is no Kafka codec → UNSUPPORTED_COMPRESSION_TYPE; metrics over
//     telemetryMaxBytes (exactly that many are accepted) → TELEMETRY_TOO_LARGE.
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec, ErrorCode, GetTelemetrySubscriptionsRequestCodec, GetTelemetrySubscriptionsResponseCodec, PushTelemetryRequestCodec, PushTelemetryResponseCodec, ZERO_UUID } from '@samsa/codec';
import type { PushTelemetryRequest } from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { startTestBroker } from './testing/test-broker.ts';

const PUSH_TELEMETRY = 72;
const METADATA_TOPIC_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function push(client: KafkaTestClient, body: PushTelemetryRequest): Promise<number> {
  const r = await client.request(PUSH_TELEMETRY, 0, PushTelemetryRequestCodec, body, PushTelemetryResponseCodec);
  expect(r.throttleTimeMs).toBe(0);
  return r.errorCode;
}

/** A connected client and the subscription the broker handed it. */
async function subscribed(): Promise<{ client: KafkaTestClient; ok: PushTelemetryRequest; maxBytes: number }> {
  const tb = await startTestBroker();
  stops.push(() => tb.stop());
  const client = await tb.connect();
  const sub = await client.request(71, 0, GetTelemetrySubscriptionsRequestCodec, { clientInstanceId: ZERO_UUID }, GetTelemetrySubscriptionsResponseCodec);
  expect(sub.errorCode).toBe(ErrorCode.NONE);
  const ok: PushTelemetryRequest = { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: 0, metrics: new Uint8Array([1, 2, 3]) };
  return { client, ok, maxBytes: sub.telemetryMaxBytes };
}

describe('PushTelemetry', () => {
  it('accepts a push on the subscription handed out', async () => {
    const { client, ok } = await subscribed();
    const api = (await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec)).apiKeys.find((k) => k.apiKey === PUSH_TELEMETRY);
    expect(api && [api.minVersion, api.maxVersion]).toEqual([0, 0]);
    expect(await push(client, ok)).toBe(ErrorCode.NONE);
    expect(await push(client, { ...ok, metrics: new Uint8Array(0) })).toBe(ErrorCode.NONE);
    for (const compressionType of [1, 2, 3, 4]) expect(await push(client, { ...ok, compressionType })).toBe(ErrorCode.NONE);
    expect(await push(client, { ...ok, terminating: true })).toBe(ErrorCode.NONE);
  });

  it('refuses as Kafka does, in Kafka’s order', async () => {
    const { client, ok, maxBytes } = await subscribed();
    expect(maxBytes).toBe(1_048_576);
    expect(await push(client, { ...ok, clientInstanceId: ZERO_UUID })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await push(client, { ...ok, clientInstanceId: METADATA_TOPIC_UUID })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await push(client, { ...ok, clientInstanceId: ZERO_UUID, subscriptionId: 9, compressionType: 9 })).toBe(ErrorCode.INVALID_REQUEST);
    expect(await push(client, { ...ok, subscriptionId: 9 })).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    expect(await push(client, { ...ok, subscriptionId: -1, compressionType: 9 })).toBe(ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
    for (const compressionType of [5, 7, -1, 127]) expect(await push(client, { ...ok, compressionType })).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(await push(client, { ...ok, compressionType: 9, metrics: new Uint8Array(maxBytes + 1) })).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(await push(client, { ...ok, metrics: new Uint8Array(maxBytes + 1) })).toBe(ErrorCode.TELEMETRY_TOO_LARGE);
    expect(await push(client, { ...ok, metrics: new Uint8Array(maxBytes) })).toBe(ErrorCode.NONE);
  });
});
