/**
 * The admin endpoints as a Web-standard handler, `(request: Request) => Promise<Response>`:
 * GET /metrics (Prometheus text) and GET /healthz. Each app serves it with its runtime's
 * HTTP server (Node: @samsa/runtime/node/http; Deno: its built-in `serve`), through `ServeHttp`
 * (http-server.ts); tests call it with a plain Request.
 *
 * /healthz answers 200 "ok" while the broker serves and 503 "shutting down" before it is
 * open and once shutdown began, so a load balancer drains it first. A second line reports
 * the log dir's space: "disk: ok …" or "disk: low, produce and topic creation refused …" —
 * still 200, since reads and deletes are served (low-disk protection, see the broker README
 * "Low disk"), plus the header `x-samsa-writes-refused: true|false`. Other methods than
 * GET and HEAD get 405, other paths 404. The handler never throws: a failed scrape is a 500
 * naming the cause. Request bodies are never read.
 */
import type { DiskGauge } from '@samsa/broker';
import type { HttpHandler } from './http-server.ts';

export interface AdminHandlerOptions {
  /** The /metrics body and its content type (BrokerMetrics). */
  readonly metrics: { text(): Promise<string>; readonly contentType: string };
  readonly isHealthy: () => boolean;
  /** The log dir's space for /healthz; omitted or undefined: no disk line. */
  readonly disk?: () => DiskGauge | undefined;
}

function diskLine(d: DiskGauge): string {
  const free = d.freeBytes === null ? 'free space unknown' : `${d.freeBytes} bytes free of ${d.totalBytes}`;
  const offline = d.offlinePartitions > 0 ? `, ${d.offlinePartitions} partition(s) offline after storage errors` : '';
  return d.writesRefused
    ? `disk: low, produce and topic creation refused: ${free}, min ${d.freeBytesMin}${offline}\n`
    : `disk: ok, ${free}, min ${d.freeBytesMin}${offline}\n`;
}

const TEXT = 'text/plain';

export function createAdminHandler(options: AdminHandlerOptions): HttpHandler {
  const respond = (request: Request, body: string, init: ResponseInit): Response => new Response(request.method === 'HEAD' ? null : body, init);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    const path = new URL(request.url).pathname;
    if (path === '/healthz') {
      const ok = options.isHealthy();
      const disk = options.disk?.();
      const headers: Record<string, string> = { 'content-type': TEXT };
      if (disk !== undefined) headers['x-samsa-writes-refused'] = String(disk.writesRefused);
      return respond(request, (ok ? 'ok\n' : 'shutting down\n') + (disk === undefined ? '' : diskLine(disk)), { status: ok ? 200 : 503, headers });
    }
    if (path === '/metrics') {
      try {
        const text = await options.metrics.text();
        return respond(request, text, { status: 200, headers: { 'content-type': options.metrics.contentType } });
      } catch (error) {
        return respond(request, `metrics failed: ${(error as Error).message}\n`, { status: 500, headers: { 'content-type': TEXT } });
      }
    }
    return respond(request, 'not found: try /metrics or /healthz\n', { status: 404, headers: { 'content-type': TEXT } });
  };
}
