/**
 * @samsa/runtime/node/http: Web-standard HTTP handlers on node:http (serve-http.ts).
 */
export { CONNECTIONS_MAX, serveHttp, TIMEOUT_MS } from './serve-http.ts';
export type { NodeHttpServer, ServeHttpOptions } from './serve-http.ts';
