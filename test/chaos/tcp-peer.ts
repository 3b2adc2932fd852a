/**
 * Test endpoints for the fault proxy's tests: `TcpPeer` wraps one socket and records what
 * it received (all of it, in order), whether the peer's FIN arrived, whether the socket
 * closed and with which error code; `startPeerServer` is a 127.0.0.1 listener whose
 * accepted sockets are TcpPeers (optionally echoing). Sockets are half-open capable
 * (`allowHalfOpen`), so a test can watch each direction end on its own.
 *
 * Bounds: a peer keeps at most `RECEIVED_BYTES_MAX` bytes (the tests move tens of MB) and
 * fails loudly beyond it; `waitFor` polls every `POLL_MS` up to its timeout.
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

const RECEIVED_BYTES_MAX = 64 * 1024 * 1024;
const POLL_MS = 10;

export class TcpPeer {
  readonly socket: Socket;
  #chunks: Buffer[] = [];
  #receivedBytes = 0;
  #ended = false;
  #closed = false;
  #errorCode: string | null = null;

  constructor(socket: Socket, echo = false) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#receivedBytes += chunk.length;
      if (this.#receivedBytes > RECEIVED_BYTES_MAX) {
        socket.destroy(new Error(`TcpPeer: more than ${RECEIVED_BYTES_MAX} bytes received`));
        return;
      }
      this.#chunks.push(chunk);
      if (echo && !socket.destroyed) socket.write(chunk);
    });
    socket.on('end', () => {
      this.#ended = true;
      if (echo) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (this.#errorCode = error.code ?? error.message));
    socket.on('close', () => (this.#closed = true));
  }

  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  /** Everything received so far, in order. */
  received(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** The other side's FIN arrived. */
  get ended(): boolean {
    return this.#ended;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get errorCode(): string | null {
    return this.#errorCode;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Connect to `port` on 127.0.0.1 without waiting; a failed connect shows as `closed` with its `errorCode`. */
export function openPeer(port: number): TcpPeer {
  return new TcpPeer(connect({ host: '127.0.0.1', port, allowHalfOpen: true, noDelay: true }));
}

/** Connect to `port` on 127.0.0.1; resolves once connected. */
export function connectPeer(port: number): Promise<TcpPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true, noDelay: true });
    const peer = new TcpPeer(socket);
    socket.once('connect', () => resolve(peer));
    socket.once('error', reject);
  });
}

export interface PeerServer {
  readonly port: number;
  /** Every accepted socket, in order of arrival. */
  readonly peers: readonly TcpPeer[];
  /** Waits for the n-th (0-based) accepted socket. */
  peer(index: number, timeoutMs?: number): Promise<TcpPeer>;
  close(): Promise<void>;
}

/** A listener on 127.0.0.1 (`port` 0: the OS chooses). */
export async function startPeerServer(options: { echo?: boolean; port?: number } = {}): Promise<PeerServer> {
  const peers: TcpPeer[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    peers.push(new TcpPeer(socket, options.echo ?? false));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    peers,
    async peer(index, timeoutMs = 10_000) {
      await waitFor(`accepted connection #${index} on ${port}`, timeoutMs, () => peers.length > index);
      return peers[index]!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const peer of peers) peer.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Poll `check` until it holds; throws after `timeoutMs` naming `what`. */
export async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A port nothing listens on right now (listen on 0, read the port, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
