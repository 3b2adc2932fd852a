// The one request decoder (issue 12): peekRequestHeader, decodeRequest. What the broker relies
// on: header version from the API's flexible versions, bytes after the body ignored and
// counted, a short or malformed header or body a DecodeError, the ids readable in any case.
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { Writer } from '../primitives/writer.ts';
import { decodeRequest, encodeRequestFrame, peekRequestHeader, RequestFrameError } from './frames.ts';
import { ApiKey } from './generated/api-keys.ts';
import { ApiVersionsRequestCodec } from './generated/api-versions-request.ts';
import { ControlledShutdownRequestCodec } from './generated/controlled-shutdown-request.ts';
import { FindCoordinatorRequestCodec } from './generated/find-coordinator-request.ts';
import { MetadataRequestCodec } from './generated/metadata-request.ts';
import type { MetadataRequest } from './generated/metadata-request.ts';

const ALL_TOPICS: MetadataRequest = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

/** A request frame without its size prefix, as the connection layer hands it over. */
const frameOf = (f: Uint8Array): Uint8Array => f.subarray(4);

/** A Metadata v`v` frame (no size prefix) with header v2 and a raw body, as librdkafka writes it. */
function metadataFrame(v: number, body: number[]): Uint8Array {
  const clientId = new TextEncoder().encode('rdkafka');
  const w = new Writer(8 + 2 + clientId.length + 1 + body.length);
  w.int16(ApiKey.Metadata);
  w.int16(v);
  w.int32(77);
  w.int16(clientId.length);
  w.raw(clientId);
  w.uvarint(0);
  w.raw(Uint8Array.from(body));
  return w.finish();
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('peekRequestHeader', () => {
  it('reads the fixed 8 bytes of a frame view at any offset, and nothing from a shorter one', () => {
    const frame = frameOf(encodeRequestFrame({ requestApiKey: ApiKey.Metadata, requestApiVersion: 12, correlationId: -5, clientId: 'c' }, MetadataRequestCodec, ALL_TOPICS));
    expect(frame.byteOffset).toBe(4);
    expect(peekRequestHeader(frame)).toEqual({ apiKey: 3, apiVersion: 12, correlationId: -5 });
    expect(peekRequestHeader(frame.subarray(0, 7))).toBeNull();
  });
});

describe('decodeRequest', () => {
  it('decodes header and body; the header version follows the API (v1 before flexible, v2 after)', () => {
    for (const [v, headerVersion] of [
      [8, 1],
      [9, 2],
    ] as const) {
      const frame = frameOf(encodeRequestFrame({ requestApiKey: ApiKey.Metadata, requestApiVersion: v, correlationId: 9, clientId: 'me' }, MetadataRequestCodec, ALL_TOPICS));
      const got = decodeRequest(frame, MetadataRequestCodec);
      expect(got.headerVersion).toBe(headerVersion);
      expect(got.header).toEqual({ requestApiKey: 3, requestApiVersion: v, correlationId: 9, clientId: 'me' });
      expect(got.body.topics).toBeNull();
      expect(got.trailingBytes).toBe(0);
    }
  });

  it('reads ControlledShutdown v0 with request header v0 (no client id), as Kafka does', () => {
    const frame = frameOf(encodeRequestFrame({ requestApiKey: ApiKey.ControlledShutdown, requestApiVersion: 0, correlationId: 3, clientId: null }, ControlledShutdownRequestCodec, { brokerId: 7, brokerEpoch: -1 }));
    const got = decodeRequest(frame, ControlledShutdownRequestCodec);
    expect(got.headerVersion).toBe(0);
    expect(got.body.brokerId).toBe(7);
    expect(got.trailingBytes).toBe(0);
  });

  it("ignores and counts the bytes after librdkafka's all-topics Metadata v12 body", () => {
    const got = decodeRequest(metadataFrame(12, [0, 0, 0, 0, 0, 0, 0]), MetadataRequestCodec);
    expect(got.body.topics).toBeNull();
    expect(got.header.clientId).toBe('rdkafka');
    expect(got.trailingBytes).toBe(3);
  });

  it('ignores and counts bytes after any body', () => {
    const extra = [1, 2, 3, 4, 5];
    const withExtra = (f: Uint8Array): Uint8Array => Uint8Array.from([...frameOf(f), ...extra]);
    const fc = decodeRequest(withExtra(encodeRequestFrame({ requestApiKey: ApiKey.FindCoordinator, requestApiVersion: 3, correlationId: 1, clientId: 'c' }, FindCoordinatorRequestCodec, { key: 'g', keyType: 0, coordinatorKeys: [] })), FindCoordinatorRequestCodec);
    expect(fc.body.key).toBe('g');
    expect(fc.trailingBytes).toBe(5);
    const av = decodeRequest(withExtra(encodeRequestFrame({ requestApiKey: ApiKey.ApiVersions, requestApiVersion: 3, correlationId: 2, clientId: 'c' }, ApiVersionsRequestCodec, { clientSoftwareName: 'a', clientSoftwareVersion: '1' })), ApiVersionsRequestCodec);
    expect(av.body.clientSoftwareName).toBe('a');
    expect(av.trailingBytes).toBe(5);
  });

  it('fails a short body and a malformed one (a count larger than the bytes left) with the body DecodeError', () => {
    const short = thrown(() => decodeRequest(metadataFrame(12, [0, 0]), MetadataRequestCodec));
    expect(short).toBeInstanceOf(DecodeError);
    expect((short as DecodeError).reason).toBe('truncated');
    expect((short as DecodeError).api).toBe('MetadataRequest');
    const malformed = thrown(() => decodeRequest(metadataFrame(12, [0x7f, 0, 0, 0, 0, 0, 0]), MetadataRequestCodec));
    expect(malformed).toBeInstanceOf(DecodeError);
    expect((malformed as DecodeError).reason).toBe('bad-length');
    expect((malformed as DecodeError).path).toBe('topics');
  });

  it('fails a header cut inside the client id with a RequestFrameError that still carries the ids', () => {
    const err = thrown(() => decodeRequest(Uint8Array.from([0, 3, 0, 1, 0, 0, 0, 8, 0, 10, 65]), MetadataRequestCodec));
    expect(err).toBeInstanceOf(RequestFrameError);
    expect(err).toMatchObject({ apiKey: 3, apiVersion: 1, correlationId: 8, reason: 'bad-length' });
  });

  it("refuses another API's codec as a programmer error, not as bad input", () => {
    const frame = frameOf(encodeRequestFrame({ requestApiKey: ApiKey.Metadata, requestApiVersion: 12, correlationId: 1, clientId: null }, MetadataRequestCodec, ALL_TOPICS));
    const err = thrown(() => decodeRequest(frame, FindCoordinatorRequestCodec));
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DecodeError);
    expect((err as Error).message).toContain('FindCoordinatorRequest');
  });
});
