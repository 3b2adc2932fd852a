/**
 * TimeIndex (`.timeindex`): maps timestamps to offsets in a segment, sparsely.
 *
 * Slot layout (12 bytes, big-endian, Kafka's):
 * ```
 * 0  int64  timestamp        the largest batch timestamp seen so far in the segment
 * 8  int32  relativeOffset   offset of the batch that carried it, minus the base offset
 * ```
 * Invariants: timestamps strictly increase (an entry is only added when the running
 * maximum grows); relative offsets never decrease. As in Kafka, the last slot is kept
 * spare (`isFull` at maxEntries - 1) so that rolling or closing a segment can always add
 * the final (max timestamp, offset) entry.
 */
import type { FileSystem } from '@samsa/runtime';
import { assert } from './errors.ts';
import { FixedSlotIndex } from './fixed-slot-index.ts';
import { readInt64, writeInt64 } from './int64.ts';

export const TIME_INDEX_SLOT_BYTES = 12;
/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex extends FixedSlotIndex {
  private constructor(path: string, baseOffset: number, maxIndexBytes: number, content: Uint8Array | null, preallocate: boolean) {
    super(path, baseOffset, maxIndexBytes, TIME_INDEX_SLOT_BYTES, content, preallocate);
  }

  static empty(path: string, baseOffset: number, maxIndexBytes: number, preallocate: boolean): TimeIndex {
    return new TimeIndex(path, baseOffset, maxIndexBytes, null, preallocate);
  }

  static async load(fs: FileSystem, path: string, baseOffset: number, maxIndexBytes: number, preallocate: boolean): Promise<TimeIndex | null> {
    const content = await FixedSlotIndex.readContent(fs, path);
    if (content === null) return null;
    const index = new TimeIndex(path, baseOffset, Math.max(maxIndexBytes, content.byteLength), content, preallocate);
    index.markLoadedFromFile();
    return index;
  }

  /**
   * Crash recovery's load: the file's slots before its first all-zero slot (read in
   * chunks, not the whole preallocated file); null when the file is missing. The caller
   * keeps the valid prefix (`keepValidPrefix`).
   */
  static async loadPrefix(fs: FileSystem, path: string, baseOffset: number, maxIndexBytes: number, preallocate: boolean): Promise<TimeIndex | null> {
    const content = await FixedSlotIndex.readPrefixContent(fs, path, TIME_INDEX_SLOT_BYTES);
    if (content === null) return null;
    return new TimeIndex(path, baseOffset, Math.max(maxIndexBytes, content.byteLength), content, preallocate);
  }

  static fromBytes(path: string, baseOffset: number, maxIndexBytes: number, content: Uint8Array): TimeIndex {
    return new TimeIndex(path, baseOffset, maxIndexBytes, content, false);
  }

  override get isFull(): boolean {
    return this.entryCount >= this.maxEntries - 1;
  }

  protected keyAt(slot: number): number {
    return readInt64(this.view, slot * TIME_INDEX_SLOT_BYTES);
  }

  protected valueAt(slot: number): number {
    return this.view.getInt32(slot * TIME_INDEX_SLOT_BYTES + 8);
  }

  entry(i: number): TimestampOffset {
    assert(i >= 0 && i < this.entryCount, `time index slot ${i} out of range`);
    return { timestamp: this.keyAt(i), offset: this.baseOffset + this.valueAt(i) };
  }

  /** The last entry, or (NO_TIMESTAMP, baseOffset) when empty. */
  get lastEntry(): TimestampOffset {
    return this.entryCount === 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entry(this.entryCount - 1);
  }

  /** The largest entry with timestamp ≤ `targetTimestamp`, or (NO_TIMESTAMP, baseOffset) when none is. */
  lookup(targetTimestamp: number): TimestampOffset {
    const slot = this.largestLowerBoundSlotFor(targetTimestamp);
    if (slot < 0) return { timestamp: NO_TIMESTAMP, offset: this.baseOffset };
    return { timestamp: this.keyAt(slot), offset: this.baseOffset + this.valueAt(slot) };
  }

  /**
   * Adds (timestamp, offset) when `timestamp` is above the last entry's. `skipFullCheck`
   * lets roll/close use the spare slot.
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `offset ${offset} not relative to base ${this.baseOffset}`);
    if (!skipFullCheck) assert(!this.isFull, `time index ${this.path} is full`);
    if (this.entryCount >= this.maxEntries) return;
    if (this.entryCount > 0) {
      const last = this.entryCount - 1;
      assert(relative >= this.valueAt(last), `time index offset ${offset} goes backwards`);
      if (timestamp <= this.keyAt(last)) return;
    } else if (timestamp <= NO_TIMESTAMP) {
      return;
    }
    const at = this.reserveSlot();
    writeInt64(this.view, at, timestamp);
    this.view.setInt32(at + 8, relative);
    this.commitSlot();
  }

  /** Removes every entry with offset ≥ `offset`. */
  truncateTo(offset: number): void {
    const relative = offset - this.baseOffset;
    let keep = this.largestLowerBoundSlotFor(relative, true) + 1;
    while (keep > 0 && this.valueAt(keep - 1) >= relative) keep--;
    this.truncateToEntries(keep);
  }

  protected slotProblem(i: number): string | null {
    const ts = this.keyAt(i);
    const rel = this.valueAt(i);
    if (rel < 0) return `negative offset in entry ${i}`;
    if (i > 0 && (ts <= this.keyAt(i - 1) || rel < this.valueAt(i - 1))) return `entry ${i} is not monotonic (timestamp ${ts}, relative offset ${rel})`;
    return null;
  }
}
