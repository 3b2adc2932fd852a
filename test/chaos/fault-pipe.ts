/**
 * One direction of one proxied TCP connection (source socket → sink socket) with a
 * bounded hold queue: the piece of the fault proxy (`fault-proxy.ts`) that makes a link
 * slow or silent without ever losing, duplicating or reordering a byte.
 *
 * Every chunk read from the source goes into the queue first, stamped with the time it
 * may leave (`dueAtMs`; arrival time, plus delay and jitter under a 'delay' policy, never
 * earlier than the chunk before it, so a direction keeps its order). `pump()` moves chunks
 * from the head of the queue to the sink as the policy allows:
 * - 'flow': at once;
 * - 'delay': once due (one timer, for the head);
 * - 'hold': never — the bytes stay queued (a blackholed direction).
 * The source's FIN travels the same way: once the source ended and the queue is empty the
 * sink is ended, so a held direction holds its FIN too.
 *
 * Bounds (invariants): the queue holds at most `holdBytesMax` bytes plus one read chunk
 * (a socket read is at most 64 KiB) and at most `holdChunksMax` chunks. Reaching either
 * pauses the source, so TCP backpressure keeps the rest in the kernel and, once its
 * buffers fill, the sender's writes go unacknowledged — what a partition looks like to
 * TCP. The source is also paused while the sink is full (a false `write`, until 'drain').
 * Nothing is dropped: only `dispose()` (the connection is being destroyed) forgets the queue.
 *
 * Single-threaded: called only from the event loop of the process that owns the sockets.
 */
import type { Socket } from 'node:net';

export type PipePolicy = { readonly kind: 'flow' } | { readonly kind: 'delay'; readonly delayMs: number; readonly jitterMs: number } | { readonly kind: 'hold' };

export interface FaultPipeOptions {
  readonly holdBytesMax: number;
  readonly holdChunksMax: number;
  /** A number in [0, 1) for jitter (Math.random unless the harness passes a seeded one). */
  readonly random: () => number;
  /** Called with the size of every chunk handed to the sink. */
  readonly onForward: (bytes: number) => void;
  /** Called with the queue's size after every chunk read (for a peak statistic). */
  readonly onHold: (heldBytes: number) => void;
}

interface QueuedChunk {
  readonly chunk: Buffer;
  readonly dueAtMs: number;
}

/** Compact the queue array once this many consumed slots lead it. */
const COMPACT_AFTER = 1024;

export class FaultPipe {
  readonly #source: Socket;
  readonly #options: FaultPipeOptions;
  #sink: Socket | null = null;
  #policy: PipePolicy;
  #queue: (QueuedChunk | undefined)[] = [];
  #head = 0;
  #heldBytes = 0;
  #lastDueAtMs = 0;
  #sourceEnded = false;
  #sinkEnded = false;
  #waitingDrain = false;
  #timer: NodeJS.Timeout | null = null;
  #disposed = false;

  constructor(source: Socket, policy: PipePolicy, options: FaultPipeOptions) {
    this.#source = source;
    this.#policy = policy;
    this.#options = options;
    source.on('data', (chunk: Buffer) => this.#onData(chunk));
    source.on('end', () => {
      this.#sourceEnded = true;
      this.pump();
    });
  }

  /** Bytes read from the source and not yet handed to the sink. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** True once the source's FIN has been passed on (the sink was ended). */
  get finished(): boolean {
    return this.#sinkEnded;
  }

  /** Where bytes go; until it is set, everything is held (the target is not connected yet). */
  attachSink(sink: Socket): void {
    if (this.#sink !== null) throw new Error('FaultPipe: sink attached twice');
    this.#sink = sink;
    sink.on('drain', () => {
      this.#waitingDrain = false;
      this.pump();
    });
    this.pump();
  }

  setPolicy(policy: PipePolicy): void {
    this.#policy = policy;
    this.#clearTimer();
    this.pump();
  }

  /** Forward what the policy allows now; arm the timer for the next due chunk; pause or resume the source. */
  pump(): void {
    if (this.#disposed) return;
    const sink = this.#sink;
    if (sink !== null && !sink.destroyed && this.#policy.kind !== 'hold') this.#forwardDue(sink);
    this.#compact();
    if (sink !== null && !sink.destroyed && this.#head === this.#queue.length && this.#sourceEnded && !this.#sinkEnded) {
      this.#sinkEnded = true;
      sink.end();
    }
    this.#pauseOrResume();
  }

  /** Forget the queue and the timer (the connection is being destroyed). */
  dispose(): void {
    this.#disposed = true;
    this.#clearTimer();
    this.#queue = [];
    this.#head = 0;
    this.#heldBytes = 0;
  }

  #onData(chunk: Buffer): void {
    if (this.#disposed) return;
    const nowMs = performance.now();
    const policy = this.#policy;
    const delayMs = policy.kind === 'delay' ? policy.delayMs + policy.jitterMs * this.#options.random() : 0;
    const dueAtMs = Math.max(nowMs + delayMs, this.#lastDueAtMs);
    this.#lastDueAtMs = dueAtMs;
    this.#queue.push({ chunk, dueAtMs });
    this.#heldBytes += chunk.length;
    this.#options.onHold(this.#heldBytes);
    this.pump();
  }

  #forwardDue(sink: Socket): void {
    while (this.#head < this.#queue.length && !this.#waitingDrain) {
      const item = this.#queue[this.#head]!;
      if (this.#policy.kind === 'delay') {
        const waitMs = item.dueAtMs - performance.now();
        if (waitMs > 0) {
          this.#armTimer(waitMs);
          return;
        }
      }
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      this.#heldBytes -= item.chunk.length;
      this.#options.onForward(item.chunk.length);
      if (!sink.write(item.chunk)) this.#waitingDrain = true;
    }
  }

  #armTimer(waitMs: number): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.pump();
    }, Math.ceil(waitMs));
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #pauseOrResume(): void {
    const source = this.#source;
    if (source.destroyed || this.#sourceEnded) return;
    const full = this.#heldBytes >= this.#options.holdBytesMax || this.#queue.length - this.#head >= this.#options.holdChunksMax;
    if (full || this.#waitingDrain) {
      if (!source.isPaused()) source.pause();
    } else if (source.isPaused()) {
      source.resume();
    }
  }
}
