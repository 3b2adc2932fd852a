/**
 * OffsetIndex (`.index`): maps offsets to file positions in a segment, sparsely.
 *
 * Slot layout (8 bytes, big-endian, Kafka's):
 * ```
 * 0  int32  relativeOffset   offset - segment base offset (a batch's last offset)
 * 4  int32  position         byte position of that batch in the .log file
 * ```
 * Invariants: relative offsets strictly increase; positions strictly increase; both ≥ 0.
 * An entry is added every `index.interval.bytes` of appended batches, keyed by the
 * batch's last offset (as Kafka does since 0.11), so `lookup(o)` returns a position at
 * or before the batch that holds `o`, and the segment scans forward from there.
 */
import type { FileSystem } from '@samsa/runtime';
import { assert } from './errors.ts';
import { FixedSlotIndex } from './fixed-slot-index.ts';

export const OFFSET_INDEX_SLOT_BYTES = 8;

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex extends FixedSlotIndex {
  private constructor(path: string, baseOffset: number, maxIndexBytes: number, content: Uint8Array | null, preallocate: boolean) {
    super(path, baseOffset, maxIndexBytes, OFFSET_INDEX_SLOT_BYTES, content, preallocate);
  }

  /** An empty index (not yet on disk; call `create` or `flush`). */
  static empty(path: string, baseOffset: number, maxIndexBytes: number, preallocate: boolean): OffsetIndex {
    return new OffsetIndex(path, baseOffset, maxIndexBytes, null, preallocate);
  }

  /** Loads the file; null when it is missing. Throws CorruptIndexError on a bad size. */
  static async load(fs: FileSystem, path: string, baseOffset: number, maxIndexBytes: number, preallocate: boolean): Promise<OffsetIndex | null> {
    const content = await FixedSlotIndex.readContent(fs, path);
    if (content === null) return null;
    const index = new OffsetIndex(path, baseOffset, Math.max(maxIndexBytes, content.byteLength), content, preallocate);
    index.markLoadedFromFile();
    return index;
  }

  /** Builds an index from raw slots (tests, and the cleaner's rebuilt segments). */
  /**
   * Crash recovery's load: the file's slots before its first all-zero slot (read in
   * chunks, not the whole preallocated file); null when the file is missing. The caller
   * keeps the valid prefix (`keepValidPrefix`).
   */
  static async loadPrefix(fs: FileSystem, path: string, baseOffset: number, maxIndexBytes: number, preallocate: boolean): Promise<OffsetIndex | null> {
    const content = await FixedSlotIndex.readPrefixContent(fs, path, OFFSET_INDEX_SLOT_BYTES);
    if (content === null) return null;
    return new OffsetIndex(path, baseOffset, Math.max(maxIndexBytes, content.byteLength), content, preallocate);
  }

  static fromBytes(path: string, baseOffset: number, maxIndexBytes: number, content: Uint8Array): OffsetIndex {
    return new OffsetIndex(path, baseOffset, maxIndexBytes, content, false);
  }

  protected keyAt(slot: number): number {
    return this.view.getInt32(slot * OFFSET_INDEX_SLOT_BYTES);
  }

  protected valueAt(slot: number): number {
    return this.view.getInt32(slot * OFFSET_INDEX_SLOT_BYTES + 4);
  }

  /** The absolute offset and position of slot `i`. */
  entry(i: number): OffsetPosition {
    assert(i >= 0 && i < this.entryCount, `offset index slot ${i} out of range`);
    return { offset: this.baseOffset + this.keyAt(i), position: this.valueAt(i) };
  }

  /** The last indexed offset, or the base offset when empty. */
  get lastOffset(): number {
    return this.entryCount === 0 ? this.baseOffset : this.baseOffset + this.keyAt(this.entryCount - 1);
  }

  get lastPosition(): number {
    return this.entryCount === 0 ? 0 : this.valueAt(this.entryCount - 1);
  }

  /** The largest entry with offset ≤ `targetOffset`, or (baseOffset, 0) when none is. */
  lookup(targetOffset: number): OffsetPosition {
    const slot = this.largestLowerBoundSlotFor(targetOffset - this.baseOffset);
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.keyAt(slot), position: this.valueAt(slot) };
  }

  /** Position only: the allocation-free form of `lookup` for the read path. */
  lookupPosition(targetOffset: number): number {
    const slot = this.largestLowerBoundSlotFor(targetOffset - this.baseOffset);
    return slot < 0 ? 0 : this.valueAt(slot);
  }

  /** Appends (offset, position); both must be beyond the last entry. */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `offset ${offset} not relative to base ${this.baseOffset}`);
    assert(position >= 0 && position <= 0x7fffffff, `position ${position} out of int32 range`);
    if (this.entryCount > 0) {
      assert(relative > this.keyAt(this.entryCount - 1), `offset ${offset} is not above the last index entry ${this.lastOffset}`);
      assert(position > this.valueAt(this.entryCount - 1), `position ${position} is not above the last index position`);
    }
    const at = this.reserveSlot();
    this.view.setInt32(at, relative);
    this.view.setInt32(at + 4, position);
    this.commitSlot();
  }

  /** Removes every entry with offset ≥ `offset`. */
  truncateTo(offset: number): void {
    const relative = offset - this.baseOffset;
    const slot = this.largestLowerBoundSlotFor(relative);
    const keep = slot < 0 ? 0 : this.keyAt(slot) === relative ? slot : slot + 1;
    this.truncateToEntries(keep);
  }

  protected slotProblem(i: number): string | null {
    const rel = this.keyAt(i);
    const pos = this.valueAt(i);
    if (rel < 0 || pos < 0) return `negative entry ${i}`;
    if (i > 0 && (rel <= this.keyAt(i - 1) || pos <= this.valueAt(i - 1))) return `entry ${i} does not increase (relative offset ${rel}, position ${pos})`;
    return null;
  }

  /** The slot of the largest entry with offset ≤ `targetOffset`, or -1 when none is. */
  slotAtOrBelow(targetOffset: number): number {
    return this.largestLowerBoundSlotFor(targetOffset - this.baseOffset);
  }
}
