// serveHttp: a Web-standard handler on node:http answers real HTTP requests with the
// handler's status, headers and body; HEAD gets no body; a throwing handler is a 500;
// a port in use rejects with EADDRINUSE; close is idempotent and frees the port.
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp } from './serve-http.ts';
import type { NodeHttpServer } from './serve-http.ts';

describe('serveHttp (node:http adapter)', () => {
  const servers: NodeHttpServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('passes method, path, query and headers in and the Response out', async () => {
    const seen: string[] = [];
    const server = await serveHttp({
      host: '127.0.0.1',
      port: 0,
      handler: async (request) => {
        const url = new URL(request.url);
        seen.push(`${request.method} ${url.pathname}${url.search} ${request.headers.get('x-probe')}`);
        if (url.pathname === '/boom') throw new Error('handler failed');
        return new Response(`hello ${url.pathname}\n`, { status: url.pathname === '/missing' ? 404 : 200, headers: { 'content-type': 'text/plain', 'x-answer': '42' } });
      },
    });
    servers.push(server);
    expect(server.port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${base}/healthz?x=1`, { headers: { 'x-probe': 'p' } });
    expect([ok.status, ok.headers.get('x-answer'), ok.headers.get('content-type'), await ok.text()]).toEqual([200, '42', 'text/plain', 'hello /healthz\n']);
    expect((await fetch(`${base}/missing`)).status).toBe(404);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    const boom = await fetch(`${base}/boom`);
    expect([boom.status, await boom.text()]).toEqual([500, 'internal error: handler failed\n']);
    expect(seen).toEqual(['GET /healthz?x=1 p', 'GET /missing null', 'HEAD /healthz null', 'GET /boom null']);
  });

  it('rejects with EADDRINUSE on a port in use; close is idempotent and frees the port', async () => {
    const handler = async (): Promise<Response> => new Response('x');
    const first = await serveHttp({ host: '127.0.0.1', port: 0, handler });
    const taken = await serveHttp({ host: '127.0.0.1', port: first.port, handler }).catch((e: unknown) => e);
    expect((taken as { code?: string }).code).toBe('EADDRINUSE');
    await Promise.all([first.close(), first.close()]);
    const again = await serveHttp({ host: '127.0.0.1', port: first.port, handler });
    servers.push(again);
    expect(again.port).toBe(first.port);
  });
});
