/**
 * Loading, rebuilding and recovering the two indices of one segment (the offset index and
 * the time index), apart from the segment's reads and appends (log-segment.ts).
 *
 * - `loadCheckedIndexes`: reads both files and sanity-checks them (monotonic entries, the
 *   last position inside the `.log`); null with the reason when either is missing or
 *   corrupt, so the caller rebuilds.
 * - `rebuildIndexes`: re-derives both from the batch headers (no CRC pass).
 * - `recoverIndexes`: crash recovery of one segment. Batches below the recovery point were
 *   synced before it moved, so they are not read again: the recovery starts from the
 *   offset-index entry at the recovery point (checked against the batch it names), keeps
 *   the index entries below it, walks the synced batches after it by their headers only,
 *   and validates every batch from the recovery point on (length, CRC-32C, offsets
 *   increasing and inside the segment). It reports where the first invalid byte is; the
 *   segment cuts its file there.
 *
 * Invariants: an index entry is keyed by a batch's last offset and holds that batch's
 * position; the time index holds the running maximum timestamp, appended together with the
 * offset entries. An index file holds a prefix of the entries its segment had when it was
 * written (entries are only appended; a truncation that removes entries rewrites the file,
 * synced, before new entries can follow, see LogSegment.truncateTo and `recover`), so the
 * entries of a file below the recovery point describe the synced batches. Recovery starts
 * only from an entry the time index file also covers (its prefix holds every time entry
 * made up to there), checks the batch the entry names, and falls back to the segment
 * start when anything does not fit.
 */
import type { FileHandle, FileSystem } from '@samsa/runtime';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, batchPartitionLeaderEpoch, validateRecordBatch, RECORD_BATCH_HEADER_BYTES } from '@samsa/codec/wire';
import { scanBatches } from './batch-scanner.ts';
import { CorruptIndexError, isNoSpace } from './errors.ts';
import { readFully } from './file-io.ts';
import { OffsetIndex } from './offset-index.ts';
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts';

export interface Indexes {
  readonly offset: OffsetIndex;
  readonly time: TimeIndex;
}

/** Where a segment's index files are and how they are sized. */
export interface IndexFiles {
  readonly fs: FileSystem;
  readonly offsetPath: string;
  readonly timePath: string;
  readonly baseOffset: number;
  readonly segmentIndexBytes: number;
  /** The active segment keeps its index files preallocated. */
  readonly active: boolean;
}

const INT32_MAX = 0x7fffffff;

/**
 * The running state of indexing a segment's batches in order: the largest timestamp so far
 * (and the last offset of the batch holding it) and the bytes since the last index entry.
 */
export class IndexCursor {
  maxTimestamp = NO_TIMESTAMP;
  offsetOfMaxTimestamp: number;
  bytesSinceLastIndexEntry = 0;
  private readonly baseOffset: number;

  constructor(baseOffset: number) {
    this.baseOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
  }

  /** Back to an empty segment. */
  reset(): void {
    this.maxTimestamp = NO_TIMESTAMP;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
  }

  /** Index bookkeeping for one batch appended (or found) at `position`. */
  indexBatch(ix: Indexes, chunk: Uint8Array, at: number, sizeBytes: number, position: number, indexIntervalBytes: number): void {
    const lastOffset = batchLastOffset(chunk, at);
    const ts = batchMaxTimestamp(chunk, at);
    if (ts > this.maxTimestamp) {
      this.maxTimestamp = ts;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    // A full index just stops growing (it is sparse); the next append rolls the segment.
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes && !ix.offset.isFull) {
      ix.offset.append(lastOffset, position);
      if (!ix.time.isFull) ix.time.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += sizeBytes;
  }
}

/** Two empty indices (nothing on disk yet; the next flush writes them). */
export function emptyIndexes(files: IndexFiles): Indexes {
  const offset = OffsetIndex.empty(files.offsetPath, files.baseOffset, files.segmentIndexBytes, files.active);
  const time = TimeIndex.empty(files.timePath, files.baseOffset, files.segmentIndexBytes, files.active);
  offset.reset();
  time.reset();
  return { offset, time };
}

/**
 * Both index files, loaded and sanity-checked against a `.log` of `logSizeBytes`; null
 * with the reason when one is missing or corrupt. Other failures reject.
 */
export async function loadCheckedIndexes(files: IndexFiles, logSizeBytes: number): Promise<{ readonly ix: Indexes | null; readonly problem: string }> {
  const { fs, baseOffset, segmentIndexBytes, active } = files;
  try {
    const offset = await OffsetIndex.load(fs, files.offsetPath, baseOffset, segmentIndexBytes, active);
    const time = await TimeIndex.load(fs, files.timePath, baseOffset, segmentIndexBytes, active);
    if (offset === null || time === null) return { ix: null, problem: 'missing' };
    offset.sanityCheck();
    time.sanityCheck();
    if (offset.entries > 0 && offset.lastPosition >= logSizeBytes) throw new CorruptIndexError(offset.path, `position ${offset.lastPosition} beyond the log size ${logSizeBytes}`);
    return { ix: { offset, time }, problem: '' };
  } catch (e) {
    if (!(e instanceof CorruptIndexError)) throw e;
    return { ix: null, problem: e.message };
  }
}

/** Re-derives both indices from the batch headers of [0, sizeBytes) (no CRC checks). */
export async function rebuildIndexes(handle: FileHandle, sizeBytes: number, ix: Indexes, cursor: IndexCursor, indexIntervalBytes: number): Promise<void> {
  cursor.reset();
  await scanBatches(handle, 0, sizeBytes, false, (chunk, at, batchBytes, position) => {
    cursor.indexBatch(ix, chunk, at, batchBytes, position, indexIntervalBytes);
    return true;
  });
}

/**
 * Writes (re)built indices out without syncing them: they can be rebuilt from the segment
 * again, and the next group-commit sync or clean close syncs them. An inactive segment's
 * get their final time entry and are trimmed. A full disk leaves them in memory only (a
 * recovery must work on a full disk): their entries stay unflushed, so the next flush
 * writes them, and a file cut short holds a prefix of valid entries, which the next open
 * checks or rebuilds. With `sync` (after a recovery cut) they are synced.
 */
export async function writeIndexes(fs: FileSystem, ix: Indexes, active: boolean, cursor: IndexCursor, sync = false): Promise<void> {
  try {
    // The time index first: synced so, an index pair on disk never has a time index
    // covering less than its offset index (`startFromIndexEntry` relies on it).
    if (active) {
      await ix.time.flush(fs, sync);
      await ix.offset.flush(fs, sync);
    } else {
      ix.time.maybeAppend(cursor.maxTimestamp, cursor.offsetOfMaxTimestamp, true);
      await ix.time.trimToValidSize(fs, sync);
      await ix.offset.trimToValidSize(fs, sync);
    }
  } catch (e) {
    if (!isNoSpace(e)) throw e;
  }
}

// ---- crash recovery -------------------------------------------------------------------

export interface RecoverScan {
  readonly files: IndexFiles;
  readonly handle: FileHandle;
  readonly sizeBytes: number;
  readonly indexIntervalBytes: number;
  readonly cursor: IndexCursor;
  /** Offsets below it were synced (the recovery point): their batches are trusted. */
  readonly syncedBelowOffset: number;
  /** Start from the offset-index entry at the recovery point (else from the segment start). */
  readonly fromIndexEntry: boolean;
  /** Hears the base offset of the first batch re-read, before any `onBatch`. */
  readonly onScanStart?: ((offset: number) => void) | undefined;
  /** Sees each recovered batch's leader epoch and base offset, from the scan start on. */
  readonly onBatch?: ((leaderEpoch: number, baseOffset: number) => void) | undefined;
}

export interface RecoverScanResult {
  readonly ix: Indexes;
  /** Bytes [0, validBytes) hold valid batches; the rest is torn or corrupt. */
  readonly validBytes: number;
  /** Why the scan stopped before the end (validation reason), or null when it did not. */
  readonly reason: string | null;
  /** Last offset + 1 of the last valid batch, or the base offset when none. */
  readonly nextOffset: number;
  /**
   * The base offset of the first batch re-read (the index entry recovery started from, or
   * the segment's base offset); batches below it kept their epochs and index entries.
   */
  readonly scanStartOffset: number;
  /** The file position recovery started reading at (0: the segment start). */
  readonly scanStartPosition: number;
}

/** Where recovery starts: the index entries kept and the first batch to read. */
interface RecoveryStart {
  readonly ix: Indexes;
  readonly position: number;
  readonly baseOffset: number;
  readonly nextOffset: number;
}

/**
 * Recovers one segment's indices and finds its valid length (see the file comment); the
 * caller cuts the file at `validBytes`. `onBatch` sees every batch from `scanStartOffset`.
 */
export async function recoverIndexes(scan: RecoverScan): Promise<RecoverScanResult> {
  const { files, handle, sizeBytes, cursor, syncedBelowOffset, indexIntervalBytes } = scan;
  const fromEntry = scan.fromIndexEntry ? await startFromIndexEntry(scan) : null;
  const start = fromEntry ?? { ix: emptyIndexes(files), position: 0, baseOffset: files.baseOffset, nextOffset: files.baseOffset };
  if (fromEntry === null) cursor.reset();
  scan.onScanStart?.(start.baseOffset);
  const { ix } = start;
  let nextOffset = start.nextOffset;
  let reason: string | null = null;
  const fits = (last: number): boolean => last - files.baseOffset >= 0 && last - files.baseOffset <= INT32_MAX;
  // Synced batches below the recovery point: indexed from their headers only (no CRC pass),
  // so crash recovery costs what the unsynced tail costs.
  let from = start.position;
  if (syncedBelowOffset > files.baseOffset) {
    const trusted = await scanBatches(handle, from, sizeBytes, false, (chunk, at, batchBytes, position) => {
      const base = batchBaseOffset(chunk, at);
      const last = batchLastOffset(chunk, at);
      if (last >= syncedBelowOffset || base < nextOffset || !fits(last)) return false;
      cursor.indexBatch(ix, chunk, at, batchBytes, position, indexIntervalBytes);
      scan.onBatch?.(batchPartitionLeaderEpoch(chunk, at), base);
      nextOffset = last + 1;
      return true;
    });
    from = trusted.position;
  }
  const checked = await scanBatches(handle, from, sizeBytes, true, (chunk, at, batchBytes, position) => {
    const invalid = validateRecordBatch(chunk, at, at + batchBytes);
    if (invalid !== null) {
      reason = `${invalid.reason}: ${invalid.detail}`;
      return false;
    }
    const base = batchBaseOffset(chunk, at);
    const last = batchLastOffset(chunk, at);
    if (base < nextOffset || !fits(last)) {
      reason = `offsets ${base}..${last} not above ${nextOffset - 1} within segment ${files.baseOffset}`;
      return false;
    }
    cursor.indexBatch(ix, chunk, at, batchBytes, position, indexIntervalBytes);
    scan.onBatch?.(batchPartitionLeaderEpoch(chunk, at), base);
    nextOffset = last + 1;
    return true;
  });
  if (checked.stop === 'incomplete' || checked.stop === 'bad-length') reason = `${checked.stop} batch at byte ${checked.position}`;
  return { ix, validBytes: checked.position, reason, nextOffset, scanStartOffset: start.baseOffset, scanStartPosition: start.position };
}

/**
 * The recovery start at the offset-index entry below the recovery point: the index
 * entries before it kept, the cursor at the state the indexing had just before that
 * entry's batch. Null (start at the segment start) when there is no such entry, an index
 * file is missing or fails its checks, or the entry does not name the batch at its position.
 */
async function startFromIndexEntry(scan: RecoverScan): Promise<RecoveryStart | null> {
  const { files, handle, sizeBytes, cursor, syncedBelowOffset, indexIntervalBytes } = scan;
  if (syncedBelowOffset <= files.baseOffset) return null;
  const loaded = await loadIndexPrefixes(files);
  if (loaded === null) return null;
  const { offset, time } = loaded;
  // The last entry whose batch ends below the recovery point and lies inside the file, and
  // that the time index file covers: index files are written time index first, but not
  // always synced, so a crash may keep the offset index's write and lose the time
  // index's; the time entries up to the start must all be there.
  if (time.entries === 0) return null;
  let slot = offset.slotAtOrBelow(Math.min(syncedBelowOffset - 1, time.lastEntry.offset));
  while (slot >= 0 && offset.entry(slot).position + RECORD_BATCH_HEADER_BYTES > sizeBytes) slot--;
  if (slot < 0) return null;
  const entry = offset.entry(slot);
  const header = new Uint8Array(RECORD_BATCH_HEADER_BYTES);
  if ((await readFully(handle, header, entry.position)) !== RECORD_BATCH_HEADER_BYTES) return null;
  if (batchLastOffset(header, 0) !== entry.offset) return null;
  const baseOffset = batchBaseOffset(header, 0);
  if (baseOffset < files.baseOffset || baseOffset > entry.offset) return null;
  // Re-index from that batch on, exactly as the append that made the entry did: the
  // entries before it stay, the time index keeps what was appended before it, and the
  // next batch (this one) gets an entry again.
  offset.truncateTo(entry.offset);
  time.truncateTo(entry.offset);
  const lastTime = time.lastEntry;
  cursor.maxTimestamp = lastTime.timestamp;
  cursor.offsetOfMaxTimestamp = lastTime.offset;
  cursor.bytesSinceLastIndexEntry = indexIntervalBytes + 1;
  return { ix: { offset, time }, position: entry.position, baseOffset, nextOffset: baseOffset };
}

/**
 * Both index files cut to their longest valid prefix (a crash leaves zero slots after the
 * entries of a preallocated file); null when one is missing or its prefix is empty.
 */
async function loadIndexPrefixes(files: IndexFiles): Promise<Indexes | null> {
  const { fs, baseOffset, segmentIndexBytes, active } = files;
  try {
    const offset = await OffsetIndex.loadPrefix(fs, files.offsetPath, baseOffset, segmentIndexBytes, active);
    const time = await TimeIndex.loadPrefix(fs, files.timePath, baseOffset, segmentIndexBytes, active);
    if (offset === null || time === null) return null;
    offset.keepValidPrefix();
    time.keepValidPrefix();
    return offset.entries === 0 ? null : { offset, time };
  } catch (e) {
    if (e instanceof CorruptIndexError) return null;
    throw e;
  }
}

/**
 * Kafka's loadLargestTimestamp: the cursor's max timestamp from the time index's last
 * entry, then from the batches after it. Returns the segment's next offset when that walk
 * also passed where `readNextOffset` would start (the offset index's last position), else
 * null.
 */
export async function scanLargestTimestamp(handle: FileHandle, ix: Indexes, sizeBytes: number, cursor: IndexCursor): Promise<number | null> {
  const last = ix.time.lastEntry;
  cursor.maxTimestamp = last.timestamp;
  cursor.offsetOfMaxTimestamp = last.offset;
  const from = ix.offset.lookupPosition(last.offset);
  const lastIndexed = ix.offset.lastPosition;
  // readNextOffset walks from lastIndexed; this walk yields the same answer when it
  // starts there or passes a batch boundary exactly there.
  let passesLastIndexed = from === lastIndexed;
  let next = ix.offset.baseOffset;
  await scanBatches(handle, from, sizeBytes, false, (chunk, at, _batchBytes, position) => {
    const ts = batchMaxTimestamp(chunk, at);
    if (ts > cursor.maxTimestamp) {
      cursor.maxTimestamp = ts;
      cursor.offsetOfMaxTimestamp = batchLastOffset(chunk, at);
    }
    if (position === lastIndexed) passesLastIndexed = true;
    next = batchLastOffset(chunk, at) + 1;
    return true;
  });
  return passesLastIndexed ? next : null;
}
