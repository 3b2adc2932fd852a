/**
 * upConvertMessageSet: a Produce v0-v2 message set (magic 0/1) → ONE record batch v2, what
 * Kafka's LogValidator does before appending (the log stores magic 2 only).
 *
 * - The whole set is read and validated first (readMessageSet: no cut-off tail, every
 *   CRC, bounded decompression, `entryBytesMax` per top-level message — Kafka checks each
 *   legacy message against max.message.bytes); nothing is built for invalid input.
 * - Offsets: the producer's are dropped; records get deltas 0..n-1 from `baseOffset`
 *   (default 0: the log assigns the real offsets on append).
 * - Timestamps: magic 0 → NO_TIMESTAMP (-1), create time. Magic 1 keeps each record's
 *   timestamp (inner messages of a log-append wrapper: the wrapper's). The batch is
 *   log-append time only when every record is magic 1 with the log-append bit and one
 *   timestamp (v2 log-append batches give all records one time); otherwise create time
 *   with every record's own timestamp. The topic's timestamp type still rules at append.
 * - Keys and values are kept, no headers. Compression: the codec of the last compressed
 *   wrapper (Kafka's "source codec"), none when no message was compressed.
 * - Timestamps must stay within ±2^51 of the first record's (the v2 varlong deltas the
 *   builder accepts), else 'unsafe-integer'.
 */
import { buildRecordBatch } from '../record-batch/build-record-batch.ts';
import type { RecordInput } from '../record-batch/build-record-batch.ts';
import { readMessageSet } from './read-message-set.ts';
import type { LegacyInvalid, ReadMessageSetOptions } from './read-message-set.ts';

export interface UpConvertOptions extends Omit<ReadMessageSetOptions, 'allowTruncatedTail'> {
  /** The v2 batch's baseOffset (default 0). */
  readonly baseOffset?: number;
}

export type UpConverted =
  | { readonly invalid: null; readonly batch: Uint8Array; readonly recordCount: number; readonly compression: 0 | 1 | 2 | 3 }
  | { readonly invalid: LegacyInvalid };

const TIMESTAMP_DELTA_MAX = 2 ** 51;

export function upConvertMessageSet(bytes: Uint8Array, options: UpConvertOptions = {}): UpConverted {
  const read = readMessageSet(bytes, { ...options, allowTruncatedTail: false });
  if (read.invalid !== null) return read;
  const records = read.records;
  if (records.length === 0) return { invalid: { reason: 'empty', detail: 'the message set holds no message' } };
  const base = records[0]!.timestampMs;
  let compression: 0 | 1 | 2 | 3 = 0;
  let logAppend = true;
  const inputs: RecordInput[] = new Array<RecordInput>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (Math.abs(r.timestampMs - base) > TIMESTAMP_DELTA_MAX) {
      return { invalid: { reason: 'unsafe-integer', detail: `record ${i}: timestamp ${r.timestampMs} too far from ${base}` } };
    }
    if (r.compression !== 0) compression = r.compression;
    if (!r.logAppendTime || r.timestampMs !== base) logAppend = false;
    inputs[i] = { key: r.key, value: r.value, timestampMs: r.timestampMs };
  }
  const batch = buildRecordBatch(inputs, {
    baseOffset: options.baseOffset ?? 0,
    compression,
    ...(logAppend ? { timestampType: 'log-append' as const, logAppendTime: base } : {}),
  });
  return { invalid: null, batch, recordCount: records.length, compression };
}
