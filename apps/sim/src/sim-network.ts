/**
 * SimNetwork: the simulated network between the simulated processes (brokers, clients),
 * and NodeTransport, one process's @samsa/runtime `Transport` on it.
 *
 * Model (TCP, as the processes see it):
 * - A connection is two ends; each direction is a byte stream delivered IN ORDER: a chunk
 *   arrives `delayMsMin..delayMsMax` after it was written, never before the chunk written
 *   before it. Chunks of different connections interleave freely (reordering between
 *   connections).
 * - TCP does not lose or duplicate bytes, so loss is modelled as what a process sees of a
 *   lossy network: a write may reset the connection instead (`resetProbability`), and both
 *   ends see onClose(error).
 * - A partition blocks chosen pairs of nodes: a chunk written or arriving across it is lost
 *   and its connection is reset after a stall (up to `stallMsMax`, as a TCP timeout); a
 *   connect across it fails after `connectTimeoutMs`.
 * - A node that dies (`kill`) loses its listeners; its connections are reset at once on
 *   both ends, chunks still in flight from it included (a simplification: a real peer may
 *   still read what the process wrote just before it died). Every call of the dead process's transport afterwards
 *   never settles (the process is gone).
 * All timing comes from the SimClock and every choice from the seeded Random; every
 * delivered chunk goes into the trace.
 *
 * Limits: `inboxBytesMax` undelivered bytes per end (a receiver that never reads gets its
 * connection reset), `listenersMax` listeners.
 */
import type { Random } from '@samsa/runtime';
import { TransportError, type Connection, type ConnectionHandlers, type Listener, type ListenOptions, type Transport } from '@samsa/runtime';
import type { SimClock } from './sim-clock.ts';
import type { Trace } from './trace.ts';

export const inboxBytesMax = 64 * 1024 * 1024;
export const listenersMax = 1024;
const ephemeralPortFirst = 49152;

export interface NetworkFaultConfig {
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  /** Per written chunk: the connection is reset instead of delivering it. */
  readonly resetProbability: number;
  /** A connection across a partition is reset after a stall of up to this. */
  readonly stallMsMax: number;
  readonly connectTimeoutMs: number;
}

export const calmNetwork: NetworkFaultConfig = { delayMsMin: 0.1, delayMsMax: 2, resetProbability: 0, stallMsMax: 3000, connectTimeoutMs: 3000 };

interface SimListener {
  readonly node: string;
  readonly port: number;
  readonly onConnection: (connection: Connection) => void;
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

class SimEnd implements Connection {
  readonly id: number;
  readonly node: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  peer!: SimEnd;
  lastArrivalMs = 0;
  closed = false;
  readonly #net: SimNetwork;
  #handlers: ConnectionHandlers | null = null;
  #paused = false;
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #closeState: 'open' | 'pending' | 'reported' = 'open';
  #closeError: Error | undefined;

  constructor(net: SimNetwork, id: number, node: string, remotePort: number, localPort: number) {
    this.#net = net;
    this.id = id;
    this.node = node;
    this.remoteAddress = '127.0.0.1';
    this.remotePort = remotePort;
    this.localPort = localPort;
  }

  start(handlers: ConnectionHandlers): void {
    if (this.#handlers) throw new Error('Connection.start called twice');
    this.#handlers = handlers;
    this.#net.soon(() => this.#flush());
    if (this.#closeState === 'pending') this.#net.soon(() => this.#reportClose());
  }

  write(chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('closed', 'write on a closed connection'));
    for (const chunk of chunks instanceof Uint8Array ? [chunks] : chunks) {
      if (chunk.byteLength > 0) this.#net.send(this, chunk.slice());
      if (this.closed) break;
    }
    return Promise.resolve();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#net.soon(() => this.#flush());
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.#net.sendFin(this);
    this.#markClosed(undefined);
    return Promise.resolve();
  }

  destroy(): void {
    if (this.closed) return;
    this.#net.reset(this, 'destroyed by its process', false);
  }

  /** A chunk arrives from the peer. */
  arrive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.#net.traceBytes(this.id, chunk);
    if (this.#inboxBytes + chunk.byteLength > inboxBytesMax) {
      this.#net.reset(this, `more than ${inboxBytesMax} undelivered bytes`, true);
      return;
    }
    this.#inbox.push(chunk);
    this.#inboxBytes += chunk.byteLength;
    this.#flush();
  }

  /** The peer closed its side after everything it wrote: deliver the rest, then close. */
  finArrive(): void {
    if (this.closed) return;
    this.closed = true;
    this.#flush(true);
    this.#markClosed(undefined);
  }

  /** The connection is gone (reset, or this process died: `silent`, nobody to tell). */
  abort(error: Error | undefined, silent: boolean): void {
    this.closed = true;
    this.#inbox = [];
    this.#inboxBytes = 0;
    if (silent) this.#closeState = 'reported';
    else this.#markClosed(error);
  }

  #flush(ignorePause = false): void {
    const handlers = this.#handlers;
    if (!handlers) return;
    while (this.#inbox.length > 0 && (ignorePause || !this.#paused) && this.#closeState !== 'reported') {
      const chunk = this.#inbox.shift()!;
      this.#inboxBytes -= chunk.byteLength;
      handlers.onData(chunk);
    }
  }

  #markClosed(error: Error | undefined): void {
    if (this.#closeState !== 'open') return;
    this.#closeState = 'pending';
    this.#closeError = error;
    this.#net.closed(this);
    if (this.#handlers) this.#net.soon(() => this.#reportClose());
  }

  #reportClose(): void {
    if (this.#closeState !== 'pending' || !this.#handlers) return;
    this.#closeState = 'reported';
    this.#handlers.onClose(this.#closeError);
  }
}

export class SimNetwork {
  readonly #clock: SimClock;
  readonly #random: Random;
  readonly #trace: Trace;
  #config: NetworkFaultConfig;
  readonly #listeners = new Map<number, SimListener>();
  readonly #ends = new Set<SimEnd>();
  readonly #transports = new Map<string, NodeTransport>();
  /** Blocked node pairs, as "a|b" with a < b. */
  readonly #blocked = new Set<string>();
  #nextId = 1;
  #nextPort = ephemeralPortFirst;

  constructor(clock: SimClock, random: Random, trace: Trace, config: NetworkFaultConfig = calmNetwork) {
    this.#clock = clock;
    this.#random = random;
    this.#trace = trace;
    this.#config = config;
  }

  configure(config: NetworkFaultConfig): void {
    this.#config = config;
  }

  /** A fresh transport for (a new incarnation of) `node`; the previous one must be dead. */
  transportFor(node: string): NodeTransport {
    const old = this.#transports.get(node);
    if (old !== undefined && !old.dead) throw new Error(`node ${node} is still alive on the network`);
    const transport = new NodeTransport(this, node);
    this.#transports.set(node, transport);
    return transport;
  }

  /** Blocks every pair (x in a, y in b). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) if (x !== y) this.#blocked.add(pairKey(x, y));
    this.#trace.fault(`partition [${a.join(',')}] | [${b.join(',')}]`);
  }

  heal(): void {
    if (this.#blocked.size === 0) return;
    this.#blocked.clear();
    this.#trace.fault('heal all partitions');
  }

  isBlocked(a: string, b: string): boolean {
    return this.#blocked.has(pairKey(a, b));
  }

  get partitioned(): boolean {
    return this.#blocked.size > 0;
  }

  /** The process `node` died: its listeners go, its connections are reset. */
  kill(node: string): void {
    this.#transports.get(node)?.markDead();
    for (const [port, l] of this.#listeners) if (l.node === node) this.#listeners.delete(port);
    for (const end of [...this.#ends]) {
      if (end.node !== node) continue;
      end.abort(undefined, true);
      this.#ends.delete(end);
      // The peer hears of it at once: nothing the dead process wrote arrives after its
      // death (the checker forgets unsynced reads at the crash, and must not see them again).
      end.peer.abort(new TransportError('closed', 'connection reset by peer (process died)'), false);
    }
  }

  /** Resets one open connection chosen by the Random (a lossy moment). */
  resetRandomConnection(): void {
    const ends = [...this.#ends];
    if (ends.length === 0) return;
    this.reset(ends[this.#random.int(0, ends.length)]!, 'injected loss', true);
  }

  // ---- used by the ends and transports ------------------------------------------------

  /** @internal Runs `callback` on a later event of the simulation. */
  soon(callback: () => void): void {
    this.#clock.setTimeout(callback, 0);
  }

  /** @internal */
  traceBytes(id: number, chunk: Uint8Array): void {
    this.#trace.bytes(id, chunk);
  }

  /** @internal */
  closed(end: SimEnd): void {
    this.#ends.delete(end);
  }

  /** @internal A chunk written by `from`. */
  send(from: SimEnd, chunk: Uint8Array): void {
    const to = from.peer;
    if (this.isBlocked(from.node, to.node)) {
      this.#stall(from);
      return;
    }
    if (this.#config.resetProbability > 0 && this.#random.next() < this.#config.resetProbability) {
      this.reset(from, 'injected loss', true);
      return;
    }
    const nowMs = this.#clock.monotonicMs();
    const arrivalMs = Math.max(from.lastArrivalMs, nowMs + this.#delay());
    from.lastArrivalMs = arrivalMs;
    this.#clock.setTimeout(() => {
      if (this.isBlocked(from.node, to.node)) this.#stall(from);
      else to.arrive(chunk);
    }, arrivalMs - nowMs);
  }

  /** @internal The end `from` closed: the peer sees the end of the stream after the data. */
  sendFin(from: SimEnd): void {
    const nowMs = this.#clock.monotonicMs();
    const arrivalMs = Math.max(from.lastArrivalMs, nowMs + this.#delay());
    from.lastArrivalMs = arrivalMs;
    this.#clock.setTimeout(() => from.peer.finArrive(), arrivalMs - nowMs);
  }

  /** @internal Both ends see the reset now. */
  reset(end: SimEnd, reason: string, fault: boolean): void {
    if (end.closed && end.peer.closed) return;
    if (fault) this.#trace.fault(`reset connection ${end.id} (${reason})`);
    const error = new TransportError('closed', `connection reset (${reason})`);
    end.abort(error, false);
    end.peer.abort(error, false);
  }

  /** @internal */
  listen(node: string, options: ListenOptions, onConnection: (connection: Connection) => void): Listener {
    if (this.#listeners.size >= listenersMax) throw new TransportError('io', `more than ${listenersMax} listeners`);
    const port = options.port === 0 ? this.#nextPort++ : options.port;
    if (this.#listeners.has(port)) throw new TransportError('address-in-use', `${options.host}:${port}`);
    const listener: SimListener = { node, port, onConnection };
    this.#listeners.set(port, listener);
    return {
      host: options.host,
      port,
      close: async () => {
        if (this.#listeners.get(port) === listener) this.#listeners.delete(port);
      },
    };
  }

  /** @internal */
  connect(node: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const delayMs = this.#delay();
      this.#clock.setTimeout(() => {
        const listener = this.#listeners.get(port);
        if (listener === undefined) {
          reject(new TransportError('refused', `127.0.0.1:${port}`));
          return;
        }
        if (this.isBlocked(node, listener.node)) {
          this.#clock.setTimeout(() => reject(new TransportError('io', `connect to 127.0.0.1:${port} timed out`)), this.#config.connectTimeoutMs);
          return;
        }
        const id = this.#nextId++;
        const localPort = this.#nextPort++;
        const client = new SimEnd(this, id, node, port, localPort);
        const server = new SimEnd(this, id, listener.node, localPort, port);
        client.peer = server;
        server.peer = client;
        this.#ends.add(client);
        this.#ends.add(server);
        this.#trace.event(`connect ${id} ${node} -> ${listener.node}:${port}`);
        listener.onConnection(server);
        resolve(client);
      }, delayMs);
    });
  }

  #stall(end: SimEnd): void {
    this.#clock.setTimeout(() => this.reset(end, 'partitioned', false), this.#random.next() * this.#config.stallMsMax);
  }

  #delay(): number {
    const { delayMsMin, delayMsMax } = this.#config;
    return delayMsMin + this.#random.next() * (delayMsMax - delayMsMin);
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** One process's Transport on the SimNetwork. Dead with its process: calls then never settle. */
export class NodeTransport implements Transport {
  readonly node: string;
  readonly #net: SimNetwork;
  #dead = false;

  constructor(net: SimNetwork, node: string) {
    this.#net = net;
    this.node = node;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** @internal Use SimNetwork.kill. */
  markDead(): void {
    this.#dead = true;
  }

  async listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    if (this.#dead) return never();
    return this.#net.listen(this.node, options, onConnection);
  }

  async connect(options: { readonly host: string; readonly port: number }): Promise<Connection> {
    if (this.#dead) return never();
    const connection = await this.#net.connect(this.node, options.port);
    if (this.#dead) {
      connection.destroy();
      return never();
    }
    return connection;
  }
}
