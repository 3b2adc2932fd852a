/**
 * Kafka request frames a bench writes to a broker socket itself (no client library), built
 * with @samsa/codec's generated codecs: the frame is exactly what a client would send.
 * Record timestamps start at BASE_TIMESTAMP_MS, a fixed time, so one run builds the same bytes.
 */
import { buildRecordBatch, encodeRequestFrame } from '@samsa/codec';
import type { MessageCodec, ProduceRequest } from '@samsa/codec';

const BASE_TIMESTAMP_MS = 1_700_000_000_000;
const PRODUCE_TIMEOUT_MS = 1000;
const encoder = new TextEncoder();

/** A whole request frame, size prefix included. */
export function encodeRequest<Req>(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, codec: MessageCodec<Req>, body: Req): Uint8Array {
  return encodeRequestFrame({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId }, codec, body);
}

/** A Produce body with one record set for one partition. */
export function produceBody(topic: string, partition: number, records: Uint8Array | null, acks = 1): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: PRODUCE_TIMEOUT_MS, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

/** One record batch: the values in order, keys `k0`, `k1`…, timestamps from BASE_TIMESTAMP_MS. */
export function batchOf(values: readonly string[], options: Parameters<typeof buildRecordBatch>[1] = {}): Uint8Array {
  return buildRecordBatch(
    values.map((v, i) => ({ key: encoder.encode(`k${i}`), value: encoder.encode(v), timestampMs: BASE_TIMESTAMP_MS + i })),
    options,
  );
}
