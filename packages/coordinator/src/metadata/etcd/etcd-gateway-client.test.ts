// The gateway client's failover and failure mapping, over a scripted fetch (no etcd): which
// failures move to the next endpoint, which end the call, and which make a write
// unknown-outcome. Real etcd is exercised in test/cluster/etcd-store.test.ts.
import { describe, expect, it } from 'vitest';
import { createRandom, systemClock } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';
import { EtcdGatewayClient } from './etcd-gateway-client.ts';
import type { FetchFunction } from './etcd-gateway-client.ts';

type Script = (url: string, signal: AbortSignal) => Promise<Response>;

function client(script: Script, extra: { requestTimeoutMs?: number; attemptsMax?: number; responseBytesMax?: number } = {}): { client: EtcdGatewayClient; calls: string[] } {
  const calls: string[] = [];
  const fetch: FetchFunction = (url, init) => {
    calls.push(url);
    return script(url, init.signal!);
  };
  return { client: new EtcdGatewayClient({ endpoints: ['http://a:1', 'b:2/'], clock: systemClock, random: createRandom(7), backoffBaseMs: 1, backoffMaxMs: 2, fetch, ...extra }), calls };
}

const refused = (): Promise<Response> => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }));
const json = (body: unknown, status = 200): Promise<Response> => Promise.resolve(new Response(JSON.stringify(body), { status }));
const never = (_url: string, signal: AbortSignal): Promise<Response> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true }));

async function failure(promise: Promise<unknown>): Promise<MetadataStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MetadataStoreError) return error;
    throw error;
  }
  throw new Error('expected a MetadataStoreError');
}

describe('EtcdGatewayClient', () => {
  it('moves a refused connection to the next endpoint, for writes too, and stays there', async () => {
    const { client: c, calls } = client((url) => (url.startsWith('http://a:1') ? refused() : json({ header: { revision: '9' } })));
    expect(await c.call('/v3/kv/put', {}, 'write')).toEqual({ header: { revision: '9' } });
    expect(await c.call('/v3/kv/range', {}, 'read')).toEqual({ header: { revision: '9' } });
    expect(calls).toEqual(['http://a:1/v3/kv/put', 'http://b:2/v3/kv/put', 'http://b:2/v3/kv/range']);
    expect(c.currentEndpoint).toBe('http://b:2');
  });

  it('retries a 503 and "no leader" elsewhere, and gives up unavailable after attemptsMax', async () => {
    const { client: c, calls } = client((url) => (url.startsWith('http://a:1') ? json({ error: 'etcdserver: no leader', message: 'etcdserver: no leader', code: 14 }, 503) : json('busy', 503)), { attemptsMax: 3 });
    const error = await failure(c.call('/v3/kv/put', {}, 'write'));
    expect(error.code).toBe('unavailable');
    expect(calls).toHaveLength(3);
  });

  it('makes a write whose answer never comes unknown-outcome and does not re-send it; a read is retried', async () => {
    const { client: c, calls } = client(never, { requestTimeoutMs: 30 });
    expect((await failure(c.call('/v3/kv/put', {}, 'write'))).code).toBe('unknown-outcome');
    expect(calls).toHaveLength(1);
    expect((await failure(c.call('/v3/kv/range', {}, 'read'))).code).toBe('unavailable');
    expect(calls).toHaveLength(1 + 4);
  });

  it('a call’s own timeoutMs bounds each attempt: a member that holds it is left for the next one', async () => {
    // Endpoint a never answers (a member forwarding to a cut-off raft leader); b answers.
    const { client: c, calls } = client((url, signal) => (url.startsWith('http://a:1') ? never(url, signal) : json({ result: { TTL: '3' } })), { requestTimeoutMs: 60_000 });
    const started = systemClock.monotonicMs();
    expect(await c.call('/v3/lease/keepalive', { ID: '1' }, 'read', { timeoutMs: 40 })).toEqual({ result: { TTL: '3' } });
    expect(systemClock.monotonicMs() - started).toBeLessThan(10_000);
    expect(calls).toEqual(['http://a:1/v3/lease/keepalive', 'http://b:2/v3/lease/keepalive']);
    await expect(c.call('/v3/kv/range', {}, 'read', { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('makes etcd’s own "request timed out" unknown-outcome for a write', async () => {
    const { client: c } = client(() => json({ error: 'etcdserver: request timed out', message: 'etcdserver: request timed out', code: 14 }, 503));
    expect((await failure(c.call('/v3/kv/txn', {}, 'write'))).code).toBe('unknown-outcome');
  });

  it('maps lease not found and invalid arguments without retrying', async () => {
    const { client: c, calls } = client(() => json({ error: 'etcdserver: requested lease not found', message: 'etcdserver: requested lease not found', code: 5 }, 404));
    expect((await failure(c.call('/v3/kv/put', {}, 'write'))).code).toBe('lease-not-found');
    expect(calls).toHaveLength(1);
    const { client: d } = client(() => json({ error: 'etcdserver: duplicate key given in txn request', message: 'etcdserver: duplicate key given in txn request', code: 3 }, 400));
    expect((await failure(d.call('/v3/kv/txn', {}, 'write'))).code).toBe('invalid-argument');
  });

  it('rejects unavailable once closed, also a read in flight; a write in flight is unknown-outcome', async () => {
    const { client: c } = client(never, { requestTimeoutMs: 60_000 });
    const inFlight = c.call('/v3/kv/range', {}, 'read');
    const writeInFlight = c.call('/v3/kv/put', {}, 'write');
    c.close();
    expect((await failure(inFlight)).code).toBe('unavailable');
    expect((await failure(writeInFlight)).code).toBe('unknown-outcome'); // it was sent: maybe applied
    expect((await failure(c.call('/v3/kv/range', {}, 'read'))).code).toBe('unavailable');
  });

  it('reads at most responseBytesMax of a body: past it a read is invalid-argument, a write unknown-outcome', async () => {
    const big = { kvs: [{ key: 'YQ==', value: 'x'.repeat(2000) }] };
    const { client: c, calls } = client(() => json(big), { responseBytesMax: 1000 });
    expect((await failure(c.call('/v3/kv/range', {}, 'read'))).code).toBe('invalid-argument');
    expect((await failure(c.call('/v3/kv/txn', {}, 'write'))).code).toBe('unknown-outcome');
    expect(calls).toHaveLength(2);
    const { client: d } = client(() => json(big), { responseBytesMax: 3000 });
    expect(await d.call('/v3/kv/range', {}, 'read')).toEqual(big);
  });

  it('refuses an endpoint that is not http(s)://host:port', () => {
    expect(() => new EtcdGatewayClient({ endpoints: ['ftp://x:1'], clock: systemClock, random: createRandom(1) })).toThrow(MetadataStoreError);
    expect(() => new EtcdGatewayClient({ endpoints: [], clock: systemClock, random: createRandom(1) })).toThrow(MetadataStoreError);
  });
});
