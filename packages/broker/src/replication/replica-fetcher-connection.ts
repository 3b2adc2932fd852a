/**
 * ReplicaFetcherConnection: a follower's connection to one leader broker's replica-fetch
 * listener (replica-fetch-server.ts), the transport of one fetcher.
 *
 * - Kafka's fetcher-thread model: at most one request outstanding. `fetch()` while
 *   another is running rejects with ReplicaFetchError 'busy' (a caller bug, not a wait).
 * - Lazy connect: the first fetch (and the first after a failure) connects through the
 *   runtime Transport and does the Hello; a leader of another cluster or protocol version
 *   refuses it ('handshake-refused', with the leader's error code and message), and a
 *   Hello answered by another broker id or cluster than expected is refused here (the
 *   address now belongs to someone else).
 * - Every request (Hello or fetch) has `socketTimeoutMs` to be answered; past it the
 *   connection is dropped ('timeout'): after a lost answer the stream is not trusted.
 * - After any failure (connect, handshake, timeout, closed, malformed response) the
 *   connection is gone and the next fetch waits until `backoffMs` after the failure
 *   before reconnecting (Kafka's replica.fetch.backoff.ms), so a dead leader costs one
 *   attempt per backoff, not a busy loop.
 * - Responses are bounded by `responseFrameBytesMax` (checked from the length prefix,
 *   before buffering); a response that does not decode, has another request id, or is of
 *   the wrong kind drops the connection ('bad-response').
 * - Records arrive as views of the received frame (no copy). A response frame that spans
 *   socket chunks is joined into one buffer the connection reuses (allocating and zeroing
 *   a fresh one per response was a large share of a follower's garbage-collection work), so
 *   **a fetch response's records are valid until the next `fetch()` on this connection**:
 *   the caller must be done with them (appended) before it asks again. A frame arriving
 *   while the last response is still lent out (a misbehaving leader) gets a fresh buffer.
 * - `close()` drops the connection; a running fetch or backoff wait rejects with 'closed'.
 *
 * Failures are ReplicaFetchError values with a stable `code`; nothing else is thrown for
 * I/O or peer misbehaviour.
 */
import { DecodeError, ErrorCode, RpcFrameSplitter, errorInfo } from '@samsa/codec';
import type { Clock, Connection, TimerHandle, Transport } from '@samsa/runtime';
import { silentLogger, type Logger } from '../observability/logger.ts';
import {
  decodeResponseMessage,
  encodeFetchRequest,
  encodeHelloRequest,
  REPLICA_FETCH_PROTOCOL_VERSION,
  replicaFetchCodec,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
  type ReplicaResponseMessage,
} from './replica-fetch-messages.ts';

/** The reusable response buffer grows in steps of this much (a response a little larger does not reallocate it). */
const FRAME_BUFFER_STEP_BYTES = 1024 * 1024;

export type ReplicaFetchErrorCode = 'busy' | 'closed' | 'connect-failed' | 'handshake-refused' | 'timeout' | 'connection-closed' | 'bad-response';

export class ReplicaFetchError extends Error {
  override readonly name = 'ReplicaFetchError';
  readonly code: ReplicaFetchErrorCode;
  /** The leader's Kafka error code for 'handshake-refused', else NONE. */
  readonly errorCode: number;
  constructor(code: ReplicaFetchErrorCode, message: string, errorCode: number = ErrorCode.NONE) {
    super(`${code}: ${message}`);
    this.code = code;
    this.errorCode = errorCode;
  }
}

export interface LeaderEndpoint {
  readonly brokerId: number;
  readonly host: string;
  /** The leader's registration `replicationPort`. */
  readonly port: number;
}

export interface ReplicaFetcherConnectionOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly clusterId: string;
  /** This (follower) broker's id: the Hello's brokerId and every request's replicaId. */
  readonly brokerId: number;
  readonly leader: LeaderEndpoint;
  /** replica.socket.timeout.ms */
  readonly socketTimeoutMs: number;
  /** replica.fetch.backoff.ms */
  readonly backoffMs: number;
  /** Largest response frame accepted (ReplicaFetchConfig.responseFrameBytesMax). */
  readonly responseFrameBytesMax: number;
}

interface Pending {
  readonly requestId: number;
  readonly kind: ReplicaResponseMessage['kind'];
  readonly resolve: (message: ReplicaResponseMessage) => void;
  readonly reject: (error: ReplicaFetchError) => void;
  readonly timer: TimerHandle;
}

interface Link {
  readonly connection: Connection;
  readonly splitter: RpcFrameSplitter;
  /** False once failed or closed: a new fetch opens a new link. */
  open: boolean;
}

export class ReplicaFetcherConnection {
  readonly leader: LeaderEndpoint;
  readonly #o: ReplicaFetcherConnectionOptions;
  readonly #logger: Logger;
  #link: Link | null = null;
  #pending: Pending | null = null;
  #busy = false;
  #closed = false;
  #nextRequestId = 1;
  /** Monotonic ms before which no reconnect is tried (set by every failure). */
  #retryAtMs = -Infinity;
  #backoff: { readonly timer: TimerHandle; readonly wake: () => void } | null = null;
  #connects = 0;
  /** The reusable buffer response frames are joined into, and whether the last fetch answer still uses it. */
  #frameBuffer: Uint8Array | null = null;
  #frameLent = false;

  constructor(options: ReplicaFetcherConnectionOptions) {
    for (const [name, value] of [['socketTimeoutMs', options.socketTimeoutMs], ['backoffMs', options.backoffMs], ['responseFrameBytesMax', options.responseFrameBytesMax]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
    this.#o = options;
    this.leader = options.leader;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'replica-fetcher', leader: options.leader.brokerId });
  }

  /** Connections opened so far (handshakes attempted). */
  get connectCount(): number {
    return this.#connects;
  }

  get isConnected(): boolean {
    return this.#link?.open === true;
  }

  get isBusy(): boolean {
    return this.#busy;
  }

  /** Sends one fetch and resolves with the leader's answer; rejects with ReplicaFetchError. */
  async fetch(request: ReplicaFetchRequest): Promise<ReplicaFetchResponse> {
    if (this.#closed) throw new ReplicaFetchError('closed', 'the fetcher connection is closed');
    if (this.#busy) throw new ReplicaFetchError('busy', 'a fetch is already outstanding on this connection');
    if (request.replicaId !== this.#o.brokerId) throw new RangeError(`replicaId ${request.replicaId} is not this broker (${this.#o.brokerId})`);
    // Encode first: a request this side cannot encode is a caller bug, thrown before any I/O.
    const requestId = this.#takeRequestId();
    const chunks = encodeFetchRequest(requestId, request);
    this.#busy = true;
    // The caller is done with the previous answer's records (the contract above).
    this.#frameLent = false;
    try {
      const link = await this.#ready();
      const reply = await this.#roundTrip(link, requestId, 'fetch', chunks);
      if (reply.kind !== 'fetch') throw new ReplicaFetchError('bad-response', 'a Hello answered a fetch');
      return reply.fetch;
    } finally {
      this.#busy = false;
    }
  }

  /** Drops the connection; a running fetch or backoff wait rejects with 'closed'. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#backoff?.timer.cancel();
    this.#backoff?.wake();
    this.#fail(new ReplicaFetchError('closed', 'the fetcher connection was closed'), false);
    return Promise.resolve();
  }

  /** The open link, or a new one after the backoff, connected and past the Hello. */
  async #ready(): Promise<Link> {
    if (this.#link?.open === true) return this.#link;
    await this.#waitBackoff();
    if (this.#closed) throw new ReplicaFetchError('closed', 'the fetcher connection was closed');
    const { host, port, brokerId } = this.#o.leader;
    let connection: Connection;
    this.#connects++;
    try {
      connection = await this.#o.transport.connect({ host, port });
    } catch (error) {
      this.#retryAtMs = this.#o.clock.monotonicMs() + this.#o.backoffMs;
      throw new ReplicaFetchError('connect-failed', `cannot connect to broker ${brokerId} at ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.#closed) {
      connection.destroy();
      throw new ReplicaFetchError('closed', 'the fetcher connection was closed');
    }
    const splitter = new RpcFrameSplitter({ frameBytesMax: this.#o.responseFrameBytesMax, codec: replicaFetchCodec, assembleInto: (bytes) => this.#frameBufferFor(bytes) });
    const link: Link = { connection, splitter, open: true };
    this.#link = link;
    connection.start({ onData: (chunk) => this.#onData(link, chunk), onClose: () => this.#linkClosed(link) });
    const requestId = this.#takeRequestId();
    const hello = encodeHelloRequest(requestId, { protocolVersion: REPLICA_FETCH_PROTOCOL_VERSION, clusterId: this.#o.clusterId, brokerId: this.#o.brokerId });
    const reply = await this.#roundTrip(link, requestId, 'hello', hello);
    if (reply.kind !== 'hello') throw new ReplicaFetchError('bad-response', 'a fetch response answered the Hello');
    if (reply.hello.errorCode !== ErrorCode.NONE) {
      const error = new ReplicaFetchError('handshake-refused', `broker ${brokerId} refused the Hello: ${errorInfo(reply.hello.errorCode).name}: ${reply.hello.message}`, reply.hello.errorCode);
      this.#logger.warn({ errorCode: reply.hello.errorCode, leaderMessage: reply.hello.message }, 'replica fetch: the leader refused the Hello');
      this.#fail(error, true);
      throw error;
    }
    if (reply.hello.brokerId !== brokerId || reply.hello.clusterId !== this.#o.clusterId) {
      // Another broker on that address (the leader moved and its port was reused): not ours to copy.
      const error = new ReplicaFetchError('handshake-refused', `${host}:${port} answered as broker ${reply.hello.brokerId} of cluster ${reply.hello.clusterId}, expected broker ${brokerId} of ${this.#o.clusterId}`);
      this.#logger.warn({ answeredBrokerId: reply.hello.brokerId }, `replica fetch: ${error.message}`);
      this.#fail(error, true);
      throw error;
    }
    return link;
  }

  #waitBackoff(): Promise<void> {
    const waitMs = this.#retryAtMs - this.#o.clock.monotonicMs();
    if (waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#backoff = null;
        resolve();
      };
      this.#backoff = { timer: this.#o.clock.setTimeout(wake, waitMs), wake };
    });
  }

  #roundTrip(link: Link, requestId: number, kind: Pending['kind'], chunks: Uint8Array[]): Promise<ReplicaResponseMessage> {
    return new Promise<ReplicaResponseMessage>((resolve, reject) => {
      if (!link.open) return reject(new ReplicaFetchError('connection-closed', `the connection to broker ${this.#o.leader.brokerId} closed`));
      const timer = this.#o.clock.setTimeout(
        () => this.#fail(new ReplicaFetchError('timeout', `broker ${this.#o.leader.brokerId} did not answer within ${this.#o.socketTimeoutMs} ms`), true),
        this.#o.socketTimeoutMs,
      );
      this.#pending = { requestId, kind, resolve, reject, timer };
      link.connection.write(chunks).catch(() => {
        if (link.open) this.#fail(new ReplicaFetchError('connection-closed', `writing to broker ${this.#o.leader.brokerId} failed`), true);
      });
    });
  }

  /** The reusable frame buffer (grown to `bytes`, in MiB steps), or null while the last answer uses it. */
  #frameBufferFor(bytes: number): Uint8Array | null {
    if (this.#frameLent) return null;
    if (this.#frameBuffer === null || this.#frameBuffer.byteLength < bytes) {
      this.#frameBuffer = new Uint8Array(Math.min(this.#o.responseFrameBytesMax, Math.ceil(bytes / FRAME_BUFFER_STEP_BYTES) * FRAME_BUFFER_STEP_BYTES));
    }
    return this.#frameBuffer;
  }

  #onData(link: Link, chunk: Uint8Array): void {
    if (!link.open) return;
    try {
      for (const frame of link.splitter.push(chunk)) {
        const message = decodeResponseMessage(frame);
        const pending = this.#pending;
        if (pending === null || pending.requestId !== frame.requestId || pending.kind !== message.kind) {
          throw new ReplicaFetchError('bad-response', `an unexpected ${message.kind} response (request id ${frame.requestId})`);
        }
        this.#pending = null;
        pending.timer.cancel();
        if (message.kind === 'fetch') this.#frameLent = true;
        pending.resolve(message);
      }
    } catch (error) {
      if (error instanceof DecodeError) return this.#fail(new ReplicaFetchError('bad-response', `malformed response from broker ${this.#o.leader.brokerId}: ${error.message}`), true);
      if (error instanceof ReplicaFetchError) return this.#fail(error, true);
      throw error;
    }
  }

  #linkClosed(link: Link): void {
    if (link.open) this.#fail(new ReplicaFetchError('connection-closed', `the connection to broker ${this.#o.leader.brokerId} closed`), true);
  }

  /** Drops the link, rejects the pending request with `error`; `backoff` arms the reconnect delay. */
  #fail(error: ReplicaFetchError, backoff: boolean): void {
    const link = this.#link;
    if (link !== null && link.open) {
      link.open = false;
      link.connection.destroy();
      if (error.code !== 'closed') this.#logger.info({ reason: error.message }, 'replica fetch: connection to the leader dropped');
    }
    this.#link = null;
    if (backoff) this.#retryAtMs = this.#o.clock.monotonicMs() + this.#o.backoffMs;
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null) {
      pending.timer.cancel();
      pending.reject(error);
    }
  }

  #takeRequestId(): number {
    const id = this.#nextRequestId;
    this.#nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }
}
