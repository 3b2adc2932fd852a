/**
 * Kafka request/response framing on top of the generated codecs.
 *
 * Request frame (size prefix already stripped by the FrameSplitter):
 *   int16 apiKey | int16 apiVersion | int32 correlationId | header rest | body
 * The header version follows from the API's flexible versions: v2 (compact client id +
 * tagged fields) for flexible requests, v1 otherwise (v0 only for ControlledShutdown v0,
 * which this broker does not serve).
 *
 * Response frame: int32 size | correlationId (header v0) [+ tagged fields (header v1 for
 * flexible responses)] | body. ApiVersions responses always use header v0 (KIP-511: a
 * client that sent a version we do not know must still be able to read our answer).
 */
import { isFlexible, Reader, RequestHeaderCodec, ResponseHeaderCodec, Writer } from '@samsa/codec';
import type { MessageCodec, RequestHeader } from '@samsa/codec';

export const API_VERSIONS_KEY = 18;
/** int16 apiKey + int16 apiVersion + int32 correlationId. */
export const FIXED_HEADER_BYTES = 8;

export interface PeekedHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** The fixed first 8 bytes of a request, or null when the frame is shorter. */
export function peekRequestHeader(frame: Uint8Array): PeekedHeader | null {
  if (frame.byteLength < FIXED_HEADER_BYTES) return null;
  const v = new DataView(frame.buffer, frame.byteOffset, FIXED_HEADER_BYTES);
  return { apiKey: v.getInt16(0), apiVersion: v.getInt16(2), correlationId: v.getInt32(4) };
}

export interface DecodedRequest<T> {
  readonly header: RequestHeader;
  readonly body: T;
}

/** Decodes header + body; throws DecodeError on malformed input or trailing bytes. */
export function decodeRequest<T>(frame: Uint8Array, codec: MessageCodec<T>, apiVersion: number): DecodedRequest<T> {
  const headerVersion = isFlexible(codec.meta, apiVersion) ? 2 : 1;
  const r = new Reader(frame, 'RequestHeader', headerVersion);
  const header = RequestHeaderCodec.read(r, headerVersion);
  if (r.failed) throw r.error!;
  r.api = codec.name;
  r.version = apiVersion;
  const body = codec.read(r, apiVersion);
  const err = r.complete();
  if (err !== null) throw err;
  return { header, body };
}

/** Encodes a complete response frame, size prefix included. Throws EncodeError on a bug. */
export function encodeResponse<T>(apiKey: number, apiVersion: number, correlationId: number, codec: MessageCodec<T>, body: T): Uint8Array {
  const headerVersion = apiKey !== API_VERSIONS_KEY && isFlexible(codec.meta, apiVersion) ? 1 : 0;
  const header = { correlationId };
  const headerBytes = ResponseHeaderCodec.size(header, headerVersion);
  const size = headerBytes + codec.size(body, apiVersion);
  const w = new Writer(4 + size);
  w.int32(size);
  ResponseHeaderCodec.write(w, header, headerVersion);
  codec.write(w, body, apiVersion);
  return w.finish();
}
