/**
 * The seam between the host's HTTP handlers and a runtime's HTTP server. The host speaks
 * Web standards only (Request in, Response out); an app passes a `ServeHttp` that binds a
 * real port: `serveHttp` from @samsa/runtime/node/http on Node (its HTTP module), Deno's `serve`
 * in apps/broker-deno. A port in use must reject with an error whose `code` is
 * 'address-in-use' (or Node's EADDRINUSE), so start-failure.ts can name it.
 */

export type HttpHandler = (request: Request) => Promise<Response>;

export interface HttpServer {
  /** The bound host and port (port 0 asked: the one the system chose). */
  readonly host: string;
  readonly port: number;
  /** Stops accepting, closes open connections; idempotent. */
  close(): Promise<void>;
}

export interface ServeHttpOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly handler: HttpHandler;
}

export type ServeHttp = (options: ServeHttpOptions) => Promise<HttpServer>;
