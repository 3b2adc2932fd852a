/**
 * The admin HTTP port: GET /metrics (Prometheus text) and GET /healthz.
 *
 * Off unless `--admin-port` is given. Binds the same host as the broker listener by
 * default. /healthz answers 200 "ok" while the broker serves and 503 "shutting down"
 * once shutdown began, so a load balancer drains it first. A second line reports the log
 * dir's space: "disk: ok …" or "disk: low, writes refused …" — still 200, since reads and
 * deletes are served (low-disk protection, see the broker README "Low disk"), plus the
 * header `x-samsa-writes-refused: true|false`.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { DiskGauge } from '@samsa/broker';
import type { BrokerMetrics } from './metrics.ts';

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: BrokerMetrics;
  readonly isHealthy: () => boolean;
  /** The log dir's space for /healthz; omitted: no disk line. */
  readonly disk?: () => DiskGauge | undefined;
}

function diskLine(d: DiskGauge): string {
  const free = d.freeBytes === null ? 'free space unknown' : `${d.freeBytes} bytes free of ${d.totalBytes}`;
  const offline = d.offlinePartitions > 0 ? `, ${d.offlinePartitions} partition(s) offline after storage errors` : '';
  return d.writesRefused
    ? `disk: low, produce and topic creation refused: ${free}, min ${d.freeBytesMin}${offline}\n`
    : `disk: ok, ${free}, min ${d.freeBytesMin}${offline}\n`;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const ok = options.isHealthy();
      const disk = options.disk?.();
      const headers = { 'content-type': 'text/plain', ...(disk === undefined ? {} : { 'x-samsa-writes-refused': String(disk.writesRefused) }) };
      res.writeHead(ok ? 200 : 503, headers).end((ok ? 'ok\n' : 'shutting down\n') + (disk === undefined ? '' : diskLine(disk)));
      return;
    }
    if (path === '/metrics') {
      options.metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': options.metrics.contentType }).end(text),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    host: options.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
