import { ApiKey, ErrorCode, FetchRequestCodec, FetchResponseCodec, MetadataRequestCodec, MetadataResponseCodec } from '@samsa/codec/wire';
import { ManualClock, MemoryTransport } from '@samsa/runtime/memory';
import type { Connection } from '@samsa/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../test/support/test-broker.ts';
import type { TestBroker } from '../../test/support/test-broker.ts';
import { KafkaAbortError, KafkaConnectionError, KafkaTimeoutError, UnsupportedVersionError } from '../errors.ts';
import { BrokerConnection } from './broker-connection.ts';
import { CLIENT_API_VERSIONS } from './client-api-versions.ts';

const metadataAll = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
const metadataApi = { request: MetadataRequestCodec, response: MetadataResponseCodec };

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

describe('BrokerConnection against the test broker', () => {
  it('negotiates min(client max, broker max) and pipelines requests in order', async () => {
    tb = await startTestBroker();
    const c = await BrokerConnection.connect({ transport: tb.transport, clock: tb.clock, host: '127.0.0.1', port: tb.port });
    expect(c.versionOf(ApiKey.Metadata)).toBe(12);
    expect(c.versionOf(ApiKey.Produce)).toBe(11);
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => c.request(metadataApi, metadataAll)));
    expect(answers).toHaveLength(5);
    for (const a of answers) expect(a.brokers[0]?.port).toBe(tb.port);
    await c.close();
    expect(c.isClosed).toBe(true);
  });

  it('picks the broker max when the client knows newer versions, and refuses an API with no common version', async () => {
    tb = await startTestBroker();
    const versions = new Map(CLIENT_API_VERSIONS);
    versions.set(ApiKey.Metadata, { minVersion: 1, maxVersion: 99 });
    versions.set(ApiKey.Fetch, { minVersion: 50, maxVersion: 60 });
    const c = await BrokerConnection.connect({ transport: tb.transport, clock: tb.clock, host: '127.0.0.1', port: tb.port, clientApiVersions: versions });
    expect(c.versionOf(ApiKey.Metadata)).toBe(12);
    expect(c.versionOf(ApiKey.Fetch)).toBeUndefined();
    await expect(c.request({ request: FetchRequestCodec, response: FetchResponseCodec }, {} as never)).rejects.toBeInstanceOf(UnsupportedVersionError);
    await c.close();
  });

  it('falls back when the broker does not know the client ApiVersions version (KIP-511)', async () => {
    tb = await startTestBroker();
    const versions = new Map(CLIENT_API_VERSIONS);
    versions.set(ApiKey.ApiVersions, { minVersion: 0, maxVersion: 4 });
    const c = await BrokerConnection.connect({ transport: tb.transport, clock: tb.clock, host: '127.0.0.1', port: tb.port, clientApiVersions: versions });
    expect(c.versionOf(ApiKey.ApiVersions)).toBe(4);
    await c.close();
  });

  it('fails a refused connect with a retriable KafkaConnectionError', async () => {
    const transport = new MemoryTransport();
    const error = await BrokerConnection.connect({ transport, clock: new ManualClock(), host: '127.0.0.1', port: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaConnectionError);
    expect((error as KafkaConnectionError).retriable).toBe(true);
  });
});

/** A fake broker: answers ApiVersions, then hands every later frame to `onFrame`. */
async function fakeBroker(onFrame: (socket: Connection, frame: Uint8Array, correlationId: number) => void) {
  const transport = new MemoryTransport();
  const clock = new ManualClock();
  const { encodeResponseFrame, ApiVersionsResponseCodec, FrameSplitter } = await import('@samsa/codec/wire');
  const listener = await transport.listen({ host: '127.0.0.1', port: 0 }, (socket) => {
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
    socket.start({
      onData: (chunk) => {
        for (const frame of splitter.push(chunk)) {
          const apiKey = (frame[0]! << 8) | frame[1]!;
          const version = (frame[2]! << 8) | frame[3]!;
          const correlationId = new DataView(frame.buffer, frame.byteOffset).getInt32(4);
          if (apiKey === ApiKey.ApiVersions) {
            const body = {
              errorCode: ErrorCode.NONE,
              apiKeys: [...CLIENT_API_VERSIONS].map(([k, r]) => ({ apiKey: k, minVersion: r.minVersion, maxVersion: r.maxVersion })),
              throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false,
            };
            void socket.write(encodeResponseFrame(ApiKey.ApiVersions, version, correlationId, ApiVersionsResponseCodec, body));
          } else {
            onFrame(socket, frame, correlationId);
          }
        }
      },
      onClose: () => {},
    });
  });
  return { transport, clock, port: listener.port };
}

describe('BrokerConnection failure handling', () => {
  it('a malformed response closes the connection and fails every in-flight request', async () => {
    const fake = await fakeBroker((socket, _frame, correlationId) => {
      // A frame with the right correlation id but a body cut short.
      void socket.write(new Uint8Array([0, 0, 0, 6, correlationId >>> 24, (correlationId >>> 16) & 0xff, (correlationId >>> 8) & 0xff, correlationId & 0xff, 0, 0]));
    });
    const c = await BrokerConnection.connect({ transport: fake.transport, clock: fake.clock, host: '127.0.0.1', port: fake.port });
    const results = await Promise.allSettled([c.request(metadataApi, metadataAll), c.request(metadataApi, metadataAll)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(KafkaConnectionError);
    }
    expect(c.isClosed).toBe(true);
  });

  it('a response with the wrong correlation id closes the connection', async () => {
    const fake = await fakeBroker((socket, _frame, correlationId) => {
      const id = correlationId + 7;
      void socket.write(new Uint8Array([0, 0, 0, 4, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]));
    });
    const c = await BrokerConnection.connect({ transport: fake.transport, clock: fake.clock, host: '127.0.0.1', port: fake.port });
    await expect(c.request(metadataApi, metadataAll)).rejects.toThrow(/correlation id/);
    expect(c.isClosed).toBe(true);
  });

  it('a response frame over the bound closes the connection', async () => {
    const fake = await fakeBroker((socket) => void socket.write(new Uint8Array([0x10, 0, 0, 0])));
    const c = await BrokerConnection.connect({ transport: fake.transport, clock: fake.clock, host: '127.0.0.1', port: fake.port, responseFrameBytesMax: 1024 });
    await expect(c.request(metadataApi, metadataAll)).rejects.toThrow(/frameBytesMax/);
    expect(c.isClosed).toBe(true);
  });

  it('times out on the clock, fails the request with KafkaTimeoutError and closes', async () => {
    const fake = await fakeBroker(() => {});
    const c = await BrokerConnection.connect({ transport: fake.transport, clock: fake.clock, host: '127.0.0.1', port: fake.port, requestTimeoutMs: 500 });
    const first = c.request(metadataApi, metadataAll).catch((e: unknown) => e);
    const second = c.request(metadataApi, metadataAll, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 5));
    fake.clock.advance(499);
    expect(c.isClosed).toBe(false);
    fake.clock.advance(1);
    expect(await first).toBeInstanceOf(KafkaTimeoutError);
    expect(await second).toBeInstanceOf(KafkaConnectionError);
    expect(c.isClosed).toBe(true);
  });

  it('abort before and after writing rejects with KafkaAbortError, and the connection stays usable', async () => {
    const answered: number[] = [];
    const fake = await fakeBroker((_socket, _frame, correlationId) => answered.push(correlationId));
    const c = await BrokerConnection.connect({ transport: fake.transport, clock: fake.clock, host: '127.0.0.1', port: fake.port, inFlightRequestsMax: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const p1 = c.request(metadataApi, metadataAll, { signal: first.signal }).catch((e: unknown) => e);
    const p2 = c.request(metadataApi, metadataAll, { signal: second.signal }).catch((e: unknown) => e);
    second.abort(); // still queued for the one in-flight slot
    first.abort(); // already written
    expect(await p1).toBeInstanceOf(KafkaAbortError);
    expect(await p2).toBeInstanceOf(KafkaAbortError);
    expect(c.isClosed).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    expect(answered).toHaveLength(1);
  });

  it('bounds the requests in flight: the rest wait for a slot', async () => {
    const pending: { socket: Connection; correlationId: number }[] = [];
    const fake = await fakeBroker((socket, _frame, correlationId) => pending.push({ socket, correlationId }));
    const c = await BrokerConnection.connect({ transport: fake.transport, clock: fake.clock, host: '127.0.0.1', port: fake.port, inFlightRequestsMax: 2 });
    const all = [1, 2, 3].map(() => c.request(metadataApi, metadataAll).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 5));
    expect(pending).toHaveLength(2);
    expect(c.inFlightCount).toBe(2);
    await c.close();
    for (const p of all) expect(await p).toBeInstanceOf(KafkaConnectionError);
  });
});
