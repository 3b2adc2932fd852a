/**
 * The host's ServeHttp on Deno: the admin handler (Request → Response) served by
 * Deno.serve, which takes Web-standard handlers as they are. Its "Listening on" banner is
 * silenced (stdout carries only the connect and stop lines). A port in use rejects with an
 * error whose code is 'address-in-use' (start-failure.ts names the port). `close` is
 * idempotent and ends open connections.
 */
import type { HttpServer, ServeHttp } from '@samsa/host';

export const serveHttpDeno: ServeHttp = async ({ host, port, handler }) => {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: host, port, onListen: () => {}, onError: (error) => new Response(`internal error: ${(error as Error).message}\n`, { status: 500 }) }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) throw Object.assign(new Error(`${host}:${port} is already in use`, { cause: error }), { code: 'address-in-use' });
    throw error;
  }
  let closed: Promise<void> | null = null;
  const running: HttpServer = { host, port: server.addr.port, close: () => (closed ??= server.shutdown()) };
  return running;
};
