// The fault proxy in front of a real etcd member (Debian's etcd-server, one member on free
// loopback ports, stopped in afterAll), spoken to the way the broker speaks to it: etcd's v3
// JSON gateway over fetch (keep-alive HTTP/1.1), including a long-lived watch stream.
// A put sent into a blackholed link is held — etcd has not seen it — and is applied once
// the link heals; cut() ends an open watch stream and new requests reconnect; refuse makes
// requests fail at once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { etcdRange, startEtcd } from '@samsa/bench';
import type { EtcdCluster } from '@samsa/bench';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy } from './fault-proxy.ts';
import { waitFor } from './tcp-peer.ts';

const WAIT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 20_000;

let etcd: EtcdCluster | undefined;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  etcd = await startEtcd(1);
});

afterAll(async () => {
  await etcd?.stop();
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function gateway(endpoint: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

const put = (endpoint: string, key: string, value: string) => gateway(endpoint, '/v3/kv/put', { key: b64(key), value: b64(value) });

async function values(endpoint: string, prefix: string): Promise<string[]> {
  return (await etcdRange([endpoint], prefix)).entries.map((entry) => `${entry.key}=${entry.value}`);
}

/** Start a proxy to the etcd member; returns [direct endpoint, endpoint through the proxy]. */
async function proxied(): Promise<[string, string]> {
  const direct = etcd!.endpoints[0]!;
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: Number(new URL(direct).port) }, name: 'test->etcd1' });
  return [direct, `http://127.0.0.1:${proxy.port}`];
}

describe('fault proxy in front of etcd', () => {
  it('holds a put sent into a blackholed link (etcd never sees it) and delivers it once healed', async () => {
    const [direct, via] = await proxied();
    await put(via, 'chaos-proxy/held/a', 'one');
    expect(await values(via, 'chaos-proxy/held/')).toEqual(['chaos-proxy/held/a=one']);

    proxy!.set({ kind: 'blackhole', direction: 'both' });
    let settled = false;
    const pending = put(via, 'chaos-proxy/held/b', 'two').finally(() => (settled = true));
    await waitFor('the put held by the proxy', WAIT_MS, () => proxy!.stats().heldBytes > 0);
    expect(await values(direct, 'chaos-proxy/held/')).toEqual(['chaos-proxy/held/a=one']);
    expect(settled).toBe(false);

    proxy!.set({ kind: 'pass' });
    await pending;
    expect(await values(direct, 'chaos-proxy/held/')).toEqual(['chaos-proxy/held/a=one', 'chaos-proxy/held/b=two']);
  });

  it('cut() ends an open watch stream; new requests reconnect through the proxy', async () => {
    const [, via] = await proxied();
    const response = await fetch(`${via}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('chaos-proxy/watch/'), range_end: b64('chaos-proxy/watch0') } }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const reader = response.body!.getReader();
    const created = await reader.read();
    expect(new TextDecoder().decode(created.value)).toContain('"created":true');
    let ended: string | null = null;
    const rest = (async () => {
      for (;;) {
        const next = await reader.read();
        if (next.done) return 'done';
      }
    })().then(
      (how) => (ended = how),
      (error: Error) => (ended = `error: ${error.message}`),
    );
    proxy!.cut();
    await waitFor('the watch stream ended by the cut', WAIT_MS, () => ended !== null);
    await rest;
    // Not through the 20 s timeout: the cut ended it.
    expect(ended).toMatch(/^error: |^done$/);

    await put(via, 'chaos-proxy/watch/after-cut', 'yes');
    expect(await values(via, 'chaos-proxy/watch/')).toEqual(['chaos-proxy/watch/after-cut=yes']);
  });

  it('refuse makes requests fail at once; pass makes them work again', async () => {
    const [, via] = await proxied();
    await put(via, 'chaos-proxy/refuse/a', 'one');
    proxy!.set({ kind: 'refuse' });
    const started = performance.now();
    await expect(put(via, 'chaos-proxy/refuse/b', 'two')).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS / 2);
    expect(proxy!.stats().refused).toBeGreaterThanOrEqual(1);
    proxy!.set({ kind: 'pass' });
    await put(via, 'chaos-proxy/refuse/c', 'three');
    expect(await values(via, 'chaos-proxy/refuse/')).toEqual(['chaos-proxy/refuse/a=one', 'chaos-proxy/refuse/c=three']);
  });
});
