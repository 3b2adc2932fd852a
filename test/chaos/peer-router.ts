/**
 * PeerRouter: puts etcd's own peer traffic (member ↔ member, raft over HTTP) behind the
 * chaos suite's per-link fault proxies, so a partition can split etcd's quorum too.
 *
 * Why a router: an etcd member advertises one peer URL that every other member dials, so a
 * plain proxy in front of it could only fault "everything into member j" — not "member i →
 * member j". The router listens on the URL member j advertises, reads each new
 * connection's first HTTP request head and sends the connection on through the fault proxy
 * of the link sender → j. The sender is named by the `X-PeerURLs` header (the sender's own
 * advertised peer URLs), which etcd's raft transport (rafthttp) sets on its stream dials
 * and pipeline/snapshot posts — the traffic that carries raft messages. Go's HTTP client
 * keeps one process's connections to itself, so one connection never carries two senders.
 *
 * Requests without the header are "unattributed". Those under `/raft` (rafthttp's
 * liveness probes, `GET /raft/probing`) are always reset: the probers share the raft
 * transports' connection pools, so a probe's connection, once idle, would carry raft
 * messages past every proxy (a partition then failed to split etcd: seen while building
 * this). etcd only logs failed probes. The others (lease renewals a follower forwards to
 * the raft leader, version and member-list checks — a separate transport in etcd) go
 * straight to the member unless `unattributedOpen()` says no (the harness says no while
 * member j is cut from every other member), in which case the connection is reset. So
 * during a partition a member on the minority side may still forward a lease renewal to a
 * majority-side leader until it notices it lost the leader (one election timeout); raft
 * itself is split.
 *
 * Byte layout it reads: an HTTP/1.1 request head, `METHOD SP PATH SP VERSION CRLF
 * (NAME: VALUE CRLF)* CRLF`; header names compared case-insensitively. Bounds: a head
 * larger than HEAD_BYTES_MAX or not complete within HEAD_TIMEOUT_MS resets the
 * connection; at most CONNECTIONS_MAX connections at once (more are reset on arrival).
 * Binds and connects on 127.0.0.1 only. `close()` stops listening and destroys every
 * connection; idempotent.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { listenOnLoopback, reset } from './fault-proxy.ts';

export const HEAD_BYTES_MAX = 16 * 1024;
export const HEAD_TIMEOUT_MS = 10_000;
export const CONNECTIONS_MAX = 256;
const LOOPBACK = '127.0.0.1';
const HEAD_END = Buffer.from('\r\n\r\n');

export interface PeerRouterOptions {
  /** For messages: the destination member's name. */
  readonly name: string;
  /** The member's real peer listener (unattributed connections go straight here). */
  readonly memberPort: number;
  /** The port of the fault proxy sender → this member, given the sender's advertised peer URLs; null when none matches. */
  readonly routeFor: (senderPeerUrls: readonly string[]) => number | null;
  /** Whether a connection that names no sender may pass now. */
  readonly unattributedOpen: () => boolean;
}

export interface PeerRouterStats {
  /** Connections sent on through a link's fault proxy. */
  readonly routed: number;
  /** Connections without a sender header that passed straight to the member. */
  readonly unattributed: number;
  /** Connections reset: bad or slow head, unknown sender, a probe, unattributed while closed, over the limit. */
  readonly reset: number;
  readonly open: number;
}

export interface PeerRouter {
  /** The port the member advertises as its peer URL (on 127.0.0.1). */
  readonly port: number;
  readonly name: string;
  stats(): PeerRouterStats;
  close(): Promise<void>;
}

/** Starts a router listening on 127.0.0.1 (`port` 0 lets the OS choose). */
export async function startPeerRouter(options: PeerRouterOptions, port = 0): Promise<PeerRouter> {
  const router = new Router(options);
  await router.listen(port);
  return router;
}

/** The sender's advertised peer URLs from a request head, or null when it names none. */
export function senderPeerUrls(head: string): string[] | null {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() !== 'x-peerurls') continue;
    const urls = line
      .slice(colon + 1)
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0);
    return urls.length > 0 ? urls : null;
  }
  return null;
}

/** The request target of a request head's first line ('' when malformed). */
export function requestPath(head: string): string {
  const line = head.slice(0, head.indexOf('\r\n') < 0 ? head.length : head.indexOf('\r\n'));
  return line.split(' ')[1] ?? '';
}

class Router implements PeerRouter {
  readonly name: string;
  readonly #options: PeerRouterOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #routed = 0;
  #unattributed = 0;
  #reset = 0;
  #closing: Promise<void> | null = null;

  constructor(options: PeerRouterOptions) {
    this.#options = options;
    this.name = options.name;
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
    this.#server.on('error', () => {});
  }

  get port(): number {
    return this.#port;
  }

  async listen(port: number): Promise<void> {
    this.#port = await listenOnLoopback(this.#server, port, `peer router ${this.name}`);
  }

  stats(): PeerRouterStats {
    return { routed: this.#routed, unattributed: this.#unattributed, reset: this.#reset, open: this.#sockets.size };
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of [...this.#sockets]) reset(socket);
    });
    return this.#closing;
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
  }

  #accept(client: Socket): void {
    this.#track(client);
    if (this.#closing !== null || this.#sockets.size > CONNECTIONS_MAX) {
      this.#resetClient(client);
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => this.#resetClient(client), HEAD_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      bytes += chunk.length;
      const buffered = Buffer.concat(chunks, bytes);
      const end = buffered.indexOf(HEAD_END);
      if (end < 0) {
        if (bytes > HEAD_BYTES_MAX) {
          clearTimeout(timer);
          client.off('data', onData);
          this.#resetClient(client);
        }
        return;
      }
      clearTimeout(timer);
      client.off('data', onData);
      client.pause();
      this.#forward(client, buffered, buffered.subarray(0, end).toString('latin1'));
    };
    client.on('data', onData);
    client.once('close', () => clearTimeout(timer));
  }

  #forward(client: Socket, buffered: Buffer, head: string): void {
    const urls = senderPeerUrls(head);
    let port: number;
    if (urls === null) {
      if (requestPath(head).startsWith('/raft') || !this.#options.unattributedOpen()) {
        this.#resetClient(client);
        return;
      }
      port = this.#options.memberPort;
      this.#unattributed += 1;
    } else {
      const routed = this.#options.routeFor(urls);
      if (routed === null) {
        this.#resetClient(client);
        return;
      }
      port = routed;
      this.#routed += 1;
    }
    const upstream = connect({ host: LOOPBACK, port, allowHalfOpen: true });
    this.#track(upstream);
    const fail = (): void => {
      reset(client);
      reset(upstream);
    };
    upstream.once('error', fail);
    client.once('error', fail);
    upstream.once('connect', () => {
      if (client.destroyed) {
        reset(upstream);
        return;
      }
      upstream.write(buffered);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    // A reset on one side ends the other the same way (the proxy's cut() must reach the sender).
    client.once('close', (hadError) => {
      if (hadError) fail();
    });
    upstream.once('close', (hadError) => {
      if (hadError) fail();
    });
  }

  #resetClient(client: Socket): void {
    this.#reset += 1;
    reset(client);
  }
}
