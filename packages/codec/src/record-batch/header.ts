/**
 * Field readers and in-place writers for the record batch v2 header (layout in
 * constants.ts). Hot path: plain functions over (bytes, pos) so callers never allocate a
 * view. Readers do no bounds checks — call them only on a batch whose header is in the
 * buffer (after `validateRecordBatch` or `nextBatchEnd`). int64 fields come back as JS
 * numbers; `validateRecordBatch` rejects batches where they would not be exact.
 */
import { crc32c } from '../crc32c/index.ts';
import { readInt16, readInt32, readInt64, readUint32, writeInt32, writeInt64, writeInt16 } from './bytes.ts';
import {
  BATCH_OFFSETS as O,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  CRC_START_OFFSET,
  DELETE_HORIZON_FLAG,
  RECORD_BATCH_LOG_OVERHEAD_BYTES,
  TIMESTAMP_TYPE_LOG_APPEND,
  TRANSACTIONAL_FLAG,
} from './constants.ts';
import type { CompressionType } from './compression-type.ts';

export type TimestampType = 'create' | 'log-append';

export const batchBaseOffset = (b: Uint8Array, pos = 0): number => readInt64(b, pos + O.baseOffset);
/** The int32 batchLength field: bytes after it (= total size − 12). */
export const batchLength = (b: Uint8Array, pos = 0): number => readInt32(b, pos + O.batchLength);
/** Whole batch size in bytes, header included (= batchLength + 12). */
export const batchSizeBytes = (b: Uint8Array, pos = 0): number => readInt32(b, pos + O.batchLength) + RECORD_BATCH_LOG_OVERHEAD_BYTES;
export const batchPartitionLeaderEpoch = (b: Uint8Array, pos = 0): number => readInt32(b, pos + O.partitionLeaderEpoch);
export const batchMagic = (b: Uint8Array, pos = 0): number => (b[pos + O.magic]! << 24) >> 24;
export const batchCrc = (b: Uint8Array, pos = 0): number => readUint32(b, pos + O.crc);
export const batchAttributes = (b: Uint8Array, pos = 0): number => readInt16(b, pos + O.attributes);
export const batchLastOffsetDelta = (b: Uint8Array, pos = 0): number => readInt32(b, pos + O.lastOffsetDelta);
/** baseOffset + lastOffsetDelta: the offset of the batch's last record (kept even when compaction removed it). */
export const batchLastOffset = (b: Uint8Array, pos = 0): number => batchBaseOffset(b, pos) + batchLastOffsetDelta(b, pos);
export const batchBaseTimestamp = (b: Uint8Array, pos = 0): number => readInt64(b, pos + O.baseTimestamp);
export const batchMaxTimestamp = (b: Uint8Array, pos = 0): number => readInt64(b, pos + O.maxTimestamp);
export const batchProducerId = (b: Uint8Array, pos = 0): number => readInt64(b, pos + O.producerId);
export const batchProducerEpoch = (b: Uint8Array, pos = 0): number => readInt16(b, pos + O.producerEpoch);
export const batchBaseSequence = (b: Uint8Array, pos = 0): number => readInt32(b, pos + O.baseSequence);
export const batchRecordCount = (b: Uint8Array, pos = 0): number => readInt32(b, pos + O.recordCount);
/** Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd; 5-7 are invalid and fail validation). */
export const batchCompression = (b: Uint8Array, pos = 0): CompressionType =>
  (b[pos + O.attributes + 1]! & COMPRESSION_MASK) as CompressionType;
export const batchIsTransactional = (b: Uint8Array, pos = 0): boolean => (b[pos + O.attributes + 1]! & TRANSACTIONAL_FLAG) !== 0;
export const batchIsControl = (b: Uint8Array, pos = 0): boolean => (b[pos + O.attributes + 1]! & CONTROL_FLAG) !== 0;
export const batchHasDeleteHorizon = (b: Uint8Array, pos = 0): boolean => (b[pos + O.attributes + 1]! & DELETE_HORIZON_FLAG) !== 0;
export const batchTimestampType = (b: Uint8Array, pos = 0): TimestampType =>
  (b[pos + O.attributes + 1]! & TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? 'log-append' : 'create';

/** CRC-32C the batch should carry: over [attributes, end of batch). */
export function computeBatchCrc(b: Uint8Array, pos = 0): number {
  return crc32c(b, pos + CRC_START_OFFSET, pos + batchSizeBytes(b, pos));
}

/**
 * Assigns the batch's base offset in place (the broker does this on append). Outside the
 * CRC-covered region: the CRC stays valid. `baseOffset` must be a non-negative safe integer.
 */
export function setBatchBaseOffset(b: Uint8Array, pos: number, baseOffset: number): void {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) throw new RangeError(`baseOffset ${baseOffset} is not a non-negative safe integer`);
  writeInt64(b, pos + O.baseOffset, baseOffset);
}

/** Stamps the leader epoch in place. Outside the CRC-covered region: the CRC stays valid. */
export function setBatchPartitionLeaderEpoch(b: Uint8Array, pos: number, epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < -1 || epoch > 0x7fffffff) throw new RangeError(`partitionLeaderEpoch ${epoch} is not an int32 ≥ -1`);
  writeInt32(b, pos + O.partitionLeaderEpoch, epoch);
}

/**
 * For topics with message.timestamp.type=LogAppendTime: sets the timestamp-type bit and
 * maxTimestamp to `timestampMs` (readers then report it for every record, as Kafka does).
 * Both fields are INSIDE the CRC-covered region, so this RECOMPUTES THE CRC — a full pass
 * over the batch. Call it only on a batch that already validated (otherwise it would bless
 * corrupt bytes with a fresh CRC).
 */
export function setBatchMaxTimestampAndLogAppendTime(b: Uint8Array, pos: number, timestampMs: number): void {
  if (!Number.isSafeInteger(timestampMs)) throw new RangeError(`timestamp ${timestampMs} is not a safe integer`);
  writeInt16(b, pos + O.attributes, batchAttributes(b, pos) | TIMESTAMP_TYPE_LOG_APPEND);
  writeInt64(b, pos + O.maxTimestamp, timestampMs);
  writeInt32(b, pos + O.crc, computeBatchCrc(b, pos));
}

/**
 * For create-time topics: sets maxTimestamp to `timestampMs` (the largest record timestamp,
 * which the leader computes on append, as Kafka's LogValidator does) and clears the
 * log-append-time bit. Both fields are inside the CRC-covered region, so this RECOMPUTES
 * THE CRC — a full pass over the batch; call it only when the value changes, and only on a
 * batch that already validated.
 */
export function setBatchMaxTimestampCreateTime(b: Uint8Array, pos: number, timestampMs: number): void {
  if (!Number.isSafeInteger(timestampMs)) throw new RangeError(`timestamp ${timestampMs} is not a safe integer`);
  writeInt16(b, pos + O.attributes, batchAttributes(b, pos) & ~TIMESTAMP_TYPE_LOG_APPEND);
  writeInt64(b, pos + O.maxTimestamp, timestampMs);
  writeInt32(b, pos + O.crc, computeBatchCrc(b, pos));
}
