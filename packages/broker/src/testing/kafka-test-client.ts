/**
 * KafkaTestClient: a minimal Kafka client for tests — encodes real requests with the
 * generated codecs, writes them to a runtime Connection, and decodes responses in order.
 * Requests can be pipelined (`send` several, then `receive` each). Used by the broker's
 * in-memory end-to-end tests; anyone may use it against any Transport.
 *
 * Bounded: at most `RESPONSES_BUFFERED_MAX` undelivered responses are kept.
 */
import { ApiKey, isFlexible, Reader, RequestHeaderCodec, ResponseHeaderCodec, Writer } from '@samsa/codec';
import type { MessageCodec } from '@samsa/codec';
import type { Connection } from '@samsa/runtime';
import { FrameSplitter } from '@samsa/codec';

const RESPONSES_BUFFERED_MAX = 10_000;

export interface SentRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

export class KafkaTestClient {
  readonly connection: Connection;
  readonly clientId: string;
  readonly #splitter = new FrameSplitter({ frameBytesMax: 1 << 30, api: 'RequestFrame' });
  readonly #frames: Uint8Array[] = [];
  #waiters: Array<() => void> = [];
  #nextCorrelationId = 1;
  #closed = false;
  readonly closed: Promise<void>;

  constructor(connection: Connection, clientId = 'samsa-test') {
    this.connection = connection;
    this.clientId = clientId;
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    connection.start({
      onData: (chunk) => {
        for (const f of this.#splitter.push(chunk)) {
          if (this.#frames.length >= RESPONSES_BUFFERED_MAX) throw new Error('test client: too many unread responses');
          this.#frames.push(f);
        }
        this.#wake();
      },
      onClose: () => {
        this.#closed = true;
        resolveClosed();
        this.#wake();
      },
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Encodes and writes one request; returns what identifies its response. */
  send<Req>(apiKey: number, apiVersion: number, codec: MessageCodec<Req>, body: Req): SentRequest {
    const correlationId = this.#nextCorrelationId++;
    void this.connection.write(encodeRequest(apiKey, apiVersion, correlationId, this.clientId, codec, body)).catch(() => {});
    return { apiKey, apiVersion, correlationId };
  }

  writeRaw(bytes: Uint8Array): void {
    void this.connection.write(bytes).catch(() => {});
  }

  /** The next response frame; checks its correlation id and decodes the body. */
  async receive<Res>(sent: SentRequest, codec: MessageCodec<Res>, decodeVersion = sent.apiVersion): Promise<Res> {
    const frame = await this.nextFrame();
    const headerVersion = sent.apiKey !== ApiKey.ApiVersions && isFlexible(codec.meta, sent.apiVersion) ? 1 : 0;
    const r = new Reader(frame, 'ResponseHeader', headerVersion);
    const header = ResponseHeaderCodec.read(r, headerVersion);
    if (r.failed) throw r.error!;
    if (header.correlationId !== sent.correlationId) {
      throw new Error(`response out of order: correlation id ${header.correlationId}, expected ${sent.correlationId}`);
    }
    r.api = codec.name;
    r.version = decodeVersion;
    const body = codec.read(r, decodeVersion);
    const err = r.complete();
    if (err) throw err;
    return body;
  }

  async request<Req, Res>(apiKey: number, apiVersion: number, reqCodec: MessageCodec<Req>, body: Req, resCodec: MessageCodec<Res>): Promise<Res> {
    return this.receive(this.send(apiKey, apiVersion, reqCodec, body), resCodec);
  }

  /** Resolves with the next raw response frame (without the size prefix); rejects if the connection closed first. */
  async nextFrame(): Promise<Uint8Array> {
    for (;;) {
      const f = this.#frames.shift();
      if (f) return f;
      if (this.#closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Number of response frames received but not yet read. */
  get bufferedResponses(): number {
    return this.#frames.length;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

export function encodeRequest<Req>(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, codec: MessageCodec<Req>, body: Req): Uint8Array {
  const headerVersion = isFlexible(codec.meta, apiVersion) ? 2 : 1;
  const header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  const size = RequestHeaderCodec.size(header, headerVersion) + codec.size(body, apiVersion);
  const w = new Writer(4 + size);
  w.int32(size);
  RequestHeaderCodec.write(w, header, headerVersion);
  codec.write(w, body, apiVersion);
  return w.finish();
}

