/**
 * WireClient: the simulated clients' Kafka connection pool — real Kafka requests, encoded
 * with the generated codecs, over the process's NodeTransport, one connection per broker
 * endpoint, requests pipelined and matched to responses by correlation id.
 *
 * Every request is bounded by `timeoutMs` on the process's clock; a timeout, a reset or a
 * close fails every request in flight on that connection (`WireError`) and drops the
 * connection (the next request opens a new one). At most `inFlightMax` requests wait per
 * connection (more are refused at once).
 */
import { decodeResponseFrame, encodeRequestFrame, FrameSplitter, type MessageCodec } from '@samsa/codec';
import type { Clock, Connection, TimerHandle, Transport } from '@samsa/runtime';

export const inFlightMax = 64;
export const frameBytesMax = 16 * 1024 * 1024;

export class WireError extends Error {
  override readonly name = 'WireError';
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

interface Pending {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly codec: MessageCodec<unknown>;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle;
}

class WireConnection {
  readonly #pending = new Map<number, Pending>();
  readonly #splitter = new FrameSplitter({ frameBytesMax, api: 'ResponseFrame' });
  #connection: Connection | null = null;
  #failed: Error | null = null;
  readonly ready: Promise<void>;

  constructor(transport: Transport, endpoint: Endpoint, onDead: () => void) {
    this.ready = transport.connect(endpoint).then((connection) => {
      this.#connection = connection;
      connection.start({
        onData: (chunk) => {
          try {
            for (const frame of this.#splitter.push(chunk)) this.#onFrame(frame);
          } catch (error) {
            this.fail(new WireError(`bad response bytes: ${(error as Error).message}`));
          }
        },
        onClose: (error) => this.fail(new WireError(`connection closed${error ? `: ${error.message}` : ''}`)),
      });
    });
    this.ready.catch((error: unknown) => this.fail(new WireError(`connect failed: ${(error as Error).message}`)));
    this.onDead = onDead;
  }

  readonly onDead: () => void;
  #nextCorrelationId = 1;

  get failed(): boolean {
    return this.#failed !== null;
  }

  async send<Req, Res>(clock: Clock, apiKey: number, apiVersion: number, reqCodec: MessageCodec<Req>, body: Req, resCodec: MessageCodec<Res>, timeoutMs: number, clientId: string): Promise<Res> {
    await this.ready;
    if (this.#failed) throw this.#failed;
    if (this.#pending.size >= inFlightMax) throw new WireError(`more than ${inFlightMax} requests in flight`);
    const correlationId = this.#nextCorrelationId++;
    const frame = encodeRequestFrame({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId }, reqCodec, body);
    return new Promise<Res>((resolve, reject) => {
      const timer = clock.setTimeout(() => this.fail(new WireError(`request ${apiKey} v${apiVersion} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.#pending.set(correlationId, { apiKey, apiVersion, codec: resCodec as MessageCodec<unknown>, resolve: resolve as (b: unknown) => void, reject, timer });
      this.#connection!.write(frame).catch((error: unknown) => this.fail(new WireError(`write failed: ${(error as Error).message}`)));
    });
  }

  fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = error;
    this.onDead();
    for (const p of this.#pending.values()) {
      p.timer.cancel();
      p.reject(error);
    }
    this.#pending.clear();
    this.#connection?.destroy();
  }

  #onFrame(frame: Uint8Array): void {
    const correlationId = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(0);
    const p = this.#pending.get(correlationId);
    if (p === undefined) throw new Error(`a response to unknown correlation id ${correlationId}`);
    this.#pending.delete(correlationId);
    p.timer.cancel();
    p.resolve(decodeResponseFrame(frame, p.apiKey, p.apiVersion, p.codec).body);
  }
}

export class WireClient {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #clientId: string;
  readonly #connections = new Map<string, WireConnection>();

  constructor(transport: Transport, clock: Clock, clientId: string) {
    this.#transport = transport;
    this.#clock = clock;
    this.#clientId = clientId;
  }

  request<Req, Res>(endpoint: Endpoint, apiKey: number, apiVersion: number, reqCodec: MessageCodec<Req>, body: Req, resCodec: MessageCodec<Res>, timeoutMs: number): Promise<Res> {
    const key = `${endpoint.host}:${endpoint.port}`;
    let connection = this.#connections.get(key);
    if (connection === undefined || connection.failed) {
      const created: WireConnection = new WireConnection(this.#transport, endpoint, () => {
        if (this.#connections.get(key) === created) this.#connections.delete(key);
      });
      connection = created;
      this.#connections.set(key, created);
    }
    return connection.send(this.#clock, apiKey, apiVersion, reqCodec, body, resCodec, timeoutMs, this.#clientId);
  }

  /** Drops every connection (their requests fail). */
  closeAll(): void {
    for (const c of [...this.#connections.values()]) c.fail(new WireError('client closed'));
    this.#connections.clear();
  }
}
