// The etcd peer router (peer-router.ts) with plain TCP servers standing in for the member and
// for two links' proxies: a connection whose request head names a sender in X-PeerURLs goes
// to that sender's port with every byte intact (head and body); a probe (/raft…) without the
// header is reset, never forwarded; other unattributed requests go to the member while
// `unattributedOpen()` holds and are reset when it does not; an unknown sender, an
// oversized head and a reset upstream reset the client. Planted bad heads check the parsers.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HEAD_BYTES_MAX, requestPath, senderPeerUrls, startPeerRouter } from './peer-router.ts';
import type { PeerRouter } from './peer-router.ts';

interface Sink {
  readonly server: Server;
  readonly port: number;
  /** Everything received per accepted connection. */
  readonly received: string[];
  readonly sockets: Socket[];
}

async function sink(): Promise<Sink> {
  const received: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    const index = received.push('') - 1;
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      received[index] += chunk.toString('latin1');
      socket.write('ack');
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return { server, port: (server.address() as { port: number }).port, received, sockets };
}

/** Sends `data`, resolves what came back and how the connection ended ('reset' or 'open'). */
async function exchange(port: number, data: string, waitMs = 400): Promise<{ reply: string; ended: 'reset' | 'open' | 'closed' }> {
  const socket = connect({ host: '127.0.0.1', port });
  let reply = '';
  let ended: 'reset' | 'open' | 'closed' = 'open';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET') ended = 'reset';
  });
  socket.on('close', () => {
    if (ended === 'open') ended = 'closed';
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(data);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.destroy();
  return { reply, ended };
}

const head = (method: string, path: string, headers: Record<string, string>): string =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

describe('request head parsing', () => {
  it('finds X-PeerURLs case-insensitively and splits it; none when absent or empty', () => {
    expect(senderPeerUrls(head('GET', '/raft/stream/message/1', { 'x-peerurls': 'http://127.0.0.1:1,http://127.0.0.1:2' }).trimEnd())).toEqual(['http://127.0.0.1:1', 'http://127.0.0.1:2']);
    expect(senderPeerUrls(head('POST', '/raft', { 'X-PeerURLs': ' http://127.0.0.1:7 ' }).trimEnd())).toEqual(['http://127.0.0.1:7']);
    expect(senderPeerUrls(head('GET', '/raft/probing', {}).trimEnd())).toBeNull();
    expect(senderPeerUrls(head('GET', '/x', { 'X-PeerURLs': ' ' }).trimEnd())).toBeNull();
    // The request line is never a header, even when it looks like one.
    expect(senderPeerUrls('X-PeerURLs: http://a\r\nHost: x')).toBeNull();
  });

  it('reads the request path from the first line', () => {
    expect(requestPath('GET /raft/probing HTTP/1.1\r\nHost: x')).toBe('/raft/probing');
    expect(requestPath('POST /leases HTTP/1.1')).toBe('/leases');
    expect(requestPath('garbage')).toBe('');
  });
});

describe('peer router', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(open: { value: boolean }): Promise<{ router: PeerRouter; member: Sink; fromA: Sink; fromB: Sink }> {
    const member = await sink();
    const fromA = await sink();
    const fromB = await sink();
    for (const s of [member, fromA, fromB]) {
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            for (const socket of s.sockets) socket.destroy();
            s.server.close(() => resolve());
          }),
      );
    }
    const router = await startPeerRouter({
      name: 'e1',
      memberPort: member.port,
      routeFor: (urls) => (urls.includes('http://127.0.0.1:1001') ? fromA.port : urls.includes('http://127.0.0.1:1002') ? fromB.port : null),
      unattributedOpen: () => open.value,
    });
    cleanups.push(() => router.close());
    return { router, member, fromA, fromB };
  }

  it('routes by sender, keeps every byte, resets probes, gates unattributed requests', async () => {
    const open = { value: true };
    const { router, member, fromA, fromB } = await setup(open);
    const fromAHead = head('POST', '/raft', { 'X-PeerURLs': 'http://127.0.0.1:1001', 'Content-Length': '5' });
    const a = await exchange(router.port, `${fromAHead}hello`);
    expect(a).toEqual({ reply: 'ack', ended: 'open' });
    expect(fromA.received).toEqual([`${fromAHead}hello`]);

    const fromBHead = head('GET', '/raftstream/message/1', { 'X-PeerURLs': 'http://127.0.0.1:1002' });
    expect((await exchange(router.port, fromBHead)).reply).toBe('ack');
    expect(fromB.received).toEqual([fromBHead]);

    const probe = head('GET', '/raft/probing', {});
    expect((await exchange(router.port, probe)).ended).toBe('reset');
    const unknown = head('POST', '/raft', { 'X-PeerURLs': 'http://127.0.0.1:9999' });
    expect((await exchange(router.port, unknown)).ended).toBe('reset');

    const lease = head('POST', '/leases', { 'Content-Length': '0' });
    expect((await exchange(router.port, lease)).reply).toBe('ack');
    open.value = false;
    expect((await exchange(router.port, lease)).ended).toBe('reset');
    expect(member.received).toEqual([lease]);
    expect(router.stats()).toMatchObject({ routed: 2, unattributed: 1, reset: 3 });
  });

  it('resets a head larger than the limit and a client whose upstream resets', async () => {
    const { router, fromA } = await setup({ value: true });
    expect((await exchange(router.port, `GET /x HTTP/1.1\r\nX-Big: ${'a'.repeat(HEAD_BYTES_MAX + 10)}`)).ended).toBe('reset');
    const socket = connect({ host: '127.0.0.1', port: router.port });
    const ended = new Promise<string>((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('close', () => resolve('closed'));
    });
    socket.write(head('POST', '/raft', { 'X-PeerURLs': 'http://127.0.0.1:1001' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fromA.sockets).toHaveLength(1);
    fromA.sockets[0]!.resetAndDestroy();
    expect(await ended).toBe('ECONNRESET');
    socket.destroy();
  });
});
