/**
 * Transport: TCP listeners and connections as streams of `Uint8Array` chunks.
 *
 * Reading is push-based with explicit flow control: the connection calls `onData` for
 * every chunk it receives until `pause()`; `resume()` lets chunks flow again. This is how
 * the broker stops reading a socket whose responses nobody reads.
 *
 * Writing returns a promise that resolves once the adapter's send buffer has room again
 * (backpressure): a writer that awaits each `write` keeps at most one chunk queued beyond
 * the adapter's high-water mark. `write` never copies or retains the chunk after resolving.
 *
 * Chunk boundaries mean nothing: framing is the caller's job.
 */

export interface ConnectionHandlers {
  onData(chunk: Uint8Array): void;
  /**
   * Optional: where the next read should land, or null for the transport's own buffer.
   * Asked before each read once started; the chunk then given to onData is a view of the
   * first bytes of the returned buffer (at most its length), so a reader can fill a large
   * frame in place instead of copying it out of transport buffers. The buffer must not be
   * touched until that chunk arrives. A transport may ignore the offer (the Node transport
   * honours it on connections it opened, not on accepted ones; the memory transport
   * never): a caller checks whether a chunk lies in the buffer it offered.
   */
  readBuffer?(): Uint8Array | null;
  /** The peer closed, the connection was closed locally, or it failed (`error` set). Called once. */
  onClose(error?: Error): void;
}

export interface Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Starts delivering chunks. Call once, right after accepting or connecting. */
  start(handlers: ConnectionHandlers): void;
  /** Queues the chunks in order; resolves when the send buffer is below its high-water mark. */
  write(chunks: Uint8Array | readonly Uint8Array[]): Promise<void>;
  pause(): void;
  resume(): void;
  /** Flushes queued writes, then closes. Resolves when closed. */
  close(): Promise<void>;
  /** Closes at once, dropping queued writes. */
  destroy(): void;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 asks the system for a free port; read the chosen one from `Listener.port`. */
  readonly port: number;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting. Existing connections stay open. */
  close(): Promise<void>;
}

export interface Transport {
  listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener>;
  connect(options: { readonly host: string; readonly port: number }): Promise<Connection>;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: 'refused' | 'closed' | 'address-in-use' | 'io';
  constructor(code: TransportError['code'], message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}
