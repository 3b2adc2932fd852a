/**
 * ReadScratchPool: reusable buffers that a leader reads follower-fetch answers into, so
 * replicating a byte does not allocate (and zero-fill) a fresh buffer for it. Without it,
 * every answer allocated its records afresh and the brokers spent about a quarter of their
 * CPU in garbage collection under RF 3 load (bench/replication/README.md).
 *
 * Ownership: `take(bytes)` lends a buffer of at least `bytes` to ONE request; the request
 * reads its partitions' records into it back to back and the answer's attachments are
 * views of it. `give(buffer)` returns it only after the transport accepted the whole
 * response (`Connection.write` resolved: the runtime contract is that a chunk is neither
 * copied nor retained after that). A request whose write failed does not give its buffer
 * back (the transport might still hold it); the garbage collector takes it.
 *
 * Bounds: at most `keepMax` buffers are kept free, none larger than `bufferBytesMax`
 * (`take` of more allocates an exact buffer that `give` then drops). The pool belongs to
 * one replica-fetch connection and dies with it, so what a follower costs while connected
 * is at most keepMax × bufferBytesMax (the connection's in-flight bound × the response cap).
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

  /** A buffer of at least `bytes` (capped at bufferBytesMax), exclusively the caller's until `give`. */
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
