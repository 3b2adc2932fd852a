/**
 * DenoTransport: Transport over Deno.listen / Deno.connect (TCP, Nagle off).
 *
 * Reading: one loop per connection reads into the handler's `readBuffer()` when it offers
 * one (handed over as a view of it: no copy), else into a fresh `readBytes` buffer and
 * hands the filled part to `onData` (copied down when mostly empty, so a small chunk does
 * not pin 64 KiB). pause() stops the loop before its next read (a read already in flight is held
 * and delivered on resume), so the kernel buffer fills and TCP pushes back on the peer.
 *
 * Writing: writes run one after another on a promise chain, each looping over
 * `conn.write` until the kernel took every byte; the promise resolves then, so the caller
 * may reuse its chunks and a writer that awaits is held back by TCP flow control.
 *
 * close(): waits for queued writes, half-closes (FIN), then reads and drops input until
 * the peer's FIN (closing with unread input would make the kernel send RST and discard
 * our unsent bytes), or `closeLingerMs` passes; then closes the socket. onClose fires
 * exactly once: on EOF from the peer, after close()/destroy(), or with the error that
 * ended the loop.
 */
import type { Connection, ConnectionHandlers, ListenOptions, Listener, Transport } from '../transport.ts';
import { TransportError } from '../transport.ts';
import { errnoOf } from '../node/native-errors.ts';
import { deno, type DenoConn, type DenoListener } from './deno-types.ts';

const readBytes = 64 * 1024;
const shortWritesMax = 1_000_000;
/** How long close() waits for the peer's FIN before closing the socket anyway. */
export const closeLingerMs = 5_000;

function toTransportError(error: unknown, what: string): TransportError {
  if (error instanceof TransportError) return error;
  const errno = errnoOf(error);
  const name = (error as { name?: unknown } | null)?.name;
  const code =
    errno === 'ECONNREFUSED' || name === 'ConnectionRefused'
      ? 'refused'
      : errno === 'EADDRINUSE' || name === 'AddrInUse'
        ? 'address-in-use'
        : name === 'BadResource' || name === 'BrokenPipe' || name === 'ConnectionReset' || errno === 'EPIPE' || errno === 'ECONNRESET'
          ? 'closed'
          : 'io';
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(code, `${what}: ${message}`, { cause: error });
}

class DenoConnection implements Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  private readonly conn: DenoConn;
  private handlers: ConnectionHandlers | null = null;
  private paused = false;
  private wakeReader: (() => void) | null = null;
  private writeTail: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** No more reads, writes or deliveries. */
  private finished = false;
  private finishError: Error | undefined;
  private closeReported = false;
  private closeWaiters: (() => void)[] = [];
  private readLoopRunning = false;
  /** close() was called: input is read and dropped until EOF. */
  private draining = false;

  constructor(conn: DenoConn) {
    this.conn = conn;
    try {
      conn.setNoDelay(true);
    } catch {
      // Not every platform lets us; latency only.
    }
    this.remoteAddress = conn.remoteAddr.hostname;
    this.remotePort = conn.remoteAddr.port;
    this.localPort = conn.localAddr.port;
  }

  start(handlers: ConnectionHandlers): void {
    if (this.handlers) throw new Error('Connection.start called twice');
    this.handlers = handlers;
    if (this.finished) this.reportClose();
    else if (!this.readLoopRunning) void this.readLoop();
  }

  write(chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.finished || this.closing) return Promise.reject(new TransportError('closed', 'write on a closed connection'));
    const list = chunks instanceof Uint8Array ? [chunks] : chunks;
    const run = this.writeTail.then(async () => {
      for (const chunk of list) {
        let done = 0;
        for (let loops = 0; done < chunk.byteLength; loops++) {
          if (this.finished) throw new TransportError('closed', 'connection closed while writing');
          if (loops >= shortWritesMax) throw new TransportError('io', 'write made no progress');
          try {
            done += await this.conn.write(chunk.subarray(done));
          } catch (error) {
            throw toTransportError(error, 'write');
          }
        }
      }
    });
    this.writeTail = run.catch(() => undefined);
    return run;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const wake = this.wakeReader;
    this.wakeReader = null;
    wake?.();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writeTail;
      if (!this.finished) {
        this.draining = true;
        this.resume();
        const linger = setTimeout(() => this.finish(undefined), closeLingerMs);
        const eof = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
        try {
          await this.conn.closeWrite();
          if (!this.readLoopRunning) void this.readLoop();
          await eof;
        } catch {
          this.finish(undefined);
        } finally {
          clearTimeout(linger);
        }
      }
      await this.closedPromise();
    })();
    return this.closing;
  }

  destroy(): void {
    this.finish(undefined);
  }

  private async readLoop(): Promise<void> {
    this.readLoopRunning = true;
    while (!this.finished) {
      await this.whileResumed();
      if (this.finished) return;
      const offered = this.draining ? null : (this.handlers?.readBuffer?.() ?? null);
      const buffer = offered ?? new Uint8Array(readBytes);
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch (error) {
        this.finish(this.finished ? undefined : toTransportError(error, 'read'));
        return;
      }
      if (n === null) {
        this.finish(undefined);
        return;
      }
      await this.whileResumed();
      if (this.finished) return;
      if (!this.draining && this.handlers) this.handlers.onData(offered !== null || n >= readBytes / 2 ? buffer.subarray(0, n) : buffer.slice(0, n));
    }
  }

  private whileResumed(): Promise<void> {
    if (!this.paused || this.finished || this.draining) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeReader = resolve;
    });
  }

  private finish(error: Error | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.finishError = error;
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer or a failed read.
    }
    this.resume();
    this.reportClose();
  }

  private reportClose(): void {
    if (!this.handlers) {
      // Never started: nobody to tell, but close() may be waiting.
      if (this.finished) for (const resolve of this.closeWaiters.splice(0)) resolve();
      return;
    }
    if (this.closeReported || !this.finished) return;
    this.closeReported = true;
    const handlers = this.handlers;
    queueMicrotask(() => {
      handlers.onClose(this.finishError);
      for (const resolve of this.closeWaiters.splice(0)) resolve();
    });
  }

  private closedPromise(): Promise<void> {
    if (this.closeReported || !this.handlers) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }
}

class DenoTcpListener implements Listener {
  readonly host: string;
  readonly port: number;
  private readonly listener: DenoListener;
  private closed = false;

  constructor(listener: DenoListener, host: string, onConnection: (connection: Connection) => void) {
    this.listener = listener;
    this.host = host;
    this.port = listener.addr.port;
    void this.acceptLoop(onConnection);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.listener.close();
    } catch {
      // Already closed.
    }
  }

  private async acceptLoop(onConnection: (connection: Connection) => void): Promise<void> {
    while (!this.closed) {
      let conn: DenoConn;
      try {
        conn = await this.listener.accept();
      } catch {
        if (this.closed) return;
        // Transient accept failure (EMFILE, aborted handshake): back off briefly, go on.
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      onConnection(new DenoConnection(conn));
    }
  }
}

export class DenoTransport implements Transport {
  async listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    let listener: DenoListener;
    try {
      listener = deno().listen({ hostname: options.host, port: options.port, transport: 'tcp' });
    } catch (error) {
      throw toTransportError(error, `listen ${options.host}:${options.port}`);
    }
    return new DenoTcpListener(listener, options.host, onConnection);
  }

  async connect(options: { readonly host: string; readonly port: number }): Promise<Connection> {
    try {
      return new DenoConnection(await deno().connect({ hostname: options.host, port: options.port, transport: 'tcp' }));
    } catch (error) {
      throw toTransportError(error, `connect ${options.host}:${options.port}`);
    }
  }
}
