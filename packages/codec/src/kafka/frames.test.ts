// Request/response frames and header versions.
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../decode-error.ts';
import { decodeMessage } from './encode-decode.ts';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame, peekClientId, PEEKED_CLIENT_ID_CHARS_MAX, RequestFrameError, requestHeaderVersion, responseHeaderVersion } from './frames.ts';
import { apiByKey } from './generated/registry.ts';
import { ApiVersionsRequestCodec } from './generated/api-versions-request.ts';
import { ApiVersionsResponseCodec } from './generated/api-versions-response.ts';
import { MetadataRequestCodec } from './generated/metadata-request.ts';
import { ErrorCode, errorInfo } from '../errors/index.ts';

describe('header versions', () => {
  it('follow flexible versions, with the ApiVersions and ControlledShutdown exceptions', () => {
    expect(requestHeaderVersion(0, 8)).toBe(1);
    expect(requestHeaderVersion(0, 9)).toBe(2);
    expect(requestHeaderVersion(18, 3)).toBe(2);
    expect(requestHeaderVersion(7, 0)).toBe(0);
    expect(requestHeaderVersion(7, 1)).toBe(1);
    expect(responseHeaderVersion(0, 9)).toBe(1);
    expect(responseHeaderVersion(0, 8)).toBe(0);
    expect(responseHeaderVersion(18, 3)).toBe(0);
    expect(requestHeaderVersion(9999, 0)).toBe(1);
  });
});

describe('frames', () => {
  it('a request frame round-trips; the body is a view into the frame', () => {
    const frame = encodeRequestFrame({ requestApiKey: 3, requestApiVersion: 12, correlationId: 42, clientId: 'me' }, MetadataRequestCodec, {
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(new DataView(frame.buffer).getInt32(0)).toBe(frame.length - 4);
    const { header, headerVersion, body } = decodeRequestFrame(frame.subarray(4));
    expect(headerVersion).toBe(2);
    expect(header).toEqual({ requestApiKey: 3, requestApiVersion: 12, correlationId: 42, clientId: 'me' });
    expect(body.buffer).toBe(frame.buffer);
    expect(decodeMessage(MetadataRequestCodec, body, 12).topics).toBeNull();
  });

  it('a response frame carries the size prefix and the right header version', () => {
    const msg = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
    const frame = encodeResponseFrame(18, 3, 9, ApiVersionsResponseCodec, msg);
    expect(new DataView(frame.buffer).getInt32(0)).toBe(frame.length - 4);
    expect(new DataView(frame.buffer).getInt32(4)).toBe(9); // header v0: no tagged fields after it
    const back = decodeResponseFrame(frame.subarray(4), 18, 3, ApiVersionsResponseCodec);
    expect(back.correlationId).toBe(9);
    expect(back.body).toEqual(msg);
  });

  it('an unknown api key or a truncated header still reports what was read', () => {
    const unknown = Uint8Array.from([0x27, 0x0f, 0, 1, 0, 0, 0, 5, 0xff, 0xff]);
    let err: unknown;
    try {
      decodeRequestFrame(unknown);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestFrameError);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as RequestFrameError).reason).toBe('unsupported');
    expect((err as RequestFrameError).apiKey).toBe(9999);
    expect((err as RequestFrameError).correlationId).toBe(5);

    // ApiVersions v99: known key, version beyond the spec: the header still decodes (flexible)
    const future = encodeRequestFrame({ requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: null }, ApiVersionsRequestCodec, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }).subarray(4).slice();
    future[3] = 99;
    expect(decodeRequestFrame(future).header.requestApiVersion).toBe(99);

    // header cut inside the client id
    try {
      decodeRequestFrame(Uint8Array.from([0, 3, 0, 1, 0, 0, 0, 8, 0, 10, 65]));
      err = undefined;
    } catch (e) {
      err = e;
    }
    expect((err as RequestFrameError).apiKey).toBe(3);
    expect((err as RequestFrameError).apiVersion).toBe(1);
    expect((err as RequestFrameError).correlationId).toBe(8);
    expect((err as RequestFrameError).path).toBe('clientId');
  });
});

describe('registry and error codes', () => {
  it('lists every api with both codecs and the spec version range', () => {
    const produce = apiByKey.get(0)!;
    expect(produce.name).toBe('Produce');
    expect(produce.request.name).toBe('ProduceRequest');
    expect(produce.response.name).toBe('ProduceResponse');
    expect([produce.minVersion, produce.maxVersion]).toEqual([0, 11]);
    expect(apiByKey.get(18)!.request.meta.flexibleVersions).toEqual([3, null]);
    expect(apiByKey.size).toBeGreaterThanOrEqual(80);
  });
  it('maps error codes to names and retriability', () => {
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(errorInfo(3)).toMatchObject({ name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect(errorInfo(ErrorCode.NONE).name).toBe('NONE');
    expect(errorInfo(31337).name).toBe('UNKNOWN_ERROR_CODE');
  });
});

describe('peekClientId', () => {
  const frameWith = (clientId: string | null, apiVersion: number): Uint8Array =>
    encodeRequestFrame({ requestApiKey: 3, requestApiVersion: apiVersion, correlationId: 1, clientId }, MetadataRequestCodec, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }).subarray(4);

  it('reads the client id of header v1 and v2 requests, null for a null id', () => {
    expect(peekClientId(frameWith('kafka-python-2.0.2', 1))).toBe('kafka-python-2.0.2');
    expect(peekClientId(frameWith('rdkafka', 12))).toBe('rdkafka');
    expect(peekClientId(frameWith(null, 4))).toBeNull();
  });

  it('never throws on a short or lying frame, and cuts a long id', () => {
    const f = frameWith('abc', 4);
    expect(peekClientId(f.subarray(0, 9))).toBeNull();
    expect(peekClientId(f.subarray(0, 12))).toBeNull();
    expect(peekClientId(frameWith('x'.repeat(1000), 4))).toBe(`${'x'.repeat(PEEKED_CLIENT_ID_CHARS_MAX)}…`);
  });
});
