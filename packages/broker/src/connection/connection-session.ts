/**
 * ConnectionSession: one client connection as a pure state machine — chunks in, response
 * frames out — with no socket in sight (attach.ts binds it to a runtime Connection).
 *
 * Flow:
 *   push(chunk) → FrameSplitter (@samsa/codec) → complete frames queue → handled in arrival order
 *   → each outcome's response bytes go to `sink.send` in the same order.
 * Requests are processed one at a time per connection, as Kafka does (it mutes a channel
 * while a request is in the handler), except that frames the owner marks `canOverlap`
 * (Produce) may start while earlier overlapping ones still wait for I/O — started in
 * arrival order, answered in arrival order. Anything else waits for everything before it
 * to finish, so e.g. a Produce never runs before a preceding CreateTopics completed.
 *
 * Limits (all enforced before allocation or by pausing the socket):
 *   - a frame whose length prefix exceeds `frameBytesMax` closes the connection; the
 *     splitter rejects it from the 4-byte prefix alone;
 *   - queued-but-unhandled frame bytes plus sent-but-undrained response bytes above
 *     `queuedBytesMax` (or more than `queuedFramesMax` frames) pause reading until the
 *     client drains its responses or the queue empties (`sink.setReading(false/true)`);
 *   - while undrained response bytes alone exceed `queuedBytesMax`, no further queued
 *     frame is handled, so responses cannot pile up either;
 *   - with a `pool` (the broker-wide queued.max.request.bytes), each frame's declared
 *     length is reserved from it when its prefix arrives, before its payload is buffered;
 *     if the pool cannot grant it, reading pauses until it does. The reservation is
 *     released when the frame's handler has finished with it (or the session ends and the
 *     frame was never handled), so a session that holds a reservation always gives it back.
 *
 * Stalls (`stall()`, for the broker's PoolPressure): a session whose pool bytes only its
 * client can free says so, with the time measured on `nowMs`:
 *   - `unread-responses`: response bytes have waited to be drained for ≥ the given
 *     minimum, in which less than FRAME_PROGRESS_BYTES of them drained and they never all
 *     drained (the client does not read, or trickles: handling stops once they exceed
 *     `queuedBytesMax`, so its queued frames keep their reservations);
 *   - `stalled-request`: a reserved frame is being read, the session is reading, and the
 *     client sent less than FRAME_PROGRESS_BYTES of it (and did not finish it) within the
 *     minimum (silent or trickling, a slowloris). Time paused by the session itself, or
 *     spent waiting for a grant, does not count: progress restarts on resume and on grant.
 *   A request in the handler (a long poll) is never a stall by itself, and a session
 *   holding no reservation outside the handler never reports one.
 *
 * Outcome of a handled frame: a response (or none, for acks=0 produce), optionally
 * followed by closing the connection (protocol violations).
 */
import { DecodeError, FrameSplitter } from '@samsa/codec';
import type { PoolWaiter, RequestMemoryPool } from './request-memory-pool.ts';

/** A response frame as one buffer or as chunks to write in order (large records fields uncopied). */
export type ResponseBytes = Uint8Array | readonly Uint8Array[];

/** Total length of a response's bytes. */
export function responseByteLength(bytes: ResponseBytes): number {
  if (bytes instanceof Uint8Array) return bytes.byteLength;
  let n = 0;
  for (const c of bytes) n += c.byteLength;
  return n;
}

/** Bytes a client must send of its frame (or finish it), or read of its responses (or all of them), per stall window; ~13 KiB/s over 5 s. */
export const FRAME_PROGRESS_BYTES = 64 * 1024;

/** Why a session's client is pinning its pool bytes (see the file comment). */
export type StallReason = 'unread-responses' | 'stalled-request';

export interface FrameOutcome {
  /** Complete response frame including its 4-byte size prefix (maybe in chunks), or null for no response. */
  readonly response: ResponseBytes | null;
  /** Close the connection after sending `response` (protocol error). */
  readonly close?: string;
  /**
   * Called once the transport accepted all of `response` (its bytes drained): buffers the
   * response holds views of may be reused from then on. Never called when the response is
   * not sent or the session ends first (the transport might still hold the bytes).
   */
  readonly release?: () => void;
}

export interface SessionSink {
  /** Queue bytes to the socket; call `session.drained(bytes)` once the transport accepted them. */
  send(bytes: ResponseBytes): void;
  /** Stop (false) or restart (true) delivering chunks. */
  setReading(reading: boolean): void;
  /** Close after flushing what was sent (`graceful`) or at once. Called at most once. */
  close(reason: string, graceful: boolean): void;
}

export interface SessionOptions {
  readonly frameBytesMax: number;
  readonly queuedBytesMax: number;
  readonly queuedFramesMax: number;
  /** Handles one request frame (without the size prefix). Must not throw for bad input: return `close`. */
  readonly handleFrame: (frame: Uint8Array) => Promise<FrameOutcome> | FrameOutcome;
  /** Called once when the session ends (close requested or transport closed). */
  readonly onEnd?: (reason: string) => void;
  /**
   * True for frames that may start while earlier ones are still in the handler (only
   * when every one in flight may overlap too). The broker says yes for Produce: its
   * handler orders each partition's appends at call time, so overlapping keeps per-
   * partition order while appends wait for I/O. Default: nothing overlaps.
   */
  readonly canOverlap?: (frame: Uint8Array) => boolean;
  /** Most frames in the handler at once (overlapping ones). Default 1. */
  readonly inFlightMax?: number;
  /** Broker-wide bound on request bytes held (see the file comment). Default: none. */
  readonly pool?: RequestMemoryPool;
  /** Monotonic time for stall detection (the runtime Clock's). Default: always 0. */
  readonly nowMs?: () => number;
}

interface InFlight {
  readonly outcome: Promise<FrameOutcome>;
  readonly overlap: boolean;
}

export class ConnectionSession {
  readonly #opts: SessionOptions;
  readonly #sink: SessionSink;
  readonly #splitter: FrameSplitter;
  readonly #frames: Uint8Array[] = [];
  readonly #inFlight: InFlight[] = [];
  #frameBytesQueued = 0;
  #unsentBytes = 0;
  #processing = false;
  #reading = true;
  #finishing = false;
  #ended: string | null = null;
  #idleWaiters: Array<() => void> = [];
  /** Pool bytes this session holds: frames being read, queued or in the handler. */
  #reservedBytes = 0;
  /** Of those, the bytes of frames in the handler (released when each handler settles). */
  #inHandlerBytes = 0;
  #poolWaiter: PoolWaiter | null = null;
  /** Sent responses with a `release`, in send order, each with the `#drainedBytes` total at which all of it has drained. */
  readonly #releases: Array<{ readonly drainedAt: number; readonly release: () => void }> = [];
  readonly #nowMs: () => number;
  /** Bytes received in all; and the count and time at the last progress of the frame being read. */
  #bytesIn = 0;
  #progressBytes = 0;
  #progressMs: number;
  /** While response bytes are undrained: when they last made progress (first send, FRAME_PROGRESS_BYTES drained). */
  #undrainedSinceMs: number | null = null;
  #drainedBytes = 0;
  #drainProgressBytes = 0;

  constructor(options: SessionOptions, sink: SessionSink) {
    this.#opts = options;
    this.#sink = sink;
    this.#nowMs = options.nowMs ?? (() => 0);
    this.#progressMs = this.#nowMs();
    const pool = options.pool;
    this.#splitter = new FrameSplitter({
      frameBytesMax: options.frameBytesMax,
      api: 'RequestFrame',
      reserve: pool === undefined ? undefined : (bytes) => this.#reserve(pool, bytes),
    });
  }

  /** Bytes this session holds in the request memory pool (0 without a pool). */
  get reservedBytes(): number {
    return this.#reservedBytes;
  }

  /** True while reading is paused because the pool could not grant the next frame's bytes. */
  get awaitingMemory(): boolean {
    return this.#splitter.awaitingGrant;
  }

  /** Pool bytes of frames not in the handler (queued or being read): what closing the session frees at once. */
  get reservedUnhandledBytes(): number {
    return this.#reservedBytes - this.#inHandlerBytes;
  }

  /**
   * Whether this session holds pool bytes outside the handler only because its client
   * stalls for at least `minMs` (see the file comment), and how; null if not.
   */
  stall(nowMs: number, minMs: number): StallReason | null {
    if (this.#ended !== null || this.#finishing || this.reservedUnhandledBytes === 0) return null;
    if (this.#undrainedSinceMs !== null && nowMs - this.#undrainedSinceMs >= minMs) return 'unread-responses';
    const readingFrameBytes = this.reservedUnhandledBytes - this.#frameBytesQueued;
    if (readingFrameBytes > 0 && this.#reading && nowMs - this.#progressMs >= minMs) return 'stalled-request';
    return null;
  }

  get ended(): boolean {
    return this.#ended !== null;
  }

  /** True while a request is in the handler or frames wait for it. */
  get busy(): boolean {
    return this.#processing || this.#frames.length > 0;
  }

  /** Bytes buffered in the session: partial frame + queued frames + undrained responses. */
  get bufferedBytes(): number {
    return this.#splitter.bufferedBytes + this.#frameBytesQueued + this.#unsentBytes;
  }

  /** Feeds bytes read from the socket. */
  push(chunk: Uint8Array): void {
    if (this.#ended !== null || this.#finishing) return;
    this.#bytesIn += chunk.byteLength;
    if (this.#bytesIn - this.#progressBytes >= FRAME_PROGRESS_BYTES) this.#progressed();
    let frames: Uint8Array[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (e) {
      this.#endForFraming(e);
      return;
    }
    this.#enqueue(frames);
  }

  /** Reserves a frame's bytes now, or queues for them and pauses reading until granted. */
  #reserve(pool: RequestMemoryPool, bytes: number): boolean {
    if (pool.tryReserve(bytes)) {
      this.#reservedBytes += bytes;
      this.#progressed();
      return true;
    }
    this.#poolWaiter = pool.wait(bytes, () => {
      this.#poolWaiter = null;
      this.#reservedBytes += bytes;
      this.#progressed();
      // Granted inside another session's release: continue on a fresh microtask.
      queueMicrotask(() => this.#onGranted());
    });
    return false;
  }

  #onGranted(): void {
    if (this.#ended !== null || this.#finishing) return;
    let frames: Uint8Array[];
    try {
      frames = this.#splitter.granted();
    } catch (e) {
      this.#endForFraming(e);
      return;
    }
    this.#enqueue(frames);
  }

  /** The splitter threw: the client broke the framing (a frame over frameBytesMax, or a negative length). */
  #endForFraming(e: unknown): void {
    this.end(e instanceof DecodeError && e.reason === 'too-large' ? 'frame-too-large' : 'bad-frame', false);
  }

  #release(bytes: number): void {
    if (bytes === 0 || this.#opts.pool === undefined) return;
    this.#reservedBytes -= bytes;
    this.#opts.pool.release(bytes);
  }

  /** Gives back every reservation except those of frames still in the handler (they release as they settle). */
  #releaseAllButInHandler(): void {
    this.#poolWaiter?.cancel();
    this.#poolWaiter = null;
    this.#release(this.#reservedBytes - this.#inHandlerBytes);
  }

  /** The frame being read made progress (or a new one began): its stall clock restarts. */
  #progressed(): void {
    this.#progressBytes = this.#bytesIn;
    this.#progressMs = this.#nowMs();
  }

  /** Undrained responses made progress (or began): their stall clock restarts. */
  #drainProgressed(): void {
    this.#drainProgressBytes = this.#drainedBytes;
    this.#undrainedSinceMs = this.#nowMs();
  }

  #enqueue(frames: Uint8Array[]): void {
    if (frames.length > 0) this.#progressed();
    for (const f of frames) {
      this.#frames.push(f);
      this.#frameBytesQueued += f.byteLength;
    }
    this.#updateReading();
    if (!this.#processing) void this.#drainQueue();
    else this.#startHandlers();
  }

  /** The transport accepted `bytes` of a previous `send` (its write promise resolved). */
  drained(bytes: number): void {
    this.#unsentBytes -= bytes;
    this.#drainedBytes += bytes;
    while (this.#releases.length > 0 && this.#releases[0]!.drainedAt <= this.#drainedBytes) this.#releases.shift()!.release();
    if (this.#unsentBytes === 0) this.#undrainedSinceMs = null;
    else if (this.#drainedBytes - this.#drainProgressBytes >= FRAME_PROGRESS_BYTES) this.#drainProgressed();
    this.#updateReading();
    if (this.#frames.length === 0 || this.#ended !== null || this.#finishing) return;
    if (!this.#processing) void this.#drainQueue();
    else this.#startHandlers();
  }

  /** Ends the session once: stops processing, tells the sink to close. */
  end(reason: string, graceful: boolean): void {
    if (this.#ended !== null) return;
    this.#ended = reason;
    this.#releases.length = 0; // the transport may still hold those bytes: nothing is reused
    this.#frames.length = 0;
    this.#frameBytesQueued = 0;
    this.#releaseAllButInHandler();
    this.#sink.close(reason, graceful);
    this.#opts.onEnd?.(reason);
    this.#wakeIdle();
  }

  /** Resolves when no request is being handled. */
  whenIdle(): Promise<void> {
    if (!this.#processing) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Shutdown: stop reading, drop frames not yet started, let the request in the handler
   * finish and send its response, then close gracefully.
   */
  async finish(reason = 'shutdown'): Promise<void> {
    if (this.#ended !== null) return;
    this.#finishing = true;
    this.#reading = false;
    this.#sink.setReading(false);
    this.#frames.length = 0;
    this.#frameBytesQueued = 0;
    this.#releaseAllButInHandler();
    await this.whenIdle();
    this.end(reason, true);
  }

  async #drainQueue(): Promise<void> {
    this.#processing = true;
    try {
      while (this.#ended === null) {
        this.#startHandlers();
        // The head stays in #inFlight until it completes: it still counts as running.
        const head = this.#inFlight[0];
        if (!head) break;
        const outcome = await head.outcome;
        this.#inFlight.shift();
        if (this.#ended !== null) break;
        if (outcome.response) {
          if (this.#unsentBytes === 0) this.#drainProgressed();
          this.#unsentBytes += responseByteLength(outcome.response);
          // Drains come in send order: this response has drained once everything sent so far has.
          if (outcome.release !== undefined) this.#releases.push({ drainedAt: this.#drainedBytes + this.#unsentBytes, release: outcome.release });
          this.#sink.send(outcome.response);
        }
        if (outcome.close !== undefined) {
          this.end(outcome.close, true);
          break;
        }
        this.#updateReading();
      }
    } finally {
      this.#inFlight.length = 0;
      this.#processing = false;
      this.#wakeIdle();
    }
  }

  /**
   * Starts queued frames in arrival order: the next one always when nothing is in
   * flight, more only while they and everything in flight may overlap. Handlers are
   * invoked synchronously here, so their start order is the arrival order.
   */
  #startHandlers(): void {
    const inFlightMax = this.#opts.inFlightMax ?? 1;
    while (this.#frames.length > 0 && this.#inFlight.length < inFlightMax) {
      // Responses the client has not drained: handle nothing more until it reads them.
      if (this.#unsentBytes > this.#opts.queuedBytesMax) return;
      const frame = this.#frames[0]!;
      const overlap = this.#opts.canOverlap?.(frame) ?? false;
      if (this.#inFlight.length > 0 && !(overlap && this.#inFlight.every((f) => f.overlap))) return;
      this.#frames.shift();
      this.#frameBytesQueued -= frame.byteLength;
      this.#inFlight.push({ outcome: this.#invoke(frame), overlap });
    }
  }

  #invoke(frame: Uint8Array): Promise<FrameOutcome> {
    let outcome: Promise<FrameOutcome>;
    try {
      outcome = Promise.resolve(this.#opts.handleFrame(frame)).catch(() => ({ response: null, close: 'handler-failed' }));
    } catch {
      outcome = Promise.resolve({ response: null, close: 'handler-failed' });
    }
    if (this.#opts.pool === undefined) return outcome;
    // The handler is done with the frame once its outcome is there: its bytes go back.
    const bytes = frame.byteLength;
    this.#inHandlerBytes += bytes;
    return outcome.then((o) => {
      this.#inHandlerBytes -= bytes;
      this.#release(bytes);
      return o;
    });
  }

  #updateReading(): void {
    if (this.#ended !== null || this.#finishing) return;
    const over =
      this.#frameBytesQueued + this.#unsentBytes > this.#opts.queuedBytesMax ||
      this.#frames.length >= this.#opts.queuedFramesMax ||
      this.#splitter.awaitingGrant;
    if (over && this.#reading) {
      this.#reading = false;
      this.#sink.setReading(false);
    } else if (!over && !this.#reading) {
      this.#reading = true;
      this.#progressed(); // the pause was the session's: the client's clock restarts
      this.#sink.setReading(true);
    }
  }

  #wakeIdle(): void {
    if (this.#processing) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
