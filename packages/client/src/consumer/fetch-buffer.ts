/**
 * FetchBuffer: fetched batches waiting for the application, bounded by bytes.
 *
 * - `push` never refuses (a fetch already in flight must land somewhere), but `hasRoom()`
 *   turns false once `usedBytes` ≥ `bytesMax`, and the fetcher starts no new fetch until
 *   the application takes enough: that is the consumer's backpressure. So at most
 *   `bytesMax` + one answer per broker (each ≤ fetchMaxBytes) is ever held.
 * - A partition may have several entries (prefetch): they arrive in fetch order, each
 *   starting where the one before ends, and entries leave in arrival order, so a
 *   partition's records are delivered in order and partitions take turns.
 * - Entries hold the scanned answer (batch headers read, records not decoded yet); the
 *   consumer decodes an entry's records when it hands the batch out.
 * - `take` waits (FIFO waiters, at most `waitersMax`) until an entry arrives, the buffer
 *   is woken (`wakeAll`: an error to report, close), or the signal fires.
 */
import { abortErrorOf } from '../errors.ts';
import type { ScannedRecords } from './decode-partition-records.ts';

export interface BufferedBatch {
  readonly key: string;
  /** The answer's batch headers, read; its records decode with recordsOfScan. */
  readonly scan: ScannedRecords;
  /** The partition's high watermark when the batch was fetched. */
  readonly highWatermark: number;
  /** highWatermark (or the last stable offset) − nextOffset, at fetch time, ≥ 0. */
  readonly lag: number;
  /** The partition's fetch position and seek epoch when the fetch was sent. */
  readonly fetchOffset: number;
  readonly seekEpoch: number;
}

export const WAITERS_MAX = 1024;

export class FetchBuffer {
  readonly bytesMax: number;
  readonly #entries: BufferedBatch[] = [];
  readonly #waiters: (() => void)[] = [];
  #usedBytes = 0;

  constructor(bytesMax: number) {
    if (!(bytesMax >= 1)) throw new RangeError(`bytesMax must be >= 1, got ${bytesMax}`);
    this.bytesMax = bytesMax;
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  get length(): number {
    return this.#entries.length;
  }

  hasRoom(): boolean {
    return this.#usedBytes < this.bytesMax;
  }

  push(entry: BufferedBatch): void {
    this.#entries.push(entry);
    this.#usedBytes += entry.scan.sizeBytes;
    this.wakeAll();
  }

  /** The oldest entry, or undefined. */
  shift(): BufferedBatch | undefined {
    const entry = this.#entries.shift();
    if (entry !== undefined) this.#usedBytes -= entry.scan.sizeBytes;
    return entry;
  }

  /** Drops the entries `drop` selects (a seek, pause or revocation made them stale). */
  removeWhere(drop: (entry: BufferedBatch) => boolean): void {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const entry = this.#entries[i]!;
      if (!drop(entry)) continue;
      this.#entries.splice(i, 1);
      this.#usedBytes -= entry.scan.sizeBytes;
    }
  }

  /** Resolves when something may have changed: an entry arrived or `wakeAll` was called. */
  waitForChange(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortErrorOf(signal));
    if (this.#waiters.length >= WAITERS_MAX) return Promise.reject(new RangeError(`more than ${WAITERS_MAX} waiters on the fetch buffer`));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#waiters.indexOf(wake);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(abortErrorOf(signal!));
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
