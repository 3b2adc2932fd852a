/**
 * Kafka request/response framing on top of the generated codecs.
 *
 * Request frame (size prefix already stripped by the FrameSplitter):
 *   int16 apiKey | int16 apiVersion | int32 correlationId | header rest | body
 * The header version follows from the API's flexible versions: v2 (compact client id +
 * tagged fields) for flexible requests, v1 otherwise (v0 only for ControlledShutdown v0,
 * which this broker does not serve).
 *
 * Bytes left after a request body are ignored, as Kafka's request parsing does (it reads the
 * fields of the version and never checks what is left): librdkafka >= 2.1 sends its
 * all-topics Metadata v9+ request with a 4-byte int32 0 where the 1-byte compact-array null
 * belongs, so 3 bytes follow the body. `trailingBytes` reports them for the metric. A body
 * that is short or malformed still fails.
 *
 * Responses are encoded by @samsa/codec's `encodeResponseFrame` / `encodeResponseFrameChunks`
 * (header v0, or v1 for flexible responses; ApiVersions always v0, per KIP-511).
 */
import { isFlexible, Reader, RequestHeaderCodec } from '@samsa/codec';
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
  /** Bytes left after the body (ignored; 0 for a well-formed request). */
  readonly trailingBytes: number;
}

/** Decodes header + body; throws DecodeError on short or malformed input. Trailing bytes are allowed and counted. */
export function decodeRequest<T>(frame: Uint8Array, codec: MessageCodec<T>, apiVersion: number): DecodedRequest<T> {
  const headerVersion = isFlexible(codec.meta, apiVersion) ? 2 : 1;
  const r = new Reader(frame, 'RequestHeader', headerVersion);
  const header = RequestHeaderCodec.read(r, headerVersion);
  if (r.failed) throw r.error!;
  r.api = codec.name;
  r.version = apiVersion;
  const body = codec.read(r, apiVersion);
  if (r.failed) throw r.error!;
  return { header, body, trailingBytes: r.remaining };
}
