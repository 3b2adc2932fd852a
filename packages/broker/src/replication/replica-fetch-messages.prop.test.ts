/**
 * The replica-fetch messages as a codec. Invariants checked:
 * - random Hello requests/responses and fetch requests/responses round-trip exactly
 *   (decode(encode(x)) deep-equals x), through the RPC frame splitter fed random chunkings;
 * - a fetch response's records come back byte-identical and as views of the received
 *   frame (no copy on decode), and the encoder hands the caller's arrays to the transport
 *   (no copy on encode);
 * - random bytes, and valid frames with bytes flipped or cut, never crash the decoders:
 *   only DecodeError escapes (and a frame that does decode is a valid message);
 * - valid msgpackr bodies of the wrong shape (missing, extra or mistyped fields, out of
 *   range integers) are DecodeError, never a message with garbage in it.
 */
import { concatChunks, DecodeError, RpcFrameSplitter, RpcFrameType } from '@samsa/codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequestMessage,
  decodeResponseMessage,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeHelloRequest,
  encodeHelloResponse,
  REPLICA_FETCH_SCHEMA_VERSION,
  replicaFetchCodec,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
} from './replica-fetch-messages.ts';

const name = fc.string({ minLength: 1, maxLength: 40 });
const i32 = fc.integer({ min: 0, max: 0x7fffffff });
const epoch = fc.integer({ min: -1, max: 0x7fffffff });
const offset = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const offsetOrNone = fc.oneof(fc.constant(-1), offset);
const errorCode = fc.integer({ min: -32768, max: 32767 });

const fetchRequest: fc.Arbitrary<ReplicaFetchRequest> = fc.record({
  replicaId: i32,
  brokerEpoch: fc.oneof(fc.constant(-1), offset),
  maxWaitMs: fc.integer({ min: 0, max: 300_000 }),
  minBytes: i32,
  maxBytes: i32,
  partitions: fc.array(
    fc.record({ topicId: name, topic: name, partition: i32, fetchOffset: offset, lastFetchedEpoch: epoch, currentLeaderEpoch: epoch, logStartOffset: offsetOrNone, partitionMaxBytes: i32 }),
    { maxLength: 8 },
  ),
});

const fetchResponse: fc.Arbitrary<ReplicaFetchResponse> = fc.record({
  errorCode,
  partitions: fc.array(
    fc.record({
      topic: name,
      partition: i32,
      errorCode,
      highWatermark: offsetOrNone,
      logStartOffset: offsetOrNone,
      divergingEpoch: fc.option(fc.record({ epoch: i32, endOffset: offset }), { nil: null }),
      records: fc.uint8Array({ maxLength: 300 }),
    }),
    { maxLength: 8 },
  ),
});

/** Feeds the frame's bytes to a splitter in random pieces; returns the one frame it yields. */
function split(bytes: Uint8Array, cuts: number[]) {
  const splitter = new RpcFrameSplitter({ frameBytesMax: 1 << 20, codec: replicaFetchCodec });
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const frames = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    frames.push(...splitter.push(bytes.slice(from, to)));
    from = to;
  }
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

const cuts = fc.array(fc.nat(), { maxLength: 4 });

describe('replica fetch messages (property)', () => {
  it('fetch requests round-trip through random chunkings', () => {
    fc.assert(
      fc.property(fetchRequest, fc.integer({ min: 0, max: 0xffffffff }), cuts, (request, requestId, at) => {
        const frame = split(concatChunks(encodeFetchRequest(requestId, request)), at);
        expect(frame.requestId).toBe(requestId);
        expect(decodeRequestMessage(frame)).toEqual({ kind: 'fetch', fetch: request });
      }),
      { numRuns: 200 },
    );
  });

  it('fetch responses round-trip, records byte-identical, as views on decode and uncopied on encode', () => {
    fc.assert(
      fc.property(fetchResponse, fc.integer({ min: 0, max: 0xffffffff }), cuts, (response, requestId, at) => {
        const chunks = encodeFetchResponse(requestId, response);
        // The encoder's chunks after the head are the callers' own arrays.
        expect(chunks.slice(1)).toHaveLength(response.partitions.length);
        chunks.slice(1).forEach((chunk, i) => expect(chunk).toBe(response.partitions[i]!.records));
        const bytes = concatChunks(chunks);
        const frame = split(bytes, at);
        const decoded = decodeResponseMessage(frame);
        expect(decoded.kind).toBe('fetch');
        if (decoded.kind !== 'fetch') return;
        expect(decoded.fetch.errorCode).toBe(response.errorCode);
        expect(decoded.fetch.partitions.map(({ records: _r, ...rest }) => rest)).toEqual(response.partitions.map(({ records: _r, ...rest }) => rest));
        decoded.fetch.partitions.forEach((p, i) => {
          expect(p.records).toEqual(response.partitions[i]!.records);
          expect(p.records.constructor).toBe(Uint8Array);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('Hello requests and responses round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), name, i32, errorCode, fc.string({ maxLength: 100 }), (protocolVersion, clusterId, brokerId, code, message) => {
        const req = replicaFetchCodec.decode(concatChunks(encodeHelloRequest(7, { protocolVersion, clusterId, brokerId })));
        expect(decodeRequestMessage(req)).toEqual({ kind: 'hello', hello: { protocolVersion, clusterId, brokerId } });
        const hello = { protocolVersion, clusterId, brokerId, errorCode: code, message };
        const res = replicaFetchCodec.decode(concatChunks(encodeHelloResponse(7, hello)));
        expect(decodeResponseMessage(res)).toEqual({ kind: 'hello', hello });
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes never crash the decoders: only DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeRequestMessage, decodeResponseMessage]) {
          try {
            decode(replicaFetchCodec.decodePayload(bytes));
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('valid frames with bytes flipped or cut decode to a valid message or DecodeError, nothing else', () => {
    const frames = fc.oneof(
      fetchRequest.map((r) => concatChunks(encodeFetchRequest(1, r))),
      fetchResponse.map((r) => concatChunks(encodeFetchResponse(1, r))),
    );
    fc.assert(
      fc.property(frames, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (bytes, flips, cut) => {
        const mutated = bytes.slice(4);
        for (const [at, xor] of flips) mutated[at % mutated.length] = mutated[at % mutated.length]! ^ xor;
        for (const payload of [mutated, mutated.subarray(0, cut % (mutated.length + 1))]) {
          try {
            const frame = replicaFetchCodec.decodePayload(payload);
            const decoded = frame.type === RpcFrameType.request ? decodeRequestMessage(frame) : decodeResponseMessage(frame);
            // Whatever decodes is a well-formed message: it re-encodes.
            if (decoded.kind === 'fetch' && 'replicaId' in decoded.fetch) encodeFetchRequest(1, decoded.fetch);
            else if (decoded.kind === 'fetch') encodeFetchResponse(1, decoded.fetch as ReplicaFetchResponse);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('bodies of the wrong shape are DecodeError', () => {
    const good = { kind: 'fetch', replicaId: 1, brokerEpoch: 5, maxWaitMs: 500, minBytes: 1, maxBytes: 100, partitions: [] as unknown[] };
    const part = { topicId: 'id', topic: 't', partition: 0, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 0, logStartOffset: 0, partitionMaxBytes: 10 };
    const bad: unknown[] = [
      null,
      [1, 2],
      'fetch',
      { ...good, kind: 'other' },
      { ...good, extra: 1 },
      (({ maxBytes: _m, ...rest }) => rest)(good),
      { ...good, replicaId: -1 },
      { ...good, replicaId: 1.5 },
      { ...good, maxWaitMs: 300_001 },
      { ...good, brokerEpoch: 2 ** 60 },
      { ...good, partitions: {} },
      { ...good, partitions: [{ ...part, topic: '' }] },
      { ...good, partitions: [{ ...part, fetchOffset: -1 }] },
      { ...good, partitions: [{ ...part, topic: 'x'.repeat(1025) }] },
      { ...good, partitions: [{ ...part, partition: '0' }] },
      { ...good, partitions: new Array(10_001).fill(part) },
      { kind: 'hello', protocolVersion: 1, clusterId: '', brokerId: 1 },
    ];
    for (const body of bad) {
      const frame = replicaFetchCodec.decode(concatChunks(replicaFetchCodec.encode({ type: RpcFrameType.request, requestId: 1, schemaVersion: REPLICA_FETCH_SCHEMA_VERSION, body })));
      expect(() => decodeRequestMessage(frame)).toThrow(DecodeError);
    }
    expect(decodeRequestMessage(replicaFetchCodec.decode(concatChunks(replicaFetchCodec.encode({ type: 0, requestId: 1, schemaVersion: 1, body: { ...good, partitions: [part] } }))))).toEqual({
      kind: 'fetch',
      fetch: { replicaId: 1, brokerEpoch: 5, maxWaitMs: 500, minBytes: 1, maxBytes: 100, partitions: [part] },
    });
    // A response whose partitions and attachments disagree, and one with a bad divergingEpoch.
    const response = (partitions: unknown[], attachments: Uint8Array[]) =>
      replicaFetchCodec.decode(concatChunks(replicaFetchCodec.encode({ type: RpcFrameType.response, requestId: 1, schemaVersion: 1, body: { kind: 'fetch', errorCode: 0, partitions }, attachments })));
    const rp = { topic: 't', partition: 0, errorCode: 0, highWatermark: 5, logStartOffset: 0, divergingEpoch: null };
    expect(() => decodeResponseMessage(response([rp], []))).toThrow(/1 partitions but 0 attachments/);
    expect(() => decodeResponseMessage(response([{ ...rp, divergingEpoch: [1] }], [new Uint8Array(1)]))).toThrow(DecodeError);
    expect(() => decodeResponseMessage(response([{ ...rp, divergingEpoch: { epoch: 1, endOffset: 2 } }], [new Uint8Array(1)]))).toThrow(DecodeError);
    // A request frame is not a response and the other way round; another schema version is refused.
    expect(() => decodeResponseMessage(replicaFetchCodec.decode(concatChunks(encodeHelloRequest(1, { protocolVersion: 1, clusterId: 'c', brokerId: 1 }))))).toThrow(DecodeError);
    const v2 = concatChunks(encodeHelloRequest(1, { protocolVersion: 1, clusterId: 'c', brokerId: 1 }));
    v2[10] = 2;
    expect(() => replicaFetchCodec.decode(v2)).toThrow(/unsupported/);
  });

  it('the encoder refuses what the decoder would refuse', () => {
    const request: ReplicaFetchRequest = { replicaId: 1, brokerEpoch: 1, maxWaitMs: 0, minBytes: 1, maxBytes: 1, partitions: [] };
    expect(() => encodeFetchRequest(1, { ...request, maxWaitMs: 300_001 })).toThrow(RangeError);
    expect(() => encodeFetchRequest(1, { ...request, partitions: [{ topicId: 'x', topic: '', partition: 0, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 0, logStartOffset: 0, partitionMaxBytes: 1 }] })).toThrow(RangeError);
    expect(() => encodeFetchResponse(1, { errorCode: 0, partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: 2 ** 60, logStartOffset: 0, divergingEpoch: null, records: new Uint8Array(0) }] })).toThrow(RangeError);
    expect(() => encodeHelloRequest(1, { protocolVersion: 1, clusterId: '', brokerId: 1 })).toThrow(RangeError);
  });
});
