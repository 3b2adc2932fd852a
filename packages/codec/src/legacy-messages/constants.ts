/**
 * Byte layout of Kafka's legacy messages (magic 0 and 1), big-endian, offsets from the
 * start of one message-set entry:
 *
 *   @0  offset int64          log offset (wrapper: its last inner offset)
 *   @8  messageSize int32     bytes after this field
 *   @12 crc uint32            CRC-32 (IEEE) of bytes [16, end)
 *   @16 magic int8            0 or 1 — the same position as record batch v2's magic
 *   @17 attributes int8       bits 0-2 compression, bit 3 log-append time (magic 1)
 *   @18 timestamp int64       magic 1 only
 *   then key (int32 length, -1 null) and value (int32 length, -1 null)
 */

export const LEGACY_MAGIC_V0 = 0;
export const LEGACY_MAGIC_V1 = 1;

/** offset int64 + messageSize int32 in front of every message. */
export const LOG_OVERHEAD_BYTES = 12;
export const OFFSET_AT = 0;
export const SIZE_AT = 8;
export const CRC_AT = 12;
export const MAGIC_AT = 16;
export const ATTRIBUTES_AT = 17;
export const TIMESTAMP_AT = 18;

/** crc 4 + magic 1 + attributes 1 + key length 4 + value length 4. */
export const MESSAGE_OVERHEAD_V0 = 14;
/** MESSAGE_OVERHEAD_V0 + timestamp 8. */
export const MESSAGE_OVERHEAD_V1 = 22;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const NO_TIMESTAMP = -1;

/** The smallest valid messageSize (Kafka's RECORD_OVERHEAD_V0). */
export const MESSAGE_SIZE_MIN = MESSAGE_OVERHEAD_V0;

export function messageOverhead(magic: number): number {
  return magic === LEGACY_MAGIC_V0 ? MESSAGE_OVERHEAD_V0 : MESSAGE_OVERHEAD_V1;
}

/** Bytes of one message-set entry (log overhead included) holding `key` and `value`. */
export function legacyEntryBytes(magic: number, key: Uint8Array | null, value: Uint8Array | null): number {
  return LOG_OVERHEAD_BYTES + messageOverhead(magic) + (key === null ? 0 : key.length) + (value === null ? 0 : value.length);
}
