/**
 * DecodeError: the only error any decoder in @samsa/codec lets escape.
 *
 * Every decoder (Kafka request/response bodies and headers, record batches, compressed
 * payloads, RPC frames) turns bad input into one of these, carrying where it happened:
 * `api` (e.g. "ProduceRequest", "RecordBatch", "RpcFrame"), `version` (-1 when none applies)
 * and `path` (the field path, e.g. "topics[2].partitions[0].records").
 * Callers map it to a Kafka error code or close the connection; it never crosses the wire.
 */

export type DecodeErrorReason =
  /** Input ended before the structure did. */
  | 'truncated'
  /** A length or count is negative (and not the null marker), or larger than the input left. */
  | 'bad-length'
  /** A varint ran over its maximum width. */
  | 'bad-varint'
  /** A value is outside what the field allows (unknown enum, int64 beyond safe range, bad UTF-8...). */
  | 'bad-value'
  /** Bytes were left over after the structure ended. */
  | 'trailing-bytes'
  /** The API key or version is not one this codec knows. */
  | 'unsupported'
  /** A checksum did not match. */
  | 'bad-crc'
  /** A decompressed payload exceeded its bound, or the compressed stream was invalid. */
  | 'decompression'
  /** A frame or payload is larger than the configured maximum. */
  | 'too-large';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly reason: DecodeErrorReason;
  readonly api: string;
  readonly version: number;
  readonly path: string;
  constructor(reason: DecodeErrorReason, api: string, version: number, path: string, detail?: string, options?: { cause?: unknown }) {
    super(`${api} v${version}${path ? ` at ${path}` : ''}: ${reason}${detail ? ` (${detail})` : ''}`, options);
    this.reason = reason;
    this.api = api;
    this.version = version;
    this.path = path;
  }
}
