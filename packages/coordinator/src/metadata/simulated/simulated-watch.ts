/**
 * One watch on the simulated store: a cursor over the store's per-revision history.
 *
 * Delivery reads the history lazily from `cursor` (the next revision to look at), so a
 * watch from an old revision catches up without copying anything. Each delivered batch
 * is one revision's events under the prefix, in order; revisions with none are skipped.
 *
 * Bounded: batches committed after the watch started and not yet taken by the consumer
 * count against `bufferedBatchesMax`; one more fails the watch `unavailable` (a consumer
 * that stopped reading must not hold the store's memory). A watch whose cursor falls below
 * the compaction point fails with `CompactedError`, as etcd cancels a watcher it cannot
 * catch up. After a failure, or once `signal` aborts, the iterator delivers nothing more
 * and the watch leaves the store's set (so an unread watch cannot hold a slot forever).
 */

import { CompactedError, MetadataStoreError } from '../metadata-store.ts';
import type { WatchBatch } from '../metadata-store.ts';
import type { KvState } from './kv-state.ts';

export interface WatchHost {
  readonly state: KvState;
  /** Asked after each delivered batch: does the watch drop now? */
  watchDrops(): boolean;
  detach(watch: SimulatedWatch): void;
}

export class SimulatedWatch {
  readonly prefix: string;
  private readonly fromRevision: number;
  private readonly startRevision: number;
  private readonly bufferedBatchesMax: number;
  private readonly host: WatchHost;
  private readonly signal: AbortSignal;
  private cursor: number;
  private buffered = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(host: WatchHost, prefix: string, fromRevision: number, signal: AbortSignal, bufferedBatchesMax: number) {
    this.host = host;
    this.prefix = prefix;
    this.fromRevision = fromRevision;
    this.cursor = fromRevision;
    this.startRevision = host.state.revision;
    this.signal = signal;
    this.bufferedBatchesMax = bufferedBatchesMax;
    // A watch whose iterator never starts must still give its slot back.
    signal.addEventListener('abort', () => host.detach(this), { once: true });
  }

  /** A new revision was committed. */
  notify(batch: WatchBatch): void {
    if (this.failure || !batch.events.some((e) => e.kv.key.startsWith(this.prefix))) return;
    this.buffered += 1;
    if (this.buffered > this.bufferedBatchesMax) {
      this.fail(new MetadataStoreError('unavailable', `watch on '${this.prefix}' fell ${this.buffered} batches behind (max ${this.bufferedBatchesMax})`));
    }
    this.poke();
  }

  /** Fails the watch and leaves the store's set (a failed watch receives nothing more). */
  fail(error: Error): void {
    this.failure ??= error;
    this.host.detach(this);
    this.poke();
  }

  async *batches(): AsyncGenerator<WatchBatch> {
    const onAbort = (): void => this.poke();
    this.signal.addEventListener('abort', onAbort);
    try {
      while (!this.signal.aborted) {
        if (this.failure) throw this.failure;
        const batch = this.take();
        if (batch) {
          yield batch;
          if (!this.failure && this.host.watchDrops()) this.fail(new MetadataStoreError('unavailable', `watch on '${this.prefix}' dropped (injected)`));
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      this.host.detach(this);
    }
  }

  /** The next batch at or after the cursor, or null when caught up. */
  private take(): WatchBatch | null {
    const state = this.host.state;
    if (this.cursor < state.compactRevision) {
      const error = new CompactedError(state.compactRevision, this.fromRevision);
      this.failure = error;
      throw error;
    }
    for (; this.cursor <= state.revision; this.cursor++) {
      const all = state.batchAt(this.cursor);
      if (!all) continue; // revision 1 of a fresh store has no batch
      const events = all.events.filter((e) => e.kv.key.startsWith(this.prefix));
      if (events.length === 0) continue;
      this.cursor += 1;
      if (all.revision > this.startRevision) this.buffered -= 1;
      return { revision: all.revision, events };
    }
    return null;
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
