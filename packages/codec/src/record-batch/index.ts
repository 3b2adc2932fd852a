// Barrel for src/record-batch: record batch v2 — header fields, validation, splitting,
// building and lazy record iteration. See README.md for the layout and invariants.
export * from './constants.ts';
export {
  batchBaseOffset,
  batchLength,
  batchSizeBytes,
  batchPartitionLeaderEpoch,
  batchMagic,
  batchCrc,
  batchAttributes,
  batchLastOffsetDelta,
  batchLastOffset,
  batchBaseTimestamp,
  batchMaxTimestamp,
  batchProducerId,
  batchProducerEpoch,
  batchBaseSequence,
  batchRecordCount,
  batchCompression,
  batchIsTransactional,
  batchIsControl,
  batchHasDeleteHorizon,
  batchTimestampType,
  computeBatchCrc,
  setBatchBaseOffset,
  setBatchPartitionLeaderEpoch,
  setBatchMaxTimestampAndLogAppendTime,
  setBatchMaxTimestampCreateTime,
} from './header.ts';
export type { TimestampType } from './header.ts';
export { validateRecordBatch, newRecordWalkSummary, DECOMPRESSED_BYTES_MAX_DEFAULT } from './validate.ts';
export type { RecordBatchInvalid, RecordBatchInvalidReason, RecordWalkSummary, ValidateOptions } from './validate.ts';
export { splitRecordBatches, forEachBatch, nextBatchEnd } from './split.ts';
export type { SplitRecordBatches } from './split.ts';
export { RecordBatchView } from './record-batch-view.ts';
export { iterateRecords, recordViewOf, decodeHeaders } from './iterate-records.ts';
export type { RecordView, RecordHeader } from './iterate-records.ts';
export { forEachRecord, RecordCursor } from './record-cursor.ts';
export type { IterateOptions } from './record-cursor.ts';
export { buildRecordBatch, RECORDS_PER_BATCH_MAX } from './build-record-batch.ts';
export { varintBytes, writeVarint, varlongBytes, writeVarlong } from './varint.ts';
export type { RecordInput, RecordHeaderInput, BuildOptions } from './build-record-batch.ts';
