/**
 * downConvertForFetch: what Fetch v0-v3 sends instead of the log's record batches v2.
 * Those versions predate magic 2: v0-v1 consumers read magic 0 message sets, v2-v3 magic 1
 * (KIP-32's timestamps). Kafka converts on the way out (LazyDownConversionRecords); so do
 * we, with the codec's downConvertRecordBatches (see codec src/legacy-messages):
 *
 * - `records`: the bytes the partition read returned (whole batches, the last possibly
 *   cut off by the read's limit); `budgetBytes`: what the partition may still take of
 *   the response (partition_max_bytes / the response's max_bytes left). The output stays
 *   within it except that the first whole message (or compressed wrapper) is always
 *   returned, so a consumer can pass a message larger than its fetch size (KIP-74's rule;
 *   Kafka's lazy down-conversion also always converts at least one batch).
 * - `fetchOffset`: records of uncompressed batches below it are dropped, as Kafka does for
 *   magic < 2 (old consumers expect the first message at their offset); compressed batches
 *   are sent whole and the consumer skips the inner messages below its position.
 * - Errors (Fetch partition error codes): a zstd batch first in line →
 *   UNSUPPORTED_COMPRESSION_TYPE (magic < 2 has no zstd; Kafka answers the same to Fetch
 *   < v10); a corrupt batch first in line → CORRUPT_MESSAGE. A zstd or corrupt batch after
 *   converted ones just ends the conversion: the client gets what came before it and its
 *   next fetch starts at that batch, which then answers the error.
 * - Versions ≥ 4 need no conversion: the records are returned unchanged.
 *
 * The caller (the Fetch handler) counts `convertedRecords` with
 * `metrics.messageFormatConversions('Fetch', n)`. Pure: no I/O, never throws on bad bytes.
 */
import { downConvertRecordBatches, ErrorCode } from '@samsa/codec';

/** The last Fetch version whose consumers read magic 0 message sets. */
const FETCH_MAGIC_V0_VERSION_MAX = 1;
/** The last Fetch version that predates record batch v2. */
export const FETCH_DOWN_CONVERT_VERSION_MAX = 3;

export interface FetchDownConverted {
  /** The message set to put in the partition's `records`. */
  readonly records: Uint8Array;
  /** The partition's error code: NONE, UNSUPPORTED_COMPRESSION_TYPE or CORRUPT_MESSAGE. */
  readonly errorCode: number;
  readonly convertedRecords: number;
}

export interface FetchDownConvertOptions {
  /** The partition's fetch offset; records of plain batches below it are dropped. */
  readonly fetchOffset?: number;
  /** Bound on one compressed batch's decompressed records (codec default: 64 MiB). */
  readonly maxDecompressedBytes?: number;
}

export function downConvertForFetch(records: Uint8Array, fetchVersion: number, budgetBytes: number, options: FetchDownConvertOptions = {}): FetchDownConverted {
  if (!Number.isInteger(fetchVersion) || fetchVersion < 0) throw new RangeError(`fetch version ${fetchVersion}`);
  if (fetchVersion > FETCH_DOWN_CONVERT_VERSION_MAX) return { records, errorCode: ErrorCode.NONE, convertedRecords: 0 };
  const out = downConvertRecordBatches(records, {
    magic: fetchVersion <= FETCH_MAGIC_V0_VERSION_MAX ? 0 : 1,
    budgetBytes: Math.max(0, budgetBytes),
    ...(options.fetchOffset === undefined ? {} : { fetchOffset: options.fetchOffset }),
    ...(options.maxDecompressedBytes === undefined ? {} : { maxDecompressedBytes: options.maxDecompressedBytes }),
  });
  let errorCode: number = ErrorCode.NONE;
  if (out.recordCount === 0 && out.stoppedBy === 'unsupported-compression') errorCode = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if (out.recordCount === 0 && out.stoppedBy === 'corrupt') errorCode = ErrorCode.CORRUPT_MESSAGE;
  return { records: out.records, errorCode, convertedRecords: out.recordCount };
}
