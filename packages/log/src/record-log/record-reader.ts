/**
 * Reads records (not batches) from a `Log`: `readRecords` returns up to `maxRecords`
 * starting at an offset, decoded through the log's serdes. The log returns whole batches
 * and the first may start before the offset, so records below it are skipped; control
 * batches (transaction markers, when the log came from a broker) are skipped too.
 *
 * Byte fields (a `bytesSerde` key or value, header values) are views into the bytes one
 * read returned, never copied: keeping one record keeps that read's buffer alive.
 *
 * Bounds: one `Log.read` of `readBytesMax` per round (at least one whole batch, as Kafka
 * reads), at most `maxRecords` records decoded; compressed batches are decompressed by the
 * codec within its 64 MiB bound.
 */
import { batchIsControl, batchLastOffset, forEachBatch, iterateRecords } from '@samsa/codec/wire';
import type { Log } from '../log.ts';
import type { LogRecord } from './log-record.ts';
import type { Serde } from './serde.ts';

export interface RecordSerdes<K, V> {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
}

export interface ReadChunk<K, V> {
  readonly records: LogRecord<K, V>[];
  /** Where the next read starts: after the last record returned, or past skipped batches. */
  readonly nextOffset: number;
}

export class RecordDecodeError extends Error {
  readonly offset: number;
  constructor(offset: number, cause: unknown) {
    super(`record at offset ${offset} does not decode with the log's serdes: ${String(cause)}`, { cause });
    this.name = 'RecordDecodeError';
    this.offset = offset;
  }
}

/**
 * Up to `maxRecords` records from `from` (clamped to the log start) below `endOffset`
 * (default the log end), in at most `roundsMax` engine reads. An empty result with
 * `nextOffset === from` means nothing more is there yet.
 */
export async function readRecords<K, V>(
  log: Log,
  serdes: RecordSerdes<K, V>,
  from: number,
  maxRecords: number,
  readBytesMax: number,
  endOffset: number = log.logEndOffset,
  roundsMax = 1_000,
): Promise<ReadChunk<K, V>> {
  const records: LogRecord<K, V>[] = [];
  let next = Math.max(from, log.logStartOffset);
  for (let round = 0; records.length < maxRecords && next < endOffset && round < roundsMax; round++) {
    const result = await log.read(next, readBytesMax, { maxOffset: endOffset });
    if (result.records.byteLength === 0) break;
    const bytes = result.records;
    let reached = next;
    forEachBatch(bytes, (pos) => {
      const last = batchLastOffset(bytes, pos);
      if (last < next || records.length >= maxRecords) return;
      if (batchIsControl(bytes, pos)) {
        reached = Math.max(reached, last + 1);
        return;
      }
      for (const r of iterateRecords(bytes, pos)) {
        if (r.offset < next) continue;
        if (records.length >= maxRecords || r.offset >= endOffset) break;
        let key: K | null;
        let value: V | null;
        try {
          key = r.key === null ? null : serdes.key.deserialize(r.key);
          value = r.value === null ? null : serdes.value.deserialize(r.value);
        } catch (error) {
          throw new RecordDecodeError(r.offset, error);
        }
        records.push({ offset: r.offset, timestamp: r.timestampMs, key, value, headers: r.headers });
        reached = r.offset + 1;
      }
      // A batch read to its end moves past its last offset (a compacted batch may end in a gap).
      if (records.length < maxRecords) reached = Math.max(reached, Math.min(last + 1, endOffset));
    });
    if (reached === next) break;
    next = reached;
  }
  return { records, nextOffset: next };
}
