/**
 * A named cursor over a record log: a durable position that survives restarts, the
 * embedded equivalent of a consumer group's committed offset.
 *
 * ```ts
 * const billing = log.cursor('billing');
 * for await (const record of billing.stream({ follow: true, signal })) {
 *   await charge(record.value);
 *   await billing.commit(record); // the next run starts after it
 * }
 * ```
 *
 * The committed offset is the next record to read (Kafka's convention): `commit(record)`
 * stores `record.offset + 1`; `commit(n)` stores n. `stream()` starts at the committed
 * offset, or at `from` (default the log start) when the cursor never committed. Delivery is
 * at least once: records after the last commit are read again after a crash.
 */
import type { CursorStore } from './cursor-store.ts';
import type { LogRecord } from './log-record.ts';

export interface StreamOptions {
  /** First offset (a cursor: used only when it never committed). Default the log start. */
  readonly from?: number;
  /** Keep waiting for new records at the end. Default false. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** Records decoded per engine read (1 MiB) at most. Default 10 000. */
  readonly chunkRecords?: number;
}

/** What a cursor needs from its log (RecordLog satisfies it). */
export interface CursorSource<K, V> {
  readonly startOffset: number;
  stream(options?: StreamOptions): AsyncGenerator<LogRecord<K, V>, void, undefined>;
}

export class RecordCursor<K, V> {
  readonly name: string;
  readonly #store: CursorStore;
  readonly #source: CursorSource<K, V>;

  constructor(name: string, store: CursorStore, source: CursorSource<K, V>) {
    this.name = name;
    this.#store = store;
    this.#source = source;
  }

  /** The committed offset (next record to read), or null when the cursor never committed. */
  committed(): Promise<number | null> {
    return this.#store.committed(this.name);
  }

  /** Durably stores the position after `record`, or the offset `nextOffset`. Never moves back unless `allowRewind`. */
  commit(recordOrNextOffset: LogRecord<K, V> | number, options: { readonly allowRewind?: boolean } = {}): Promise<void> {
    const next = typeof recordOrNextOffset === 'number' ? recordOrNextOffset : recordOrNextOffset.offset + 1;
    return this.#store.commit(this.name, next, options.allowRewind === true);
  }

  /** Records from the committed offset on (see the file header). */
  async *stream(options: StreamOptions = {}): AsyncGenerator<LogRecord<K, V>, void, undefined> {
    const committed = await this.committed();
    const from = Math.max(committed ?? options.from ?? this.#source.startOffset, this.#source.startOffset);
    yield* this.#source.stream({ ...options, from });
  }
}
