/**
 * MemoryTransport: an in-process TCP look-alike. Listeners and connections live in one
 * MemoryTransport object (one "network"): connect() finds a listener by host and port
 * ("0.0.0.0" matches every host).
 *
 * Semantics, chosen to match node:net closely enough for the broker's code paths:
 * - Delivery is asynchronous: a chunk written now reaches the peer's `onData` on a later
 *   macrotask (setImmediate when the host has it, else setTimeout 0; or the `schedule`
 *   option), in order, as a copy (the writer may reuse its buffer at once).
 * - Backpressure: bytes queued at the receiver but not yet delivered (the receiver paused
 *   or not started) count against `highWaterMarkBytes`; `write` resolves once they are at
 *   or below it. A receiver that never reads stalls an awaiting writer for good.
 * - close(): the peer receives everything written before, then its `onClose()`; data
 *   sent to a closed endpoint is dropped and later writes there fail with 'closed'.
 *   destroy(): the peer's undelivered data is dropped and it sees onClose(TransportError).
 * - Limits: at most `queuedBytesMax` undelivered bytes per connection (a writer that
 *   never awaits gets 'io'), ephemeral ports from 49152 up, at most `listenersMax`.
 */

import type { Connection, ConnectionHandlers, ListenOptions, Listener, Transport } from '../transport.ts';
import { TransportError } from '../transport.ts';

export interface MemoryTransportOptions {
  /** Undelivered bytes at which writes stop resolving. Default 64 KiB. */
  readonly highWaterMarkBytes?: number;
  /** Runs a callback on a later turn of the event loop. */
  readonly schedule?: (callback: () => void) => void;
}

export const queuedBytesMax = 256 * 1024 * 1024;
export const listenersMax = 4096;
const ephemeralPortFirst = 49152;
const portLast = 65535;

/** A macrotask scheduler: setImmediate (Node, Deno), else a MessageChannel (browsers, edge), else setTimeout 0. */
function defaultSchedule(): (callback: () => void) => void {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return (callback) => void immediate(callback);
  if (typeof MessageChannel === 'function') {
    const queue: (() => void)[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (callback) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void setTimeout(callback, 0);
}

/** 'localhost' and '::1' are 127.0.0.1, '::' is 0.0.0.0: one loopback, one wildcard. */
function canonicalHost(host: string): string {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '0.0.0.0';
  return host;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

class MemoryConnection implements Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  peer!: MemoryConnection;
  private readonly network: MemoryTransport;
  private handlers: ConnectionHandlers | null = null;
  private paused = false;
  private inbound: Uint8Array[] = [];
  private inboundBytes = 0;
  private deliveryScheduled = false;
  /** Writers of this side waiting for the peer to drain. */
  private waiters: Waiter[] = [];
  /** This side closed or destroyed: no more writes, no more deliveries. */
  private closed = false;
  /** The peer closed: after the inbound queue drains, this side closes too. */
  private peerEnded = false;
  private closeError: Error | undefined;
  private closePending = false;
  private closeSettled = false;
  private closeReported = false;
  /** Set by the transport: frees the ephemeral port. Called once. */
  onFinalClose: (() => void) | undefined;
  private closeWaiters: (() => void)[] = [];

  constructor(network: MemoryTransport, remoteAddress: string, remotePort: number, localPort: number) {
    this.network = network;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.localPort = localPort;
  }

  start(handlers: ConnectionHandlers): void {
    if (this.handlers) throw new Error('Connection.start called twice');
    this.handlers = handlers;
    this.scheduleDelivery();
    if (this.closePending) this.network.schedule(() => this.flushClose());
  }

  write(chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('closed', 'write on a closed connection'));
    const list = chunks instanceof Uint8Array ? [chunks] : chunks;
    const peer = this.peer;
    if (peer.closed) return Promise.reject(new TransportError('closed', 'the peer closed the connection'));
    let total = 0;
    for (const chunk of list) total += chunk.byteLength;
    if (peer.inboundBytes + total > queuedBytesMax) {
      return Promise.reject(new TransportError('io', `more than ${queuedBytesMax} bytes queued`));
    }
    for (const chunk of list) {
      if (chunk.byteLength === 0) continue;
      peer.inbound.push(chunk.slice());
      peer.inboundBytes += chunk.byteLength;
    }
    peer.scheduleDelivery();
    if (peer.inboundBytes <= this.network.highWaterMarkBytes) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleDelivery();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.dropInbound();
      this.releaseWriters(null);
      this.peer.peerEnded = true;
      this.peer.scheduleDelivery();
      this.reportClose(undefined);
    }
    return this.closedPromise();
  }

  destroy(): void {
    this.abort(undefined);
  }

  /** @internal Closes both ends at once; this end reports `error` (undefined for destroy()). */
  abort(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.dropInbound();
    this.releaseWriters(new TransportError('closed', 'connection destroyed'));
    const peer = this.peer;
    if (!peer.closed) {
      peer.closed = true;
      peer.dropInbound();
      peer.releaseWriters(new TransportError('closed', 'connection reset by peer'));
      peer.reportClose(new TransportError('closed', 'connection reset by peer'));
    }
    this.reportClose(error);
  }

  private closedPromise(): Promise<void> {
    if (this.closeSettled) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    this.network.schedule(() => this.deliver());
  }

  private deliver(): void {
    this.deliveryScheduled = false;
    const handlers = this.handlers;
    if (!handlers || this.closed) return;
    while (this.inbound.length > 0 && !this.paused && !this.closed) {
      const chunk = this.inbound.shift()!;
      this.inboundBytes -= chunk.byteLength;
      handlers.onData(chunk);
    }
    if (this.inboundBytes <= this.network.highWaterMarkBytes) this.peer.releaseWriters(null);
    if (this.inbound.length === 0 && this.peerEnded && !this.closed) {
      this.closed = true;
      this.releaseWriters(null);
      this.reportClose(undefined);
    }
  }

  private dropInbound(): void {
    this.inbound = [];
    this.inboundBytes = 0;
    this.peer.releaseWriters(null);
  }

  private releaseWriters(error: Error | null): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  private reportClose(error: Error | undefined): void {
    if (this.closePending || this.closeReported) return;
    this.closePending = true;
    this.closeError = error;
    this.onFinalClose?.();
    this.network.schedule(() => {
      // close() resolves now even if start() never comes; onClose waits for start().
      this.closeSettled = true;
      for (const resolve of this.closeWaiters.splice(0)) resolve();
      this.flushClose();
    });
  }

  /** Calls onClose once started (a connection closed before start() reports at start). */
  private flushClose(): void {
    if (!this.closePending || this.closeReported || !this.handlers) return;
    this.closeReported = true;
    this.handlers.onClose(this.closeError);
  }
}

class MemoryListener implements Listener {
  readonly host: string;
  readonly port: number;
  readonly onConnection: (connection: Connection) => void;
  private readonly network: MemoryTransport;

  constructor(network: MemoryTransport, host: string, port: number, onConnection: (connection: Connection) => void) {
    this.network = network;
    this.host = host;
    this.port = port;
    this.onConnection = onConnection;
  }

  async close(): Promise<void> {
    this.network.unregister(this);
  }
}

export class MemoryTransport implements Transport {
  readonly highWaterMarkBytes: number;
  readonly schedule: (callback: () => void) => void;
  private readonly listeners = new Map<string, MemoryListener>();
  private readonly usedPorts = new Set<number>();
  private readonly live = new Set<MemoryConnection>();
  private nextEphemeralPort = ephemeralPortFirst;

  constructor(options: MemoryTransportOptions = {}) {
    this.highWaterMarkBytes = options.highWaterMarkBytes ?? 64 * 1024;
    this.schedule = options.schedule ?? defaultSchedule();
  }

  async listen(rawOptions: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    const options = { host: canonicalHost(rawOptions.host), port: rawOptions.port };
    if (this.listeners.size >= listenersMax) throw new TransportError('io', `more than ${listenersMax} listeners`);
    const port = options.port === 0 ? this.allocatePort() : options.port;
    const key = `${options.host}:${port}`;
    if (options.port !== 0 && this.portTaken(options.host, port)) throw new TransportError('address-in-use', key);
    const listener = new MemoryListener(this, options.host, port, onConnection);
    this.listeners.set(key, listener);
    this.usedPorts.add(port);
    return listener;
  }

  /** `localAddress`: the client's address as the server sees it (default 127.0.0.1), for per-address limits. */
  async connect(rawOptions: { readonly host: string; readonly port: number; readonly localAddress?: string }): Promise<Connection> {
    const options = { host: canonicalHost(rawOptions.host), port: rawOptions.port };
    const listener = this.findListener(options.host, options.port);
    if (!listener) throw new TransportError('refused', `${options.host}:${options.port}`);
    const clientPort = this.allocatePort();
    const client = new MemoryConnection(this, options.host, options.port, clientPort);
    const server = new MemoryConnection(this, rawOptions.localAddress ?? '127.0.0.1', clientPort, options.port);
    client.peer = server;
    server.peer = client;
    this.live.add(client);
    this.live.add(server);
    client.onFinalClose = () => {
      this.usedPorts.delete(clientPort);
      this.live.delete(client);
    };
    server.onFinalClose = () => this.live.delete(server);
    await new Promise<void>((resolve) => this.schedule(resolve));
    listener.onConnection(server);
    return client;
  }

  /** Connections not yet closed on both ends (each end counts). */
  openConnections(): number {
    return this.live.size;
  }

  /** Fault injection: resets every open connection, as a network failure would (both ends see onClose(error)). */
  resetAll(): void {
    for (const connection of [...this.live]) connection.abort(new TransportError('closed', 'connection reset (injected)'));
  }

  /** @internal */
  unregister(listener: MemoryListener): void {
    const key = `${listener.host}:${listener.port}`;
    if (this.listeners.get(key) !== listener) return;
    this.listeners.delete(key);
    if (![...this.listeners.values()].some((l) => l.port === listener.port)) this.usedPorts.delete(listener.port);
  }

  /** A listener holds the port on this host, or on every host (0.0.0.0), or the port is a client's. */
  private portTaken(host: string, port: number): boolean {
    if (!this.usedPorts.has(port)) return false;
    for (const l of this.listeners.values()) {
      if (l.port === port && (host === '0.0.0.0' || l.host === '0.0.0.0' || l.host === host)) return true;
    }
    return ![...this.listeners.values()].some((l) => l.port === port);
  }

  private findListener(host: string, port: number): MemoryListener | undefined {
    return this.listeners.get(`${host}:${port}`) ?? this.listeners.get(`0.0.0.0:${port}`);
  }

  private allocatePort(): number {
    for (let tries = 0; tries <= portLast - ephemeralPortFirst; tries++) {
      const port = this.nextEphemeralPort;
      this.nextEphemeralPort = port >= portLast ? ephemeralPortFirst : port + 1;
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
    throw new TransportError('io', 'no free port');
  }
}
