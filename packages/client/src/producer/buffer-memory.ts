/**
 * BufferMemory: the producer's `bufferMemoryBytes` budget (Kafka's buffer.memory) as a
 * counter with a FIFO of waiters.
 *
 * `tryReserve(bytes)` takes room at once when there is room and nobody waits before it
 * (the producer reserves a whole send this way); `reserve(bytes)` does the same, or else
 * waits — this is the producer's backpressure: `send()` awaits here while the
 * buffer is full — until `release` frees enough, the deadline passes (KafkaTimeoutError,
 * Kafka's max.block.ms) or the signal fires (KafkaAbortError). Waiters are served in
 * order, so a large record is not starved by small ones.
 *
 * Invariants: 0 ≤ usedBytes ≤ capacityBytes; a reservation larger than the capacity is
 * refused at once (RangeError: the caller checks record size first); at most `waitersMax`
 * waiters (beyond that `reserve` rejects with KafkaTimeoutError at once).
 */
import type { Clock, TimerHandle } from '@samsa/runtime';
import { KafkaTimeoutError, abortErrorOf } from '../errors.ts';

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | null;
  cleanup: () => void;
}

export const BUFFER_WAITERS_MAX_DEFAULT = 100_000;

export class BufferMemory {
  readonly capacityBytes: number;
  readonly #clock: Clock;
  readonly #waitersMax: number;
  readonly #waiters: Waiter[] = [];
  #usedBytes = 0;

  constructor(capacityBytes: number, clock: Clock, waitersMax = BUFFER_WAITERS_MAX_DEFAULT) {
    if (!(Number.isSafeInteger(capacityBytes) && capacityBytes > 0)) throw new RangeError(`bufferMemoryBytes must be a positive integer, got ${capacityBytes}`);
    this.capacityBytes = capacityBytes;
    this.#clock = clock;
    this.#waitersMax = waitersMax;
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Takes `bytes` at once if there is room and nobody waits; false (nothing taken) otherwise. */
  tryReserve(bytes: number): boolean {
    if (!(bytes >= 0)) throw new RangeError(`cannot reserve ${bytes} bytes`);
    if (this.#waiters.length > 0 || this.#usedBytes + bytes > this.capacityBytes) return false;
    this.#usedBytes += bytes;
    return true;
  }

  /** Resolves once `bytes` are reserved; see the file comment for the failures. */
  reserve(bytes: number, deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (!(bytes >= 0 && bytes <= this.capacityBytes)) throw new RangeError(`cannot reserve ${bytes} of ${this.capacityBytes} bytes`);
    if (signal?.aborted === true) return Promise.reject(abortErrorOf(signal));
    if (this.#waiters.length === 0 && this.#usedBytes + bytes <= this.capacityBytes) {
      this.#usedBytes += bytes;
      return Promise.resolve();
    }
    if (this.#waiters.length >= this.#waitersMax) return Promise.reject(new KafkaTimeoutError(`more than ${this.#waitersMax} sends wait for buffer memory`));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, timer: null, cleanup: () => {} };
      const drop = (error: Error): void => {
        const at = this.#waiters.indexOf(waiter);
        if (at < 0) return;
        this.#waiters.splice(at, 1);
        waiter.cleanup();
        reject(error);
        // The head may have been the one blocking smaller requests behind it.
        this.#serve();
      };
      const waitMs = deadlineMs - this.#clock.monotonicMs();
      waiter.timer = this.#clock.setTimeout(
        () => drop(new KafkaTimeoutError(`no room for ${bytes} bytes in the ${this.capacityBytes}-byte buffer within maxBlockMs`)),
        Math.max(0, waitMs),
      );
      const onAbort = (): void => drop(abortErrorOf(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      waiter.cleanup = () => {
        waiter.timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
      };
      this.#waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    if (!(bytes >= 0 && bytes <= this.#usedBytes)) throw new Error(`releasing ${bytes} bytes with ${this.#usedBytes} in use`);
    this.#usedBytes -= bytes;
    this.#serve();
  }

  #serve(): void {
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      if (this.#usedBytes + head.bytes > this.capacityBytes) return;
      this.#waiters.shift();
      this.#usedBytes += head.bytes;
      head.cleanup();
      head.resolve();
    }
  }
}
