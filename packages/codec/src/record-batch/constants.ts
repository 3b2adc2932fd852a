/**
 * Record batch v2 constants: the fixed header layout and attribute bits.
 *
 * Layout (big-endian, offsets from the batch start):
 *   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
 *   16 magic int8 (= 2) | 17 crc uint32 (CRC-32C of bytes [21, end)) | 21 attributes int16
 *   23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64
 *   43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32
 *   61 records (possibly compressed as one block)
 * Attributes: bits 0-2 compression, bit 3 timestamp type (1 = log append time),
 * bit 4 transactional, bit 5 control, bit 6 delete horizon set (baseTimestamp is then the
 * delete horizon, Kafka 3.0+ compaction).
 */

export const RECORD_BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const RECORD_BATCH_LOG_OVERHEAD_BYTES = 12;
/** Smallest legal batchLength: a header with no records. */
export const RECORD_BATCH_LENGTH_MIN = RECORD_BATCH_HEADER_BYTES - RECORD_BATCH_LOG_OVERHEAD_BYTES;
export const MAGIC_V2 = 2;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const TRANSACTIONAL_FLAG = 0x10;
export const CONTROL_FLAG = 0x20;
export const DELETE_HORIZON_FLAG = 0x40;

/** Byte offsets of the header fields from the batch start. */
export const BATCH_OFFSETS = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

/** Where the CRC-covered region starts (attributes). */
export const CRC_START_OFFSET = BATCH_OFFSETS.attributes;

/** Kafka's "no timestamp" / "no producer" marker. */
export const NO_TIMESTAMP = -1;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

/** Smallest possible encoded record: length(1) attributes(1) tsDelta(1) offsetDelta(1) keyLen(1) valueLen(1) headers(1). */
export const RECORD_BYTES_MIN = 7;
