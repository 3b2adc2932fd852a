/**
 * LeaderEpochCache: the (epoch → start offset) history of a partition (KIP-101, KIP-279),
 * persisted in `leader-epoch-checkpoint`. Kafka's `LeaderEpochFileCache`.
 *
 * Invariants: entries are sorted, epochs strictly increase and start offsets strictly
 * increase. `assign` removes any entry that would break that (a new leader's history
 * wins). At most `EPOCH_ENTRIES_MAX` entries (the oldest are dropped past it, which only
 * makes `endOffsetFor` answer for old epochs with the earliest known start).
 *
 * Mutations are synchronous in memory and mark the cache dirty; `flush()` writes the
 * checkpoint atomically. The log calls `flush()` inside the operation that changed it.
 */
import type { FileSystem } from '@samsa/runtime';
import { writeLeaderEpochCheckpoint, type EpochEntry } from './checkpoint-file.ts';
import { assertSafeInteger } from './errors.ts';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;
export const EPOCH_ENTRIES_MAX = 100_000;

/**
 * An OffsetsForLeaderEpoch answer, named as Kafka's `EpochEndOffset` fields: the largest
 * epoch ≤ the requested one that the log knows, and where it ends (the start of the next
 * epoch, or the log end for the latest). (-1, -1) when the requested epoch is newer than
 * any known, or undefined (-1).
 */
export interface EpochEndOffset {
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private dirty = false;
  private readonly fs: FileSystem;
  readonly path: string;

  /** The entries the checkpoint file holds, when known (null: unknown, always write when dirty). */
  private written: readonly EpochEntry[] | null;

  /** `onDisk`: `entries` are exactly what the checkpoint file holds (a flush that would rewrite them is skipped). */
  constructor(fs: FileSystem, path: string, entries: readonly EpochEntry[] = [], onDisk = false) {
    this.fs = fs;
    this.path = path;
    this.entries = [];
    for (const e of entries) this.assign(e.epoch, e.startOffset);
    this.dirty = false;
    this.written = onDisk ? entries.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset })) : null;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  epochEntries(): readonly EpochEntry[] {
    return this.entries.slice();
  }

  latestEpoch(): number | null {
    return this.entries.length === 0 ? null : this.entries[this.entries.length - 1]!.epoch;
  }

  earliestEntry(): EpochEntry | null {
    return this.entries[0] ?? null;
  }

  latestEntry(): EpochEntry | null {
    return this.entries[this.entries.length - 1] ?? null;
  }

  /** Records that `epoch` starts at `startOffset`. Negative epochs are ignored (no epoch). */
  assign(epoch: number, startOffset: number): void {
    assertSafeInteger(startOffset, 'epoch start offset');
    if (epoch < 0 || startOffset < 0) return;
    const latest = this.latestEntry();
    if (latest !== null && latest.epoch === epoch && startOffset >= latest.startOffset) return;
    // Drop entries that would break monotonicity with the new one.
    while (this.entries.length > 0) {
      const last = this.entries[this.entries.length - 1]!;
      if (last.epoch >= epoch || last.startOffset >= startOffset) this.entries.pop();
      else break;
    }
    this.entries.push({ epoch, startOffset });
    if (this.entries.length > EPOCH_ENTRIES_MAX) this.entries.shift();
    this.dirty = true;
  }

  /**
   * KIP-101/279 OffsetsForLeaderEpoch: the largest epoch ≤ `requestedEpoch` and the start
   * offset of the epoch after it (or the log end offset when it is the latest epoch).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const latest = this.latestEntry();
    if (latest !== null && latest.epoch === requestedEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    // higher: first entry with epoch > requested; floor: last entry with epoch ≤ requested.
    let higher = -1;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i]!.epoch > requestedEpoch) {
        higher = i;
        break;
      }
    }
    if (higher < 0) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const higherStart = this.entries[higher]!.startOffset;
    if (higher === 0) return { leaderEpoch: requestedEpoch, endOffset: higherStart };
    return { leaderEpoch: this.entries[higher - 1]!.epoch, endOffset: higherStart };
  }

  /** The epoch of the entry covering `offset`, or null when before the first entry. */
  epochForOffset(offset: number): number | null {
    let epoch: number | null = null;
    for (const e of this.entries) {
      if (e.startOffset <= offset) epoch = e.epoch;
      else break;
    }
    return epoch;
  }

  /** Removes entries starting at or after `endOffset` (log truncated to `endOffset`). */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.startOffset >= endOffset) this.entries.pop();
    if (this.entries.length !== before) this.dirty = true;
  }

  /**
   * The log start moved to `startOffset`: entries starting at or before it collapse into
   * one, the latest of them, which now starts at `startOffset`.
   */
  truncateFromStart(startOffset: number): void {
    let lastRemoved: EpochEntry | null = null;
    let removed = 0;
    while (this.entries.length > 0 && this.entries[0]!.startOffset <= startOffset) {
      lastRemoved = this.entries.shift()!;
      removed++;
    }
    if (lastRemoved !== null) {
      this.entries.unshift({ epoch: lastRemoved.epoch, startOffset });
      if (removed > 1 || lastRemoved.startOffset !== startOffset) this.dirty = true;
    }
  }

  /** Forgets everything (truncateFullyAndStartAt). */
  clear(): void {
    if (this.entries.length > 0) this.dirty = true;
    this.entries = [];
  }

  /** Writes the checkpoint if anything changed since the last flush. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    const snapshot = this.entries.slice();
    this.dirty = false;
    // Crash recovery truncates and re-assigns the same epochs: no rewrite (2 fsyncs) then.
    if (this.written !== null && sameEntries(this.written, snapshot)) return;
    this.written = null;
    try {
      await writeLeaderEpochCheckpoint(this.fs, this.path, snapshot);
      this.written = snapshot;
    } catch (e) {
      this.dirty = true;
      throw e;
    }
  }
}

function sameEntries(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.epoch !== b[i]!.epoch || a[i]!.startOffset !== b[i]!.startOffset) return false;
  }
  return true;
}
