/**
 * The records of one Fetch partition answer, as the application sees them, in two phases.
 * Pure.
 *
 * 1. `scanPartitionRecords` (the fetcher, as soon as the answer lands): reads only batch
 *    headers. It decides which batches hold deliverable records and where the partition's
 *    fetch position moves (`nextOffset`), so the next Fetch can go out before any record is
 *    decoded.
 * 2. `recordsOfScan` (the consumer's `next()`, when the application takes the batch):
 *    decodes the records of the batches the scan kept.
 * `decodePartitionRecords` is both at once.
 *
 * Rules:
 * - Batches are framed by their length (the codec's forEachBatch); an incomplete last
 *   batch (the broker cut the answer at a byte limit) is ignored: the next fetch starts
 *   at `nextOffset`, which never passes a record not returned.
 * - Records below `fetchOffset` are skipped (a compressed batch is served whole and may
 *   start before it).
 * - Control batches (transaction markers) are never returned; they move `nextOffset`.
 * - read_committed (Java's `Fetcher`/`CompletedFetch` rule): the aborted transactions the
 *   broker listed are taken in `firstOffset` order; a transactional batch whose producer
 *   has an aborted transaction starting at or before the batch's last offset is dropped,
 *   until that producer's ABORT marker (a control batch) is passed. read_uncommitted has
 *   no list (null) and drops nothing.
 * - Invariants: returned offsets strictly increase; every returned offset ≥ fetchOffset;
 *   `nextOffset` ≥ fetchOffset and > every returned offset; `nextOffset` never passes the
 *   end of the last complete batch.
 * - A kept batch may still yield no record (compaction can leave a batch whose records all
 *   lie below `fetchOffset`); the consumer then moves past it without delivering anything.
 * Decompression is the codec's, bounded by `maxDecompressedBytes`. Malformed bytes throw
 * the codec's DecodeError (the caller fails the partition with it): header fields in the
 * scan, record bytes and compressed blocks in `recordsOfScan`.
 */
import {
  batchBaseOffset,
  batchIsControl,
  batchIsTransactional,
  batchLastOffset,
  batchPartitionLeaderEpoch,
  batchProducerId,
  batchRecordCount,
  forEachBatch,
  decodeHeaders,
  forEachRecord,
  batchMagic,
} from '@samsa/codec/wire';
import type { ConsumerRecord } from './consumer-record.ts';

export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface DecodeInput {
  readonly topic: string;
  readonly partition: number;
  readonly records: Uint8Array | null;
  readonly fetchOffset: number;
  /** null for read_uncommitted. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  readonly maxDecompressedBytes?: number;
}

/** What the scan found: enough to move the fetch position and to decode later. */
export interface ScannedRecords {
  readonly topic: string;
  readonly partition: number;
  readonly bytes: Uint8Array;
  readonly fetchOffset: number;
  /** Byte positions (in `bytes`) of the batches that hold deliverable records, in order. */
  readonly batchPositions: readonly number[];
  /** Their records at or after fetchOffset, from the batch headers (exact unless compacted). */
  readonly recordCountEstimate: number;
  readonly nextOffset: number;
  /** Leader epoch of the last complete batch read (-1 when none): the position's epoch. */
  readonly lastEpoch: number;
  /** Bytes of complete batches read. */
  readonly sizeBytes: number;
  readonly maxDecompressedBytes: number | undefined;
}

export interface DecodedRecords {
  readonly records: ConsumerRecord[];
  readonly nextOffset: number;
  readonly lastEpoch: number;
  readonly sizeBytes: number;
}

/** Control record type (key bytes 2-3) of an ABORT marker. */
const CONTROL_TYPE_ABORT = 0;
const RECORD_BATCH_MAGIC = 2;
const NO_BYTES = new Uint8Array(0);

export function scanPartitionRecords(input: DecodeInput): ScannedRecords {
  const batchPositions: number[] = [];
  let recordCountEstimate = 0;
  let nextOffset = input.fetchOffset;
  let lastEpoch = -1;
  let sizeBytes = 0;
  const bytes = input.records ?? NO_BYTES;
  const options = input.maxDecompressedBytes === undefined ? undefined : { maxDecompressedBytes: input.maxDecompressedBytes };
  if (bytes.length > 0) {
    const pending = input.abortedTransactions === null ? [] : [...input.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const aborting = new Set<number>();
    forEachBatch(bytes, (pos, size) => {
      if (pos + size > bytes.length) return; // a cut-off tail
      if (batchMagic(bytes, pos) !== RECORD_BATCH_MAGIC) throw new RangeError(`${input.topic}-${input.partition}: record batch magic ${batchMagic(bytes, pos)} at offset ${batchBaseOffset(bytes, pos)}`);
      sizeBytes += size;
      const lastOffset = batchLastOffset(bytes, pos);
      const epoch = batchPartitionLeaderEpoch(bytes, pos);
      if (lastOffset < input.fetchOffset) return;
      lastEpoch = epoch;
      nextOffset = Math.max(nextOffset, lastOffset + 1);
      const producerId = batchProducerId(bytes, pos);
      if (batchIsControl(bytes, pos)) {
        if (isAbortMarker(bytes, pos, options)) aborting.delete(producerId);
        return;
      }
      if (input.abortedTransactions !== null && batchIsTransactional(bytes, pos)) {
        while (pending.length > 0 && pending[0]!.firstOffset <= lastOffset) aborting.add(pending.shift()!.producerId);
        if (aborting.has(producerId)) return;
      }
      const count = batchRecordCount(bytes, pos);
      if (count <= 0) return; // emptied by compaction: nothing to deliver
      batchPositions.push(pos);
      recordCountEstimate += Math.min(count, lastOffset - Math.max(input.fetchOffset, batchBaseOffset(bytes, pos)) + 1);
    });
  }
  return {
    topic: input.topic, partition: input.partition, bytes, fetchOffset: input.fetchOffset, batchPositions, recordCountEstimate,
    nextOffset, lastEpoch, sizeBytes, maxDecompressedBytes: input.maxDecompressedBytes,
  };
}

/** The records of the batches `scan` kept, at or after its fetch offset. */
export function recordsOfScan(scan: ScannedRecords): ConsumerRecord[] {
  const out: ConsumerRecord[] = [];
  const { bytes, topic, partition, fetchOffset } = scan;
  const options = scan.maxDecompressedBytes === undefined ? undefined : { maxDecompressedBytes: scan.maxDecompressedBytes };
  for (const pos of scan.batchPositions) {
    const epoch = batchPartitionLeaderEpoch(bytes, pos);
    // Built straight from the cursor (no intermediate view object): the consumer's
    // allocation per record is what decides how often a full GC runs.
    forEachRecord(bytes, pos, (c) => {
      if (c.offset < fetchOffset) return;
      const b = c.bytes;
      out.push({
        topic, partition, offset: BigInt(c.offset), timestamp: c.timestampMs,
        key: c.keyLength < 0 ? null : b.subarray(c.keyStart, c.keyStart + c.keyLength),
        value: c.valueLength < 0 ? null : b.subarray(c.valueStart, c.valueStart + c.valueLength),
        headers: decodeHeaders(c), leaderEpoch: epoch,
      });
    }, options);
  }
  return out;
}

export function decodePartitionRecords(input: DecodeInput): DecodedRecords {
  const scan = scanPartitionRecords(input);
  return { records: recordsOfScan(scan), nextOffset: scan.nextOffset, lastEpoch: scan.lastEpoch, sizeBytes: scan.sizeBytes };
}

function isAbortMarker(bytes: Uint8Array, pos: number, options: { maxDecompressedBytes: number } | undefined): boolean {
  let abort = false;
  forEachRecord(bytes, pos, (c) => {
    const key = c.keyLength >= 4 ? c.bytes.subarray(c.keyStart, c.keyStart + 4) : null;
    abort = key !== null && ((key[2]! << 8) | key[3]!) === CONTROL_TYPE_ABORT;
    return false;
  }, options);
  return abort;
}
