/**
 * One follower's connection to a leader's replica-fetch listener, on the server side
 * (replica-fetch-server.ts accepts it and owns its lifetime).
 *
 * Protocol (replica-fetch-messages.ts): the first frame must be a Hello request; the
 * answer is a Hello response with NONE, or with INCONSISTENT_CLUSTER_ID /
 * UNSUPPORTED_VERSION after which the connection closes. Then every frame is a fetch
 * request whose replicaId is the broker id the Hello named; each is passed to the
 * handler and its answer written back with the request's id.
 *
 * Bounds and backpressure:
 * - Frames are cut by an RpcFrameSplitter bounded by `frameBytesMax`: an oversized frame
 *   is refused from its 4-byte prefix, before anything is allocated for it.
 * - At most `inFlightMax` requests are being handled or having their response written;
 *   a request counts until its response is accepted by the transport (whose write
 *   resolves only below its high-water mark). At the bound the socket is paused, so a
 *   peer that sends faster than it reads stalls itself, not the server; frames already
 *   cut from the last chunk wait in a backlog of at most BACKLOG_FRAMES_MAX.
 * - A connection that does not complete the Hello within `handshakeTimeoutMs` is closed.
 * - Anything malformed (a frame that does not decode, a message of the wrong kind, a
 *   request before the Hello, a replicaId other than the peer's) closes the connection
 *   with one warning naming the peer and the reason; nothing is half-processed.
 *
 * Records are read into a per-request buffer of the connection's ReadScratchPool (at most
 * `inFlightMax` kept, each ≤ READ_SCRATCH_BYTES_MAX), given back once the response is written.
 *
 * Shutdown: `abort()` fires the handlers' signal (long polls end), `settled()` resolves
 * when no handler runs any more, `destroy()` drops the socket.
 */
import { DecodeError, ErrorCode, RpcFrameSplitter, type RpcFrame } from '@samsa/codec';
import type { Clock, Connection, TimerHandle } from '@samsa/runtime';
import type { Logger } from '../observability/logger.ts';
import { ReadScratchPool } from '../connection/read-scratch-pool.ts';
import {
  decodeRequestMessage,
  encodeFetchResponse,
  encodeHelloResponse,
  REPLICA_FETCH_PROTOCOL_VERSION,
  replicaFetchCodec,
  type HelloRequest,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
} from './replica-fetch-messages.ts';

/**
 * The leader's side of a fetch: long polls up to `request.maxWaitMs`, ends early when
 * `signal` aborts. `scratch` is this request's own buffer to read records into (the answer's
 * records may be views of it until the response is written; see ../connection/read-scratch-pool.ts).
 */
export type ReplicaFetchHandler = (request: ReplicaFetchRequest, signal: AbortSignal, scratch?: Uint8Array) => Promise<ReplicaFetchResponse>;

export interface ServerConnectionOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly clusterId: string;
  readonly brokerId: number;
  readonly handler: ReplicaFetchHandler;
  readonly frameBytesMax: number;
  readonly inFlightMax: number;
  readonly handshakeTimeoutMs: number;
  /** Called once when the connection is gone (either side closed it). */
  readonly onGone: () => void;
}

/** Frames cut from one chunk beyond the in-flight bound wait here; more is a misbehaving peer. */
export const BACKLOG_FRAMES_MAX = 1024;
/** Largest read scratch kept per request (a response above it reads into fresh buffers). */
export const READ_SCRATCH_BYTES_MAX = 16 * 1024 * 1024;
/** Beyond a request's maxBytes: a read starts up to one index interval before its batch. */
const READ_SCRATCH_SLACK_BYTES = 64 * 1024;

export class ReplicaFetchServerConnection {
  readonly peer: string;
  readonly #connection: Connection;
  readonly #o: ServerConnectionOptions;
  readonly #splitter: RpcFrameSplitter;
  readonly #abort = new AbortController();
  readonly #backlog: RpcFrame[] = [];
  readonly #scratch: ReadScratchPool;
  #peerBrokerId = -1;
  #state: 'hello' | 'ready' | 'closing' | 'closed' = 'hello';
  #inFlight = 0;
  #paused = false;
  #handshakeTimer: TimerHandle | null;
  #idle: (() => void)[] = [];

  constructor(connection: Connection, options: ServerConnectionOptions) {
    this.#connection = connection;
    this.#o = options;
    this.peer = `${connection.remoteAddress}:${connection.remotePort}`;
    this.#splitter = new RpcFrameSplitter({ frameBytesMax: options.frameBytesMax, codec: replicaFetchCodec });
    this.#scratch = new ReadScratchPool({ keepMax: options.inFlightMax, bufferBytesMax: READ_SCRATCH_BYTES_MAX });
    this.#handshakeTimer = options.clock.setTimeout(() => this.#violation('no Hello within the handshake timeout'), options.handshakeTimeoutMs);
    connection.start({ onData: (chunk) => this.#onData(chunk), onClose: () => this.#gone() });
  }

  /** The broker id the peer named in its Hello; -1 before. */
  get peerBrokerId(): number {
    return this.#peerBrokerId;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Ends the handlers' long polls (their signal aborts); no new request is dispatched. */
  abort(): void {
    if (this.#state === 'hello' || this.#state === 'ready') this.#state = 'closing';
    this.#abort.abort();
  }

  /** Resolves once no request of this connection is in flight. */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  destroy(): void {
    this.#abort.abort();
    this.#connection.destroy();
    this.#gone();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#state !== 'hello' && this.#state !== 'ready') return;
    let frames: RpcFrame[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return this.#violation(`malformed frame: ${error.message}`);
    }
    for (const frame of frames) this.#backlog.push(frame);
    if (this.#backlog.length > BACKLOG_FRAMES_MAX) return this.#violation(`more than ${BACKLOG_FRAMES_MAX} requests queued behind ${this.#o.inFlightMax} in flight`);
    this.#drain();
  }

  /** Dispatches backlog frames while below the in-flight bound; pauses reading at it. */
  #drain(): void {
    while (this.#backlog.length > 0 && this.#inFlight < this.#o.inFlightMax && (this.#state === 'hello' || this.#state === 'ready')) {
      this.#dispatch(this.#backlog.shift()!);
    }
    const full = this.#inFlight >= this.#o.inFlightMax || this.#backlog.length > 0;
    if (full && !this.#paused) {
      this.#paused = true;
      this.#connection.pause();
    } else if (!full && this.#paused && this.#state !== 'closed') {
      this.#paused = false;
      this.#connection.resume();
    }
  }

  #dispatch(frame: RpcFrame): void {
    let message;
    try {
      message = decodeRequestMessage(frame);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return this.#violation(`malformed request: ${error.message}`);
    }
    if (message.kind === 'hello') {
      if (this.#state !== 'hello') return this.#violation('a second Hello');
      return this.#hello(frame.requestId, message.hello);
    }
    if (this.#state !== 'ready') return this.#violation('a fetch before the Hello');
    if (message.fetch.replicaId !== this.#peerBrokerId) return this.#violation(`replicaId ${message.fetch.replicaId} on the connection of broker ${this.#peerBrokerId}`);
    this.#inFlight++;
    void this.#serve(frame.requestId, message.fetch);
  }

  #hello(requestId: number, hello: HelloRequest): void {
    this.#handshakeTimer?.cancel();
    this.#handshakeTimer = null;
    const o = this.#o;
    let errorCode: number = ErrorCode.NONE;
    let message = '';
    if (hello.protocolVersion !== REPLICA_FETCH_PROTOCOL_VERSION) {
      errorCode = ErrorCode.UNSUPPORTED_VERSION;
      message = `replica fetch protocol version ${hello.protocolVersion} is not supported (this broker speaks ${REPLICA_FETCH_PROTOCOL_VERSION})`;
    } else if (hello.clusterId !== o.clusterId) {
      errorCode = ErrorCode.INCONSISTENT_CLUSTER_ID;
      message = `broker ${o.brokerId} belongs to cluster ${o.clusterId}, not ${hello.clusterId}`;
    }
    const reply = encodeHelloResponse(requestId, { protocolVersion: REPLICA_FETCH_PROTOCOL_VERSION, clusterId: o.clusterId, brokerId: o.brokerId, errorCode, message });
    if (errorCode !== ErrorCode.NONE) {
      o.logger.warn({ peer: this.#peer(), peerBrokerId: hello.brokerId, peerClusterId: hello.clusterId.slice(0, 64), errorCode }, `replica fetch: refusing the peer: ${message}`);
      this.#state = 'closing';
      this.#connection.write(reply).then(() => this.#connection.close(), () => undefined).catch(() => undefined);
      return;
    }
    this.#peerBrokerId = hello.brokerId;
    this.#state = 'ready';
    this.#connection.write(reply).catch(() => this.destroy());
  }

  async #serve(requestId: number, request: ReplicaFetchRequest): Promise<void> {
    const scratch = this.#scratch.take(request.maxBytes + READ_SCRATCH_SLACK_BYTES);
    try {
      let response: ReplicaFetchResponse;
      try {
        response = await this.#o.handler(request, this.#abort.signal, scratch);
      } catch (error) {
        this.#o.logger.warn({ peer: this.#peer(), error: errorText(error) }, 'replica fetch: the handler failed');
        response = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, partitions: [] };
      }
      if (this.#state === 'closed') return;
      let chunks: Uint8Array[];
      try {
        chunks = encodeFetchResponse(requestId, response);
      } catch (error) {
        this.#o.logger.error({ peer: this.#peer(), error: errorText(error) }, 'replica fetch: the handler returned a response that does not encode');
        chunks = encodeFetchResponse(requestId, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, partitions: [] });
      }
      // Resolves once the transport is below its high-water mark: a follower that does not
      // read keeps this request in flight, and at the bound the socket stays paused.
      await this.#connection.write(chunks);
      // The transport neither copies nor keeps a chunk once the write resolved.
      this.#scratch.give(scratch);
    } catch {
      this.destroy();
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
      this.#drain();
    }
  }

  #violation(reason: string): void {
    if (this.#state === 'closed') return;
    this.#o.logger.warn({ peer: this.#peer(), reason }, `replica fetch: closing the connection: ${reason}`);
    this.destroy();
  }

  #peer(): string {
    return this.#peerBrokerId >= 0 ? `${this.peer} (broker ${this.#peerBrokerId})` : this.peer;
  }

  #gone(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#handshakeTimer?.cancel();
    this.#handshakeTimer = null;
    this.#backlog.length = 0;
    this.#abort.abort();
    this.#o.onGone();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
