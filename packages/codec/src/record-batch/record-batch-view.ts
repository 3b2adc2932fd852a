/**
 * RecordBatchView: getters over one batch for code off the hot path (admin, tests, tools).
 * Hot paths use the plain `batch*(bytes, pos)` functions of header.ts instead. The view
 * does not validate; call `validate()` (or `validateRecordBatch`) before trusting it.
 */
import * as h from './header.ts';
import type { CompressionType } from './compression-type.ts';
import { validateRecordBatch } from './validate.ts';
import type { RecordBatchInvalid, ValidateOptions } from './validate.ts';
import { iterateRecords } from './iterate-records.ts';
import type { IterateOptions, RecordView } from './iterate-records.ts';

export class RecordBatchView {
  readonly bytes: Uint8Array;
  readonly pos: number;
  /** Over `bytes[pos, ...)`; `bytes` may hold more than this batch. */
  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.pos = pos;
  }
  get baseOffset(): number { return h.batchBaseOffset(this.bytes, this.pos); }
  get batchLength(): number { return h.batchLength(this.bytes, this.pos); }
  get sizeBytes(): number { return h.batchSizeBytes(this.bytes, this.pos); }
  get partitionLeaderEpoch(): number { return h.batchPartitionLeaderEpoch(this.bytes, this.pos); }
  get magic(): number { return h.batchMagic(this.bytes, this.pos); }
  get crc(): number { return h.batchCrc(this.bytes, this.pos); }
  get attributes(): number { return h.batchAttributes(this.bytes, this.pos); }
  get lastOffsetDelta(): number { return h.batchLastOffsetDelta(this.bytes, this.pos); }
  get lastOffset(): number { return h.batchLastOffset(this.bytes, this.pos); }
  /** The offset after this batch's last one: where the next batch starts. */
  get nextOffset(): number { return h.batchLastOffset(this.bytes, this.pos) + 1; }
  get baseTimestamp(): number { return h.batchBaseTimestamp(this.bytes, this.pos); }
  get maxTimestamp(): number { return h.batchMaxTimestamp(this.bytes, this.pos); }
  get producerId(): number { return h.batchProducerId(this.bytes, this.pos); }
  get producerEpoch(): number { return h.batchProducerEpoch(this.bytes, this.pos); }
  get baseSequence(): number { return h.batchBaseSequence(this.bytes, this.pos); }
  get recordCount(): number { return h.batchRecordCount(this.bytes, this.pos); }
  get compression(): CompressionType { return h.batchCompression(this.bytes, this.pos); }
  get isTransactional(): boolean { return h.batchIsTransactional(this.bytes, this.pos); }
  get isControl(): boolean { return h.batchIsControl(this.bytes, this.pos); }
  get hasDeleteHorizon(): boolean { return h.batchHasDeleteHorizon(this.bytes, this.pos); }
  get timestampType(): h.TimestampType { return h.batchTimestampType(this.bytes, this.pos); }
  /** This batch's bytes (a view, no copy). */
  get batchBytes(): Uint8Array { return this.bytes.subarray(this.pos, this.pos + this.sizeBytes); }

  validate(options?: ValidateOptions): RecordBatchInvalid | null {
    return validateRecordBatch(this.bytes, this.pos, this.bytes.length, options);
  }
  records(options?: IterateOptions): IterableIterator<RecordView> {
    return iterateRecords(this.bytes, this.pos, options);
  }
}
