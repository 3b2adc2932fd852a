/**
 * serveHttp: a Web-standard handler, `(request: Request) => Promise<Response>`, on a
 * node:http server. The small Node adapter behind the broker's admin port (Deno uses
 * Deno.serve for the same handler).
 *
 * Request bodies are not read: the request reaches the handler without one (the admin
 * routes take none). Bounds: at most CONNECTIONS_MAX open connections, headers and the
 * whole request within TIMEOUT_MS, response bodies are buffered whole (the handler's
 * bodies are small text). A handler that throws answers 500. A port in use rejects with
 * Node's EADDRINUSE error. `close` drops open connections (keep-alive included), so a
 * scraper cannot hold shutdown; it is idempotent.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export const CONNECTIONS_MAX = 64;
export const TIMEOUT_MS = 10_000;

export interface NodeHttpServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServeHttpOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly handler: (request: Request) => Promise<Response>;
}

function toRequest(req: IncomingMessage, host: string, port: number): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Request(new URL(req.url ?? '/', `http://${authority}`), { method: req.method ?? 'GET', headers });
}

async function answer(handler: ServeHttpOptions['handler'], request: Request, res: ServerResponse): Promise<void> {
  let response: Response;
  try {
    response = await handler(request);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error: ${(error as Error).message}\n`);
    return;
  }
  const body = response.body === null ? null : new Uint8Array(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== null) headers['content-length'] = String(body.byteLength);
  res.writeHead(response.status, headers);
  res.end(body ?? undefined);
}

export async function serveHttp(options: ServeHttpOptions): Promise<NodeHttpServer> {
  let port = options.port;
  const server: Server = createServer((req, res) => {
    answer(options.handler, toRequest(req, options.host, port), res).catch((error: Error) => res.destroy(error));
  });
  server.headersTimeout = TIMEOUT_MS;
  server.requestTimeout = TIMEOUT_MS;
  server.maxConnections = CONNECTIONS_MAX;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : options.port;
  let closed: Promise<void> | null = null;
  return {
    host: options.host,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
