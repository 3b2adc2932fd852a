/**
 * The shape every generated Kafka message codec has, and the metadata it carries.
 *
 * A codec is four plain functions over one message type: `size` (validates and measures),
 * `write` (into a Writer sized by `size`), `read` (from a sticky Reader; the caller checks
 * `reader.failed`/`complete()`), plus `meta` from the JSON spec.
 */
import type { Reader } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';

/** A tagged field this codec does not know, kept as raw bytes so it survives a re-encode. */
export interface TaggedField {
  tag: number;
  data: Uint8Array;
}

export interface MessageMeta {
  /** Kafka API key, or -1 for headers and data records. */
  readonly apiKey: number;
  /** Kafka's name of the API (`Produce` for ProduceRequest and ProduceResponse), or null for headers and data records. */
  readonly apiName: string | null;
  /** The message name (`ProduceRequest`). */
  readonly name: string;
  readonly type: 'request' | 'response' | 'header' | 'data';
  /** Inclusive [min, max]. */
  readonly validVersions: readonly [number, number];
  /** [first flexible version, last or null when open-ended], or null when no version is flexible. */
  readonly flexibleVersions: readonly [number, number | null] | null;
}

/**
 * `M` is the codec's own metadata type: the generated codecs carry their literal `Meta`, so
 * `ProduceRequestCodec.meta.apiKey` is typed `0` and `.apiName` `'Produce'` (a broker
 * handler takes its key and name from there); code that takes any codec uses the default.
 */
export interface MessageCodec<T, M extends MessageMeta = MessageMeta> {
  readonly name: string;
  readonly size: (msg: T, version: number) => number;
  readonly write: (w: Writer, msg: T, version: number) => void;
  readonly read: (r: Reader, version: number) => T;
  readonly meta: M;
}

/** True when `version` is a flexible version of `meta`. */
export function isFlexible(meta: MessageMeta, version: number): boolean {
  const f = meta.flexibleVersions;
  return f !== null && version >= f[0] && (f[1] === null || version <= f[1]);
}
