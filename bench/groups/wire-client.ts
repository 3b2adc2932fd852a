/**
 * A minimal pipelined Kafka client connection for the group benchmarks: node:net plus
 * @samsa/codec's generated encoders/decoders, nothing else.
 *
 * Why not KafkaJS: it awaits every OffsetCommit (one in flight per consumer), so one
 * KafkaJS client cannot offer 10,000 commits/s; and its per-request overhead would be
 * measured as broker latency. This connection sends as many requests as the caller
 * likes (at most `inFlightMax` awaiting a response; more are rejected, never queued)
 * and matches responses by correlation id.
 *
 * Frames: `int32 size | response header | body`. Incoming chunks are kept as a list and
 * concatenated once per frame; a frame larger than `FRAME_BYTES_MAX` closes the connection.
 * Single-threaded: one event loop owns the socket.
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { decodeResponseFrame, encodeRequestFrame } from '@samsa/codec';
import type { MessageCodec } from '@samsa/codec';

const FRAME_BYTES_MAX = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;

interface Pending {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly codec: MessageCodec<unknown>;
  resolve(body: unknown): void;
  reject(error: Error): void;
}

export class WireClient {
  readonly #socket: Socket;
  readonly #clientId: string;
  readonly #inFlightMax: number;
  readonly #pending = new Map<number, Pending>();
  #nextCorrelationId = 1;
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  #closed: Error | null = null;

  private constructor(socket: Socket, clientId: string, inFlightMax: number) {
    this.#socket = socket;
    this.#clientId = clientId;
    this.#inFlightMax = inFlightMax;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e) => this.#fail(e));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static connect(host: string, port: number, clientId: string, inFlightMax: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ${host}:${port} timed out`));
      }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new WireClient(socket, clientId, inFlightMax));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends one request at once; resolves its decoded response body. */
  request<Q, R>(apiKey: number, apiVersion: number, requestCodec: MessageCodec<Q>, body: Q, responseCodec: MessageCodec<R>): Promise<R> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#pending.size >= this.#inFlightMax) return Promise.reject(new Error(`more than ${this.#inFlightMax} requests in flight`));
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = (this.#nextCorrelationId + 1) & 0x7fffffff;
    const frame = encodeRequestFrame({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: this.#clientId }, requestCodec, body);
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(correlationId, { apiKey, apiVersion, codec: responseCodec as MessageCodec<unknown>, resolve: resolve as (b: unknown) => void, reject });
      this.#socket.write(frame);
    });
  }

  close(): void {
    this.#fail(new Error('closed by the client'));
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
    for (;;) {
      if (this.#bufferedBytes < 4) return;
      if (this.#chunks[0]!.length < 4) this.#chunks = [Buffer.concat(this.#chunks)];
      const size = this.#chunks[0]!.readInt32BE(0);
      if (size < 4 || size > FRAME_BYTES_MAX) {
        this.#fail(new Error(`bad response frame size ${size}`));
        this.#socket.destroy();
        return;
      }
      if (this.#bufferedBytes < 4 + size) return;
      const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#bufferedBytes = rest.length;
      this.#onFrame(frame);
    }
  }

  #onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.#pending.get(correlationId);
    if (p === undefined) {
      this.#fail(new Error(`response for unknown correlation id ${correlationId}`));
      return;
    }
    this.#pending.delete(correlationId);
    try {
      p.resolve(decodeResponseFrame(frame, p.apiKey, p.apiVersion, p.codec).body);
    } catch (e) {
      p.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }
}
