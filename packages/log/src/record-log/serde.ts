/**
 * How the record log turns application keys and values into bytes and back. The log
 * stores bytes (Kafka's record format); a serde is a pair of pure functions.
 *
 * `bytes` is the identity, `string` is UTF-8, `json()` is UTF-8 JSON. A serde's
 * `deserialize` must accept whatever its `serialize` produced; a JSON serde given bytes
 * that are not JSON throws, which the reader reports with the record's offset.
 */
export interface Serde<T> {
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export const bytesSerde: Serde<Uint8Array> = {
  serialize: (value) => value,
  deserialize: (bytes) => bytes,
};

export const stringSerde: Serde<string> = {
  serialize: (value) => utf8Encoder.encode(value),
  deserialize: (bytes) => utf8Decoder.decode(bytes),
};

/** JSON through UTF-8. `T` is not checked at runtime: validate what you read if it matters. */
export function jsonSerde<T = unknown>(): Serde<T> {
  return {
    serialize: (value) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('the value has no JSON form (undefined, a function or a symbol)');
      return utf8Encoder.encode(text);
    },
    deserialize: (bytes) => JSON.parse(utf8Decoder.decode(bytes)) as T,
  };
}
