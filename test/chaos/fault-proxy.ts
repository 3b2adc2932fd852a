/**
 * A TCP fault proxy for the chaos suite (issue 15): one listener on 127.0.0.1 that forwards
 * every accepted connection to one fixed target. The harness puts one proxy on every
 * directed link it wants to fault (broker i → etcd member j; follower broker i → leader
 * broker j's replica-fetch listener), so a fault applies to the link as a whole: both
 * directions of every connection through it, existing and new.
 *
 * Directions: 'up' is client → target, 'down' is target → client. Each direction of each
 * connection is a `FaultPipe` (fault-pipe.ts), which holds bytes in a bounded queue.
 *
 * Modes (`set`, effective at once on existing and new connections):
 * - pass: bytes flow.
 * - delay: each chunk leaves `delayMs` (+ up to `jitterMs`, uniformly) after it arrived;
 *   order per direction kept (a chunk never leaves before the one read before it).
 * - blackhole up|down|both: the direction stops delivering; bytes are held (at most
 *   `holdBytesMax` + one read chunk per direction per connection, then the source is paused
 *   and TCP backpressure holds the rest; the sender's writes are eventually unacknowledged).
 *   When the direction flows again the held bytes go on, in order, exactly once. New
 *   connections are still accepted (the kernel accepts them before we can say no), but
 *   while 'up' is blackholed the proxy does not connect to the target at all — the SYN
 *   would not have got through — and connects once 'up' flows again.
 * - refuse: existing connections are cut; new ones are accepted and reset at once.
 * A partition is blackhole both + `cut()`: nothing gets through and the endpoints' existing
 * connections notice. A TCP stream cannot lose bytes in its middle, so there is no 'drop'.
 *
 * Closing: a FIN travels like data (held while its direction is held); a socket error or
 * reset on either side destroys both sockets; a failed target connect resets the client (as
 * a dead host would). `cut()` resets both sockets of every open connection (RST, no FIN
 * handshake). No 'error' event is ever left unhandled: each socket has a listener.
 * `close()` stops listening and destroys everything; it is idempotent.
 *
 * Everything binds and connects on loopback only: the target host must be a loopback address.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { FaultPipe } from './fault-pipe.ts';
import type { FaultPipeOptions, PipePolicy } from './fault-pipe.ts';

export type ProxyMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly delayMs: number; readonly jitterMs?: number }
  | { readonly kind: 'blackhole'; readonly direction: 'up' | 'down' | 'both' }
  | { readonly kind: 'refuse' };

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

export interface FaultProxyStats {
  /** Connections accepted by the listener (refused ones included). */
  readonly accepted: number;
  /** Connections with a socket still open. */
  readonly open: number;
  /** Bytes handed to the target / to the client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Connections reset on arrival because the mode was 'refuse'. */
  readonly refused: number;
  /** Connections whose target connect failed (the client was reset). */
  readonly targetFailures: number;
  /** Connections destroyed by `cut()`, 'refuse' or `close()`. */
  readonly cutConnections: number;
  /** Bytes read and not yet forwarded, over all connections and directions now. */
  readonly heldBytes: number;
  /** The largest `heldBytes` of one direction of one connection seen so far. */
  readonly heldBytesPeak: number;
}

export interface FaultProxy {
  /** Where clients connect (on 127.0.0.1). */
  readonly port: number;
  readonly target: ProxyTarget;
  readonly name: string;
  /** The mode now. */
  readonly mode: ProxyMode;
  /** Change the behaviour; applies to existing and new connections at once. Bad modes throw. */
  set(mode: ProxyMode): void;
  /** Reset both sockets of every open connection now (RST, no FIN wait). */
  cut(): void;
  stats(): FaultProxyStats;
  /** Stop listening and destroy every connection; idempotent. */
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  readonly target: ProxyTarget;
  /** Listen port; 0 (the default) lets the OS choose. */
  readonly port?: number;
  /** For messages and logs; defaults to `proxy->host:port`. */
  readonly name?: string;
  /** Bytes held per direction per connection before the source is paused (default 1 MiB). */
  readonly holdBytesMax?: number;
  /** Chunks held per direction per connection before the source is paused (default 4096). */
  readonly holdChunksMax?: number;
  /** Connections open at once; more are reset on arrival (default 1024). */
  readonly connectionsMax?: number;
  /** [0, 1) source for delay jitter; pass a seeded one to repeat a run (default Math.random). */
  readonly random?: () => number;
}

export const HOLD_BYTES_MAX_DEFAULT = 1024 * 1024;
export const HOLD_CHUNKS_MAX_DEFAULT = 4096;
export const CONNECTIONS_MAX_DEFAULT = 1024;
const LOOPBACK = '127.0.0.1';

/** Start a proxy listening on 127.0.0.1 in 'pass' mode. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { target } = options;
  if (!isLoopback(target.host)) throw new Error(`fault proxy: target host ${target.host} is not a loopback address`);
  checkPort(target.port, 'target port', false);
  if (options.port !== undefined) checkPort(options.port, 'listen port', true);
  const settings: ProxySettings = {
    name: options.name ?? `proxy->${target.host}:${target.port}`,
    target: { host: target.host, port: target.port },
    holdBytesMax: positiveInteger(options.holdBytesMax ?? HOLD_BYTES_MAX_DEFAULT, 'holdBytesMax'),
    holdChunksMax: positiveInteger(options.holdChunksMax ?? HOLD_CHUNKS_MAX_DEFAULT, 'holdChunksMax'),
    connectionsMax: positiveInteger(options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT, 'connectionsMax'),
    random: options.random ?? Math.random,
  };
  const proxy = new TcpFaultProxy(settings);
  await proxy.listen(options.port ?? 0);
  return proxy;
}

interface ProxySettings {
  readonly name: string;
  readonly target: ProxyTarget;
  readonly holdBytesMax: number;
  readonly holdChunksMax: number;
  readonly connectionsMax: number;
  readonly random: () => number;
}

interface Counters {
  accepted: number;
  bytesUp: number;
  bytesDown: number;
  refused: number;
  targetFailures: number;
  cutConnections: number;
  heldBytesPeak: number;
}

class TcpFaultProxy implements FaultProxy {
  readonly target: ProxyTarget;
  readonly name: string;
  readonly #settings: ProxySettings;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  readonly #counters: Counters = { accepted: 0, bytesUp: 0, bytesDown: 0, refused: 0, targetFailures: 0, cutConnections: 0, heldBytesPeak: 0 };
  #mode: ProxyMode = { kind: 'pass' };
  #port = 0;
  #closing: Promise<void> | null = null;

  constructor(settings: ProxySettings) {
    this.#settings = settings;
    this.target = settings.target;
    this.name = settings.name;
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.#accept(socket));
    // A listener error after listen() (rare: EMFILE on accept) must not crash the test process.
    this.#server.on('error', () => {});
  }

  get port(): number {
    return this.#port;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  async listen(port: number): Promise<void> {
    this.#port = await listenOnLoopback(this.#server, port, this.name);
  }

  set(mode: ProxyMode): void {
    checkMode(mode, this.name);
    if (this.#closing !== null) throw new Error(`${this.name}: set() after close()`);
    this.#mode = freezeMode(mode);
    if (mode.kind === 'refuse') {
      this.cut();
      return;
    }
    for (const connection of this.#connections) connection.apply(policies(mode));
  }

  cut(): void {
    for (const connection of [...this.#connections]) {
      this.#counters.cutConnections += 1;
      connection.destroy();
    }
  }

  stats(): FaultProxyStats {
    let open = 0;
    let heldBytes = 0;
    for (const connection of this.#connections) {
      open += 1;
      heldBytes += connection.heldBytes;
    }
    return { ...this.#counters, open, heldBytes };
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.cut();
    });
    return this.#closing;
  }

  #accept(client: Socket): void {
    this.#counters.accepted += 1;
    client.on('error', () => {});
    if (this.#closing !== null || this.#mode.kind === 'refuse' || this.#connections.size >= this.#settings.connectionsMax) {
      if (this.#mode.kind === 'refuse') this.#counters.refused += 1;
      reset(client);
      return;
    }
    const connection = new Connection(client, this.#settings, this.#counters, policies(this.#mode), () => this.#connections.delete(connection));
    this.#connections.add(connection);
    client.resume();
  }
}

interface Policies {
  readonly up: PipePolicy;
  readonly down: PipePolicy;
}

function policies(mode: ProxyMode): Policies {
  const flow: PipePolicy = { kind: 'flow' };
  const hold: PipePolicy = { kind: 'hold' };
  switch (mode.kind) {
    case 'pass':
    case 'refuse':
      return { up: flow, down: flow };
    case 'delay': {
      const delay: PipePolicy = { kind: 'delay', delayMs: mode.delayMs, jitterMs: mode.jitterMs ?? 0 };
      return { up: delay, down: delay };
    }
    case 'blackhole':
      return { up: mode.direction === 'down' ? flow : hold, down: mode.direction === 'up' ? flow : hold };
  }
}

/**
 * One accepted client socket and, once 'up' may flow, its target socket. Destroyed (both
 * sockets reset) when either socket closes with an error, when the target connect fails,
 * and by `destroy()`; removed from the proxy once every socket it opened has closed.
 */
class Connection {
  readonly #client: Socket;
  readonly #settings: ProxySettings;
  readonly #counters: Counters;
  readonly #onGone: () => void;
  readonly #up: FaultPipe;
  #down: FaultPipe | null = null;
  #target: Socket | null = null;
  #policies: Policies;
  #clientClosed = false;
  #targetClosed = false;
  #destroyed = false;
  #gone = false;

  constructor(client: Socket, settings: ProxySettings, counters: Counters, initial: Policies, onGone: () => void) {
    this.#client = client;
    this.#settings = settings;
    this.#counters = counters;
    this.#onGone = onGone;
    this.#policies = initial;
    client.setNoDelay(true);
    this.#up = new FaultPipe(client, initial.up, this.#pipeOptions((bytes) => (counters.bytesUp += bytes)));
    client.on('close', (hadError) => {
      this.#clientClosed = true;
      // A client gone before the target was ever reached: nothing to deliver to.
      if (hadError || this.#target === null) this.destroy();
      this.#maybeGone();
    });
    this.#maybeConnect();
  }

  get heldBytes(): number {
    return this.#up.heldBytes + (this.#down?.heldBytes ?? 0);
  }

  apply(next: Policies): void {
    this.#policies = next;
    this.#up.setPolicy(next.up);
    this.#down?.setPolicy(next.down);
    this.#maybeConnect();
  }

  /** Reset both sockets now; held bytes are forgotten. Safe to call more than once. */
  destroy(): void {
    this.#destroyed = true;
    this.#up.dispose();
    this.#down?.dispose();
    reset(this.#client);
    if (this.#target !== null) reset(this.#target);
    else this.#targetClosed = true;
    this.#maybeGone();
  }

  #pipeOptions(onForward: (bytes: number) => void): FaultPipeOptions {
    const counters = this.#counters;
    return {
      holdBytesMax: this.#settings.holdBytesMax,
      holdChunksMax: this.#settings.holdChunksMax,
      random: this.#settings.random,
      onForward,
      onHold: (heldBytes) => {
        if (heldBytes > counters.heldBytesPeak) counters.heldBytesPeak = heldBytes;
      },
    };
  }

  /** Open the target connection unless 'up' is held (a SYN would not get through) or it is open already. */
  #maybeConnect(): void {
    if (this.#target !== null || this.#destroyed || this.#client.destroyed || this.#policies.up.kind === 'hold') return;
    const target = connect({ host: this.#settings.target.host, port: this.#settings.target.port, allowHalfOpen: true, noDelay: true });
    this.#target = target;
    let connected = false;
    target.on('connect', () => (connected = true));
    target.on('error', () => {
      if (!connected) this.#counters.targetFailures += 1;
    });
    target.on('close', (hadError) => {
      this.#targetClosed = true;
      if (hadError || !connected) this.destroy();
      this.#maybeGone();
    });
    this.#down = new FaultPipe(target, this.#policies.down, this.#pipeOptions((bytes) => (this.#counters.bytesDown += bytes)));
    this.#down.attachSink(this.#client);
    this.#up.attachSink(target);
  }

  #maybeGone(): void {
    if (this.#gone || !this.#clientClosed || !this.#targetClosed) return;
    this.#gone = true;
    this.#up.dispose();
    this.#down?.dispose();
    this.#onGone();
  }
}

/** Listen on 127.0.0.1:`port` (0: the OS chooses); resolves the port bound. */
export function listenOnLoopback(server: Server, port: number, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(new Error(`${name}: cannot listen on ${LOOPBACK}:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Destroy a socket with an RST where the socket is connected, at once otherwise. */
export function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function checkPort(port: number, what: string, zeroAllowed: boolean): void {
  if (!Number.isInteger(port) || port < (zeroAllowed ? 0 : 1) || port > 65_535) throw new RangeError(`fault proxy: ${what} ${port} is not a TCP port`);
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`fault proxy: ${what} must be a positive integer, got ${value}`);
  return value;
}

function checkMode(mode: ProxyMode, name: string): void {
  const kind = (mode as { kind?: unknown } | null)?.kind;
  if (kind === 'pass' || kind === 'refuse') return;
  if (kind === 'delay') {
    const { delayMs, jitterMs } = mode as { delayMs: unknown; jitterMs?: unknown };
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`${name}: delay needs delayMs ≥ 0, got ${String(delayMs)}`);
    if (jitterMs !== undefined && (typeof jitterMs !== 'number' || !Number.isFinite(jitterMs) || jitterMs < 0)) throw new RangeError(`${name}: delay jitterMs must be ≥ 0, got ${String(jitterMs)}`);
    return;
  }
  if (kind === 'blackhole') {
    const { direction } = mode as { direction: unknown };
    if (direction === 'up' || direction === 'down' || direction === 'both') return;
    throw new RangeError(`${name}: blackhole direction must be 'up', 'down' or 'both', got ${String(direction)}`);
  }
  throw new RangeError(`${name}: unknown proxy mode ${JSON.stringify(mode)}`);
}

function freezeMode(mode: ProxyMode): ProxyMode {
  return Object.freeze({ ...mode });
}
