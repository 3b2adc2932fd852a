/**
 * SegmentSet: the segments of one log, sorted by base offset (Kafka's `LogSegments`).
 * An array with binary search: appends roll at the end, deletions take a prefix, so
 * array splices are rare and cheap. Never empty once the log is open.
 */
import { assert } from './errors.ts';
import type { LogSegment } from './log-segment.ts';

export class SegmentSet {
  private list: LogSegment[] = [];

  get size(): number {
    return this.list.length;
  }

  /** A copy, ascending by base offset. */
  all(): LogSegment[] {
    return this.list.slice();
  }

  get active(): LogSegment {
    const last = this.list[this.list.length - 1];
    assert(last !== undefined, 'log has no segments');
    return last;
  }

  get first(): LogSegment | undefined {
    return this.list[0];
  }

  /** Inserts or replaces the segment with the same base offset. */
  add(segment: LogSegment): void {
    const i = this.ceilingIndex(segment.baseOffset);
    if (i < this.list.length && this.list[i]!.baseOffset === segment.baseOffset) this.list[i] = segment;
    else this.list.splice(i, 0, segment);
  }

  remove(baseOffset: number): LogSegment | undefined {
    const i = this.ceilingIndex(baseOffset);
    if (i < this.list.length && this.list[i]!.baseOffset === baseOffset) return this.list.splice(i, 1)[0];
    return undefined;
  }

  get(baseOffset: number): LogSegment | undefined {
    const i = this.ceilingIndex(baseOffset);
    const s = this.list[i];
    return s !== undefined && s.baseOffset === baseOffset ? s : undefined;
  }

  /** Index of the first segment with base offset ≥ `offset`. */
  private ceilingIndex(offset: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid]!.baseOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The segment with the largest base offset ≤ `offset` (the one that may hold it). */
  floorSegment(offset: number): LogSegment | undefined {
    const i = this.ceilingIndex(offset + 1) - 1;
    return i >= 0 ? this.list[i] : undefined;
  }

  /** The segment after `segment`, if any. */
  higherSegment(baseOffset: number): LogSegment | undefined {
    return this.list[this.ceilingIndex(baseOffset + 1)];
  }

  /** Segments that may hold offsets in [from, to): the floor of `from` and everything up to `to`. */
  range(from: number, to: number): LogSegment[] {
    const start = Math.max(0, this.ceilingIndex(from + 1) - 1);
    const out: LogSegment[] = [];
    for (let i = start; i < this.list.length && this.list[i]!.baseOffset < to; i++) out.push(this.list[i]!);
    return out;
  }

  /** Sum of the `.log` sizes known so far (a lazily opened segment counts once loaded). */
  knownSizeBytes(): number {
    let n = 0;
    for (const s of this.list) if (s.sizeLoaded) n += s.sizeBytes;
    return n;
  }

  /** True when every segment's size is known. */
  get allSizesLoaded(): boolean {
    return this.list.every((s) => s.sizeLoaded);
  }

  clear(): LogSegment[] {
    const out = this.list;
    this.list = [];
    return out;
  }
}
