/**
 * cleanLog: one compaction pass over one log (Kafka's `Cleaner.doClean`), for
 * `cleanup.policy=compact` and `compact,delete`.
 *
 * Ranges (offsets):
 *   [logStart ... firstDirty)            already cleaned by earlier passes
 *   [firstDirty ... firstUncleanable)    dirty: appended since the last pass
 *   [firstUncleanable ... )              never touched: the active segment, anything at or
 *                                        above the high watermark, and segments younger
 *                                        than `min.compaction.lag.ms`
 * 1. Map: scan the dirty batches into the bounded {@link OffsetMap} (key → latest offset).
 *    When the next batch does not fit, stop: the pass cleans only up to the last offset
 *    mapped (`endOffset`) and the next pass continues from there (incremental).
 * 2. Rewrite: every segment with base offset < endOffset is rewritten, in groups whose
 *    total size fits `segment.bytes` (few small segments after compaction), keeping a
 *    record iff it has a key, no later offset of the same key is mapped, and it is not a
 *    tombstone past its batch's delete horizon. Records past endOffset are kept (the map
 *    knows nothing newer). Offsets never change (retained-batch.ts).
 * 3. Swap: each group's output is a `.cleaned` segment handed to the log's
 *    `replaceSegments` (`.cleaned` → sync → `.swap` → old segments to `.deleted` → live
 *    name; recovery completes an interrupted swap). A group whose output would equal its
 *    input is not swapped.
 *
 * Choices, documented:
 * - Tombstones (KIP-534, Kafka 3.1+): the first pass that keeps a tombstone stamps its
 *   batch with a delete horizon, now + delete.retention.ms (retained-batch.ts); a later
 *   pass drops the batch's tombstones once now ≥ that horizon. So a tombstone lives at
 *   least delete.retention.ms after the cleaner first saw it, whatever its timestamp — a
 *   consumer reading from the start within that time sees every delete.
 *   `earliestDeleteHorizonMs` in the result says when the next removal is due; with
 *   `tombstonesDue` a pass runs even with nothing dirty, rewriting the cleaned section with
 *   an empty map (Kafka also cleans a log whose delete horizon has passed).
 * - Keyless records are dropped (Kafka rejects them on compacted topics).
 * - Control batches are kept as they are. Transactions are not tracked: aborted records
 *   are compacted like committed ones (no aborted-transaction index yet).
 * - Producer state: a batch that loses all its records is kept as an empty batch (header
 *   only, lastOffsetDelta intact) when it is the last batch of its producer id among the
 *   batches scanned (Kafka's RETAIN_EMPTY), so the producer's last sequence survives a
 *   reload. Tracking is bounded by `producerIdsMax`; past it every emptied batch with a
 *   producer id is kept (conservative).
 * - Compressed batches are decompressed, filtered and recompressed with their own codec
 *   (the codec package's, by default); with `codec: null`, or zstd before the codec's
 *   `initCompression()`, they are kept unchanged and not mapped ("opaque": safe, only
 *   less compact).
 *
 * Bounds: the offset map (fixed bytes), one read chunk (the log's scan buffer, grown only
 * to the largest batch), one write buffer (`writeBufferBytes`), the producer map. Never
 * touches the active segment; yields to the event loop after every write-buffer flush
 * and every segment so appends and fetches keep flowing.
 *
 * Callers serialize passes per log (the LogManager). Not re-entrant.
 */
import {
  batchBaseOffset,
  batchIsControl,
  batchLastOffset,
  batchProducerId,
  batchRecordCount,
} from '@samsa/codec/wire';
import type { LogSegment } from '../log-segment.ts';
import type { Log } from '../log.ts';
import { CleanedSegmentWriter } from './cleaned-segment-writer.ts';
import { forEachRecordFrame } from './record-frames.ts';
import { OffsetMap } from './offset-map.ts';
import { batchDeleteHorizonMs, filterBatch, kafkaRecordsCodec, recordsSectionOf, type RecordsCodec } from './retained-batch.ts';

/** What the cleaner needs from a log (a core `Log` satisfies it). */
export type CleanableLog = Pick<Log, 'dir' | 'logStartOffset' | 'logEndOffset' | 'highWatermark' | 'segmentsSnapshot' | 'createCleanedSegment' | 'replaceSegments' | 'loadSegmentSizes'>;

export interface CleanOptions {
  /** Where the dirty section starts (the cleaner checkpoint); clamped to [logStart, logEnd]. */
  readonly firstDirtyOffset: number;
  readonly nowMs: number;
  /** `delete.retention.ms`. */
  readonly deleteRetentionMs: number;
  /** `min.compaction.lag.ms`: younger segments (by largest timestamp) are not cleaned. */
  readonly minCompactionLagMs?: number;
  /** `segment.bytes`: bound on a group of segments rewritten into one. */
  readonly segmentBytes: number;
  /** Offset map memory (Kafka's dedupe buffer); default 4 MiB (262,144 slots, ~236k keys). */
  readonly offsetMapBytes?: number;
  /** Output buffered before each append to the cleaned segment; default 256 KiB. */
  readonly writeBufferBytes?: number;
  readonly producerIdsMax?: number;
  /** Compression for compressed batches; default {@link kafkaRecordsCodec}; null: keep them as they are. */
  readonly codec?: RecordsCodec | null;
  /** Awaited between chunks; default a macrotask (setTimeout 0). */
  readonly yieldNow?: () => Promise<void>;
  /**
   * Run even when nothing is dirty: the cleaned section is rewritten with an empty map so
   * tombstones past their delete horizon go (pass it when `earliestDeleteHorizonMs` of an
   * earlier pass is ≤ nowMs).
   */
  readonly tombstonesDue?: boolean;
}

export interface CleanResult {
  /** The next pass's firstDirtyOffset (store it in the cleaner checkpoint). */
  readonly endOffset: number;
  /** True when the map filled before the dirty section ended. */
  readonly mapFull: boolean;
  readonly mapEntries: number;
  readonly segmentsRewritten: number;
  readonly groupsSwapped: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly recordsRemoved: number;
  /**
   * The earliest delete horizon among batches that still hold tombstones in the segments
   * this pass went through (every segment below endOffset when `segmentsRewritten` > 0);
   * null when none do. A pass at or after it removes tombstones.
   */
  readonly earliestDeleteHorizonMs: number | null;
}

const INT32_MAX = 0x7fffffff;
const defaultYield = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** First offset the cleaner must not touch: a segment base offset (the active one at most). */
export async function firstUncleanableOffset(log: CleanableLog, nowMs: number, minCompactionLagMs: number): Promise<number> {
  const segments = log.segmentsSnapshot();
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    const next = segments[i + 1]!;
    if (next.baseOffset > log.highWatermark) return s.baseOffset;
    if (minCompactionLagMs > 0 && (await s.largestTimestamp()) > nowMs - minCompactionLagMs) return s.baseOffset;
  }
  return segments[segments.length - 1]!.baseOffset;
}

/**
 * Dirty bytes / cleanable bytes, by whole segments (Kafka's `cleanableRatio`, for
 * scheduling). Needs every segment's size: `await log.loadSegmentSizes()` first.
 */
export function dirtyRatio(log: CleanableLog, firstDirtyOffset: number): { dirtyBytes: number; cleanableBytes: number; ratio: number } {
  const segments = log.segmentsSnapshot();
  let dirtyBytes = 0;
  let cleanableBytes = 0;
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    cleanableBytes += s.sizeBytes;
    if (segments[i + 1]!.baseOffset > firstDirtyOffset) dirtyBytes += s.sizeBytes;
  }
  return { dirtyBytes, cleanableBytes, ratio: cleanableBytes === 0 ? 0 : dirtyBytes / cleanableBytes };
}

export async function cleanLog(log: CleanableLog, givenOptions: CleanOptions): Promise<CleanResult> {
  const options = { ...givenOptions, codec: givenOptions.codec === undefined ? kafkaRecordsCodec : givenOptions.codec };
  const yieldNow = options.yieldNow ?? defaultYield;
  await log.loadSegmentSizes();
  const uncleanable = await firstUncleanableOffset(log, options.nowMs, options.minCompactionLagMs ?? 0);
  const firstDirty = Math.min(Math.max(options.firstDirtyOffset, log.logStartOffset), log.logEndOffset);
  const empty: CleanResult = { endOffset: firstDirty, mapFull: false, mapEntries: 0, segmentsRewritten: 0, groupsSwapped: 0, bytesRead: 0, bytesWritten: 0, recordsRemoved: 0, earliestDeleteHorizonMs: null };
  const map = new OffsetMap(options.offsetMapBytes ?? 4 * 1024 * 1024);
  let scan: MapScan;
  if (firstDirty < uncleanable) scan = await buildOffsetMap(log, map, firstDirty, uncleanable, options, yieldNow);
  else if (options.tombstonesDue === true) scan = await scanProducers(log, Math.min(firstDirty, uncleanable), options, yieldNow);
  else return empty;

  const rewriteBelow = Math.min(scan.endOffset, uncleanable);
  const segments = log.segmentsSnapshot().filter((s) => s.baseOffset < rewriteBelow && !s.isActive);
  const groups = groupSegments(segments, log.segmentsSnapshot(), scan.endOffset, options.segmentBytes);
  const totals = { segmentsRewritten: 0, groupsSwapped: 0, bytesWritten: 0, recordsRemoved: 0 };
  let earliestDeleteHorizonMs: number | null = null;
  for (const group of groups) {
    const r = await cleanGroup(log, group, map, scan.producerLast, options, yieldNow);
    totals.segmentsRewritten += group.length;
    totals.groupsSwapped += r.swapped ? 1 : 0;
    totals.bytesWritten += r.bytesWritten;
    totals.recordsRemoved += r.recordsRemoved;
    if (r.earliestDeleteHorizonMs !== null && (earliestDeleteHorizonMs === null || r.earliestDeleteHorizonMs < earliestDeleteHorizonMs)) earliestDeleteHorizonMs = r.earliestDeleteHorizonMs;
  }
  return { endOffset: Math.max(scan.endOffset, firstDirty), mapFull: scan.mapFull, mapEntries: map.size, bytesRead: scan.bytesRead, earliestDeleteHorizonMs, ...totals };
}

/**
 * The tombstones-due pass with nothing dirty: no offset map, only the producer ids of the
 * segments below `endOffset` (for RETAIN_EMPTY), so the rewrite drops expired tombstones.
 */
async function scanProducers(log: CleanableLog, endOffset: number, options: CleanOptions, yieldNow: () => Promise<void>): Promise<MapScan> {
  const producersMax = options.producerIdsMax ?? 100_000;
  let producerLast: Map<number, number> | null = new Map();
  let bytesRead = 0;
  for (const segment of log.segmentsSnapshot()) {
    if (segment.baseOffset >= endOffset || producerLast === null) break;
    await segment.forEachBatch((batch) => {
      bytesRead += batch.byteLength;
      const producerId = batchProducerId(batch);
      if (producerId >= 0 && producerLast !== null) {
        producerLast.set(producerId, batchBaseOffset(batch));
        if (producerLast.size > producersMax) producerLast = null;
      }
      return true;
    });
    await yieldNow();
  }
  return { endOffset, mapFull: false, bytesRead, producerLast };
}

interface MapScan {
  readonly endOffset: number;
  readonly mapFull: boolean;
  readonly bytesRead: number;
  /** producer id → base offset of its last batch scanned; null once past producerIdsMax. */
  readonly producerLast: Map<number, number> | null;
}

/**
 * Phase 1. Walks every segment below `uncleanable` from the start: batches before
 * firstDirty only feed the producer map, dirty ones also the offset map. Once the map is
 * full, the rest of that segment is still walked for producer ids (the whole segment is
 * rewritten), then the walk stops.
 */
async function buildOffsetMap(log: CleanableLog, map: OffsetMap, firstDirty: number, uncleanable: number, options: CleanOptions, yieldNow: () => Promise<void>): Promise<MapScan> {
  const producersMax = options.producerIdsMax ?? 100_000;
  let producerLast: Map<number, number> | null = new Map();
  // Offset after the last dirty batch fully taken into account (mapped, opaque or control).
  let mappedThrough = firstDirty;
  let mapFull = false;
  let bytesRead = 0;
  for (const segment of log.segmentsSnapshot()) {
    if (segment.baseOffset >= uncleanable || mapFull) break;
    await segment.forEachBatch((batch) => {
      bytesRead += batch.byteLength;
      const base = batchBaseOffset(batch);
      const producerId = batchProducerId(batch);
      if (producerId >= 0 && producerLast !== null) {
        producerLast.set(producerId, base);
        if (producerLast.size > producersMax) producerLast = null;
      }
      const last = batchLastOffset(batch);
      if (mapFull || last < firstDirty) return true;
      if (base >= uncleanable) return false;
      const section = batchIsControl(batch) ? null : recordsSectionOf(batch, 0, batch.byteLength, options.codec ?? undefined);
      const count = section === null ? 0 : batchRecordCount(batch);
      if (section !== null && !map.hasRoomFor(count)) {
        if (map.size === 0) throw new RangeError(`cleaner offset map (${map.entriesMax} entries) cannot hold one batch of ${count} records`);
        mapFull = true;
        return true;
      }
      if (section !== null) {
        forEachRecordFrame(section.bytes, section.start, section.end, count, (frame) => {
          if (frame.keyStart >= 0) map.put(section.bytes, frame.keyStart, frame.keyEnd, base + frame.offsetDelta);
        });
      }
      mappedThrough = last + 1;
      return true;
    });
    await yieldNow();
  }
  const endOffset = mapFull ? mappedThrough : uncleanable;
  return { endOffset, mapFull, bytesRead, producerLast };
}

/**
 * Consecutive segments whose total size fits `segmentBytes` and whose offsets fit one
 * segment's int32 relative offsets (Kafka's `groupSegmentsBySize`).
 */
function groupSegments(segments: readonly LogSegment[], all: readonly LogSegment[], endOffset: number, segmentBytes: number): LogSegment[][] {
  const nextBase = (s: LogSegment): number => {
    const i = all.indexOf(s);
    return all[i + 1]?.baseOffset ?? endOffset;
  };
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let bytes = segments[i]!.sizeBytes;
    i++;
    while (i < segments.length) {
      const s = segments[i]!;
      if (bytes + s.sizeBytes > segmentBytes) break;
      if (nextBase(s) - 1 - group[0]!.baseOffset > INT32_MAX) break;
      group.push(s);
      bytes += s.sizeBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

interface GroupResult {
  readonly swapped: boolean;
  readonly bytesWritten: number;
  readonly recordsRemoved: number;
  readonly earliestDeleteHorizonMs: number | null;
}

/** Phase 2 and 3 for one group: filter every batch into a `.cleaned` segment, then swap. */
async function cleanGroup(
  log: CleanableLog,
  group: readonly LogSegment[],
  map: OffsetMap,
  producerLast: Map<number, number> | null,
  options: CleanOptions,
  yieldNow: () => Promise<void>,
): Promise<GroupResult> {
  const cleaned = await log.createCleanedSegment(group[0]!.baseOffset);
  const writer = new CleanedSegmentWriter(cleaned, options.writeBufferBytes ?? 256 * 1024);
  let changed = false;
  let recordsRemoved = 0;
  try {
    for (const segment of group) {
      let resumeAt = 0;
      for (let round = 0; round <= segment.sizeBytes; round++) {
        let stoppedAt = -1;
        await segment.forEachBatch((batch, position) => {
          if (writer.full) {
            stoppedAt = position;
            return false;
          }
          const outcome = filterOne(batch, map, producerLast, options);
          if (outcome.kind === 'unchanged' || outcome.kind === 'opaque') {
            writer.keep(batch.slice());
            if (outcome.kind === 'unchanged' && outcome.tombstonesKept > 0) writer.noteDeleteHorizon(batch);
          } else {
            changed = true;
            recordsRemoved += outcome.recordsRemoved;
            if (outcome.kind === 'rewritten') {
              writer.keep(outcome.bytes);
              if (outcome.tombstonesKept > 0) writer.noteDeleteHorizon(outcome.bytes);
            }
          }
          return true;
        }, resumeAt);
        if (stoppedAt < 0) break;
        await writer.flush();
        await yieldNow();
        resumeAt = stoppedAt;
      }
    }
    await writer.flush();
    const earliestDeleteHorizonMs = writer.earliestDeleteHorizonMs;
    if (!changed) {
      await cleaned.deleteFiles();
      return { swapped: false, bytesWritten: 0, recordsRemoved: 0, earliestDeleteHorizonMs };
    }
    assertStillPresent(log, group);
    await log.replaceSegments(cleaned, group);
    return { swapped: true, bytesWritten: writer.bytesWritten, recordsRemoved, earliestDeleteHorizonMs };
  } catch (error) {
    await cleaned.deleteFiles().catch(() => undefined);
    throw error;
  }
}

/** The per-batch decision: keep records that are the latest for their key and not expired tombstones. */
function filterOne(batch: Uint8Array, map: OffsetMap, producerLast: Map<number, number> | null, options: CleanOptions) {
  if (batchIsControl(batch)) return { kind: 'unchanged', tombstonesKept: 0 } as const;
  const base = batchBaseOffset(batch);
  const producerId = batchProducerId(batch);
  const keepEmpty = producerId >= 0 && (producerLast === null || producerLast.get(producerId) === base);
  const horizon = batchDeleteHorizonMs(batch);
  const tombstonesExpired = horizon !== null && options.nowMs >= horizon;
  return filterBatch(
    batch,
    0,
    batch.byteLength,
    keepEmpty,
    (section, frame, offset) => {
      if (frame.keyStart < 0) return false;
      if (map.get(section, frame.keyStart, frame.keyEnd) > offset) return false;
      return !(frame.valueIsNull && tombstonesExpired);
    },
    options.codec ?? undefined,
    options.nowMs + options.deleteRetentionMs,
  );
}

/** Truncation or retention may have removed a segment while we read it: then give up this pass. */
function assertStillPresent(log: CleanableLog, group: readonly LogSegment[]): void {
  const live = new Set(log.segmentsSnapshot());
  for (const s of group) {
    if (!live.has(s)) throw new CleanerAbortedError(`segment ${s.baseOffset} of ${log.dir} changed during cleaning`);
  }
}

export class CleanerAbortedError extends Error {
  override readonly name = 'CleanerAbortedError';
  readonly code = 'cleaner-aborted';
}
