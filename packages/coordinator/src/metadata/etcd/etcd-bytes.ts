/**
 * Bytes as etcd's JSON gateway spells them: keys and values are base64 strings (protobuf
 * `bytes` in proto3 JSON), keys are UTF-8 strings on our side.
 *
 * Runtime-free: `btoa`/`atob` work on "binary strings" (one char per byte), so the bytes go
 * through String.fromCharCode in chunks (an argument list of a whole large value would
 * overflow the call stack). Invariant: `base64ToBytes(bytesToBase64(b))` equals `b`.
 */

const CHUNK_BYTES = 0x8000;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK_BYTES));
  }
  return btoa(binary);
}

/** Decodes base64; an absent field (etcd omits empty bytes) is the empty array. */
export function base64ToBytes(base64: string | undefined): Uint8Array {
  if (base64 === undefined || base64 === '') return new Uint8Array(0);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function keyToBase64(key: string): string {
  return bytesToBase64(utf8Encoder.encode(key));
}

export function base64ToKey(base64: string | undefined): string {
  return utf8Decoder.decode(base64ToBytes(base64));
}

/**
 * The `[key, range_end)` pair that selects every key starting with `prefix`: etcd's
 * `GetPrefixRangeEnd` (the prefix with its last byte below 0xff incremented, the 0xff bytes
 * after it dropped). The empty prefix, and a prefix of only 0xff bytes, select from the key
 * to the end of the keyspace, which etcd spells `range_end = "\0"` (with key "\0" for all).
 */
export function prefixRange(prefix: string): { key: string; rangeEnd: string } {
  const bytes = utf8Encoder.encode(prefix);
  if (bytes.length === 0) return { key: bytesToBase64(new Uint8Array([0])), rangeEnd: bytesToBase64(new Uint8Array([0])) };
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.slice(0, i + 1);
      end[i] = end[i]! + 1;
      return { key: bytesToBase64(bytes), rangeEnd: bytesToBase64(end) };
    }
  }
  return { key: bytesToBase64(bytes), rangeEnd: bytesToBase64(new Uint8Array([0])) };
}

/** An int64 field: a JSON string (or number), absent when 0. */
export function int64(value: string | number | undefined): number {
  if (value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int64 ${String(value)} is not a safe integer`);
  return n;
}
