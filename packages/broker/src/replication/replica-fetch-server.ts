/**
 * ReplicaFetchServer: the leader side of replica fetch, an internal listener
 * (`replica.listener`) that brokers of the same cluster connect to with
 * ReplicaFetcherConnection. Each connection (replica-fetch-server-connection.ts) does the
 * Hello, then hands every fetch request to the broker's ReplicaFetchHandler and writes its
 * answer back; record batches leave as the handler's own arrays (RPC attachments handed
 * to the transport's vectored write), never copied or re-encoded here.
 *
 * Bounds: at most `connectionsMax` connections (one more is closed at once, with a
 * rate-limited warning), request frames of at most `requestFrameBytesMax` bytes (refused
 * from their length prefix), at most `inFlightMax` requests per connection (reading
 * pauses at the bound), a Hello within `handshakeTimeoutMs`.
 *
 * Long polls are the handler's job: the server passes `maxWaitMs` through untouched.
 * `close()` stops accepting, aborts every handler's signal, waits until they have all
 * returned (a handler must honour its signal), then drops the connections.
 */
import type { Clock, Connection, Listener, Transport } from '@samsa/runtime';
import { RateLimitedLog, silentLogger, type Logger } from '../observability/logger.ts';
import { ReplicaFetchServerConnection, type ReplicaFetchHandler } from './replica-fetch-server-connection.ts';

export type { ReplicaFetchHandler } from './replica-fetch-server-connection.ts';

export interface ReplicaFetchServerOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Peers naming another cluster in their Hello are refused. */
  readonly clusterId: string;
  /** This broker's id, sent in the Hello response. */
  readonly brokerId: number;
  readonly host: string;
  /** 0: any free port; read the chosen one from `port`. */
  readonly port: number;
  readonly handler: ReplicaFetchHandler;
  /** Largest request frame (bytes after the length prefix). Default 4 MiB: 10,000 partitions fit. */
  readonly requestFrameBytesMax?: number;
  /** Requests handled or being answered at once per connection. Default 4 (a fetcher sends one at a time). */
  readonly inFlightMax?: number;
  /** Default 1024 (followers × num.replica.fetchers). */
  readonly connectionsMax?: number;
  /** Default 10,000 ms. */
  readonly handshakeTimeoutMs?: number;
}

export const REQUEST_FRAME_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
export const IN_FLIGHT_MAX_DEFAULT = 4;
export const CONNECTIONS_MAX_DEFAULT = 1024;
export const HANDSHAKE_TIMEOUT_MS_DEFAULT = 10_000;

export class ReplicaFetchServer {
  readonly #o: ReplicaFetchServerOptions;
  readonly #logger: Logger;
  readonly #connections = new Set<ReplicaFetchServerConnection>();
  readonly #refusedLog = new RateLimitedLog();
  #listener: Listener | null = null;
  #closing: Promise<void> | null = null;

  private constructor(options: ReplicaFetchServerOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'replica-fetch-server' });
  }

  /** Listens on `host:port`; rejects with the transport's error (e.g. address in use). */
  static async start(options: ReplicaFetchServerOptions): Promise<ReplicaFetchServer> {
    for (const [name, value] of [
      ['requestFrameBytesMax', options.requestFrameBytesMax],
      ['inFlightMax', options.inFlightMax],
      ['connectionsMax', options.connectionsMax],
      ['handshakeTimeoutMs', options.handshakeTimeoutMs],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    const server = new ReplicaFetchServer(options);
    server.#listener = await options.transport.listen({ host: options.host, port: options.port }, (connection) => server.#accept(connection));
    return server;
  }

  get host(): string {
    return this.#listener?.host ?? this.#o.host;
  }

  /** The bound port (what the broker registration's `replicationPort` carries). */
  get port(): number {
    return this.#listener?.port ?? 0;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Stops accepting, ends every handler (signal), waits for them, drops the connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#listener?.close();
    const connections = [...this.#connections];
    for (const c of connections) c.abort();
    await Promise.all(connections.map((c) => c.settled()));
    for (const c of connections) c.destroy();
  }

  #accept(connection: Connection): void {
    const o = this.#o;
    const connectionsMax = o.connectionsMax ?? CONNECTIONS_MAX_DEFAULT;
    if (this.#closing !== null || this.#connections.size >= connectionsMax) {
      const reason = this.#closing !== null ? 'the server is closing' : `${connectionsMax} connections open`;
      this.#refusedLog.maybeLog(reason, o.clock.monotonicMs(), (dropped) =>
        this.#logger.warn({ peer: `${connection.remoteAddress}:${connection.remotePort}`, refusedSinceLastLog: dropped }, `replica fetch: refusing a connection: ${reason}`),
      );
      connection.destroy();
      return;
    }
    const c: ReplicaFetchServerConnection = new ReplicaFetchServerConnection(connection, {
      clock: o.clock,
      logger: this.#logger,
      clusterId: o.clusterId,
      brokerId: o.brokerId,
      handler: o.handler,
      frameBytesMax: o.requestFrameBytesMax ?? REQUEST_FRAME_BYTES_MAX_DEFAULT,
      inFlightMax: o.inFlightMax ?? IN_FLIGHT_MAX_DEFAULT,
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS_DEFAULT,
      onGone: () => this.#connections.delete(c),
    });
    this.#connections.add(c);
  }
}
