/**
 * NodeTransport: Transport over `node:net` (TCP, Nagle off).
 *
 * Reading: 'data' events become `onData` calls (as plain Uint8Array views, never Buffer:
 * Buffer.slice shares memory where Uint8Array.slice copies). pause/resume map to the
 * socket's, which stops reading from the kernel so TCP flow control pushes back.
 * Connections this transport opens read through Node's `onread` instead (ReadTarget):
 * into the handler's `readBuffer()` when it offers one (the kernel copies straight into
 * it: no 64 KiB chunk allocated per read, no copy out of it), else into a 64 KiB buffer
 * that is reused when a read was short (its bytes are copied out) and replaced when a
 * read filled half of it or more (handed out as a view). Node offers `onread` only to
 * sockets it connects; accepted ones keep 'data' events.
 *
 * Writing: every write of one tick (all chunks of all `write` calls until the
 * process.nextTick after the first) is corked into one writev syscall. The promise
 * resolves when Node has handed the last chunk to the kernel (the write callback), which
 * implies the socket's buffer is below its high-water mark and that Node no longer holds
 * the caller's chunks: the caller may reuse them at once.
 *
 * close(): end() sends FIN after the queued data; from then on input is read and dropped
 * until the peer's FIN. Closing the descriptor with unread input would make the kernel
 * send RST and discard our unsent bytes (a last response lost); a peer that does not
 * close within `closeLingerMs` is destroyed anyway. `onClose` fires exactly once, with
 * the socket error if there was one (ECONNRESET, EPIPE, ...).
 */
import * as net from 'node:net';
import type { Connection, ConnectionHandlers, ListenOptions, Listener, Transport } from '../transport.ts';
import { TransportError } from '../transport.ts';
import { errnoOf } from './native-errors.ts';

/** How long close() waits for the peer's FIN before destroying the socket. */
export const closeLingerMs = 5_000;

function toTransportError(error: unknown, what: string): TransportError {
  if (error instanceof TransportError) return error;
  const errno = errnoOf(error);
  const code =
    errno === 'ECONNREFUSED'
      ? 'refused'
      : errno === 'EADDRINUSE'
        ? 'address-in-use'
        : errno === 'ECONNRESET' || errno === 'EPIPE' || errno === 'ERR_STREAM_DESTROYED' || errno === 'ERR_STREAM_WRITE_AFTER_END'
          ? 'closed'
          : 'io';
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(code, `${what}: ${message}`, { cause: error });
}

/** Bytes of the transport's own read buffer (Node's default read size). */
const READ_BYTES = 64 * 1024;
/** Bytes read before start() that are held; beyond this the socket pauses until start(). */
const EARLY_BYTES_MAX = 1024 * 1024;

/** The `onread` side of a connection this transport opened (see the file comment). */
class ReadTarget {
  socket: net.Socket | null = null;
  private handlers: ConnectionHandlers | null = null;
  private own = new Uint8Array(READ_BYTES);
  /** Chunks read before start(), in order, and their bytes. */
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  /** close() was called: input is read and dropped until the peer's FIN. */
  dropping = false;

  /** Node's buffer generator: where the next read lands. */
  next(): Uint8Array {
    return (this.dropping ? null : this.handlers?.readBuffer?.()) ?? this.own;
  }

  /** Node's read callback: `n` bytes were read into `buffer` (the last one `next` returned). */
  onRead(n: number, buffer: Uint8Array): void {
    if (this.dropping) return;
    let chunk: Uint8Array;
    if (buffer !== this.own) chunk = buffer.subarray(0, n);
    else if (n < READ_BYTES / 2) chunk = buffer.slice(0, n);
    else {
      chunk = buffer.subarray(0, n);
      this.own = new Uint8Array(READ_BYTES);
    }
    if (this.handlers) {
      this.handlers.onData(chunk);
      return;
    }
    this.early.push(chunk);
    this.earlyBytes += n;
    if (this.earlyBytes > EARLY_BYTES_MAX) this.socket?.pause();
  }

  start(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const chunk of early) if (!this.dropping) handlers.onData(chunk);
  }
}

class NodeConnection implements Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private readonly socket: net.Socket;
  private handlers: ConnectionHandlers | null = null;
  private error: Error | undefined;
  private socketClosed = false;
  private closeReported = false;
  private closing: Promise<void> | null = null;
  /** True while writes of the current tick are held by cork() (see corkUntilNextTick). */
  private corked = false;

  private readonly target: ReadTarget | null;

  constructor(socket: net.Socket, target: ReadTarget | null = null) {
    this.socket = socket;
    this.target = target;
    socket.setNoDelay(true);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    socket.on('error', (error) => {
      this.error ??= toTransportError(error, `${this.remoteAddress}:${this.remotePort}`);
    });
    socket.on('close', () => {
      this.socketClosed = true;
      this.maybeReportClose();
    });
  }

  start(handlers: ConnectionHandlers): void {
    if (this.handlers) throw new Error('Connection.start called twice');
    this.handlers = handlers;
    if (this.target) {
      this.target.start(handlers);
      this.socket.resume();
      this.maybeReportClose();
      return;
    }
    this.socket.on('data', (chunk: Uint8Array) => {
      if (this.closing) return; // closed locally: drain and drop until the peer's FIN
      handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    this.maybeReportClose();
  }

  write(chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const list = chunks instanceof Uint8Array ? [chunks] : chunks;
    if (this.socket.destroyed || this.socket.writableEnded) {
      return Promise.reject(new TransportError('closed', 'write on a closed connection'));
    }
    if (list.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error | null): void => {
        if (error) reject(toTransportError(error, 'write'));
        else resolve();
      };
      this.corkUntilNextTick();
      list.forEach((chunk, i) => {
        if (i === list.length - 1) this.socket.write(chunk, done);
        else this.socket.write(chunk);
      });
    });
  }

  /**
   * Holds every write of the current tick in the socket (cork) and flushes them with one
   * writev when the tick ends (process.nextTick runs after the promise jobs queued so far,
   * so responses completed together, e.g. by one log append, leave in one syscall).
   */
  private corkUntilNextTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (this.handlers && !this.closing) this.socket.resume();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.socketClosed) {
        resolve();
        return;
      }
      const linger = setTimeout(() => this.socket.destroy(), closeLingerMs);
      this.socket.once('close', () => {
        clearTimeout(linger);
        resolve();
      });
      if (this.target) this.target.dropping = true;
      this.socket.end();
      this.socket.resume();
    });
    return this.closing;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private maybeReportClose(): void {
    if (!this.socketClosed || !this.handlers || this.closeReported) return;
    this.closeReported = true;
    this.handlers.onClose(this.error);
  }
}

class NodeListener implements Listener {
  readonly host: string;
  readonly port: number;
  private readonly server: net.Server;

  constructor(server: net.Server, host: string, port: number) {
    this.server = server;
    this.host = host;
    this.port = port;
  }

  close(): Promise<void> {
    // server.close's callback waits for every open connection; the listening socket itself
    // closes at once, which is all this promises.
    this.server.close(() => undefined);
    return Promise.resolve();
  }
}

export class NodeTransport implements Transport {
  async listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    const server = net.createServer((socket) => onConnection(new NodeConnection(socket)));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(toTransportError(error, `listen ${options.host}:${options.port}`));
      server.once('error', onError);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // Errors after listening (EMFILE on accept, ...) must not crash the process.
    server.on('error', () => undefined);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    return new NodeListener(server, options.host, port);
  }

  async connect(options: { readonly host: string; readonly port: number }): Promise<Connection> {
    const target = new ReadTarget();
    const socket = net.connect({ host: options.host, port: options.port, onread: { buffer: () => target.next(), callback: (n, buffer) => { target.onRead(n, buffer); return true; } } });
    target.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        socket.destroy();
        reject(toTransportError(error, `connect ${options.host}:${options.port}`));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve();
      });
    });
    return new NodeConnection(socket, target);
  }
}
