/**
 * ConnectionSession: one client connection as a pure state machine — chunks in, response
 * frames out — with no socket in sight (attach.ts binds it to a runtime Connection).
 *
 * Flow:
 *   push(chunk) → KafkaFrameSplitter → complete frames queue → handled ONE AT A TIME, in
 *   arrival order → each outcome's response bytes go to `sink.send` in the same order.
 * Requests are processed serially per connection, as Kafka does (it mutes a channel while
 * a request is in the handler): a pipelined Produce can never overtake the one before
 * it, and responses are trivially in order. Clients still pipeline: frames queue here
 * while earlier ones are handled, and decoding overlaps network reads.
 *
 * Limits (all enforced before allocation or by pausing the socket):
 *   - a frame whose length prefix exceeds `frameBytesMax` closes the connection; the
 *     splitter rejects it from the 4-byte prefix alone;
 *   - queued-but-unhandled frame bytes plus sent-but-undrained response bytes above
 *     `queuedBytesMax` (or more than `queuedFramesMax` frames) pause reading until the
 *     client drains its responses or the queue empties (`sink.setReading(false/true)`);
 *   - while undrained response bytes alone exceed `queuedBytesMax`, no further queued
 *     frame is handled, so responses cannot pile up either.
 *
 * Outcome of a handled frame: a response (or none, for acks=0 produce), optionally
 * followed by closing the connection (protocol violations).
 */
import { DecodeError } from '@samsa/codec';
import { KafkaFrameSplitter } from '../protocol/kafka-frame-splitter.ts';

export interface FrameOutcome {
  /** Complete response frame including its 4-byte size prefix, or null for no response. */
  readonly response: Uint8Array | null;
  /** Close the connection after sending `response` (protocol error). */
  readonly close?: string;
}

export interface SessionSink {
  /** Queue bytes to the socket; call `session.drained(bytes)` once the transport accepted them. */
  send(bytes: Uint8Array): void;
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
}

export class ConnectionSession {
  readonly #opts: SessionOptions;
  readonly #sink: SessionSink;
  readonly #splitter: KafkaFrameSplitter;
  readonly #frames: Uint8Array[] = [];
  #frameBytesQueued = 0;
  #unsentBytes = 0;
  #processing = false;
  #reading = true;
  #finishing = false;
  #ended: string | null = null;
  #idleWaiters: Array<() => void> = [];

  constructor(options: SessionOptions, sink: SessionSink) {
    this.#opts = options;
    this.#sink = sink;
    this.#splitter = new KafkaFrameSplitter({ frameBytesMax: options.frameBytesMax });
  }

  get ended(): boolean {
    return this.#ended !== null;
  }

  /** Bytes buffered in the session: partial frame + queued frames + undrained responses. */
  get bufferedBytes(): number {
    return this.#splitter.bufferedBytes + this.#frameBytesQueued + this.#unsentBytes;
  }

  /** Feeds bytes read from the socket. */
  push(chunk: Uint8Array): void {
    if (this.#ended !== null || this.#finishing) return;
    let frames: Uint8Array[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (e) {
      this.end(e instanceof DecodeError && e.reason === 'too-large' ? 'frame-too-large' : 'bad-frame', false);
      return;
    }
    for (const f of frames) {
      this.#frames.push(f);
      this.#frameBytesQueued += f.byteLength;
    }
    this.#updateReading();
    if (!this.#processing) void this.#drainQueue();
  }

  /** The transport accepted `bytes` of a previous `send` (its write promise resolved). */
  drained(bytes: number): void {
    this.#unsentBytes -= bytes;
    this.#updateReading();
    if (!this.#processing && this.#frames.length > 0 && this.#ended === null) void this.#drainQueue();
  }

  /** Ends the session once: stops processing, tells the sink to close. */
  end(reason: string, graceful: boolean): void {
    if (this.#ended !== null) return;
    this.#ended = reason;
    this.#frames.length = 0;
    this.#frameBytesQueued = 0;
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
    await this.whenIdle();
    this.end(reason, true);
  }

  async #drainQueue(): Promise<void> {
    this.#processing = true;
    try {
      while (this.#ended === null) {
        // Responses the client has not drained: handle nothing more until it reads them.
        if (this.#unsentBytes > this.#opts.queuedBytesMax) break;
        const frame = this.#frames.shift();
        if (!frame) break;
        this.#frameBytesQueued -= frame.byteLength;
        let outcome: FrameOutcome;
        try {
          outcome = await this.#opts.handleFrame(frame);
        } catch {
          outcome = { response: null, close: 'handler-failed' };
        }
        if (this.#ended !== null) break;
        if (outcome.response) {
          this.#unsentBytes += outcome.response.byteLength;
          this.#sink.send(outcome.response);
        }
        if (outcome.close !== undefined) {
          this.end(outcome.close, true);
          break;
        }
        this.#updateReading();
      }
    } finally {
      this.#processing = false;
      this.#wakeIdle();
    }
  }

  #updateReading(): void {
    if (this.#ended !== null || this.#finishing) return;
    const over = this.#frameBytesQueued + this.#unsentBytes > this.#opts.queuedBytesMax || this.#frames.length >= this.#opts.queuedFramesMax;
    if (over && this.#reading) {
      this.#reading = false;
      this.#sink.setReading(false);
    } else if (!over && !this.#reading) {
      this.#reading = true;
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
