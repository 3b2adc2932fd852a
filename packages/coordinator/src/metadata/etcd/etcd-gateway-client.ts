/**
 * Calls etcd's v3 JSON gateway over `fetch`, with failover between endpoints, a timeout per
 * request and bounded retries with jittered backoff.
 *
 * Invariants:
 * - The client sticks to one endpoint while it answers; a failure that another endpoint may
 *   retry (see etcd-errors.ts) moves to the next one, round-robin. After each full round of
 *   the endpoints it sleeps a backoff (base × 2^round, capped, with jitter from `Random`).
 *   At most `attemptsMax` attempts per call.
 * - Every attempt has its own deadline (`requestTimeoutMs`, or a call's own `timeoutMs`,
 *   armed on the runtime `Clock`);
 *   the body is read before the deadline is cleared, so a response that stalls half-way
 *   times out as well. A write that timed out or lost its connection is `unknown-outcome`
 *   and is never re-sent.
 * - `close()` aborts everything in flight; later calls reject `unavailable`.
 */
import type { Clock, Random } from '@samsa/runtime';
import { MetadataStoreError } from '../metadata-store.ts';
import { classifyFetchError, classifyGrpcError } from './etcd-errors.ts';
import type { AttemptFailure } from './etcd-errors.ts';

/**
 * `Grpc-Metadata-hasleader: true` becomes etcd's "require leader" gRPC metadata: a member
 * without a leader (a minority side, or mid-election) answers `no leader` at once
 * (→ `unavailable`, try the next endpoint) instead of holding the request until it times out
 * (→ `unknown-outcome` for a write), and cancels watch streams when it loses its leader.
 */
const REQUEST_HEADERS = { 'content-type': 'application/json', 'grpc-metadata-hasleader': 'true' } as const;

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface EtcdGatewayOptions {
  /** Client URLs of the etcd members, e.g. `http://127.0.0.1:2379` (scheme optional). */
  readonly endpoints: readonly string[];
  readonly clock: Clock;
  /** Jitter of the backoff between rounds of endpoints (and, in the store, watch reconnects). */
  readonly random: Random;
  /** Deadline of one request attempt, response body included (default 5000). */
  readonly requestTimeoutMs?: number;
  /** Attempts of one call across endpoints (default 2 per endpoint, at least 2). */
  readonly attemptsMax?: number;
  /** Backoff after each full round of endpoints: base × 2^round, capped (defaults 50 / 1000). */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Largest response body read (default 64 MiB): past it a read is `invalid-argument`, a write `unknown-outcome`. */
  readonly responseBytesMax?: number;
  /** The `fetch` to use (default the global one); tests wrap it to cut connections. */
  readonly fetch?: FetchFunction;
}

/** A call is a `write` when a lost response leaves its effect unknown. */
export type CallKind = 'read' | 'write';

export class EtcdGatewayClient {
  readonly #endpoints: readonly string[];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #fetch: FetchFunction;
  /** Aborts of what is in flight, run by close(): a Set, not listeners on one signal (no listener-count warnings under load). */
  readonly #onClose = new Set<() => void>();
  #closed = false;
  readonly requestTimeoutMs: number;
  readonly attemptsMax: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly responseBytesMax: number;
  #current = 0;

  constructor(options: EtcdGatewayOptions) {
    if (options.endpoints.length === 0) throw new MetadataStoreError('invalid-argument', 'etcd: no endpoints given');
    this.#endpoints = options.endpoints.map(normalizeEndpoint);
    this.#clock = options.clock;
    this.#random = options.random;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.attemptsMax = options.attemptsMax ?? Math.max(2, 2 * this.#endpoints.length);
    this.backoffBaseMs = options.backoffBaseMs ?? 50;
    this.backoffMaxMs = options.backoffMaxMs ?? 1000;
    this.responseBytesMax = options.responseBytesMax ?? 64 * 1024 * 1024;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The endpoint the next call goes to first. */
  get currentEndpoint(): string {
    return this.#endpoints[this.#current]!;
  }

  /** The runtime clock's monotonic time (for callers timing a stream). */
  monotonicMs(): number {
    return this.#clock.monotonicMs();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const aborts = [...this.#onClose];
    this.#onClose.clear();
    for (const abort of aborts) abort();
  }

  /**
   * A unary RPC: resolves the decoded JSON body of a 2xx answer. `timeoutMs` replaces the
   * per-attempt deadline for this call (a lease keepalive must not wait on a member that
   * forwards it to a partitioned raft leader longer than the next keepalive is due).
   */
  async call<T>(path: string, body: unknown, kind: CallKind, options: { readonly timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    if (!(timeoutMs > 0)) throw new RangeError(`etcd call ${path}: timeoutMs must be positive, got ${timeoutMs}`);
    let lastFailure: AttemptFailure | null = null;
    for (let attempt = 0; attempt < this.attemptsMax; attempt++) {
      this.#throwIfClosed();
      if (attempt > 0 && attempt % this.#endpoints.length === 0) await this.backoff(attempt / this.#endpoints.length);
      const endpoint = this.currentEndpoint;
      const outcome = await this.#attempt<T>(endpoint, path, body, kind, timeoutMs);
      if (outcome.ok) return outcome.value;
      // Before the closed check: a write cut short by close() is still unknown-outcome.
      if (!outcome.failure.retry) throw outcome.failure.error;
      this.#throwIfClosed();
      lastFailure = outcome.failure;
      this.#moveOn(endpoint);
    }
    throw new MetadataStoreError('unavailable', `etcd: ${path} failed ${this.attemptsMax} times; last: ${lastFailure?.error.message ?? '?'}`, {
      cause: lastFailure?.error,
    });
  }

  /**
   * Opens a streaming RPC on the current endpoint: resolves the response once its headers
   * arrived (the deadline covers only that). A failure moves to the next endpoint for the
   * following call and rejects `unavailable` (streams here are reads). The caller must call
   * `release` when done with the stream (it unhooks the stream from `signal` and close()).
   */
  async openStream(path: string, body: unknown, signal: AbortSignal): Promise<OpenStream> {
    this.#throwIfClosed();
    const endpoint = this.currentEndpoint;
    const deadline = this.#deadline([signal]);
    try {
      const response = await this.#fetch(endpoint + path, this.#init(body, deadline.signal));
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '');
        throw new MetadataStoreError('unavailable', `etcd ${endpoint}${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
      }
      // From here on only the caller's signal and close() end the stream.
      deadline.keepSignals();
      return { response, release: deadline.release };
    } catch (error) {
      this.#moveOn(endpoint);
      if (error instanceof MetadataStoreError) throw error;
      throw classifyFetchError(error, deadline.timedOut, false, endpoint).error;
    } finally {
      deadline.cancelTimer();
    }
  }

  /** Sleeps the jittered backoff of the given round (1, 2, …); close() cuts it short. */
  async backoff(round: number): Promise<void> {
    const capMs = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(round - 1, 16));
    const delayMs = capMs / 2 + this.#random.next() * (capMs / 2);
    await new Promise<void>((resolve) => {
      const onClose = this.#onClose;
      const timer = this.#clock.setTimeout(done, delayMs);
      onClose.add(done);
      function done(): void {
        timer.cancel();
        onClose.delete(done);
        resolve();
      }
    });
  }

  async #attempt<T>(endpoint: string, path: string, body: unknown, kind: CallKind, timeoutMs: number): Promise<{ ok: true; value: T } | { ok: false; failure: AttemptFailure }> {
    const write = kind === 'write';
    const deadline = this.#deadline([], timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.#fetch(endpoint + path, this.#init(body, deadline.signal));
      } catch (error) {
        return { ok: false, failure: classifyFetchError(error, deadline.timedOut, write, endpoint) };
      }
      let text: string;
      try {
        const read = await readBounded(response, this.responseBytesMax);
        if (read === null) {
          const message = `etcd ${endpoint}${path}: response over ${this.responseBytesMax} bytes (narrow the range or pass a limit)`;
          // Too big to read is too big on every endpoint; a write may have been applied.
          return { ok: false, failure: { error: new MetadataStoreError(write ? 'unknown-outcome' : 'invalid-argument', message), retry: false } };
        }
        text = read;
      } catch (error) {
        // The status line arrived, so the request reached a server: a write's fate is unknown.
        return { ok: false, failure: classifyFetchError(error, deadline.timedOut, write, endpoint) };
      }
      return this.#decode<T>(endpoint, path, response.status, text, write);
    } finally {
      deadline.cancelTimer();
    }
  }

  #decode<T>(endpoint: string, path: string, status: number, text: string, write: boolean): { ok: true; value: T } | { ok: false; failure: AttemptFailure } {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      const failure = new MetadataStoreError('unavailable', `etcd ${endpoint}${path}: HTTP ${status}, not JSON: ${text.slice(0, 200)}`, { cause: error });
      // A 2xx that is not JSON is no etcd answer; a write may have been applied behind a proxy.
      if (status >= 200 && status < 300 && write) return { ok: false, failure: { error: new MetadataStoreError('unknown-outcome', failure.message), retry: false } };
      return { ok: false, failure: { error: failure, retry: status >= 500 || status < 300 } };
    }
    const grpc = json as { code?: unknown; message?: unknown; error?: unknown };
    if (typeof grpc.code === 'number' && grpc.code !== 0 && (typeof grpc.message === 'string' || typeof grpc.error === 'string')) {
      return { ok: false, failure: classifyGrpcError(grpc.code, String(grpc.message ?? grpc.error), write, endpoint) };
    }
    if (status < 200 || status >= 300) {
      return { ok: false, failure: { error: new MetadataStoreError('unavailable', `etcd ${endpoint}${path}: HTTP ${status}`), retry: status >= 500 } };
    }
    return { ok: true, value: json as T };
  }

  #init(body: unknown, signal: AbortSignal): RequestInit {
    return { method: 'POST', headers: REQUEST_HEADERS, body: JSON.stringify(body), signal };
  }

  /** An AbortSignal that fires on the per-attempt timeout, on close(), or on any of `signals`. */
  #deadline(signals: readonly AbortSignal[], timeoutMs: number = this.requestTimeoutMs): Deadline {
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = (): void => controller.abort();
    if (this.#closed) controller.abort();
    else this.#onClose.add(onAbort);
    for (const source of signals) {
      if (source.aborted) controller.abort();
      else source.addEventListener('abort', onAbort, { once: true });
    }
    const timer = this.#clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new MetadataStoreError('unavailable', `etcd: request timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    let keep = false;
    const release = (): void => {
      this.#onClose.delete(onAbort);
      for (const source of signals) source.removeEventListener('abort', onAbort);
    };
    return {
      release,
      signal: controller.signal,
      get timedOut() {
        return timedOut;
      },
      keepSignals: () => {
        keep = true;
      },
      cancelTimer: () => {
        timer.cancel();
        if (!keep) release();
      },
    };
  }

  #moveOn(failedEndpoint: string): void {
    if (this.currentEndpoint === failedEndpoint) this.#current = (this.#current + 1) % this.#endpoints.length;
  }

  #throwIfClosed(): void {
    if (this.closed) throw new MetadataStoreError('unavailable', 'etcd store is closed');
  }
}

export interface OpenStream {
  readonly response: Response;
  readonly release: () => void;
}

interface Deadline {
  readonly signal: AbortSignal;
  readonly release: () => void;
  readonly timedOut: boolean;
  /** The stream outlives the call: keep forwarding close() and the caller's signal. */
  keepSignals(): void;
  cancelTimer(): void;
}

/** The body as text, or null past `bytesMax` (the rest is not read: the stream is cancelled). */
async function readBounded(response: Response, bytesMax: number): Promise<string | null> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return text + decoder.decode();
    bytes += chunk.value.length;
    if (bytes > bytesMax) {
      await reader.cancel().catch(() => {});
      return null;
    }
    text += decoder.decode(chunk.value, { stream: true });
  }
}

function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  const withScheme = /^[a-z]+:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  if (!/^https?:\/\/[^/]+$/i.test(withScheme)) {
    throw new MetadataStoreError('invalid-argument', `etcd endpoint ${JSON.stringify(endpoint)} is not http(s)://host:port`);
  }
  return withScheme;
}
