/**
 * The cleaner's write buffer for one group's `.cleaned` segment: retained batches collect
 * here and go to the segment in one append per flush.
 *
 * Invariants:
 * - Batches are kept in offset order (the order the cleaner scans them), so the buffered
 *   run's last batch carries its last offset, and its max timestamp is the largest seen
 *   since the last flush, at the offset of the batch that had it.
 * - The buffer holds at most about `bufferBytesMax` (the caller flushes once `fullBytes`
 *   reports it full; a single batch larger than the bound is buffered alone).
 * - `earliestDeleteHorizonMs` is the smallest delete horizon of any batch noted, or null.
 */
import { batchLastOffset, batchMaxTimestamp } from '@samsa/codec/wire';
import type { LogSegment } from '../log-segment.ts';
import { batchDeleteHorizonMs } from './retained-batch.ts';

export class CleanedSegmentWriter {
  readonly #segment: LogSegment;
  readonly #bufferBytesMax: number;
  readonly #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #pendingLastOffset = -1;
  #pendingMaxTimestamp = -1;
  #pendingMaxTimestampOffset = -1;
  #bytesWritten = 0;
  #earliestDeleteHorizonMs: number | null = null;

  constructor(segment: LogSegment, bufferBytesMax: number) {
    this.#segment = segment;
    this.#bufferBytesMax = bufferBytesMax;
  }

  /** The buffer reached its bound: flush before keeping more. */
  get full(): boolean {
    return this.#pendingBytes >= this.#bufferBytesMax;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  get earliestDeleteHorizonMs(): number | null {
    return this.#earliestDeleteHorizonMs;
  }

  /** Buffers a retained batch (the bytes must stay unchanged until the next flush). */
  keep(bytes: Uint8Array): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.byteLength;
    this.#pendingLastOffset = batchLastOffset(bytes);
    const ts = batchMaxTimestamp(bytes);
    if (ts > this.#pendingMaxTimestamp) {
      this.#pendingMaxTimestamp = ts;
      this.#pendingMaxTimestampOffset = this.#pendingLastOffset;
    }
  }

  /** Records the batch's delete horizon (a batch that kept tombstones). */
  noteDeleteHorizon(bytes: Uint8Array): void {
    const horizon = batchDeleteHorizonMs(bytes);
    if (horizon !== null && (this.#earliestDeleteHorizonMs === null || horizon < this.#earliestDeleteHorizonMs)) this.#earliestDeleteHorizonMs = horizon;
  }

  /** Appends the buffered batches to the segment as one write. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const bytes = this.#pending.length === 1 ? this.#pending[0]! : concat(this.#pending, this.#pendingBytes);
    await this.#segment.append(bytes, { lastOffset: this.#pendingLastOffset, maxTimestamp: this.#pendingMaxTimestamp, offsetOfMaxTimestamp: this.#pendingMaxTimestampOffset });
    this.#bytesWritten += this.#pendingBytes;
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#pendingMaxTimestamp = -1;
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
