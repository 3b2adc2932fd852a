/**
 * Serializers: records are bytes (`Uint8Array`); these turn strings and JSON values into
 * bytes and back. UTF-8 through the Web-standard TextEncoder/TextDecoder (no Buffer).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface Serde<T> {
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

export const stringSerde: Serde<string> = {
  serialize: (value) => encoder.encode(value),
  deserialize: (bytes) => decoder.decode(bytes),
};

/** JSON.stringify then UTF-8; `deserialize` throws SyntaxError/TypeError on bad bytes. */
export function jsonSerde<T = unknown>(): Serde<T> {
  return {
    serialize: (value) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('value is not JSON-serializable');
      return encoder.encode(text);
    },
    deserialize: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}
