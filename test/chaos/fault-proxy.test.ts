// The TCP fault proxy (fault-proxy.ts) against small servers started here: pass-through is
// byte-exact both ways with half-close; delay delays and keeps order; a blackholed direction
// delivers nothing while the other flows, and healing delivers everything held, in order,
// once; holding 20 MB keeps at most the bound in the proxy; cut, refuse, a dead target,
// resets from either side and close() leave nothing open and raise no unhandled error.
// Absence ("nothing delivered") is checked after a positive condition — the proxy has read
// the bytes it holds — never after a bare sleep, except where noted.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HOLD_BYTES_MAX_DEFAULT, startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy, FaultProxyOptions } from './fault-proxy.ts';
import { connectPeer, freePort, openPeer, startPeerServer, waitFor } from './tcp-peer.ts';
import type { PeerServer, TcpPeer } from './tcp-peer.ts';

/** A socket read is at most this many bytes, so a held direction may overshoot its bound by one. */
const READ_CHUNK_BYTES_MAX = 64 * 1024;
const WAIT_MS = 15_000;

const proxies: FaultProxy[] = [];
const servers: PeerServer[] = [];
const clients: TcpPeer[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(options: { echo?: boolean; port?: number } = {}): Promise<PeerServer> {
  const started = await startPeerServer(options);
  servers.push(started);
  return started;
}

async function proxyTo(port: number, options: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ ...options, target: { host: '127.0.0.1', port } });
  proxies.push(proxy);
  return proxy;
}

async function client(port: number): Promise<TcpPeer> {
  const peer = await connectPeer(port);
  clients.push(peer);
  return peer;
}

/** A client that may be reset before or after its connect completes (both count as closed). */
function opened(port: number): TcpPeer {
  const peer = openPeer(port);
  clients.push(peer);
  return peer;
}

/** A client through `proxy` and the server's end of the same connection (target reached). */
async function connectedPair(proxy: FaultProxy, target: PeerServer): Promise<{ near: TcpPeer; far: TcpPeer }> {
  const index = target.peers.length;
  const near = await client(proxy.port);
  const far = await target.peer(index);
  return { near, far };
}

const TCP_LISTEN = 0x0a;
const TCP_TIME_WAIT = 0x06;

/** Every IPv4 TCP socket of this machine (/proc/net/tcp: `sl local rem st …`, addresses `HEXIP:HEXPORT`). */
function kernelTcpSockets(): { localPort: number; remotePort: number; state: number }[] {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length > 3)
    .map((fields) => ({ localPort: hexPort(fields[1]!), remotePort: hexPort(fields[2]!), state: Number.parseInt(fields[3]!, 16) }));
}

function hexPort(address: string): number {
  return Number.parseInt(address.split(':')[1]!, 16);
}

describe('fault proxy', () => {
  it('passes a few MB both ways byte-exact, with half-close in each direction', async () => {
    const target = await server();
    const proxy = await proxyTo(target.port);
    const { near, far } = await connectedPair(proxy, target);
    const up = randomBytes(3 * 1024 * 1024 + 17);
    const down = randomBytes(4 * 1024 * 1024 + 5);
    near.write(up);
    near.socket.end();
    far.write(down);
    await waitFor('the client FIN at the server', WAIT_MS, () => far.ended);
    // The client has half-closed; the server still talks to it.
    far.write('after-fin');
    far.socket.end();
    await waitFor('the server FIN at the client', WAIT_MS, () => near.ended);
    expect(far.received().equals(up)).toBe(true);
    expect(near.received().equals(Buffer.concat([down, Buffer.from('after-fin')]))).toBe(true);
    await waitFor('both sockets closed and the connection forgotten', WAIT_MS, () => near.closed && far.closed && proxy.stats().open === 0);
    expect(proxy.stats()).toMatchObject({ accepted: 1, bytesUp: up.length, bytesDown: down.length + 9, heldBytes: 0, refused: 0, targetFailures: 0 });
  });

  it('delays each direction by delayMs and keeps order under jitter', async () => {
    const target = await server({ echo: true });
    const proxy = await proxyTo(target.port);
    const near = await client(proxy.port);
    proxy.set({ kind: 'delay', delayMs: 150 });
    const started = performance.now();
    near.write('ping');
    await waitFor('the echo', WAIT_MS, () => near.receivedBytes === 4);
    const roundTripMs = performance.now() - started;
    // Up and down are each delayed 150 ms (timers may fire up to 1 ms early by rounding).
    expect(roundTripMs).toBeGreaterThanOrEqual(298);

    proxy.set({ kind: 'delay', delayMs: 5, jitterMs: 60 });
    const sent: Buffer[] = [];
    for (let i = 0; i < 60; i += 1) {
      const message = Buffer.from(`<${i}>`);
      sent.push(message);
      near.write(message);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const expected = Buffer.concat([Buffer.from('ping'), ...sent]);
    await waitFor('every echo', WAIT_MS, () => near.receivedBytes === expected.length);
    expect(near.received().toString()).toBe(expected.toString());
  });

  for (const direction of ['up', 'down', 'both'] as const) {
    it(`blackhole ${direction}: the held direction delivers nothing, the other flows; healing delivers all once, in order`, async () => {
      const target = await server();
      const proxy = await proxyTo(target.port);
      const { near, far } = await connectedPair(proxy, target);
      proxy.set({ kind: 'blackhole', direction });
      const upHeld = direction !== 'down';
      const downHeld = direction !== 'up';
      const upParts = [randomBytes(1000), randomBytes(70_000), randomBytes(3)];
      const downParts = [randomBytes(2000), randomBytes(90_000), randomBytes(7)];
      for (const part of upParts) near.write(part);
      for (const part of downParts) far.write(part);
      const up = Buffer.concat(upParts);
      const down = Buffer.concat(downParts);
      const heldExpected = (upHeld ? up.length : 0) + (downHeld ? down.length : 0);
      await waitFor('the proxy holding every blocked byte and the open direction delivered', WAIT_MS, () => {
        return proxy.stats().heldBytes === heldExpected && (upHeld || far.receivedBytes === up.length) && (downHeld || near.receivedBytes === down.length);
      });
      expect(far.receivedBytes).toBe(upHeld ? 0 : up.length);
      expect(near.receivedBytes).toBe(downHeld ? 0 : down.length);

      proxy.set({ kind: 'pass' });
      await waitFor('the held bytes delivered', WAIT_MS, () => far.receivedBytes >= up.length && near.receivedBytes >= down.length);
      near.write('tail-up');
      far.write('tail-down');
      await waitFor('the tails', WAIT_MS, () => far.receivedBytes >= up.length + 7 && near.receivedBytes >= down.length + 9);
      expect(far.received().equals(Buffer.concat([up, Buffer.from('tail-up')]))).toBe(true);
      expect(near.received().equals(Buffer.concat([down, Buffer.from('tail-down')]))).toBe(true);
      expect(proxy.stats().heldBytes).toBe(0);
    });
  }

  it('does not connect to the target while up is blackholed (a SYN would not pass) and connects on healing', async () => {
    const target = await server({ echo: true });
    const proxy = await proxyTo(target.port);
    proxy.set({ kind: 'blackhole', direction: 'both' });
    const near = await client(proxy.port);
    near.write('hello');
    await waitFor('the proxy holding the first bytes', WAIT_MS, () => proxy.stats().heldBytes === 5);
    expect(target.peers.length).toBe(0);
    proxy.set({ kind: 'blackhole', direction: 'down' });
    await target.peer(0);
    await waitFor('the echo held by the proxy', WAIT_MS, () => proxy.stats().heldBytes === 5 && target.peers[0]!.receivedBytes === 5);
    expect(near.receivedBytes).toBe(0);
    proxy.set({ kind: 'pass' });
    await waitFor('the echo', WAIT_MS, () => near.receivedBytes === 5);
    expect(near.received().toString()).toBe('hello');
  });

  const holdingModes = [
    ['blackhole both', { kind: 'blackhole', direction: 'both' }],
    ['a 60 s delay', { kind: 'delay', delayMs: 60_000 }],
  ] as const;
  for (const [label, mode] of holdingModes) {
    it(`holds at most the bound per direction while 20 MB go into ${label}, then delivers them exactly`, async () => {
      const target = await server();
      const proxy = await proxyTo(target.port);
      const { near, far } = await connectedPair(proxy, target);
      proxy.set(mode);
      const up = randomBytes(20 * 1024 * 1024);
      const down = randomBytes(20 * 1024 * 1024);
      near.write(up);
      far.write(down);
      await waitFor('both directions held up to the bound, the senders backed up', WAIT_MS, () => {
        return proxy.stats().heldBytes >= 2 * HOLD_BYTES_MAX_DEFAULT && near.socket.writableLength > 0 && far.socket.writableLength > 0;
      });
      // The one fixed wait: time in which an unbounded proxy would read on (loopback moves
      // 20 MB in well under this); a bounded one stays paused.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const held = proxy.stats();
      expect(held.heldBytes).toBeLessThanOrEqual(2 * (HOLD_BYTES_MAX_DEFAULT + READ_CHUNK_BYTES_MAX));
      expect(held.heldBytesPeak).toBeLessThanOrEqual(HOLD_BYTES_MAX_DEFAULT + READ_CHUNK_BYTES_MAX);
      expect(far.receivedBytes + near.receivedBytes).toBe(0);

      proxy.set({ kind: 'pass' });
      await waitFor('40 MB delivered', 60_000, () => far.receivedBytes === up.length && near.receivedBytes === down.length);
      expect(far.received().equals(up)).toBe(true);
      expect(near.received().equals(down)).toBe(true);
      expect(proxy.stats().heldBytesPeak).toBeLessThanOrEqual(HOLD_BYTES_MAX_DEFAULT + READ_CHUNK_BYTES_MAX);
    });
  }

  it('cut() closes both ends of every connection at once; new connections work afterwards', async () => {
    const target = await server({ echo: true });
    const proxy = await proxyTo(target.port);
    const first = await connectedPair(proxy, target);
    const second = await connectedPair(proxy, target);
    proxy.set({ kind: 'blackhole', direction: 'up' });
    first.near.write('held');
    await waitFor('bytes held', WAIT_MS, () => proxy.stats().heldBytes === 4);
    proxy.cut();
    await waitFor('all four sockets closed', WAIT_MS, () => [first.near, first.far, second.near, second.far].every((peer) => peer.closed));
    await waitFor('no connection left', WAIT_MS, () => proxy.stats().open === 0);
    // A reset, not a FIN: nothing held was delivered, and the client saw no orderly end.
    expect(first.far.receivedBytes).toBe(0);
    expect(first.near.ended).toBe(false);
    expect(proxy.stats()).toMatchObject({ cutConnections: 2, heldBytes: 0 });

    proxy.set({ kind: 'pass' });
    const again = await client(proxy.port);
    again.write('again');
    await waitFor('the echo after the cut', WAIT_MS, () => again.receivedBytes === 5);
    expect(again.received().toString()).toBe('again');
  });

  it('refuse: existing connections are cut, new ones closed at once without reaching the target; pass works again', async () => {
    const target = await server({ echo: true });
    const proxy = await proxyTo(target.port);
    const existing = await connectedPair(proxy, target);
    proxy.set({ kind: 'refuse' });
    await waitFor('the existing connection closed', WAIT_MS, () => existing.near.closed && existing.far.closed);
    const refused = opened(proxy.port);
    refused.write('x');
    await waitFor('the new connection closed', WAIT_MS, () => refused.closed);
    expect(refused.receivedBytes).toBe(0);
    expect(target.peers.length).toBe(1);
    expect(proxy.stats()).toMatchObject({ refused: 1, accepted: 2 });

    proxy.set({ kind: 'pass' });
    const later = await client(proxy.port);
    later.write('back');
    await waitFor('the echo after refuse', WAIT_MS, () => later.receivedBytes === 4);
    expect(later.received().toString()).toBe('back');
  });

  it('a dead target: the client is accepted then reset; once the target is up, connections work', async () => {
    const port = await freePort();
    const proxy = await proxyTo(port);
    const early = opened(proxy.port);
    early.write('anyone?');
    await waitFor('the client closed', WAIT_MS, () => early.closed);
    expect(early.receivedBytes).toBe(0);
    expect(proxy.stats()).toMatchObject({ targetFailures: 1 });
    await waitFor('the failed connection forgotten', WAIT_MS, () => proxy.stats().open === 0);

    await server({ echo: true, port });
    const late = await client(proxy.port);
    late.write('now');
    await waitFor('the echo', WAIT_MS, () => late.receivedBytes === 3);
    expect(late.received().toString()).toBe('now');
  });

  it('a reset from either side destroys the other side, without an unhandled error', async () => {
    const target = await server();
    const proxy = await proxyTo(target.port);
    const fromClient = await connectedPair(proxy, target);
    fromClient.far.write(randomBytes(100_000));
    fromClient.near.socket.resetAndDestroy();
    await waitFor('the server side closed after the client reset', WAIT_MS, () => fromClient.far.closed);

    const fromServer = await connectedPair(proxy, target);
    fromServer.near.write(randomBytes(100_000));
    fromServer.far.socket.resetAndDestroy();
    await waitFor('the client side closed after the server reset', WAIT_MS, () => fromServer.near.closed);
    expect(fromServer.near.errorCode).toBe('ECONNRESET');
    await waitFor('no connection left', WAIT_MS, () => proxy.stats().open === 0);
  });

  it('close() with connections open closes every socket, stops listening and is idempotent', async () => {
    const target = await server({ echo: true });
    const proxy = await proxyTo(target.port);
    const pairs = [await connectedPair(proxy, target), await connectedPair(proxy, target)];
    proxy.set({ kind: 'blackhole', direction: 'down' });
    pairs[0]!.near.write('held on the way back');
    const pending = await client(proxy.port);
    await waitFor('three connections open', WAIT_MS, () => proxy.stats().open === 3);
    await proxy.close();
    await proxy.close();
    await waitFor('every socket closed', WAIT_MS, () => pending.closed && pairs.every(({ near, far }) => near.closed && far.closed));
    await expect(connectPeer(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(proxy.stats().open).toBe(0);
    expect(() => proxy.set({ kind: 'pass' })).toThrow(/after close/);
    // In the kernel's table: nothing on the proxy's port at all, and on the target's port
    // only the test server's listener (TIME_WAIT is the kernel's, not an open socket).
    await waitFor('no socket left on either port', WAIT_MS, () => {
      const left = kernelTcpSockets().filter((s) => s.state !== TCP_TIME_WAIT && [s.localPort, s.remotePort].some((p) => p === proxy.port || p === target.port));
      return left.length === 1 && left[0]!.state === TCP_LISTEN && left[0]!.localPort === target.port;
    });
  });

  it('rejects bad modes and non-loopback targets with clear errors', async () => {
    const target = await server();
    const proxy = await proxyTo(target.port, { name: 'b1->etcd2' });
    expect(() => proxy.set({ kind: 'delay', delayMs: -1 })).toThrow(/b1->etcd2: delay needs delayMs ≥ 0/);
    expect(() => proxy.set({ kind: 'delay', delayMs: 1, jitterMs: Number.NaN })).toThrow(/jitterMs/);
    expect(() => proxy.set({ kind: 'blackhole', direction: 'sideways' } as never)).toThrow(/direction/);
    expect(() => proxy.set({ kind: 'drop' } as never)).toThrow(/unknown proxy mode/);
    expect(proxy.mode).toEqual({ kind: 'pass' });
    await expect(startFaultProxy({ target: { host: '10.1.2.3', port: 2379 } })).rejects.toThrow(/not a loopback address/);
    await expect(startFaultProxy({ target: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(/not a TCP port/);
    await expect(startFaultProxy({ target: { host: '127.0.0.1', port: 1 }, holdBytesMax: 0 })).rejects.toThrow(/holdBytesMax/);
  });
});
