/**
 * Test support for the replica-fetch transport (not exported from the package): a logger
 * that keeps its lines, a transport wrapper that records what every connection writes and
 * receives (to check that record batches are not copied), a raw peer that speaks frames by
 * hand (to send what a well-behaved fetcher never would), a scripted handler whose answers
 * the test releases one by one, and bounded real-time polling (the memory transport
 * delivers on later macrotasks).
 */
import { concatChunks, RpcFrameSplitter, type RpcFrame } from '@samsa/codec';
import type { Connection, ConnectionHandlers, ListenOptions, Listener, Transport } from '@samsa/runtime';
import type { Logger } from '../../observability/logger.ts';
import { replicaFetchCodec, type ReplicaFetchRequest, type ReplicaFetchResponse } from '../replica-fetch-messages.ts';

/** Polls `cond` every ≥ 1 ms of real time, at most `polls` times (generous: the machine may be loaded). */
export async function until(cond: () => boolean, what: string, polls = 10_000): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`until: ${what} did not happen within ${polls} polls`);
}

/** Lets queued macrotasks (transport deliveries) run `n` times. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

export interface LogLine {
  readonly level: string;
  readonly obj: object;
  readonly msg: string;
}

export function captureLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg: msg ?? '' });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger, lines };
  return logger;
}

/** Every chunk a connection wrote, and every chunk it received, in order. */
export interface ConnectionRecord {
  readonly written: Uint8Array[];
  readonly received: Uint8Array[];
}

/** Wraps a transport: the connections it accepts and opens record their traffic in `records`. */
export class RecordingTransport implements Transport {
  readonly records: ConnectionRecord[] = [];
  readonly #inner: Transport;
  constructor(inner: Transport) {
    this.#inner = inner;
  }
  listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    return this.#inner.listen(options, (c) => onConnection(this.#wrap(c)));
  }
  async connect(options: { readonly host: string; readonly port: number }): Promise<Connection> {
    return this.#wrap(await this.#inner.connect(options));
  }
  #wrap(c: Connection): Connection {
    const record: ConnectionRecord = { written: [], received: [] };
    this.records.push(record);
    return {
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      localPort: c.localPort,
      start: (h: ConnectionHandlers) => c.start({ onData: (chunk) => (record.received.push(chunk), h.onData(chunk)), onClose: (e) => h.onClose(e) }),
      write: (chunks) => {
        record.written.push(...(chunks instanceof Uint8Array ? [chunks] : chunks));
        return c.write(chunks);
      },
      pause: () => c.pause(),
      resume: () => c.resume(),
      close: () => c.close(),
      destroy: () => c.destroy(),
    };
  }
}

/** A peer that writes raw bytes and collects the frames it gets back. */
export class RawPeer {
  readonly frames: RpcFrame[] = [];
  closed = false;
  readonly connection: Connection;
  readonly #splitter = new RpcFrameSplitter({ frameBytesMax: 64 * 1024 * 1024, codec: replicaFetchCodec });

  private constructor(connection: Connection) {
    this.connection = connection;
    connection.start({ onData: (chunk) => this.frames.push(...this.#splitter.push(chunk)), onClose: () => (this.closed = true) });
  }

  static async open(transport: Transport, port: number): Promise<RawPeer> {
    return new RawPeer(await transport.connect({ host: '127.0.0.1', port }));
  }

  send(chunks: Uint8Array | Uint8Array[]): Promise<void> {
    return this.connection.write(chunks instanceof Uint8Array ? chunks : concatChunks(chunks));
  }
}

interface Call {
  readonly request: ReplicaFetchRequest;
  readonly signal: AbortSignal;
  readonly answer: (response: ReplicaFetchResponse) => void;
  readonly fail: (error: Error) => void;
}

/**
 * A handler the test drives: each call waits until the test answers it (`calls[i].answer`),
 * or answers at once with `auto` when set; `active` is how many are running right now.
 */
export class ScriptedHandler {
  readonly calls: Call[] = [];
  auto: ((request: ReplicaFetchRequest) => ReplicaFetchResponse) | null = null;
  active = 0;
  activeMax = 0;
  /** The scratch buffer the server lent to each call, in call order. */
  readonly scratches: (Uint8Array | undefined)[] = [];
  readonly handler = (request: ReplicaFetchRequest, signal: AbortSignal, scratch?: Uint8Array): Promise<ReplicaFetchResponse> => {
    this.scratches.push(scratch);
    this.active++;
    this.activeMax = Math.max(this.activeMax, this.active);
    const done = <T>(x: T): T => (this.active--, x);
    if (this.auto !== null) return Promise.resolve(done(this.auto(request)));
    return new Promise<ReplicaFetchResponse>((resolve, reject) => {
      this.calls.push({ request, signal, answer: (r) => resolve(done(r)), fail: (e) => reject(done(e)) });
    });
  };
}

/** A fetch request of `replicaId` for one partition. */
export function fetchRequestOf(replicaId: number, maxWaitMs = 0): ReplicaFetchRequest {
  return {
    replicaId,
    brokerEpoch: 7,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    partitions: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', topic: 't', partition: 0, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 0, logStartOffset: 0, partitionMaxBytes: 1 << 20 }],
  };
}

/** Bytes that stand in for record batches: distinct per seed, so a mix-up shows. */
export function batchBytes(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 17) & 0xff;
  return b;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
