/**
 * BrokerConnection: one TCP connection to one broker, speaking Kafka frames over the
 * runtime `Transport`.
 *
 * Wire layout (Kafka's, both directions): `[int32 size][header][body]`. Request header v1
 * is `int16 apiKey, int16 apiVersion, int32 correlationId, nullable string clientId`; v2
 * (flexible versions) adds tagged fields. Response header v0 is `int32 correlationId`, v1
 * adds tagged fields (ApiVersions always answers with v0).
 *
 * Life: `connect` opens the socket and exchanges ApiVersions at the client's newest
 * version; a broker that does not know it answers v0 with UNSUPPORTED_VERSION and its own
 * range (KIP-511), and the client asks again at min(client max, broker max). Every API
 * then uses min(client max, broker max) (`negotiateVersions`); asking for an API with no
 * common version throws UnsupportedVersionError before anything is sent.
 *
 * Invariants:
 * - Kafka answers a connection's requests in the order they were sent, so the in-flight
 *   requests are a FIFO and each response's correlation id must be the head's; anything
 *   else, or a frame the codec cannot read, or one over `responseFrameBytesMax`, is a
 *   broken stream: the connection closes and every in-flight request fails with
 *   KafkaConnectionError (retriable: a new connection may do better).
 * - At most `inFlightRequestsMax` requests await their response; more wait for a slot,
 *   at most `queuedRequestsMax` of them (beyond that `request` throws at once).
 * - A response frame's declared size (≤ `responseFrameBytesMax`) is allocated once its
 *   prefix is in, and the socket reads the rest straight into it (FrameSplitter's
 *   fillInPlace): the broker is trusted with that much memory, not more.
 * - A request that has no answer within its timeout fails with KafkaTimeoutError and
 *   closes the connection (as Kafka's NetworkClient does: later answers would be out of
 *   step otherwise). Time comes from the runtime Clock.
 * - An AbortSignal fired before the request is written removes it; fired after, the
 *   caller's promise rejects at once and the response, when it comes, is read and dropped.
 * - Requests without a response (Produce with acks=0) resolve once written.
 * Not for concurrent use from several event loops; any number of callers on one loop.
 */
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec, ErrorCode, FrameSplitter, decodeResponseFrame, encodeRequestFrame } from '@samsa/codec/wire';
import type { ApiVersionsResponse, MessageCodec } from '@samsa/codec/wire';
import type { Clock, Connection, TimerHandle, Transport } from '@samsa/runtime';
import { KafkaAbortError, KafkaClientError, KafkaConnectionError, KafkaError, KafkaTimeoutError, abortErrorOf } from '../errors.ts';
import { SILENT_OBSERVER } from '../observability/observer.ts';
import type { Observer } from '../observability/observer.ts';
import type { RequestOutcome } from '../observability/metrics.ts';
import { CLIENT_API_VERSIONS } from './client-api-versions.ts';
import type { VersionRange } from './client-api-versions.ts';
import { negotiateVersions, unsupportedApiError } from './negotiate-versions.ts';
import type { BrokerApiVersion } from './negotiate-versions.ts';

/** A request codec with its response codec: one Kafka API. */
export interface KafkaApi<Req, Res> {
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
}

export interface BrokerConnectionOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly host: string;
  readonly port: number;
  readonly clientId?: string;
  /** Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Requests awaiting their response at once. Default 64. */
  readonly inFlightRequestsMax?: number;
  /** Requests waiting for an in-flight slot. Default 4096. */
  readonly queuedRequestsMax?: number;
  /** Largest response frame accepted (after the size prefix). Default 100 MiB. */
  readonly responseFrameBytesMax?: number;
  /** The versions this client speaks, by API key. Default CLIENT_API_VERSIONS. */
  readonly clientApiVersions?: ReadonlyMap<number, VersionRange>;
  readonly clientSoftwareName?: string;
  readonly clientSoftwareVersion?: string;
  readonly signal?: AbortSignal;
  /** Logger and metrics hooks (request timings, open/close). Default silent. */
  readonly observer?: Observer;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Overrides the connection's request timeout for this request. */
  readonly timeoutMs?: number;
  /** false for requests the broker does not answer (Produce acks=0); resolves `null` once written. */
  readonly expectResponse?: boolean;
}

export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
export const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
export const IN_FLIGHT_REQUESTS_MAX_DEFAULT = 64;
export const QUEUED_REQUESTS_MAX_DEFAULT = 4096;
export const RESPONSE_FRAME_BYTES_MAX_DEFAULT = 100 * 1024 * 1024;
const CORRELATION_ID_MAX = 0x7fffffff;

interface InFlight {
  readonly correlationId: number;
  readonly apiName: string;
  readonly decode: (frame: Uint8Array) => { body: unknown };
  settled: boolean;
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: TimerHandle | null;
  /** Removed once settled, so a long-lived signal does not keep every request alive. */
  abort: { readonly signal: AbortSignal; readonly listener: () => void } | null;
  /** Set only when request metrics are observed. */
  metric: { readonly apiKey: number; readonly apiVersion: number; readonly requestBytes: number; readonly startMs: number } | null;
}

interface Queued {
  readonly start: () => void;
  readonly fail: (error: Error) => void;
}

export class BrokerConnection {
  readonly address: string;
  readonly #socket: Connection;
  readonly #clock: Clock;
  readonly #clientId: string;
  readonly #requestTimeoutMs: number;
  readonly #inFlightMax: number;
  readonly #queuedMax: number;
  readonly #splitter: FrameSplitter;
  readonly #clientVersions: ReadonlyMap<number, VersionRange>;
  readonly #inFlight: InFlight[] = [];
  readonly #queued: Queued[] = [];
  readonly #closeListeners: ((error: KafkaClientError | undefined) => void)[] = [];
  readonly #observer: Observer;
  #versions = new Map<number, number>();
  #brokerVersions: readonly BrokerApiVersion[] = [];
  #nextCorrelationId = 1;
  #closed = false;
  #closeError: KafkaClientError | undefined;

  private constructor(socket: Connection, options: BrokerConnectionOptions) {
    this.address = `${options.host}:${options.port}`;
    this.#socket = socket;
    this.#clock = options.clock;
    this.#clientId = options.clientId ?? 'samsa-client';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    this.#inFlightMax = options.inFlightRequestsMax ?? IN_FLIGHT_REQUESTS_MAX_DEFAULT;
    this.#queuedMax = options.queuedRequestsMax ?? QUEUED_REQUESTS_MAX_DEFAULT;
    this.#clientVersions = options.clientApiVersions ?? CLIENT_API_VERSIONS;
    this.#observer = options.observer ?? SILENT_OBSERVER;
    // Responses fill in place: the transport reads a large answer (a Fetch) straight into
    // one buffer of its declared size, not 64 KiB chunks copied together at the end.
    this.#splitter = new FrameSplitter({ frameBytesMax: options.responseFrameBytesMax ?? RESPONSE_FRAME_BYTES_MAX_DEFAULT, api: 'ResponseFrame', fillInPlace: true });
    if (!(this.#inFlightMax >= 1)) throw new RangeError(`inFlightRequestsMax must be >= 1, got ${this.#inFlightMax}`);
    socket.start({ onData: (chunk) => this.#onData(chunk), onClose: (error) => this.#onSocketClose(error), readBuffer: () => this.#splitter.readBuffer() });
  }

  /** Opens the socket and negotiates versions. Rejects with KafkaConnectionError, KafkaTimeoutError or KafkaAbortError. */
  static async connect(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const address = `${options.host}:${options.port}`;
    const socket = await withDeadline(
      options.transport.connect({ host: options.host, port: options.port }),
      options.clock,
      options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      options.signal,
      () => new KafkaTimeoutError(`${address}: connect timed out`),
      (late) => late.destroy(),
    ).catch((error: unknown) => {
      throw error instanceof KafkaClientError ? error : new KafkaConnectionError(address, `connect failed: ${String(error)}`, { cause: error });
    });
    const connection = new BrokerConnection(socket, options);
    (options.observer ?? SILENT_OBSERVER).connection({ broker: address, event: 'open' });
    try {
      await connection.#handshake(options);
    } catch (error) {
      connection.#fail(error instanceof KafkaClientError ? error : new KafkaConnectionError(address, String(error), { cause: error }));
      throw error;
    }
    return connection;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Requests written and not yet answered. */
  get inFlightCount(): number {
    return this.#inFlight.length;
  }

  /** The negotiated version of `apiKey`, or undefined when client and broker share none. */
  versionOf(apiKey: number): number | undefined {
    return this.#versions.get(apiKey);
  }

  /** Called once when the connection closes: `error` undefined for a local `close()`. */
  onClose(listener: (error: KafkaClientError | undefined) => void): void {
    if (this.#closed) listener(this.#closeError);
    else this.#closeListeners.push(listener);
  }

  /**
   * Sends one request at the negotiated version and resolves with its decoded response.
   * `body` may be a function of the version, for bodies whose shape depends on it.
   */
  request<Req, Res>(api: KafkaApi<Req, Res>, body: Req | ((version: number) => Req), options?: RequestOptions & { expectResponse?: true }): Promise<Res>;
  request<Req, Res>(api: KafkaApi<Req, Res>, body: Req | ((version: number) => Req), options: RequestOptions): Promise<Res | null>;
  request<Req, Res>(api: KafkaApi<Req, Res>, body: Req | ((version: number) => Req), options: RequestOptions = {}): Promise<Res | null> {
    const apiKey = api.request.meta.apiKey;
    const version = this.#versions.get(apiKey);
    if (version === undefined) {
      const broker = this.#brokerVersions.find((b) => b.apiKey === apiKey);
      return Promise.reject(unsupportedApiError(apiKey, this.#clientVersions.get(apiKey), broker));
    }
    const message = typeof body === 'function' ? (body as (version: number) => Req)(version) : body;
    return this.#requestAt(api.request, version, message, options, (frame) => decodeResponseFrame(frame, apiKey, version, api.response)) as Promise<Res | null>;
  }

  /** Closes the socket; in-flight and queued requests fail with KafkaConnectionError. */
  async close(): Promise<void> {
    if (!this.#closed) this.#fail(undefined);
    await this.#socket.close().catch(() => {});
  }

  async #handshake(options: BrokerConnectionOptions): Promise<void> {
    const apiKey = ApiVersionsRequestCodec.meta.apiKey;
    const clientRange = this.#clientVersions.get(apiKey) ?? { minVersion: 0, maxVersion: 0 };
    const body = {
      clientSoftwareName: options.clientSoftwareName ?? 'samsa-client',
      clientSoftwareVersion: options.clientSoftwareVersion ?? '0.0.0',
    };
    const ask = (version: number): Promise<ApiVersionsResponse> =>
      this.#requestAt(ApiVersionsRequestCodec, version, body, { signal: options.signal }, (frame) => decodeApiVersions(frame, version)) as Promise<ApiVersionsResponse>;
    let response = await ask(clientRange.maxVersion);
    if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      const brokerRange = response.apiKeys.find((k) => k.apiKey === apiKey);
      const retryVersion = Math.min(brokerRange?.maxVersion ?? 0, clientRange.maxVersion);
      response = await ask(retryVersion);
    }
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `${this.address}: ApiVersions failed`);
    this.#brokerVersions = response.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion }));
    this.#versions = negotiateVersions(this.#clientVersions, this.#brokerVersions);
  }

  #requestAt<Req>(
    codec: MessageCodec<Req>,
    version: number,
    body: Req,
    options: RequestOptions,
    decode: InFlight['decode'],
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(abortErrorOf(signal));
    return new Promise<unknown>((resolve, reject) => {
      let onAbort: (() => void) | null = null;
      const start = (): void => {
        if (onAbort !== null) signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted === true) return reject(abortErrorOf(signal));
        this.#write(codec, version, body, options, decode, resolve, reject);
      };
      if (this.#inFlight.length < this.#inFlightMax) return start();
      if (this.#queued.length >= this.#queuedMax) {
        return reject(new KafkaConnectionError(this.address, `more than ${this.#queuedMax} requests queued for an in-flight slot`));
      }
      const fail = (error: Error): void => {
        if (onAbort !== null) signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const entry: Queued = { start, fail };
      this.#queued.push(entry);
      if (signal !== undefined) {
        onAbort = (): void => {
          const at = this.#queued.indexOf(entry);
          if (at >= 0) this.#queued.splice(at, 1);
          reject(abortErrorOf(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  #write<Req>(
    codec: MessageCodec<Req>,
    version: number,
    body: Req,
    options: RequestOptions,
    decode: InFlight['decode'],
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
  ): void {
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = correlationId >= CORRELATION_ID_MAX ? 1 : correlationId + 1;
    let frame: Uint8Array;
    try {
      frame = encodeRequestFrame({ requestApiKey: codec.meta.apiKey, requestApiVersion: version, correlationId, clientId: this.#clientId }, codec, body);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      this.#startQueued();
      return;
    }
    const written = this.#socket.write(frame);
    written.catch((error: unknown) => this.#fail(new KafkaConnectionError(this.address, `write failed: ${String(error)}`, { cause: error })));
    if (options.expectResponse === false) {
      written.then(() => resolve(null), () => reject(this.#closedError()));
      return;
    }
    const metric = this.#observer.measuresRequests
      ? { apiKey: codec.meta.apiKey, apiVersion: version, requestBytes: frame.length, startMs: this.#clock.monotonicMs() }
      : null;
    const entry: InFlight = { correlationId, apiName: codec.meta.apiName ?? codec.name, decode, settled: false, resolve, reject, timer: null, abort: null, metric };
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    entry.timer = this.#clock.setTimeout(() => {
      const error = new KafkaTimeoutError(`${this.address}: ${entry.apiName} request ${correlationId} had no response within ${timeoutMs} ms`);
      this.#settle(entry, error);
      this.#fail(new KafkaConnectionError(this.address, `closed after ${entry.apiName} request ${correlationId} timed out`));
    }, timeoutMs);
    const signal = options.signal;
    if (signal !== undefined) {
      const listener = (): void => this.#settle(entry, abortErrorOf(signal));
      entry.abort = { signal, listener };
      signal.addEventListener('abort', listener, { once: true });
    }
    this.#inFlight.push(entry);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    let frames: Uint8Array[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (error) {
      return this.#fail(new KafkaConnectionError(this.address, `malformed response stream: ${String(error)}`, { cause: error }));
    }
    for (const frame of frames) {
      if (this.#closed) return;
      const entry = this.#inFlight.shift();
      if (entry === undefined) return this.#fail(new KafkaConnectionError(this.address, 'a response arrived with no request in flight'));
      // The correlation id is the header's first int32 in every version: check it first.
      const correlationId = frame.length >= 4 ? new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0) : -1;
      if (correlationId !== entry.correlationId) {
        this.#inFlight.unshift(entry);
        return this.#fail(new KafkaConnectionError(this.address, `response correlation id ${correlationId}, expected ${entry.correlationId}`));
      }
      let decoded: { body: unknown };
      try {
        decoded = entry.decode(frame);
      } catch (error) {
        this.#inFlight.unshift(entry);
        return this.#fail(new KafkaConnectionError(this.address, `malformed ${entry.apiName} response: ${String(error)}`, { cause: error }));
      }
      entry.timer?.cancel();
      entry.abort?.signal.removeEventListener('abort', entry.abort.listener);
      if (entry.metric !== null) this.#observeRequest(entry, frame.length, 'ok');
      if (!entry.settled) {
        entry.settled = true;
        entry.resolve(decoded.body);
      }
      this.#startQueued();
    }
  }

  #startQueued(): void {
    while (!this.#closed && this.#inFlight.length < this.#inFlightMax && this.#queued.length > 0) this.#queued.shift()!.start();
  }

  #settle(entry: InFlight, error: Error): void {
    entry.timer?.cancel();
    entry.abort?.signal.removeEventListener('abort', entry.abort.listener);
    if (entry.settled) return;
    entry.settled = true;
    if (entry.metric !== null) {
      this.#observeRequest(entry, 0, error instanceof KafkaTimeoutError ? 'timeout' : error instanceof KafkaAbortError ? 'aborted' : 'connection-error');
    }
    entry.reject(error);
  }

  #observeRequest(entry: InFlight, responseBytes: number, outcome: RequestOutcome): void {
    const m = entry.metric!;
    this.#observer.request({
      broker: this.address,
      api: entry.apiName,
      apiKey: m.apiKey,
      apiVersion: m.apiVersion,
      requestBytes: m.requestBytes,
      responseBytes,
      durationMs: this.#clock.monotonicMs() - m.startMs,
      outcome,
    });
  }

  #onSocketClose(error: Error | undefined): void {
    if (this.#closed) return;
    this.#fail(new KafkaConnectionError(this.address, error === undefined ? 'the broker closed the connection' : `connection lost: ${error.message}`, { cause: error }));
  }

  #closedError(): KafkaClientError {
    return this.#closeError ?? new KafkaConnectionError(this.address, 'the connection is closed');
  }

  /** Closes once: every in-flight and queued request fails, listeners hear `error`. */
  #fail(error: KafkaClientError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    const failure = this.#closedError();
    for (const entry of this.#inFlight.splice(0)) this.#settle(entry, failure);
    for (const queued of this.#queued.splice(0)) queued.fail(failure);
    this.#socket.destroy();
    if (error !== undefined) this.#observer.log('warn', 'broker connection closed', { broker: this.address, error: error.message });
    this.#observer.connection(error === undefined ? { broker: this.address, event: 'close' } : { broker: this.address, event: 'close', error });
    for (const listener of this.#closeListeners.splice(0)) listener(error);
  }
}

/**
 * Reads an ApiVersions response; a broker that does not know `version` answers with v0
 * (KIP-511), so a frame that does not read at `version` is read again at v0.
 */
function decodeApiVersions(frame: Uint8Array, version: number): { correlationId: number; body: ApiVersionsResponse } {
  const apiKey = ApiVersionsRequestCodec.meta.apiKey;
  try {
    return decodeResponseFrame(frame, apiKey, version, ApiVersionsResponseCodec);
  } catch (error) {
    if (version === 0) throw error;
    return decodeResponseFrame(frame, apiKey, 0, ApiVersionsResponseCodec);
  }
}

/** Races `promise` against a clock deadline and a signal; a value that arrives late goes to `onLate`. */
function withDeadline<T>(
  promise: Promise<T>,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
  onLate: (value: T) => void,
): Promise<T> {
  if (signal?.aborted === true) {
    promise.then(onLate, () => {});
    return Promise.reject(abortErrorOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (finish()) reject(signal === undefined ? new KafkaAbortError() : abortErrorOf(signal));
    };
    const timer = clock.setTimeout(() => {
      if (finish()) reject(onTimeout());
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (finish() ? resolve(value) : onLate(value)),
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
