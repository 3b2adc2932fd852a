/**
 * ReadScratchPool: reusable buffers that records are read into for an answer that goes out
 * as views of them, so sending a byte does not allocate (and zero-fill) a fresh buffer for
 * it, nor leave garbage behind. Two users:
 * - a leader answering follower fetches (replication/replica-fetch-server-connection.ts):
 *   without it the brokers spent about a quarter of their CPU in garbage collection under
 *   RF 3 load (bench/replication/README.md); one pool per replica-fetch connection;
 * - the broker answering consumers' Fetch requests (dispatcher.ts lends through
 *   RequestInfo.readScratch, handlers/fetch.ts reads into it): one pool per broker. Reading
 *   1 KiB records at ~300 MB/s into fresh buffers, the broker spent 60 % of its busy time
 *   in garbage collection (2026-12-06 profile).
 *
 * Ownership: `take(bytes)` lends a buffer of at least `bytes` to ONE request; the request
 * reads its partitions' records into it back to back and the answer's attachments are
 * views of it. `give(buffer)` returns it only after the transport accepted the whole
 * response (`Connection.write` resolved: the runtime contract is that a chunk is neither
 * copied nor retained after that). A request whose write failed does not give its buffer
 * back (the transport might still hold it); the garbage collector takes it.
 *
 * Bounds: at most `keepMax` buffers are kept free, none larger than `bufferBytesMax`
 * (`take` of more lends a buffer of bufferBytesMax, and reads beyond it allocate). What a
 * pool keeps is at most keepMax × bufferBytesMax.
 */
export class ReadScratchPool {
  readonly #free: Uint8Array[] = [];
  readonly #keepMax: number;
  readonly #bufferBytesMax: number;
  /** Buffers lent so far that were newly allocated (tests, to see reuse). */
  allocated = 0;

  constructor(options: { readonly keepMax: number; readonly bufferBytesMax: number }) {
    this.#keepMax = options.keepMax;
    this.#bufferBytesMax = options.bufferBytesMax;
  }

  /** A buffer of at least min(bytes, bufferBytesMax), exclusively the caller's until `give`. */
  take(bytes: number): Uint8Array {
    const wanted = Math.min(Math.max(0, bytes), this.#bufferBytesMax);
    for (let i = this.#free.length - 1; i >= 0; i--) {
      const buffer = this.#free[i]!;
      if (buffer.byteLength >= wanted) {
        this.#free.splice(i, 1);
        return buffer;
      }
    }
    this.allocated++;
    return new Uint8Array(wanted);
  }

  /** Returns a buffer `take` lent; kept for the next request while below keepMax (smallest dropped first). */
  give(buffer: Uint8Array): void {
    if (buffer.byteLength > this.#bufferBytesMax) return;
    this.#free.push(buffer);
    if (this.#free.length > this.#keepMax) {
      let smallest = 0;
      for (let i = 1; i < this.#free.length; i++) if (this.#free[i]!.byteLength < this.#free[smallest]!.byteLength) smallest = i;
      this.#free.splice(smallest, 1);
    }
  }

  /** Buffers kept free now. */
  get freeCount(): number {
    return this.#free.length;
  }
}

/**
 * One request's loan from a pool: what `take` lent goes back with `release`, which the
 * owner calls only once the response holding views of it was written (the Kafka
 * dispatcher: FrameOutcome.release). A loan that is never released just lets the garbage
 * collector take its buffers.
 */
export class ScratchLoan {
  readonly #pool: ReadScratchPool;
  readonly #lent: Uint8Array[] = [];

  constructor(pool: ReadScratchPool) {
    this.#pool = pool;
  }

  take(bytes: number): Uint8Array {
    const buffer = this.#pool.take(bytes);
    this.#lent.push(buffer);
    return buffer;
  }

  get empty(): boolean {
    return this.#lent.length === 0;
  }

  release(): void {
    for (const buffer of this.#lent) this.#pool.give(buffer);
    this.#lent.length = 0;
  }
}

/**
 * Reads of several partitions into one buffer, back to back: `space()` is what the
 * previous reads left free, `used(records)` takes up to the end of records that are a view
 * of the buffer (a read that did not fit got a fresh buffer from the log and takes
 * nothing), `rewind()` starts a new pass over the same buffer (the earlier pass's answer is
 * discarded). The buffer is asked of `source` at the first `space()`; without a source
 * every read gets a fresh buffer.
 */
export class ScratchCursor {
  readonly #source: (() => Uint8Array) | undefined;
  #buffer: Uint8Array | null = null;
  #used = 0;

  constructor(source: (() => Uint8Array) | undefined) {
    this.#source = source;
  }

  rewind(): void {
    this.#used = 0;
  }

  space(): Uint8Array | undefined {
    if (this.#source === undefined) return undefined;
    this.#buffer ??= this.#source();
    return this.#buffer.subarray(this.#used);
  }

  used(records: Uint8Array): void {
    const b = this.#buffer;
    if (b !== null && records.buffer === b.buffer && records.byteLength > 0) this.#used = records.byteOffset - b.byteOffset + records.byteLength;
  }
}
