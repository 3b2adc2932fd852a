// The admin endpoints as a plain Request → Response handler (no server): /healthz is 200
// "ok" while healthy and 503 "shutting down" otherwise, /metrics is the Prometheus text
// with its content type, HEAD answers without a body, other paths 404, other methods 405,
// and a failed scrape is a 500 naming the cause.
import { describe, expect, it } from 'vitest';
import { createAdminHandler } from './admin-handler.ts';
import { BrokerMetrics } from './metrics/broker-metrics.ts';

const url = (path: string): string => `http://127.0.0.1:9644${path}`;

describe('createAdminHandler', () => {
  it('serves /metrics, /healthz (503 once unhealthy) and 404 elsewhere', async () => {
    const metrics = new BrokerMetrics();
    metrics.connectionsChanged(1);
    let healthy = true;
    const handler = createAdminHandler({ metrics, isHealthy: () => healthy });
    const health = await handler(new Request(url('/healthz')));
    expect([health.status, health.headers.get('content-type'), health.headers.get('x-samsa-writes-refused'), await health.text()]).toEqual([200, 'text/plain', null, 'ok\n']);
    const res = await handler(new Request(url('/metrics?name=x')));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toMatch(/^samsa_connections 1$/m);
    healthy = false;
    const draining = await handler(new Request(url('/healthz')));
    expect([draining.status, await draining.text()]).toEqual([503, 'shutting down\n']);
    const missing = await handler(new Request(url('/other')));
    expect([missing.status, await missing.text()]).toEqual([404, 'not found: try /metrics or /healthz\n']);
    const post = await handler(new Request(url('/metrics'), { method: 'POST', body: 'x' }));
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('answers HEAD without a body and a failed scrape with a 500', async () => {
    const failing = { contentType: 'text/plain', text: () => Promise.reject(new Error('registry broke')) };
    const handler = createAdminHandler({ metrics: failing, isHealthy: () => true });
    const head = await handler(new Request(url('/healthz'), { method: 'HEAD' }));
    expect([head.status, head.body, await head.text()]).toEqual([200, null, '']);
    const res = await handler(new Request(url('/metrics')));
    expect([res.status, await res.text()]).toEqual([500, 'metrics failed: registry broke\n']);
  });
});
