/**
 * Kafka frames: `int32 size | header | body`.
 *
 * Request header v0 = api key, version, correlation id; v1 adds a nullable client id
 * (never compact, even in v2); v2 (flexible request versions) adds tagged fields.
 * Response header v0 = correlation id; v1 (flexible response versions) adds tagged fields,
 * except ApiVersions, whose response header is always v0 so a client that does not know
 * the broker's versions can still read it. ControlledShutdown v0 uses request header v0.
 *
 * Request decoding takes a frame WITHOUT its 4-byte size prefix (the connection layer has
 * already cut it). It does not check the version against a supported range (the broker
 * answers UNSUPPORTED_VERSION itself), but it does need the api key to pick the header
 * version. Three entry points, one header path:
 *   - `peekRequestHeader`: the fixed 8 bytes (api key, version, correlation id), or null.
 *   - `decodeRequestFrame`: the header, and the body as a view. Every failure is a
 *     RequestFrameError (a DecodeError) carrying whatever of the ids could be read.
 *   - `decodeRequest`: the header and the body decoded with the API's request codec, what a
 *     broker calls. Bytes left after the body are ignored and counted in `trailingBytes`, as
 *     Kafka's request parsing ignores them (it reads the fields of the version and never
 *     checks what is left): librdkafka >= 2.1 sends its all-topics Metadata v9+ request with
 *     a 4-byte int32 0 where the 1-byte compact-array null belongs, so 3 bytes follow the
 *     body. A header or body that is short or malformed still throws a DecodeError.
 * The encoders return whole frames INCLUDING the size prefix, sized once, written once.
 * `encodeResponseFrameChunks` returns the same bytes as a list of chunks in which every
 * bytes/records field of >= spliceBytesMin is the caller's own Uint8Array (not copied),
 * for a transport that writes vectors (Fetch responses carry MBs of records).
 */
import { DecodeError } from '../decode-error.ts';
import type { DecodeErrorReason } from '../decode-error.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer, measureSpliced } from '../primitives/writer.ts';
import { readRequestHeader, sizeRequestHeader, writeRequestHeader } from './generated/request-header.ts';
import type { RequestHeader } from './generated/request-header.ts';
import { readResponseHeader, sizeResponseHeader, writeResponseHeader } from './generated/response-header.ts';
import { ApiKey } from './generated/api-keys.ts';
import { apiByKey } from './generated/registry.ts';
import type { ApiEntry } from './generated/registry.ts';
import { isFlexible } from './message-codec.ts';
import type { MessageCodec } from './message-codec.ts';

const SIZE_PREFIX_BYTES = 4;
/** int16 apiKey + int16 apiVersion + int32 correlationId: the start every request header version shares. */
export const REQUEST_FIXED_HEADER_BYTES = 8;

/** Request header version for an api key/version; unknown keys get v1 (api key, version, correlation id, client id). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  const api = apiByKey.get(apiKey);
  return api !== undefined && isFlexible(api.request.meta, apiVersion) ? 2 : 1;
}

/** Response header version for an api key/version (ApiVersions is always v0). */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const api = apiByKey.get(apiKey);
  return api !== undefined && isFlexible(api.response.meta, apiVersion) ? 1 : 0;
}

/** A request frame that could not be decoded; api key, version and correlation id are -1 when not read. */
export class RequestFrameError extends DecodeError {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  constructor(reason: DecodeErrorReason, api: string, path: string, detail: string, ids: { apiKey: number; apiVersion: number; correlationId: number }) {
    super(reason, api, ids.apiVersion, path, detail);
    this.apiKey = ids.apiKey;
    this.apiVersion = ids.apiVersion;
    this.correlationId = ids.correlationId;
  }
}

export interface RequestFrame {
  header: RequestHeader;
  headerVersion: number;
  /** The request body: a view into the frame bytes. */
  body: Uint8Array;
}

/** The ids in the fixed first bytes of a request. */
export interface RequestIds {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** The fixed first 8 bytes of a request frame (api key, version, correlation id), or null when the frame is shorter. */
export function peekRequestHeader(frame: Uint8Array): RequestIds | null {
  if (frame.byteLength < REQUEST_FIXED_HEADER_BYTES) return null;
  const v = new DataView(frame.buffer, frame.byteOffset, REQUEST_FIXED_HEADER_BYTES);
  return { apiKey: v.getInt16(0), apiVersion: v.getInt16(2), correlationId: v.getInt32(4) };
}

/** Longest client id peekClientId returns (longer ones are cut, marked with an ellipsis). */
export const PEEKED_CLIENT_ID_CHARS_MAX = 128;

/**
 * The client id of any request header version ≥ 1 (every request but ControlledShutdown v0
 * has one: a nullable int16-length string right after the 8 fixed bytes), for logging a
 * request the broker will not decode (an unknown API or version). null when absent, null
 * or cut short; never throws. Header v2's tagged fields come after it, so they do not matter.
 */
export function peekClientId(frame: Uint8Array): string | null {
  if (frame.byteLength < REQUEST_FIXED_HEADER_BYTES + 2) return null;
  const length = new DataView(frame.buffer, frame.byteOffset + REQUEST_FIXED_HEADER_BYTES, 2).getInt16(0);
  const start = REQUEST_FIXED_HEADER_BYTES + 2;
  if (length < 0 || start + length > frame.byteLength) return null;
  const bytes = frame.subarray(start, start + Math.min(length, PEEKED_CLIENT_ID_CHARS_MAX * 4));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.length > PEEKED_CLIENT_ID_CHARS_MAX || length > bytes.byteLength ? `${text.slice(0, PEEKED_CLIENT_ID_CHARS_MAX)}…` : text;
}

/** Reads a request header with a fresh Reader, left at the body's first byte; throws RequestFrameError. */
function readHeader(bytes: Uint8Array): { r: Reader; header: RequestHeader; headerVersion: number; api: ApiEntry } {
  const r = new Reader(bytes, 'RequestHeader', -1);
  const apiKey = r.int16();
  const apiVersion = r.failed ? -1 : r.int16();
  const correlationId = r.failed ? -1 : r.int32();
  const ids = { apiKey: bytes.length >= 2 ? apiKey : -1, apiVersion, correlationId };
  if (r.failed) throw new RequestFrameError('truncated', 'RequestHeader', '', `frame of ${bytes.length} bytes`, ids);
  const api = apiByKey.get(apiKey);
  if (api === undefined) throw new RequestFrameError('unsupported', `apiKey ${apiKey}`, '', 'unknown api key', ids);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  r.pos = 0;
  const header = readRequestHeader(r, headerVersion);
  const err = r.error;
  if (err !== null) throw new RequestFrameError(err.reason, `${api.name}Request header`, err.path, err.message, ids);
  return { r, header, headerVersion, api };
}

export function decodeRequestFrame(bytes: Uint8Array): RequestFrame {
  const { r, header, headerVersion } = readHeader(bytes);
  return { header, headerVersion, body: bytes.subarray(r.pos) };
}

export interface DecodedRequest<T> {
  readonly header: RequestHeader;
  readonly headerVersion: number;
  readonly body: T;
  /** Bytes left after the body (ignored; 0 for a well-formed request). */
  readonly trailingBytes: number;
}

/**
 * Decodes a whole request (header and body) with `codec`, the request codec of the frame's
 * api key (passing another API's codec is a programmer error and throws a plain Error).
 * Trailing bytes after the body are allowed and counted; a short or malformed header throws
 * RequestFrameError, a short or malformed body the body's DecodeError (api, version, field path).
 */
export function decodeRequest<T>(bytes: Uint8Array, codec: MessageCodec<T>): DecodedRequest<T> {
  const { r, header, headerVersion, api } = readHeader(bytes);
  if (codec.meta.apiKey !== api.apiKey) throw new Error(`decodeRequest: a ${api.name} request (api key ${api.apiKey}) cannot be read with ${codec.name}`);
  const body = codec.read(r, header.requestApiVersion);
  if (r.failed) throw r.error!;
  return { header, headerVersion, body, trailingBytes: r.remaining };
}

/** A whole request frame, size prefix included. */
export function encodeRequestFrame<T>(header: RequestHeader, codec: MessageCodec<T>, body: T): Uint8Array {
  const headerVersion = requestHeaderVersion(header.requestApiKey, header.requestApiVersion);
  const headerBytes = sizeRequestHeader(header, headerVersion);
  const size = headerBytes + codec.size(body, header.requestApiVersion);
  const w = new Writer(SIZE_PREFIX_BYTES + size);
  w.int32(size);
  writeRequestHeader(w, header, headerVersion);
  codec.write(w, body, header.requestApiVersion);
  return w.finish();
}

/** A whole response frame, size prefix included. */
export function encodeResponseFrame<T>(apiKey: number, apiVersion: number, correlationId: number, codec: MessageCodec<T>, body: T): Uint8Array {
  const headerVersion = responseHeaderVersion(apiKey, apiVersion);
  const header = { correlationId };
  const size = sizeResponseHeader(header, headerVersion) + codec.size(body, apiVersion);
  const w = new Writer(SIZE_PREFIX_BYTES + size);
  w.int32(size);
  writeResponseHeader(w, header, headerVersion);
  codec.write(w, body, apiVersion);
  return w.finish();
}

/** Default threshold above which encodeResponseFrameChunks passes a bytes field through uncopied. */
export const SPLICE_BYTES_MIN_DEFAULT = 16 * 1024;

/**
 * A whole response frame, size prefix included, as chunks whose concatenation equals
 * encodeResponseFrame's output; bytes fields of >= spliceBytesMin are the body's own views.
 */
export function encodeResponseFrameChunks<T>(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  codec: MessageCodec<T>,
  body: T,
  options?: { spliceBytesMin?: number },
): Uint8Array[] {
  const spliceBytesMin = Math.max(1, options?.spliceBytesMin ?? SPLICE_BYTES_MIN_DEFAULT);
  const headerVersion = responseHeaderVersion(apiKey, apiVersion);
  const header = { correlationId };
  const { size, splicedBytes } = measureSpliced(spliceBytesMin, () => sizeResponseHeader(header, headerVersion) + codec.size(body, apiVersion));
  const w = new Writer(SIZE_PREFIX_BYTES + size - splicedBytes).splice(spliceBytesMin);
  w.int32(size);
  writeResponseHeader(w, header, headerVersion);
  codec.write(w, body, apiVersion);
  return w.chunks();
}

/** Decodes a response frame WITHOUT its size prefix (for clients and tests); throws DecodeError. */
export function decodeResponseFrame<T>(bytes: Uint8Array, apiKey: number, apiVersion: number, codec: MessageCodec<T>): { correlationId: number; body: T } {
  const r = new Reader(bytes, 'ResponseHeader', -1);
  const header = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  if (r.failed) throw r.error!;
  const body = codec.read(r, apiVersion);
  const err = r.complete();
  if (err !== null) throw err;
  return { correlationId: header.correlationId, body };
}
