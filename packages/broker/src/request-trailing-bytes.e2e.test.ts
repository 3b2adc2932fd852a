// Bytes after a request body are ignored, as Kafka ignores them (issue 11, defect B), and
// counted per API; a body that is short or malformed still closes the connection.
//
// The frames are written byte by byte as librdkafka >= 2.1 writes its all-topics Metadata
// request at v9+: an int32 0 where the compact-array null belongs (see the codec's
// librdkafka-metadata-bytes test for what each byte decodes to).
import {
  ApiVersionsRequestCodec,
  ApiVersionsResponseCodec,
  CreateTopicsRequestCodec,
  CreateTopicsResponseCodec,
  ErrorCode,
  FindCoordinatorRequestCodec,
  FindCoordinatorResponseCodec,
  MetadataRequestCodec,
  MetadataResponseCodec,
  Writer,
  ZERO_UUID,
} from '@samsa/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { Metrics } from './observability/metrics.ts';
import { noopMetrics } from './observability/metrics.ts';
import { encodeRequest } from './testing/kafka-test-client.ts';
import type { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';
import type { TestBroker } from './testing/test-broker.ts';

let tb: TestBroker | null = null;
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

interface Recorded {
  trailing: Array<{ api: string; bytes: number }>;
  rejected: string[];
}

async function setup(): Promise<{ tb: TestBroker; client: KafkaTestClient; rec: Recorded }> {
  const rec: Recorded = { trailing: [], rejected: [] };
  const metrics: Metrics = {
    ...noopMetrics,
    requestTrailingBytes: (api, bytes) => void rec.trailing.push({ api, bytes }),
    connectionRejected: (reason) => void rec.rejected.push(reason),
  };
  tb = await startTestBroker({ metrics });
  const client = await tb.connect();
  for (const name of ['alpha', 'beta']) {
    const res = await client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody(name, 1), CreateTopicsResponseCodec);
    expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
  }
  return { tb, client, rec };
}

/** A Metadata v`v` request frame (size prefix included) with header v2 and the given raw body. */
function metadataFrame(v: number, correlationId: number, body: number[]): Uint8Array {
  const clientId = new TextEncoder().encode('rdkafka');
  const size = 8 + 2 + clientId.length + 1 + body.length;
  const w = new Writer(4 + size);
  w.int32(size);
  w.int16(3);
  w.int16(v);
  w.int32(correlationId);
  w.int16(clientId.length);
  w.raw(clientId);
  w.uvarint(0); // header tagged fields
  w.raw(Uint8Array.from(body));
  return w.finish();
}

/** librdkafka's all-topics body: int32 0, then its booleans, then the tagged-field count 0. */
function librdkafkaAllTopicsBody(v: number, allowAuto: number): number[] {
  return v >= 11 ? [0, 0, 0, 0, allowAuto, 0, 0] : [0, 0, 0, 0, allowAuto, 0, 0, 0];
}

describe('bytes after a request body (librdkafka >= 2.1 all-topics Metadata)', () => {
  for (const v of [9, 10, 11, 12]) {
    it(`Metadata v${v} with librdkafka's int32 0: answers every topic, keeps the connection, counts the bytes`, async () => {
      const { client, rec } = await setup();
      const before = rec.trailing.length;
      const sent = { apiKey: 3, apiVersion: v, correlationId: 4242 };
      client.writeRaw(metadataFrame(v, sent.correlationId, librdkafkaAllTopicsBody(v, 0)));
      const res = await client.receive(sent, MetadataResponseCodec);
      expect(res.topics.map((t) => t.name).sort()).toEqual(['alpha', 'beta']);
      expect(res.topics.every((t) => t.errorCode === ErrorCode.NONE && t.partitions.length === 1)).toBe(true);
      expect(rec.trailing.slice(before)).toEqual([{ api: 'Metadata', bytes: 3 }]);
      // The same connection still serves requests.
      const again = await client.request(3, v, MetadataRequestCodec, { topics: [{ topicId: ZERO_UUID, name: 'beta' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
      expect(again.topics.map((t) => t.name)).toEqual(['beta']);
      expect(client.isClosed).toBe(false);
      expect(rec.rejected).toEqual([]);
    });
  }

  it('Metadata v10 with allowAutoTopicCreation=1: the leftover bytes read as a tagged field, all topics answered', async () => {
    const { client, rec } = await setup();
    const sent = { apiKey: 3, apiVersion: 10, correlationId: 7 };
    client.writeRaw(metadataFrame(10, 7, librdkafkaAllTopicsBody(10, 1)));
    const res = await client.receive(sent, MetadataResponseCodec);
    expect(res.topics.map((t) => t.name).sort()).toEqual(['alpha', 'beta']);
    expect(rec.trailing).toEqual([{ api: 'Metadata', bytes: 1 }]);
    expect(client.isClosed).toBe(false);
  });

  it('accepts trailing bytes after any API body (FindCoordinator, ApiVersions)', async () => {
    const { client, rec } = await setup();
    const extra = Uint8Array.from([1, 2, 3, 4, 5]);
    const withExtra = (frame: Uint8Array): Uint8Array => {
      const out = new Uint8Array(frame.length + extra.length);
      out.set(frame);
      out.set(extra, frame.length);
      new DataView(out.buffer).setInt32(0, out.length - 4);
      return out;
    };
    client.writeRaw(withExtra(encodeRequest(10, 3, 11, 'c', FindCoordinatorRequestCodec, { key: 'g', keyType: 0, coordinatorKeys: [] })));
    const fc = await client.receive({ apiKey: 10, apiVersion: 3, correlationId: 11 }, FindCoordinatorResponseCodec);
    expect(fc.errorCode).toBe(ErrorCode.NONE);
    client.writeRaw(withExtra(encodeRequest(18, 3, 12, 'c', ApiVersionsRequestCodec, { clientSoftwareName: 'a', clientSoftwareVersion: '1' })));
    const av = await client.receive({ apiKey: 18, apiVersion: 3, correlationId: 12 }, ApiVersionsResponseCodec);
    expect(av.errorCode).toBe(ErrorCode.NONE);
    expect(rec.trailing).toEqual([
      { api: 'FindCoordinator', bytes: 5 },
      { api: 'ApiVersions', bytes: 5 },
    ]);
    expect(client.isClosed).toBe(false);
  });

  it('still closes on a short body, and on a malformed one (a count larger than the bytes left)', async () => {
    const { tb, rec } = await setup();
    const short = await tb.connect();
    short.writeRaw(metadataFrame(12, 1, [0, 0])); // null topics, one boolean, then nothing: short
    await short.closed;
    const malformed = await tb.connect();
    malformed.writeRaw(metadataFrame(12, 2, [0x7f, 0, 0, 0, 0, 0, 0])); // 126 topics in 6 bytes
    await malformed.closed;
    expect(rec.rejected).toEqual(['malformed', 'malformed']);
    expect(rec.trailing).toEqual([]);
    const good = await tb.connect();
    const ok = await good.request(3, 12, MetadataRequestCodec, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, MetadataResponseCodec);
    expect(ok.topics).toHaveLength(2);
  });
});
