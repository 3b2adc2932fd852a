/**
 * downConvertRecordBatches: record batches v2 as read from the log (the last one possibly
 * cut off by the read's byte limit) → a magic 0 or 1 message set, for Fetch v0-v3.
 * Kafka's RecordsUtil.downConvert / LazyDownConversionRecords rules:
 *
 * - Each record keeps its absolute offset, key and value; headers are dropped; magic 0
 *   drops timestamps; magic 1 keeps them and the batch's timestamp type (log-append
 *   batches: every message gets the log-append bit and the batch's maxTimestamp).
 * - An uncompressed batch becomes one plain message per record, and records below
 *   `fetchOffset` are dropped (old consumers expect the first message at the fetch
 *   offset). A compressed batch (gzip, snappy, lz4) becomes ONE wrapper message of the same
 *   codec holding all its records, with Kafka's inner-offset rule for the magic (see
 *   build-message-set.ts); old consumers skip inner offsets below their position.
 * - Control batches (transaction markers) are skipped; batches whose records were all
 *   compacted away give nothing.
 * - zstd cannot be expressed in magic < 2: conversion stops there with
 *   'unsupported-compression' (Kafka answers UNSUPPORTED_COMPRESSION_TYPE when that is
 *   the first batch; batches before it are returned, the next fetch starts at it).
 * - Bounded output: conversion stops before the message (or wrapper) that would take the
 *   output past `budgetBytes`, but the first whole message is always returned, as Fetch
 *   returns at least one whole batch (KIP-74). At most one batch beyond the budget is
 *   decoded, and decompression is bounded by `maxDecompressedBytes`.
 * - A cut-off last batch ends the conversion ('truncated'); a batch that fails
 *   validation (framing, CRC-32C, records) ends it too ('corrupt'), keeping what came
 *   before it. Never throws on bad input.
 */
import { DecodeError } from '../decode-error.ts';
import {
  batchCompression,
  batchIsControl,
  batchMagic,
  batchMaxTimestamp,
  batchTimestampType,
} from '../record-batch/header.ts';
import { forEachRecord } from '../record-batch/record-cursor.ts';
import { nextBatchEnd } from '../record-batch/split.ts';
import { DECOMPRESSED_BYTES_MAX_DEFAULT, validateRecordBatch } from '../record-batch/validate.ts';
import { RECORD_BATCH_HEADER_BYTES } from '../record-batch/constants.ts';
import { buildMessageSet } from './build-message-set.ts';
import type { LegacyRecordInput } from './build-message-set.ts';
import { legacyEntryBytes } from './constants.ts';

export interface DownConvertOptions {
  readonly magic: 0 | 1;
  /** Output bound in bytes; the first whole message is returned even when larger. */
  readonly budgetBytes: number;
  /** Records of uncompressed batches below this offset are dropped (default: none). */
  readonly fetchOffset?: number;
  /** Bound on one compressed batch's decompressed records (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
}

export type DownConvertStop = 'end' | 'budget' | 'truncated' | 'unsupported-compression' | 'corrupt';

export interface DownConverted {
  /** The message set (a fresh array; empty when nothing converted). */
  readonly records: Uint8Array;
  readonly recordCount: number;
  /** Why conversion ended. */
  readonly stoppedBy: DownConvertStop;
  readonly detail: string;
}

interface Collected {
  readonly records: LegacyRecordInput[];
  /** Bytes the records take as plain messages of the target magic. */
  bytes: number;
  full: boolean;
}

function viewOf(bytes: Uint8Array, start: number, length: number): Uint8Array | null {
  return length < 0 ? null : bytes.subarray(start, start + length);
}

/**
 * The records of the batch at `pos` as builder inputs. For an uncompressed batch, stops
 * (`full`) at the first record that would take the output (`taken` bytes so far) past
 * `budget`, unless it would be the first message of the output.
 */
function collect(b: Uint8Array, pos: number, magic: 0 | 1, fetchOffset: number, taken: number, budget: number, plain: boolean, maxDecompressedBytes: number): Collected {
  const out: Collected = { records: [], bytes: 0, full: false };
  forEachRecord(
    b,
    pos,
    (c) => {
      if (plain && c.offset < fetchOffset) return true;
      const key = viewOf(c.bytes, c.keyStart, c.keyLength);
      const value = viewOf(c.bytes, c.valueStart, c.valueLength);
      const size = legacyEntryBytes(magic, key, value);
      if (plain && taken + out.bytes + size > budget && (taken > 0 || out.records.length > 0)) {
        out.full = true;
        return false;
      }
      out.records.push({ offset: c.offset, timestampMs: c.timestampMs, key, value });
      out.bytes += size;
      return true;
    },
    { maxDecompressedBytes },
  );
  return out;
}

export function downConvertRecordBatches(bytes: Uint8Array, options: DownConvertOptions): DownConverted {
  const { magic, budgetBytes } = options;
  const fetchOffset = options.fetchOffset ?? Number.NEGATIVE_INFINITY;
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let recordCount = 0;
  const done = (stoppedBy: DownConvertStop, detail = ''): DownConverted => ({ records: concat(chunks, total), recordCount, stoppedBy, detail });
  let pos = 0;
  while (pos < bytes.length) {
    const end = nextBatchEnd(bytes, pos, bytes.length);
    if (end < 0) return done('truncated');
    const bad = end - pos < RECORD_BATCH_HEADER_BYTES || batchMagic(bytes, pos) !== 2 ? { detail: 'not a record batch v2' } : validateRecordBatch(bytes, pos, end);
    if (bad !== null) return done('corrupt', `batch at byte ${pos}: ${bad.detail}`);
    const codec = batchCompression(bytes, pos);
    if (batchIsControl(bytes, pos)) {
      pos = end;
      continue;
    }
    if (codec === 4) return done('unsupported-compression', `zstd batch at byte ${pos} cannot be down-converted to magic ${magic}`);
    if (codec > 4) return done('corrupt', `batch at byte ${pos}: compression type ${codec}`);
    let got: Collected;
    try {
      got = collect(bytes, pos, magic, fetchOffset, total, budgetBytes, codec === 0, maxDecompressedBytes);
    } catch (e) {
      if (e instanceof DecodeError) return done('corrupt', `batch at byte ${pos}: ${e.message}`);
      throw e;
    }
    if (got.records.length > 0) {
      const logAppend = batchTimestampType(bytes, pos) === 'log-append';
      const chunk = buildMessageSet(got.records, {
        magic,
        compression: codec as 0 | 1 | 2 | 3,
        ...(logAppend ? { timestampType: 'log-append' as const, logAppendTime: batchMaxTimestamp(bytes, pos) } : {}),
      });
      if (total > 0 && total + chunk.length > budgetBytes) return done('budget');
      chunks.push(chunk);
      total += chunk.length;
      recordCount += got.records.length;
    }
    if (got.full || total >= budgetBytes) return done('budget');
    pos = end;
  }
  return done('end');
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
