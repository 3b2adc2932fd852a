// GetTelemetrySubscriptions (key 71, KIP-714) through the broker, on the memory runtime:
//   - ApiVersions advertises key 71 as 0-0;
//   - a request with the zero client instance id gets a fresh id (a canonical uuid, never
//     the zero or the reserved metadata-topic id), another one each time; a request with an
//     id gets it back; the rest is Kafka's answer with no subscriptions: subscription 0, no
//     compression types, push interval 300000 ms, 1 MiB telemetryMaxBytes, delta
//     temporality, no requested metrics, NONE;
//   - the ids come from the broker's seeded Random: the same seed mints the same ids, another
//     seed others (a call to Math.random or crypto would break the first);
//   - minting skips the reserved ids and ids whose text starts with '-', as Kafka's Uuid.randomUuid.
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec, ErrorCode, GetTelemetrySubscriptionsRequestCodec, GetTelemetrySubscriptionsResponseCodec, isUuid, ZERO_UUID } from '@samsa/codec';
import type { GetTelemetrySubscriptionsResponse } from '@samsa/codec';
import type { Random } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { METADATA_TOPIC_UUID, newClientInstanceId } from './handlers/get-telemetry-subscriptions.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { startTestBroker } from './testing/test-broker.ts';

const GET_TELEMETRY_SUBSCRIPTIONS = 71;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function getSubscriptions(client: KafkaTestClient, clientInstanceId: string): Promise<GetTelemetrySubscriptionsResponse> {
  return client.request(GET_TELEMETRY_SUBSCRIPTIONS, 0, GetTelemetrySubscriptionsRequestCodec, { clientInstanceId }, GetTelemetrySubscriptionsResponseCodec);
}

async function connected(seed: number): Promise<KafkaTestClient> {
  const tb = await startTestBroker({ seed });
  stops.push(() => tb.stop());
  return tb.connect();
}

/** The ids minted for `count` zero-id requests on a broker seeded with `seed`. */
async function mintedIds(seed: number, count: number): Promise<string[]> {
  const client = await connected(seed);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await getSubscriptions(client, ZERO_UUID)).clientInstanceId);
  return ids;
}

describe('GetTelemetrySubscriptions', () => {
  it('mints an id for the zero id, echoes any other, and subscribes no metrics', async () => {
    const client = await connected(0);
    const api = (await client.request(18, 3, ApiVersionsRequestCodec, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, ApiVersionsResponseCodec)).apiKeys.find((k) => k.apiKey === GET_TELEMETRY_SUBSCRIPTIONS);
    expect(api && [api.minVersion, api.maxVersion]).toEqual([0, 0]);
    const first = await getSubscriptions(client, ZERO_UUID);
    const { clientInstanceId, ...rest } = first;
    expect(rest).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      subscriptionId: 0,
      acceptedCompressionTypes: [],
      pushIntervalMs: 300_000,
      telemetryMaxBytes: 1_048_576,
      deltaTemporality: true,
      requestedMetrics: [],
      unknownTaggedFields: undefined,
    });
    expect(isUuid(clientInstanceId)).toBe(true);
    expect([ZERO_UUID, METADATA_TOPIC_UUID]).not.toContain(clientInstanceId);
    expect(clientInstanceId.startsWith('-')).toBe(false);
    const second = await getSubscriptions(client, ZERO_UUID);
    expect(second.clientInstanceId).not.toBe(clientInstanceId);
    const again = await getSubscriptions(client, clientInstanceId);
    expect([again.errorCode, again.clientInstanceId, again.subscriptionId, again.requestedMetrics]).toEqual([ErrorCode.NONE, clientInstanceId, 0, []]);
  });

  it('takes the ids from the broker’s seeded Random', async () => {
    const a = await mintedIds(7, 3);
    const b = await mintedIds(7, 3);
    const c = await mintedIds(8, 3);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set([...a, ...c]).size).toBe(6);
  });

  it('never mints a reserved id nor one whose text starts with "-"', () => {
    // Draws in order: all zeros (ZERO_UUID), 15 zeros and a 1 (the metadata topic id), 0xf8.. ('-' first), then a good one.
    const draws = [new Uint8Array(16), Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0)), new Uint8Array(16).fill(0xf8), new Uint8Array(16).fill(0x11)];
    let n = 0;
    const scripted: Random = {
      seed: 0,
      next: () => 0,
      nextUint32: () => 0,
      int: (min) => min,
      fill(bytes) {
        bytes.set(draws[n++]!);
        return bytes;
      },
    };
    const id = newClientInstanceId(scripted);
    expect(n).toBe(4);
    expect(id).toBe('EREREREREREREREREREREQ'); // sixteen 0x11 bytes
    expect(isUuid(id)).toBe(true);
  });
});
