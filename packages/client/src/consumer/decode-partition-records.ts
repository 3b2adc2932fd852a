/**
 * decodePartitionRecords: the records of one Fetch partition answer, as the application
 * sees them. Pure.
 *
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
 * Decompression is the codec's, bounded by `maxDecompressedBytes`. Malformed bytes throw
 * the codec's DecodeError (the caller fails the partition with it).
 */
import {
  batchBaseOffset,
  batchIsControl,
  batchIsTransactional,
  batchLastOffset,
  batchPartitionLeaderEpoch,
  batchProducerId,
  forEachBatch,
  forEachRecord,
  recordViewOf,
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

export interface DecodedRecords {
  readonly records: ConsumerRecord[];
  readonly nextOffset: number;
  /** Leader epoch of the last complete batch read (-1 when none): the position's epoch. */
  readonly lastEpoch: number;
  /** Bytes of complete batches read. */
  readonly sizeBytes: number;
}

/** Control record type (key bytes 2-3) of an ABORT marker. */
const CONTROL_TYPE_ABORT = 0;
const RECORD_BATCH_MAGIC = 2;

export function decodePartitionRecords(input: DecodeInput): DecodedRecords {
  const out: ConsumerRecord[] = [];
  let nextOffset = input.fetchOffset;
  let lastEpoch = -1;
  let sizeBytes = 0;
  const bytes = input.records;
  if (bytes === null || bytes.length === 0) return { records: out, nextOffset, lastEpoch, sizeBytes };
  const pending = input.abortedTransactions === null ? [] : [...input.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
  const aborting = new Set<number>();
  const options = input.maxDecompressedBytes === undefined ? undefined : { maxDecompressedBytes: input.maxDecompressedBytes };
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
    forEachRecord(bytes, pos, (c) => {
      if (c.offset < input.fetchOffset) return;
      const v = recordViewOf(c);
      out.push({ topic: input.topic, partition: input.partition, offset: BigInt(v.offset), timestamp: v.timestampMs, key: v.key, value: v.value, headers: v.headers, leaderEpoch: epoch });
    }, options);
  });
  return { records: out, nextOffset, lastEpoch, sizeBytes };
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
